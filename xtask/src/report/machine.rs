//! The report's "Machine" section: where and when the figures were measured.

use std::fs;
use std::path::Path;

use super::template::{Template, template};

const TEXT: Template = template!("machine.md");

/// Appends the section: date, CPUs, kernel, toolchain and the bench directory's filesystem.
pub fn section(md: &mut String) {
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let kernel = fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| std::env::consts::OS.to_string());
    let cpu_model = fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|line| line.starts_with("model name"))
                .and_then(|line| line.split_once(':'))
                .map(|(_, model)| model.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".to_string());
    let rustc = std::process::Command::new("rustc")
        .arg("--version")
        .current_dir(crate::util::workspace_root())
        .output()
        .ok()
        .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_string())
        .unwrap_or_default();
    let fs_type = filesystem_of(&crate::util::target_dir());
    md.push_str(&TEXT.fill(
        "section",
        &[
            ("date", &today_utc()),
            ("cpus", &cpus),
            ("cpu", &cpu_model),
            ("kernel", &kernel),
            ("toolchain", &rustc),
            ("filesystem", &fs_type),
        ],
    ));
}

/// The filesystem type of the longest mount point containing `path`.
fn filesystem_of(path: &Path) -> String {
    let path = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    let mounts = fs::read_to_string("/proc/mounts").unwrap_or_default();
    mounts
        .lines()
        .filter_map(|line| {
            let mut parts = line.split_whitespace();
            let device = parts.next()?;
            let mount_point = parts.next()?;
            let fs_type = parts.next()?;
            path.starts_with(mount_point).then(|| {
                (
                    mount_point.len(),
                    format!("{fs_type} ({device} on {mount_point})"),
                )
            })
        })
        .max_by_key(|(len, _)| *len)
        .map(|(_, text)| text)
        .unwrap_or_else(|| "unknown".to_string())
}

/// Today's date in UTC as `YYYY-MM-DD HH:MM`, from the system clock, or from
/// `SOURCE_DATE_EPOCH` (seconds since 1970) when set, so that two renderings of the same
/// figures can be compared byte for byte (the reproducible-builds convention).
fn today_utc() -> String {
    let secs = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|secs| secs.trim().parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs())
        });
    let days = (secs / 86_400) as i64;
    let (hour, minute) = ((secs % 86_400) / 3600, (secs % 3600) / 60);
    // Howard Hinnant's days-to-civil algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02} {hour:02}:{minute:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_is_well_formed() {
        let date = today_utc();
        assert_eq!(date.len(), 16, "{date}");
        assert!(date.starts_with("20"), "{date}");
    }
}

//! The demo's result tables.

/// Prints a table: a header row (unless every heading is empty), then rows of a label and
/// cells; labels are left-aligned, cells right-aligned under their column heading.
pub fn print_table(headings: &[&str], rows: &[(&str, Vec<String>)]) {
    let label_width = rows.iter().map(|(label, _)| label.len()).max().unwrap_or(0);
    let widths: Vec<usize> = headings
        .iter()
        .enumerate()
        .map(|(column, heading)| {
            rows.iter()
                .filter_map(|(_, cells)| cells.get(column).map(String::len))
                .chain([heading.len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |label: &str, cells: &mut dyn Iterator<Item = &str>| {
        let mut text = format!("  {label:<label_width$}");
        for (cell, width) in cells.zip(&widths) {
            text.push_str(&format!("   {cell:>width$}"));
        }
        println!("{}", text.trim_end());
    };
    if headings.iter().any(|heading| !heading.is_empty()) {
        line("", &mut headings.iter().copied());
    }
    for (label, cells) in rows {
        line(label, &mut cells.iter().map(String::as_str));
    }
}

pub fn yes_no(kept: bool) -> String {
    if kept { "yes" } else { "NO" }.to_string()
}

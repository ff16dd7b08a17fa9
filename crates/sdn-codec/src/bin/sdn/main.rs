//! `sdn`: check, format, query, edit and convert SDN files.
//!
//! Exit status: 0 success, 1 invalid input (a file that is not SDN, a path that does
//! not exist, a value that cannot be written), 2 usage or I/O error. A FILE of `-` is
//! standard input (and, for `fmt` and `set`, the result goes to standard output).

mod address;
mod json;

use std::fmt;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use sdn_codec::{Document, Map, ScalarKind, Value};

/// Check, format, query, edit and convert SDN ("Simple Data Notation") files.
#[derive(Parser)]
#[command(name = "sdn", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check that each file is valid SDN; prints `FILE: ok` or the error with line,
    /// column and a caret.
    Check {
        /// Files to check (`-`: standard input).
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Rewrite each file in canonical form (atomically), keeping comments, single
    /// blank lines and the spelling of every value.
    Fmt {
        /// Only report files that are not canonical (exit 1 if any), change nothing.
        #[arg(long)]
        check: bool,
        /// Also drop every comment and blank line.
        #[arg(long)]
        strip_comments: bool,
        /// Also respell numbers, booleans, nulls and strings the canonical way
        /// (`1.10` becomes `1.1`, `007` becomes `7`).
        #[arg(long)]
        normalize: bool,
        /// Files to format (`-`: read standard input, write standard output).
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Print the value at PATH: scalars as plain text, dicts, rows and tables as
    /// canonical SDN, arrays inline.
    Get {
        /// The SDN file (`-`: standard input).
        file: PathBuf,
        /// Dotted path: `server.port`; quote keys with dots: `a."b.c"`; array items and
        /// table rows by position: `ports.0`, `tasks.0.status`; rows by a key column:
        /// `tasks[id=T-1].status`.
        #[arg(allow_hyphen_values = true)]
        path: String,
    },
    /// Set the value at PATH, keeping the rest of the file byte for byte (atomically).
    ///
    /// VALUE is stored as a string, exactly as given, unless `--json` or `--type` says
    /// otherwise.
    Set {
        /// The SDN file (`-`: read standard input, write standard output).
        file: PathBuf,
        /// Dotted path, as for `get`. Missing intermediate dicts are created.
        #[arg(allow_hyphen_values = true)]
        path: String,
        /// The value (a string unless `--json` or `--type` is given; may be omitted
        /// with `--type null`).
        #[arg(allow_hyphen_values = true)]
        value: Option<String>,
        /// Read VALUE as JSON: `8080`, `"text"`, `[1, 2]`, `{"x": 1}`, `null`.
        #[arg(long, conflicts_with = "ty")]
        json: bool,
        /// Read VALUE as this type.
        #[arg(long = "type", value_name = "TYPE")]
        ty: Option<ValueType>,
    },
    /// Print the file as JSON (tables become arrays of objects keyed by column).
    ToJson {
        /// The SDN file (`-`: standard input).
        file: PathBuf,
    },
    /// Print a JSON file as canonical SDN (arrays of flat objects become tables).
    FromJson {
        /// The JSON file (`-`: standard input).
        file: PathBuf,
    },
}

/// The type `sdn set --type` reads its value as.
#[derive(Clone, Copy, ValueEnum)]
enum ValueType {
    /// The text as it is (the default).
    String,
    /// A signed 64-bit integer (`-5`, `1_000`).
    Int,
    /// A 64-bit float (`1.5`, `1e5`, `3`).
    Float,
    /// `true` or `false`.
    Bool,
    /// Null (VALUE omitted or `null`).
    Null,
}

/// A failure and the exit status it maps to.
enum Failure {
    /// Exit 1: the input is not valid, or the request cannot be met with it.
    Invalid(String),
    /// Exit 2: usage or I/O.
    Io(String),
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Invalid(m) | Failure::Io(m) => f.write_str(m),
        }
    }
}

impl Failure {
    fn code(&self) -> u8 {
        match self {
            Failure::Invalid(_) => 1,
            Failure::Io(_) => 2,
        }
    }
}

/// True for the FILE `-`: standard input / output.
fn is_std(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// How a FILE is named in messages.
fn shown(path: &Path) -> String {
    if is_std(path) {
        "<stdin>".to_owned()
    } else {
        path.display().to_string()
    }
}

fn invalid(e: sdn_codec::Error, path: &Path) -> Failure {
    Failure::Invalid(e.with_path(shown(path)).report().to_string())
}

fn read(path: &Path) -> Result<Vec<u8>, Failure> {
    let result = if is_std(path) {
        let mut bytes = Vec::new();
        std::io::stdin().read_to_end(&mut bytes).map(|_| bytes)
    } else {
        std::fs::read(path)
    };
    result.map_err(|e| Failure::Io(format!("error: cannot read {}: {e}", shown(path))))
}

/// Reads a file as SDN text (UTF-8; a bad byte is reported with its position).
fn read_sdn_text(path: &Path) -> Result<String, Failure> {
    let bytes = read(path)?;
    String::from_utf8(bytes).map_err(|e| match sdn_codec::parse_slice(e.as_bytes()) {
        Err(err) => invalid(err, path),
        Ok(_) => Failure::Invalid(format!("error: {} is not UTF-8", shown(path))),
    })
}

/// Replaces the file at `path` with `text` (atomically; through a symbolic link, the
/// file it points to, and the link stays), or prints `text` for `-`.
fn write_result(path: &Path, text: &str) -> Result<(), Failure> {
    if is_std(path) {
        let mut out = std::io::stdout().lock();
        return out
            .write_all(text.as_bytes())
            .and_then(|()| out.flush())
            .map_err(|e| Failure::Io(format!("error: cannot write standard output: {e}")));
    }
    atomic_io::Options::new()
        .symlinks(atomic_io::Symlinks::Follow)
        .write(path, text)
        .map(drop)
        // atomic-io's message names the step, the path and the file's state; the system
        // error is its `source()`, printed after it.
        .map_err(|e| match std::error::Error::source(&e) {
            Some(cause) => Failure::Io(format!("error: {e} (cause: {cause})")),
            None => Failure::Io(format!("error: {e}")),
        })
}

/// Runs `one` for each file, printing failures; the worst exit status.
fn each_file(files: &[PathBuf], mut one: impl FnMut(&Path) -> Result<u8, Failure>) -> u8 {
    let mut status = 0;
    for path in files {
        match one(path) {
            Ok(code) => status = status.max(code),
            Err(failure) => {
                eprintln!("{failure}");
                status = status.max(failure.code());
            }
        }
    }
    status
}

fn check(files: &[PathBuf]) -> u8 {
    each_file(files, |path| {
        let text = read_sdn_text(path)?;
        sdn_codec::parse(&text).map_err(|e| invalid(e, path))?;
        println!("{}: ok", shown(path));
        Ok(0)
    })
}

fn fmt_files(files: &[PathBuf], only_check: bool, options: &sdn_codec::FormatOptions) -> u8 {
    each_file(files, |path| {
        let text = read_sdn_text(path)?;
        let formatted = sdn_codec::format_with(&text, options).map_err(|e| invalid(e, path))?;
        let name = shown(path);
        if only_check {
            let same = formatted == text;
            println!(
                "{name}: {}",
                if same {
                    "already canonical"
                } else {
                    "not canonical"
                }
            );
            Ok(u8::from(!same))
        } else if is_std(path) {
            write_result(path, &formatted)?;
            Ok(0)
        } else if formatted == text {
            println!("{name}: already canonical");
            Ok(0)
        } else {
            write_result(path, &formatted)?;
            println!("{name}: formatted");
            Ok(0)
        }
    })
}

/// The text `sdn get` prints for a value stored under `key`.
fn show(key: &str, value: &Value) -> Result<String, sdn_codec::Error> {
    Ok(match value {
        Value::Scalar(s) => format!("{}\n", s.text()),
        Value::Array(_) => format!("{}\n", sdn_codec::write::format_inline(value)?),
        Value::Dict(map) => sdn_codec::map_to_canonical_string(map)?,
        Value::Table(_) => {
            let mut one = Map::new();
            one.insert(key, value.clone());
            sdn_codec::map_to_canonical_string(&one)?
        }
    })
}

fn get(file: &Path, path: &str) -> Result<(), Failure> {
    let steps = address::parse(path).map_err(|why| Failure::Invalid(format!("error: {why}")))?;
    let text = read_sdn_text(file)?;
    let value = sdn_codec::parse(&text).map_err(|e| invalid(e, file))?;
    let found = address::get(&value, &steps)
        .map_err(|why| Failure::Invalid(format!("error: {why} in {}", shown(file))))?;
    let last = match steps.last() {
        Some(address::Step::Key(k)) => k.as_str(),
        _ => "",
    };
    print!("{}", show(last, &found).map_err(|e| invalid(e, file))?);
    Ok(())
}

/// The value `sdn set` stores for the command line's VALUE.
fn typed_value(text: Option<&str>, as_json: bool, ty: Option<ValueType>) -> Result<Value, String> {
    let ty = ty.unwrap_or(ValueType::String);
    let Some(text) = text else {
        return match ty {
            ValueType::Null if !as_json => Ok(Value::null()),
            _ => Err("VALUE is missing (it may be left out only with `--type null`)".to_owned()),
        };
    };
    if as_json {
        return json::read(text.as_bytes()).map_err(|e| match e {
            json::JsonError::TooDeep { .. } => format!(
                "VALUE nests deeper than the limit of {} levels",
                json::max_depth()
            ),
            json::JsonError::Invalid(why) => format!("VALUE is not valid JSON: {why}"),
        });
    }
    let not = |what: &str| format!("`{text}` is not {what}");
    let scalar = || sdn_codec::parse::parse_scalar_text(text);
    Ok(match ty {
        ValueType::String => Value::from(text),
        ValueType::Int => match scalar() {
            Ok(ScalarKind::Int(i)) => Value::from(i),
            Err(e) => return Err(e.message().to_owned()),
            _ => return Err(not("an integer")),
        },
        ValueType::Float => match scalar() {
            Ok(ScalarKind::Float(f)) => Value::from(f),
            Ok(ScalarKind::Int(i)) => Value::from(i as f64),
            Err(e) => return Err(e.message().to_owned()),
            _ => return Err(not("a float")),
        },
        ValueType::Bool => match text {
            "true" => Value::from(true),
            "false" => Value::from(false),
            _ => return Err(not("a bool (`true` or `false`)")),
        },
        ValueType::Null => match text {
            "null" => Value::null(),
            _ => return Err(not("null")),
        },
    })
}

fn set(file: &Path, path: &str, value: Value) -> Result<(), Failure> {
    let steps = address::parse(path).map_err(|why| Failure::Invalid(format!("error: {why}")))?;
    let text = read_sdn_text(file)?;
    let mut doc = Document::parse(&text).map_err(|e| invalid(e, file))?;
    // Only a fingerprint of the old text is kept: the document holds its own copy.
    let fingerprint = |t: &str| {
        let mut h = std::hash::DefaultHasher::new();
        std::hash::Hash::hash(t, &mut h);
        (t.len(), std::hash::Hasher::finish(&h))
    };
    let before = fingerprint(&text);
    drop(text);
    address::set(&mut doc, &steps, value).map_err(|why| {
        Failure::Invalid(format!(
            "error: cannot set `{path}` in {}: {why}",
            shown(file)
        ))
    })?;
    let changed = fingerprint(doc.as_str()) != before;
    if changed || is_std(file) {
        write_result(file, doc.as_str())?;
    }
    Ok(())
}

fn to_json(file: &Path) -> Result<(), Failure> {
    let text = read_sdn_text(file)?;
    let value = sdn_codec::parse(&text).map_err(|e| invalid(e, file))?;
    let json = serde_json::to_string_pretty(&value).map_err(|e| {
        Failure::Invalid(format!("error: cannot write {} as JSON: {e}", shown(file)))
    })?;
    println!("{json}");
    Ok(())
}

fn from_json(file: &Path) -> Result<(), Failure> {
    let bytes = read(file)?;
    let value = json::read(&bytes).map_err(|e| {
        Failure::Invalid(match e {
            json::JsonError::TooDeep { line, column } => format!(
                "error: the JSON in {} nests deeper than the limit of {} levels (SDN's nesting limit plus the root object) at line {line}, column {column}",
                shown(file),
                json::max_depth()
            ),
            json::JsonError::Invalid(why) => {
                format!("error: cannot convert {} from JSON: {why}", shown(file))
            }
        })
    })?;
    let Value::Dict(map) = value else {
        return Err(Failure::Invalid(format!(
            "error: the JSON in {} is {}, but an SDN document is an object",
            shown(file),
            value.kind_with_article()
        )));
    };
    let map = json::tablify(map);
    let text = sdn_codec::map_to_canonical_string(&map).map_err(|e| invalid(e, file))?;
    print!("{text}");
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Check { files } => return ExitCode::from(check(&files)),
        Command::Fmt {
            check,
            strip_comments,
            normalize,
            files,
        } => {
            let options = sdn_codec::FormatOptions::default()
                .keep_comments(!strip_comments)
                .keep_spelling(!normalize);
            return ExitCode::from(fmt_files(&files, check, &options));
        }
        Command::Get { file, path } => get(&file, &path),
        Command::Set {
            file,
            path,
            value,
            json,
            ty,
        } => typed_value(value.as_deref(), json, ty)
            .map_err(|why| Failure::Invalid(format!("error: {why}")))
            .and_then(|value| set(&file, &path, value)),
        Command::ToJson { file } => to_json(&file),
        Command::FromJson { file } => from_json(&file),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("{failure}");
            ExitCode::from(failure.code())
        }
    }
}

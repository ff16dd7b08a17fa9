//! `sdn`: check, format, query, edit and convert SDN files.
//!
//! Exit status: 0 success, 1 invalid input (a file that is not SDN, a path that does
//! not exist, a value that cannot be written), 2 usage or I/O error.

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use sdn_codec::{Document, KeyPath, Map, Table, Value};
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

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
        /// Files to check.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Rewrite each file in canonical form (atomically).
    Fmt {
        /// Only report files that are not canonical (exit 1 if any), change nothing.
        #[arg(long)]
        check: bool,
        /// Files to format.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Print the value at PATH: scalars as plain text, dicts and tables as canonical
    /// SDN, arrays inline.
    Get {
        /// The SDN file.
        file: PathBuf,
        /// Dotted path (`server.port`; quote keys with dots: `a."b.c"`; array
        /// positions as numbers: `ports.0`).
        path: String,
    },
    /// Set the value at PATH, keeping the rest of the file byte for byte (atomically).
    Set {
        /// The SDN file.
        file: PathBuf,
        /// Dotted path (`server.port`; quote keys with dots: `a."b.c"`). Missing
        /// intermediate dicts are created.
        path: String,
        /// The value, as written after `key: ` in SDN: `8080`, `"a b"`, `[1, 2]`,
        /// `{x: 1}`, plain text.
        value: String,
    },
    /// Print the file as JSON (tables become arrays of objects keyed by column).
    ToJson {
        /// The SDN file.
        file: PathBuf,
    },
    /// Print a JSON file as canonical SDN (arrays of flat objects become tables).
    FromJson {
        /// The JSON file.
        file: PathBuf,
    },
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

fn invalid(e: sdn_codec::Error, path: &Path) -> Failure {
    Failure::Invalid(e.with_path(path).to_string())
}

fn read(path: &Path) -> Result<Vec<u8>, Failure> {
    std::fs::read(path)
        .map_err(|e| Failure::Io(format!("error: cannot read {}: {e}", path.display())))
}

/// Reads a file as SDN text (UTF-8; a bad byte is reported with its position).
fn read_sdn_text(path: &Path) -> Result<String, Failure> {
    let bytes = read(path)?;
    String::from_utf8(bytes).map_err(|e| match sdn_codec::parse_slice(e.as_bytes()) {
        Err(err) => invalid(err, path),
        Ok(_) => Failure::Invalid(format!("error: {} is not UTF-8", path.display())),
    })
}

fn write_atomically(path: &Path, text: &str) -> Result<(), Failure> {
    // atomic-io's message names the step, the path and the file's state; the system
    // error is its `source()`, printed after it.
    atomic_io::write(path, text).map_err(|e| match std::error::Error::source(&e) {
        Some(cause) => Failure::Io(format!("error: {e} (cause: {cause})")),
        None => Failure::Io(format!("error: {e}")),
    })
}

fn check(files: &[PathBuf]) -> u8 {
    let mut status = 0;
    for path in files {
        match read_sdn_text(path)
            .and_then(|text| sdn_codec::parse(&text).map_err(|e| invalid(e, path)))
        {
            Ok(_) => println!("{}: ok", path.display()),
            Err(failure) => {
                eprintln!("{failure}");
                status = status.max(failure.code());
            }
        }
    }
    status
}

fn fmt_files(files: &[PathBuf], only_check: bool) -> u8 {
    let mut status = 0;
    for path in files {
        let result = read_sdn_text(path).and_then(|text| {
            let value = sdn_codec::parse(&text).map_err(|e| invalid(e, path))?;
            let canonical = sdn_codec::to_canonical_string(&value).map_err(|e| invalid(e, path))?;
            if canonical == text {
                println!("{}: already canonical", path.display());
                Ok(0)
            } else if only_check {
                println!("{}: not canonical", path.display());
                Ok(1)
            } else {
                write_atomically(path, &canonical)?;
                println!("{}: formatted", path.display());
                Ok(0)
            }
        });
        match result {
            Ok(code) => status = status.max(code),
            Err(failure) => {
                eprintln!("{failure}");
                status = status.max(failure.code());
            }
        }
    }
    status
}

fn keys(path: &str) -> Result<Vec<String>, Failure> {
    path.to_keys().map_err(|e| Failure::Invalid(e.to_string()))
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
    let text = read_sdn_text(file)?;
    let value = sdn_codec::parse(&text).map_err(|e| invalid(e, file))?;
    let keys = keys(path)?;
    let found = value.get_path(&keys).ok_or_else(|| {
        Failure::Invalid(format!("error: no entry `{path}` in {}", file.display()))
    })?;
    let last = keys.last().map_or("", String::as_str);
    print!("{}", show(last, found).map_err(|e| invalid(e, file))?);
    Ok(())
}

fn set(file: &Path, path: &str, value: &str) -> Result<(), Failure> {
    let text = read_sdn_text(file)?;
    let mut doc = Document::parse(&text).map_err(|e| invalid(e, file))?;
    let value = sdn_codec::parse::parse_value_text(value)
        .map_err(|e| Failure::Invalid(format!("invalid VALUE `{value}`: {e}")))?;
    doc.set(path, value).map_err(|e| {
        Failure::Invalid(format!(
            "error: cannot set `{path}` in {}: {}",
            file.display(),
            e.message()
        ))
    })?;
    if doc.as_str() != text {
        write_atomically(file, doc.as_str())?;
    }
    Ok(())
}

fn to_json(file: &Path) -> Result<(), Failure> {
    let text = read_sdn_text(file)?;
    let value = sdn_codec::parse(&text).map_err(|e| invalid(e, file))?;
    let json = serde_json::to_string_pretty(&value).map_err(|e| {
        Failure::Invalid(format!(
            "error: cannot write {} as JSON: {e}",
            file.display()
        ))
    })?;
    println!("{json}");
    Ok(())
}

fn from_json(file: &Path) -> Result<(), Failure> {
    let bytes = read(file)?;
    let JsonValue(value) = serde_json::from_slice(&bytes).map_err(|e| {
        Failure::Invalid(format!("error: {} is not valid JSON: {e}", file.display()))
    })?;
    let Value::Dict(map) = value else {
        return Err(Failure::Invalid(format!(
            "error: the JSON in {} is {}, but an SDN document is an object",
            file.display(),
            value.kind_name()
        )));
    };
    let map = tablify(map);
    let text = sdn_codec::map_to_canonical_string(&map).map_err(|e| invalid(e, file))?;
    print!("{text}");
    Ok(())
}

/// Turns every dict entry holding a non-empty array of flat objects (same keys in the
/// same order, scalar values) into a table named by the entry's key.
fn tablify(map: Map) -> Map {
    map.into_iter()
        .map(|(k, v)| {
            let v = match v {
                Value::Array(items) => match flat_records(&items) {
                    Some(table) => Value::Table(table),
                    None => Value::Array(items.into_iter().map(tablify_value).collect()),
                },
                other => tablify_value(other),
            };
            (k, v)
        })
        .collect()
}

fn tablify_value(value: Value) -> Value {
    match value {
        Value::Dict(map) => Value::Dict(tablify(map)),
        Value::Array(items) => Value::Array(items.into_iter().map(tablify_value).collect()),
        other => other,
    }
}

fn flat_records(items: &[Value]) -> Option<Table> {
    let records: Vec<Map> = items
        .iter()
        .map(|item| match item {
            Value::Dict(m) if m.values().all(|v| matches!(v, Value::Scalar(_))) => Some(m.clone()),
            _ => None,
        })
        .collect::<Option<_>>()?;
    Table::from_records(&records)
}

/// A JSON value read into an SDN value, keeping object key order.
struct JsonValue(Value);

impl<'de> Deserialize<'de> for JsonValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(JsonVisitor)
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = JsonValue;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E: de::Error>(self) -> Result<JsonValue, E> {
        Ok(JsonValue(Value::null()))
    }
    fn visit_none<E: de::Error>(self) -> Result<JsonValue, E> {
        Ok(JsonValue(Value::null()))
    }
    fn visit_bool<E: de::Error>(self, b: bool) -> Result<JsonValue, E> {
        Ok(JsonValue(Value::from(b)))
    }
    fn visit_i64<E: de::Error>(self, i: i64) -> Result<JsonValue, E> {
        Ok(JsonValue(Value::from(i)))
    }
    fn visit_u64<E: de::Error>(self, u: u64) -> Result<JsonValue, E> {
        i64::try_from(u)
            .map(|i| JsonValue(Value::from(i)))
            .map_err(|_| E::custom(format!("integer {u} is outside SDN's signed 64-bit range")))
    }
    fn visit_f64<E: de::Error>(self, f: f64) -> Result<JsonValue, E> {
        Ok(JsonValue(Value::from(f)))
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<JsonValue, E> {
        Ok(JsonValue(Value::from(s)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<JsonValue, A::Error> {
        let mut items = Vec::new();
        while let Some(JsonValue(v)) = seq.next_element()? {
            items.push(v);
        }
        Ok(JsonValue(Value::Array(items)))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<JsonValue, A::Error> {
        let mut map = Map::new();
        while let Some((k, JsonValue(v))) = access.next_entry::<String, JsonValue>()? {
            if map.contains_key(&k) {
                return Err(de::Error::custom(format!("duplicate key `{k}`")));
            }
            map.insert(k, v);
        }
        Ok(JsonValue(Value::Dict(map)))
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Check { files } => return ExitCode::from(check(files)),
        Command::Fmt { check, files } => return ExitCode::from(fmt_files(files, *check)),
        Command::Get { file, path } => get(file, path),
        Command::Set { file, path, value } => set(file, path, value),
        Command::ToJson { file } => to_json(file),
        Command::FromJson { file } => from_json(file),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("{failure}");
            ExitCode::from(failure.code())
        }
    }
}

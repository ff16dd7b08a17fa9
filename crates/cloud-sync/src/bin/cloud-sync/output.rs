//! Text for people, one JSON document for scripts.

use serde_json::{Value, json};

use crate::failure::Failure;

pub struct Output {
    json: bool,
}

impl Output {
    pub fn new(json: bool) -> Output {
        Output { json }
    }

    /// Prints `document` with `--json`, else `text()`.
    pub fn emit(&self, document: Value, text: impl FnOnce() -> String) {
        if self.json {
            println!(
                "{}",
                serde_json::to_string_pretty(&document).unwrap_or_else(|_| document.to_string())
            );
        } else {
            let text = text();
            if !text.is_empty() {
                println!("{}", text.trim_end());
            }
        }
    }

    pub fn failure(&self, failure: &Failure) {
        if self.json {
            println!(
                "{}",
                json!({"error": failure.message, "hint": failure.hint, "exit_code": failure.code})
            );
        } else {
            eprintln!("error: {}", failure.message);
            if let Some(hint) = &failure.hint {
                eprintln!("hint: {hint}");
            }
        }
    }
}

//! What relayctl prints: text for people, coloured only at a terminal (anstream drops the colour
//! codes when stdout is a pipe or a file, or NO_COLOR is set), or JSON for scripts.

use anstyle::{AnsiColor, Style};
use serde_json::Value;

pub const GOOD: Style = AnsiColor::Green.on_default().bold();
pub const BAD: Style = AnsiColor::Red.on_default().bold();
pub const WARN: Style = AnsiColor::Yellow.on_default();
pub const DIM: Style = Style::new().dimmed();
pub const BOLD: Style = Style::new().bold();

/// `text` in `style` (the codes are dropped on the way out when they must be).
pub fn paint(style: Style, text: impl std::fmt::Display) -> String {
    format!("{style}{text}{style:#}")
}

/// A status word, coloured by what it means.
pub fn status(status: &str) -> String {
    let style = match status {
        "completed" => GOOD,
        "failed" | "timeout" | "cancelled" => BAD,
        "processing" => WARN,
        _ => DIM,
    };
    paint(style, status)
}

pub fn line(text: impl AsRef<str>) {
    anstream::println!("{}", text.as_ref());
}

pub fn error(text: &str) {
    anstream::eprintln!("{} {text}", paint(BAD, "error:"));
}

/// One JSON value on one line.
pub fn json(value: &Value) {
    println!("{value}");
}

/// `key  value` rows, the keys aligned.
pub fn rows(rows: &[(&str, String)]) {
    let width = rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    for (key, value) in rows {
        line(format!("{}  {value}", paint(DIM, format!("{key:<width$}"))));
    }
}

/// A field of a JSON object as text (`-` when absent or null).
pub fn text(value: &Value, key: &str) -> String {
    match &value[key] {
        Value::Null => "-".into(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

//! Printing: JSON for scripts (`--json`), plain aligned text for people.

use anyhow::Result;
use serde::Serialize;

#[derive(Debug, Clone, Copy)]
pub struct Out {
    pub json: bool,
}

impl Out {
    /// Prints `value` as JSON, or the text `human` builds.
    pub fn emit<T: Serialize>(&self, value: &T, human: impl FnOnce() -> String) -> Result<()> {
        if self.json {
            write_stdout(&serde_json::to_string_pretty(value)?)
        } else {
            let text = human();
            if text.is_empty() {
                Ok(())
            } else {
                write_stdout(text.trim_end())
            }
        }
    }

    /// A short confirmation, or `value` as JSON.
    pub fn done<T: Serialize>(&self, value: &T, message: String) -> Result<()> {
        self.emit(value, || message)
    }
}

/// Writes a line to stdout, reporting failure (a full disk) as an error instead of panicking.
/// A closed pipe (`mutua export | head`) is the reader's choice, not an error.
pub fn write_stdout(text: &str) -> Result<()> {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    let written = writeln!(stdout, "{text}").and_then(|()| stdout.flush());
    match written {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.map_err(|e| anyhow::anyhow!("could not write the output: {e}")),
    }
}

/// `label: value` lines for the fields that are present.
pub fn fields(rows: &[(&str, Option<String>)]) -> String {
    let width = rows
        .iter()
        .filter(|(_, v)| v.is_some())
        .map(|(k, _)| k.len())
        .max()
        .unwrap_or(0);
    rows.iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k:width$}  {v}\n")))
        .collect()
}

/// A table with a header row, columns padded to fit.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    if rows.is_empty() {
        return String::new();
    }
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(cell.chars().count());
            }
        }
    }
    let line = |cells: Vec<String>| {
        let mut out = String::new();
        for (i, cell) in cells.iter().enumerate() {
            let pad = widths
                .get(i)
                .copied()
                .unwrap_or(0)
                .saturating_sub(cell.chars().count());
            out.push_str(cell);
            if i + 1 < cells.len() {
                out.push_str(&" ".repeat(pad + 2));
            }
        }
        let mut out = out.trim_end().to_owned();
        out.push('\n');
        out
    };
    let mut out = line(header.iter().map(|h| (*h).to_owned()).collect());
    for row in rows {
        out.push_str(&line(row.clone()));
    }
    out
}

//! The `:` command line's history, one line per entry in `DATA_DIR/command_history`
//! (readable by its owner only: lines quote incidents), the newest last.

use std::path::{Path, PathBuf};

use super::command::HISTORY;

fn file(data_dir: &Path) -> PathBuf {
    data_dir.join("command_history")
}

/// The lines kept, oldest first; none when the file is missing or unreadable.
pub fn load(data_dir: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(file(data_dir)).unwrap_or_default();
    let lines: Vec<String> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_string)
        .collect();
    let skip = lines.len().saturating_sub(HISTORY);
    lines.into_iter().skip(skip).collect()
}

/// Adds a line, keeping the newest [`HISTORY`].
pub fn remember(data_dir: &Path, line: &str) -> std::io::Result<()> {
    let line = line.replace(['\n', '\r'], " ");
    let mut lines = load(data_dir);
    if lines.last() != Some(&line) {
        lines.push(line);
    }
    let skip = lines.len().saturating_sub(HISTORY);
    let mut text = lines[skip..].join("\n");
    text.push('\n');
    crate::files::write_private(&file(data_dir), text.as_bytes())
}

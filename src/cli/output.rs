//! Plain-text renderings for the terminal, and what keeps them safe to print.
//!
//! Incident text is written by anyone on the response (and, shared, by anyone with a
//! token), so none of it reaches a terminal raw: a title carrying `ESC ]0;...BEL` would
//! otherwise retitle the terminal of whoever lists incidents, and `ESC [2J` clear it.
//! Every human-readable output shows such characters instead ([`visible`], and
//! [`visible_line`] where one entry must stay one line); `--json` output stays JSON that
//! parses back to the exact text ([`json_pretty`], [`json_line`]); and an error that
//! quotes what was typed is shown the same way ([`with_visible_errors`]).

use std::borrow::Cow;
use std::fmt::Write;
use std::io::Write as _;

use anyhow::Result;
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::domain::describe::{self, clip};
pub use crate::domain::describe::{visible, visible_line};
use crate::domain::event::{Event, Role, TheoryStatus, format_time};
use crate::domain::incident::{Incident, IncidentSummary};
use crate::domain::metrics::format_duration;
use crate::domain::severity;
use crate::sync::Current;

/// User text over several lines, each line after the first indented by `indent` so it
/// reads as part of its block, and shown visibly.
pub fn block(text: &str, indent: &str) -> String {
    visible(text.trim_end()).replace('\n', &format!("\n{indent}"))
}

/// An error as it will reach stderr: left as it is when it is safe to print (so a closed
/// pipe is still recognised as one), otherwise its whole message shown on one line with
/// every control character visible: errors quote what was typed and what servers said.
pub fn visible_error(error: anyhow::Error) -> anyhow::Error {
    let message = format!("{error:#}");
    match visible_line(&message) {
        Cow::Borrowed(_) => error,
        Cow::Owned(shown) => anyhow::Error::msg(shown),
    }
}

/// Runs one command; the error it may end with is shown as [`visible_error`] shows it.
pub fn with_visible_errors<T>(command: impl FnOnce() -> Result<T>) -> Result<T> {
    command().map_err(visible_error)
}

/// JSON as serde_json writes it (which escapes C0 controls in strings already), with DEL,
/// C1 controls and bidi overrides escaped as `\uXXXX` too: the same JSON to any parser,
/// and nothing in it that steers a terminal it is printed on.
fn terminal_json(json: String) -> String {
    if let Cow::Borrowed(_) = visible(&json) {
        return json;
    }
    let mut out = String::with_capacity(json.len() + 16);
    let mut buf = [0u8; 4];
    for c in json.chars() {
        // serde_json leaves these raw; they can only be inside a string.
        if c != '\n' && matches!(visible(c.encode_utf8(&mut buf)), Cow::Owned(_)) {
            let _ = write!(out, "\\u{:04x}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    out
}

/// `value` as indented JSON and a line break, safe to print (see [`terminal_json`]).
pub fn json_pretty<T: Serialize + ?Sized>(value: &T) -> Result<String> {
    Ok(terminal_json(serde_json::to_string_pretty(value)? + "\n"))
}

/// `value` as one line of JSON (no line break), safe to print (see [`terminal_json`]).
pub fn json_line<T: Serialize + ?Sized>(value: &T) -> Result<String> {
    Ok(terminal_json(serde_json::to_string(value)?))
}

/// How much [`Out`] gathers before it writes: a long listing goes out in blocks of this
/// size rather than one write per line.
const OUT_BLOCK: usize = 32 * 1024;

/// Standard output for commands that print a lot (`events`, `incidents`, `stats`,
/// `postmortem`): written in blocks of [`OUT_BLOCK`] bytes, flushed by [`Out::finish`].
/// A reader that goes away (`warroom events x | head`) ends the next write with
/// `BrokenPipe`, which the command hands back and `main` leaves unsaid.
pub struct Out {
    out: std::io::BufWriter<std::io::StdoutLock<'static>>,
    /// One JSON line, reused from line to line.
    line: Vec<u8>,
}

impl Out {
    pub fn stdout() -> Out {
        Out {
            out: std::io::BufWriter::with_capacity(OUT_BLOCK, std::io::stdout().lock()),
            line: Vec::new(),
        }
    }

    /// Text as it is: the caller has shown what needs showing.
    pub fn text(&mut self, text: &str) -> std::io::Result<()> {
        self.out.write_all(text.as_bytes())
    }

    /// `value` as one line of JSON and a line break, as [`json_line`] makes it.
    pub fn json_line<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        self.line.clear();
        serde_json::to_writer(&mut self.line, value)?;
        // serde_json escapes C0 controls; anything else that steers a terminal is DEL or
        // starts with 0xC2 (C1) or 0xE2 (bidi): without those bytes the line is safe as is.
        let suspect = self.line.iter().fold(false, |found, &b| {
            found | (b < 0x20) | (b == 0x7f) | (b == 0xc2) | (b == 0xe2)
        });
        if suspect {
            let json = String::from_utf8_lossy(&self.line).into_owned();
            self.text(&terminal_json(json))?;
        } else {
            self.out.write_all(&self.line)?;
        }
        self.text("\n")?;
        Ok(())
    }

    /// Writes out what is gathered.
    pub fn finish(mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

/// `write!` into it keeps a closed pipe's error as it is (an `io::Error`).
impl std::io::Write for Out {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.out.write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.out.write_all(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

/// A message for stderr, on one line with every control character shown.
pub fn tell(message: &str) {
    eprintln!("{}", visible_line(message));
}

fn hm(t: Option<DateTime<Utc>>) -> String {
    t.map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_else(|| "not set".into())
}

/// The incident list as a table, written row by row to `out` (each row shown as
/// [`visible`] shows text).
pub fn incident_table(
    out: &mut Out,
    incidents: &[IncidentSummary],
    now: DateTime<Utc>,
) -> std::io::Result<()> {
    writeln!(
        out,
        "{:<7} {:<5} {:<9} {:<17} {:>9}  {:<12} TITLE",
        "ID", "SEV", "STATUS", "STAGE", "AGE", "IC"
    )?;
    let mut row = String::new();
    for i in incidents {
        let age = i
            .declared_at
            .map(|d| format_duration(now - d))
            .unwrap_or_default();
        let title = visible_line(&i.title);
        let title = if i.drill {
            format!("[DRILL] {title}")
        } else {
            title.into_owned()
        };
        row.clear();
        let _ = writeln!(
            row,
            "{:<7} {:<5} {:<9} {:<17} {:>9}  {:<12} {}",
            i.short_id,
            i.severity.label(),
            i.status.as_str(),
            i.stage.title(),
            age,
            clip(&visible_line(i.commander.as_deref().unwrap_or("-")), 12),
            title
        );
        out.text(&visible(&row))?;
    }
    Ok(())
}

/// `2026-11-26 21:40:00`: the date and time of [`format_time`] without its fraction, which
/// costs a fraction of formatting by pattern (`events` writes one per row).
fn to_the_second(t: DateTime<Utc>) -> String {
    use chrono::Datelike;
    let full = format_time(t);
    match (full.get(..10), full.get(11..19)) {
        (Some(date), Some(time)) if (0..=9999).contains(&t.year()) => format!("{date} {time}"),
        _ => t.format("%Y-%m-%d %H:%M:%S").to_string(),
    }
}

/// One event on one line, whatever its text holds.
pub fn event_line(state: &Incident, ev: &Event, mark: Option<&str>) -> String {
    let seq = ev
        .seq
        .map(|s| format!("#{s}"))
        .unwrap_or_else(|| "#-".into());
    // A drill persona reads `ops1 (drill)`, wider than the column rather than cut short.
    let width = if ev.persona.is_some() { 24 } else { 10 };
    let mut line = format!(
        "{seq:>6}  {}  {:<10} {:<12} {}",
        to_the_second(ev.at),
        clip(&visible_line(&ev.author_label()), width),
        describe::label(&ev.kind),
        visible_line(&describe::text_in(state, ev))
    );
    if let Some(m) = mark {
        let _ = write!(line, "  [{}]", visible_line(m));
    }
    line
}

pub fn incident_report(view: &Current, now: DateTime<Utc>) -> String {
    let s = &view.state;
    let sum = &s.summary;
    let mut out = String::new();
    let drill = if sum.drill { "  [DRILL]" } else { "" };
    let _ = writeln!(
        out,
        "{}  {} ({})  {} · {}{drill}",
        sum.short_id,
        sum.severity,
        sum.severity.name(),
        sum.status.as_str(),
        sum.stage.title()
    );
    let _ = writeln!(out, "{}", visible_line(&sum.title));
    if !s.description.is_empty() {
        let _ = writeln!(out, "  {}", block(&s.description, "  "));
    }
    let _ = writeln!(
        out,
        "\nDeclared          {} by {}",
        hm(sum.declared_at),
        visible_line(s.declared_by.as_deref().unwrap_or("?"))
    );
    let _ = writeln!(out, "Start of impact   {}", hm(s.impact.started));
    let _ = writeln!(out, "Detected          {}", hm(s.impact.detected));
    let _ = writeln!(out, "End of impact     {}", hm(s.impact.ended));
    let dur = |d: Option<chrono::Duration>| d.map(format_duration).unwrap_or_else(|| "-".into());
    let _ = writeln!(out, "TTD {}   TTR {}", dur(s.ttd()), dur(s.ttr()));
    if s.impact.corrections > 0 {
        let _ = writeln!(
            out,
            "({} correction(s) to the impact times)",
            s.impact.corrections
        );
    }
    let _ = writeln!(out, "\nRoles");
    for role in Role::ALL {
        let holder = visible_line(s.roster.holder(role).unwrap_or("-"));
        let note = if s.roster.is_defaulted_to_ic(role) {
            "  (held by the IC)"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "  {:<3} {:<20} {holder}{note}",
            role.code(),
            role.title()
        );
    }
    let present: Vec<_> = s.present_responders().collect();
    let _ = writeln!(out, "\nResponders ({} present)", present.len());
    for r in &present {
        let duty = format_duration(r.time_on_duty(now));
        let awake = r
            .awake_since
            .map(|a| format!(", awake {}", format_duration(now - a)))
            .unwrap_or_default();
        let state = if r.on_duty_since.is_some() {
            "on duty"
        } else {
            "off duty"
        };
        let _ = writeln!(
            out,
            "  {:<16} {state}, {duty} on the incident{awake}",
            visible_line(&r.handle)
        );
    }
    let b = &s.board;
    let count = |st| b.theories.iter().filter(|t| t.status == st).count();
    let _ = writeln!(
        out,
        "\nBoard             {} observations, {} theories ({} open, {} supported, {} refuted), \
         {} experiments ({} running)",
        b.observations.len(),
        b.theories.len(),
        count(TheoryStatus::Open),
        count(TheoryStatus::Supported),
        count(TheoryStatus::Refuted),
        b.experiments.len(),
        b.running_experiments().count()
    );
    let waiting = s.pending_change_requests().count();
    let _ = writeln!(
        out,
        "Change requests   {} ({} waiting for the IC)",
        s.change_requests.len(),
        waiting
    );
    let due = match s.next_update_due() {
        Some(d) if d < now => format!(", next update OVERDUE by {}", format_duration(now - d)),
        Some(d) => format!(", next update due in {}", format_duration(d - now)),
        None => String::new(),
    };
    let _ = writeln!(out, "Comms             {} sent{due}", s.comms.len());
    let privacy = s.privacy.describe(s.privacy_steps.len());
    let _ = writeln!(out, "Privacy           {privacy}");
    if !s.action_items.is_empty() {
        let open = s.open_action_items();
        let _ = writeln!(
            out,
            "Action items      {open} open of {}",
            s.action_items.len()
        );
    }
    if !s.known_errors.is_empty() {
        let keys = s.known_error_keys().join(", ");
        let _ = writeln!(out, "Known errors      {}", visible_line(&keys));
    }
    let rejected = view.pending.iter().filter(|p| p.rejected.is_some()).count();
    let _ = writeln!(
        out,
        "Events            {} confirmed, {} pending, {} rejected",
        view.last_seq,
        view.pending.len() - rejected,
        rejected
    );
    if s.unknown_events > 0 {
        let _ = writeln!(
            out,
            "                  {} of a kind this version does not know",
            s.unknown_events
        );
    }
    out
}

pub fn severities() -> String {
    let mut out = String::new();
    for level in severity::table() {
        let _ = writeln!(out, "SEV{}  {}: {}", level.level, level.name, level.meaning);
        for e in &level.examples {
            let _ = writeln!(out, "        - {e}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every kind of character that steers a terminal, between ordinary words.
    const HOSTILE: &str =
        "a\u{1b}]0;owned\u{7}b\u{1b}[2Jc\rd\u{0}e\u{7f}f\u{9b}31mg\u{202e}h\u{2066}i\nj\tk";

    #[test]
    fn a_row_shows_its_time_to_the_second_as_the_pattern_does() {
        use chrono::TimeZone;
        let pattern = |t: DateTime<Utc>| t.format("%Y-%m-%d %H:%M:%S").to_string();
        let mut t = Utc.with_ymd_and_hms(2026, 2, 28, 23, 59, 58).unwrap();
        for i in 0..2000 {
            t += chrono::Duration::microseconds(3_600_000_007 * i + 999_999);
            assert_eq!(to_the_second(t), pattern(t));
        }
        for t in [
            Utc.with_ymd_and_hms(-1, 1, 1, 0, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(10000, 1, 1, 0, 0, 0).unwrap(),
        ] {
            assert_eq!(to_the_second(t), pattern(t));
        }
    }

    #[test]
    fn ordinary_text_is_printed_as_it_is_without_a_copy() {
        for text in [
            "Checkout – 502s on café.example",
            "日本語 › ok",
            "C:\\temp\\x",
            "",
        ] {
            assert!(matches!(visible(text), Cow::Borrowed(t) if t == text));
            assert!(matches!(visible_line(text), Cow::Borrowed(t) if t == text));
        }
        assert!(matches!(visible("two\nlines\tand a tab"), Cow::Borrowed(_)));
    }

    #[test]
    fn control_characters_and_bidi_overrides_are_shown_not_obeyed() {
        assert_eq!(
            visible(HOSTILE),
            "a\\x1b]0;owned\\x07b\\x1b[2Jc\\x0dd\\x00e\\x7ff\\u{9b}31mg\\u{202e}h\\u{2066}i\nj\tk"
        );
        assert_eq!(
            visible_line(HOSTILE),
            "a\\x1b]0;owned\\x07b\\x1b[2Jc\\x0dd\\x00e\\x7ff\\u{9b}31mg\\u{202e}h\\u{2066}i\\x0aj\\x09k"
        );
        // Showing twice changes nothing more.
        assert_eq!(visible_line(&visible_line(HOSTILE)), visible_line(HOSTILE));
    }

    #[test]
    fn json_for_the_terminal_parses_back_to_the_exact_text() {
        let value = serde_json::json!({ "title": HOSTILE, "list": [HOSTILE] });
        for json in [json_pretty(&value).unwrap(), json_line(&value).unwrap()] {
            let steering = json
                .chars()
                .filter(|&c| c != '\n')
                .any(|c| matches!(visible(c.encode_utf8(&mut [0; 4])), Cow::Owned(_)));
            assert!(!steering, "{json:?}");
            let back: serde_json::Value = serde_json::from_str(&json).unwrap();
            assert_eq!(back, value);
        }
        assert!(json_line(&value).unwrap().contains("\\u009b31m"));
        assert!(json_line(&value).unwrap().contains("\\u202e"));
    }

    #[test]
    fn an_error_quoting_typed_text_is_shown_on_one_line_and_others_are_kept_as_they_are() {
        let quoted = anyhow::anyhow!("no incident matches `\u{1b}[2J\nx`");
        assert_eq!(
            visible_error(quoted).to_string(),
            "no incident matches `\\x1b[2J\\x0ax`"
        );
        let inner = anyhow::Error::from(std::io::Error::other("bad \u{7}"));
        let chained = visible_error(inner.context("cannot write out.md"));
        assert_eq!(format!("{chained:#}"), "cannot write out.md: bad \\x07");
        // A closed pipe must still be recognisable as one (main stays quiet about it).
        let pipe = anyhow::Error::from(std::io::Error::from(std::io::ErrorKind::BrokenPipe));
        let pipe = visible_error(pipe);
        assert!(pipe.downcast_ref::<std::io::Error>().is_some());
    }
}

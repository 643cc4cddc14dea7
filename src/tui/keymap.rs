//! Keys are data: `keymaps/*.toml` map keys to action names per pane, and a user file in
//! the XDG config dir overrides single keys. A broken file is reported with its name, line
//! and key, and the built-in keys are used instead; it never stops warroom.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::action::Action;
use super::pane::Pane;

pub const DEFAULT_TOML: &str = include_str!("../../keymaps/default.toml");
pub const VIM_TOML: &str = include_str!("../../keymaps/vim.toml");

/// Where a binding applies: everywhere, the incident list, or one pane (whose own
/// binding is looked up before the global one).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Section {
    Global,
    Picker,
    Pane(Pane),
}

impl Section {
    pub const ALL: [Section; 7] = [
        Section::Global,
        Section::Picker,
        Section::Pane(Pane::Timeline),
        Section::Pane(Pane::Roster),
        Section::Pane(Pane::Board),
        Section::Pane(Pane::Comms),
        Section::Pane(Pane::Fatigue),
    ];

    pub fn name(self) -> &'static str {
        match self {
            Section::Global => "global",
            Section::Picker => "picker",
            Section::Pane(pane) => pane.name(),
        }
    }

    fn parse(s: &str) -> Option<Section> {
        Section::ALL.into_iter().find(|x| x.name() == s)
    }
}

/// A key with its modifiers, normalised so a file and the terminal agree.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Key {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

impl PartialOrd for Key {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Key {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.to_string().cmp(&other.to_string())
    }
}

impl Key {
    pub fn new(code: KeyCode, mods: KeyModifiers) -> Key {
        let mut mods = mods & (KeyModifiers::CONTROL | KeyModifiers::ALT | KeyModifiers::SHIFT);
        // A shifted character arrives as the character itself; back-tab carries shift.
        if matches!(code, KeyCode::Char(_) | KeyCode::BackTab) {
            mods.remove(KeyModifiers::SHIFT);
        }
        let code = match code {
            KeyCode::Char(c) if mods.contains(KeyModifiers::CONTROL) => {
                KeyCode::Char(c.to_ascii_lowercase())
            }
            other => other,
        };
        Key { code, mods }
    }

    pub fn from_event(ev: &KeyEvent) -> Key {
        Key::new(ev.code, ev.modifiers)
    }

    pub fn parse(s: &str) -> Result<Key, String> {
        let s = s.trim();
        if s.chars().count() == 1 {
            let c = s.chars().next().unwrap_or(' ');
            return Ok(Key::new(KeyCode::Char(c), KeyModifiers::NONE));
        }
        let mut mods = KeyModifiers::NONE;
        let mut rest = s;
        loop {
            let lower = rest.to_ascii_lowercase();
            let (m, len) = if lower.starts_with("ctrl-") {
                (KeyModifiers::CONTROL, 5)
            } else if lower.starts_with("alt-") {
                (KeyModifiers::ALT, 4)
            } else if lower.starts_with("shift-") {
                (KeyModifiers::SHIFT, 6)
            } else {
                break;
            };
            mods |= m;
            rest = &rest[len..];
        }
        if rest.chars().count() == 1 {
            let mut c = rest.chars().next().unwrap_or(' ');
            if mods.contains(KeyModifiers::SHIFT) {
                c = c.to_ascii_uppercase();
            }
            return Ok(Key::new(KeyCode::Char(c), mods));
        }
        let lower = rest.to_ascii_lowercase();
        let code = match lower.as_str() {
            "enter" | "return" => KeyCode::Enter,
            "esc" | "escape" => KeyCode::Esc,
            "tab" if mods.contains(KeyModifiers::SHIFT) => KeyCode::BackTab,
            "tab" => KeyCode::Tab,
            "backtab" => KeyCode::BackTab,
            "space" => KeyCode::Char(' '),
            "backspace" => KeyCode::Backspace,
            "delete" | "del" => KeyCode::Delete,
            "insert" | "ins" => KeyCode::Insert,
            "up" => KeyCode::Up,
            "down" => KeyCode::Down,
            "left" => KeyCode::Left,
            "right" => KeyCode::Right,
            "pageup" | "pgup" => KeyCode::PageUp,
            "pagedown" | "pgdn" => KeyCode::PageDown,
            "home" => KeyCode::Home,
            "end" => KeyCode::End,
            f if f.starts_with('f')
                && f[1..].parse::<u8>().is_ok_and(|n| (1..=12).contains(&n)) =>
            {
                KeyCode::F(f[1..].parse().unwrap_or(1))
            }
            _ => {
                return Err(format!(
                    "`{s}` is not a key (e.g. \"n\", \"ctrl-c\", \"pagedown\", \"f1\")"
                ));
            }
        };
        Ok(Key::new(code, mods))
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.mods.contains(KeyModifiers::CONTROL) {
            f.write_str("ctrl-")?;
        }
        if self.mods.contains(KeyModifiers::ALT) {
            f.write_str("alt-")?;
        }
        if self.mods.contains(KeyModifiers::SHIFT) {
            f.write_str("shift-")?;
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::Enter => f.write_str("enter"),
            KeyCode::Esc => f.write_str("esc"),
            KeyCode::Tab => f.write_str("tab"),
            KeyCode::BackTab => f.write_str("shift-tab"),
            KeyCode::Backspace => f.write_str("backspace"),
            KeyCode::Delete => f.write_str("delete"),
            KeyCode::Insert => f.write_str("insert"),
            KeyCode::Up => f.write_str("↑"),
            KeyCode::Down => f.write_str("↓"),
            KeyCode::Left => f.write_str("←"),
            KeyCode::Right => f.write_str("→"),
            KeyCode::PageUp => f.write_str("pgup"),
            KeyCode::PageDown => f.write_str("pgdn"),
            KeyCode::Home => f.write_str("home"),
            KeyCode::End => f.write_str("end"),
            KeyCode::F(n) => write!(f, "f{n}"),
            other => write!(f, "{other:?}"),
        }
    }
}

/// A keymap file that could not be used as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeymapError {
    pub file: String,
    pub line: usize,
    pub key: Option<String>,
    pub message: String,
}

impl fmt::Display for KeymapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: ", self.file, self.line)?;
        if let Some(k) = &self.key {
            write!(f, "key \"{k}\": ")?;
        }
        f.write_str(&self.message)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Keymap {
    pub name: String,
    bindings: BTreeMap<(Section, Key), Action>,
}

/// One `"key" = "action"` line of a file, with where it stood.
struct Line<'a> {
    section: &'a str,
    key: &'a str,
    value: &'a str,
    line: usize,
}

fn unquote(s: &str) -> Option<&str> {
    let s = s.trim();
    s.strip_prefix('"')
        .and_then(|x| x.strip_suffix('"'))
        .or_else(|| s.strip_prefix('\'').and_then(|x| x.strip_suffix('\'')))
}

/// Reads `[section]` and `"key" = "action"` lines (after the TOML itself was checked).
fn lines(text: &str) -> Vec<Line<'_>> {
    let mut out = Vec::new();
    let mut section = "";
    for (i, raw) in text.lines().enumerate() {
        let t = raw.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        if let Some(name) = t.strip_prefix('[').and_then(|x| x.strip_suffix(']')) {
            section = name.trim();
            continue;
        }
        // Split at the `=` after the (possibly quoted) key.
        let split = if let Some(rest) = t.strip_prefix('"') {
            rest.find('"').map(|end| end + 2)
        } else if let Some(rest) = t.strip_prefix('\'') {
            rest.find('\'').map(|end| end + 2)
        } else {
            t.find('=')
        };
        let Some(key_end) = split else { continue };
        let (k, rest) = t.split_at(key_end.min(t.len()));
        let Some(v) = rest.trim_start().strip_prefix('=') else {
            continue;
        };
        let v = v.split(" #").next().unwrap_or(v);
        out.push(Line {
            section,
            key: unquote(k).unwrap_or(k.trim()),
            value: unquote(v).unwrap_or(v.trim()),
            line: i + 1,
        });
    }
    out
}

impl Keymap {
    /// A built-in keymap by name (`default` or `vim`).
    pub fn builtin(name: &str) -> Option<Keymap> {
        let text = match name {
            "default" => DEFAULT_TOML,
            "vim" => VIM_TOML,
            _ => return None,
        };
        // The built-in files are checked by tests, so they always parse.
        Keymap::parse(text, &format!("keymaps/{name}.toml"), None).ok()
    }

    /// Parses a keymap file; `base` is the keymap it overrides (none: a whole keymap).
    pub fn parse(text: &str, file: &str, base: Option<&Keymap>) -> Result<Keymap, KeymapError> {
        let err = |line: usize, key: Option<&str>, message: String| KeymapError {
            file: file.to_string(),
            line,
            key: key.map(str::to_string),
            message,
        };
        if let Err(e) = toml::from_str::<toml::Table>(text) {
            let line = e
                .span()
                .map(|s| text[..s.start.min(text.len())].lines().count().max(1))
                .unwrap_or(1);
            return Err(err(line, None, format!("not valid TOML: {}", e.message())));
        }
        let mut map = base.cloned().unwrap_or(Keymap {
            name: file.to_string(),
            bindings: BTreeMap::new(),
        });
        map.name = file.to_string();
        for l in lines(text) {
            if l.section.is_empty() {
                if l.key == "base" {
                    continue;
                }
                return Err(err(
                    l.line,
                    Some(l.key),
                    "keys go under a section such as [global] or [timeline]".into(),
                ));
            }
            let section = Section::parse(l.section).ok_or_else(|| {
                err(
                    l.line,
                    Some(l.key),
                    format!(
                        "[{}] is not a section; use one of: {}",
                        l.section,
                        Section::ALL.map(Section::name).join(", ")
                    ),
                )
            })?;
            let key = Key::parse(l.key).map_err(|m| err(l.line, Some(l.key), m))?;
            if l.value == "none" {
                map.bindings.remove(&(section, key));
                continue;
            }
            let action: Action = serde_json::from_value(serde_json::Value::String(
                l.value.to_string(),
            ))
            .map_err(|_| {
                err(
                    l.line,
                    Some(l.key),
                    format!(
                        "`{}` is not an action (see `?` in warroom for the list)",
                        l.value
                    ),
                )
            })?;
            map.bindings.insert((section, key), action);
        }
        Ok(map)
    }

    /// The keymap to use: the built-in default, or the user's file on top of its `base`.
    /// Answers the keymap and a message for the user when their file could not be used.
    pub fn load(user_file: Option<&Path>) -> (Keymap, Option<String>) {
        let default = Keymap::builtin("default").unwrap_or(Keymap {
            name: "none".into(),
            bindings: BTreeMap::new(),
        });
        let Some(path) = user_file.filter(|p| p.exists()) else {
            return (default, None);
        };
        let shown = path.display().to_string();
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) => {
                return (
                    default,
                    Some(format!(
                        "{shown}: cannot read it ({e}); using the default keys"
                    )),
                );
            }
        };
        let base_name = toml::from_str::<toml::Table>(&text)
            .ok()
            .and_then(|t| t.get("base").and_then(|b| b.as_str()).map(str::to_string))
            .unwrap_or_else(|| "default".into());
        let Some(base) = Keymap::builtin(&base_name) else {
            return (
                default,
                Some(format!(
                    "{shown}: base = \"{base_name}\" is not a keymap (use \"default\" or \"vim\"); using the default keys"
                )),
            );
        };
        match Keymap::parse(&text, &shown, Some(&base)) {
            Ok(map) => (map, None),
            Err(e) => (base, Some(format!("{e}; using the {base_name} keys"))),
        }
    }

    /// The user's keymap file: `$XDG_CONFIG_HOME/warroom/keymap.toml`.
    pub fn user_file() -> Option<PathBuf> {
        dirs::config_dir().map(|d| d.join("warroom").join("keymap.toml"))
    }

    /// The pane's own binding first, then the global one.
    pub fn lookup(&self, section: Section, key: Key) -> Option<Action> {
        self.bindings
            .get(&(section, key))
            .or_else(|| self.bindings.get(&(Section::Global, key)))
            .copied()
    }

    /// The keys that do `action` in `section` (its own, then global), for hints.
    pub fn keys_for(&self, section: Section, action: Action) -> Vec<Key> {
        let mut keys: Vec<Key> = self
            .bindings
            .iter()
            .filter(|((s, _), a)| (*s == section || *s == Section::Global) && **a == action)
            .filter(|((s, k), _)| *s == section || !self.bindings.contains_key(&(section, *k)))
            .map(|((_, k), _)| *k)
            .collect();
        // Plain keys first: `q` is the hint for quitting, not `ctrl-c`.
        keys.sort_by_key(|k| (!k.mods.is_empty(), k.to_string()));
        keys.dedup();
        keys
    }

    /// A short hint like `n` for an action, or `-` when no key does it.
    pub fn hint(&self, section: Section, action: Action) -> String {
        self.keys_for(section, action)
            .first()
            .map(|k| k.to_string())
            .unwrap_or_else(|| "-".into())
    }

    /// Every binding of a section, in key order, for the help overlay.
    pub fn section(&self, section: Section) -> Vec<(Key, Action)> {
        self.bindings
            .iter()
            .filter(|((s, _), _)| *s == section)
            .map(|((_, k), a)| (*k, *a))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_keymaps_parse_and_cover_the_essentials() {
        for name in ["default", "vim"] {
            let text = if name == "vim" {
                VIM_TOML
            } else {
                DEFAULT_TOML
            };
            let map = Keymap::parse(text, name, None).unwrap_or_else(|e| panic!("{e}"));
            for essential in [Action::Quit, Action::Help, Action::AddNote, Action::Back] {
                let section = if essential == Action::AddNote {
                    Section::Pane(Pane::Timeline)
                } else {
                    Section::Global
                };
                assert!(
                    !map.keys_for(section, essential).is_empty(),
                    "{name}: {essential:?}"
                );
            }
        }
    }

    #[test]
    fn keys_parse_and_normalise() {
        assert_eq!(
            Key::parse("ctrl-c").unwrap(),
            Key::new(KeyCode::Char('c'), KeyModifiers::CONTROL)
        );
        assert_eq!(
            Key::parse("shift-tab").unwrap(),
            Key::new(KeyCode::BackTab, KeyModifiers::NONE)
        );
        assert_eq!(Key::parse("shift-n").unwrap(), Key::parse("N").unwrap());
        assert_eq!(Key::parse("F5").unwrap().code, KeyCode::F(5));
        // What the terminal sends for N: the character with SHIFT.
        let ev = KeyEvent::new(KeyCode::Char('N'), KeyModifiers::SHIFT);
        assert_eq!(Key::from_event(&ev), Key::parse("N").unwrap());
        assert!(Key::parse("hyper-x").is_err());
        assert!(Key::parse("f13").is_err());
    }

    #[test]
    fn pane_bindings_win_over_global_ones() {
        let map = Keymap::builtin("default").unwrap();
        let n = Key::parse("n").unwrap();
        assert_eq!(
            map.lookup(Section::Pane(Pane::Timeline), n),
            Some(Action::AddNote)
        );
        assert_eq!(map.lookup(Section::Picker, n), Some(Action::Declare));
        assert_eq!(
            map.lookup(Section::Pane(Pane::Roster), Key::parse("q").unwrap()),
            Some(Action::Quit)
        );
        assert_eq!(
            map.hint(Section::Pane(Pane::Timeline), Action::AddNote),
            "n"
        );
    }

    #[test]
    fn a_user_file_overrides_single_keys_on_its_base() {
        let base = Keymap::builtin("vim").unwrap();
        let text = "base = \"vim\"\n[timeline]\n\"ctrl-n\" = \"add_note\"\n\"a\" = \"none\"\n";
        let map = Keymap::parse(text, "mine.toml", Some(&base)).unwrap();
        assert_eq!(
            map.lookup(Section::Pane(Pane::Timeline), Key::parse("ctrl-n").unwrap()),
            Some(Action::AddNote)
        );
        assert_eq!(
            map.lookup(Section::Pane(Pane::Timeline), Key::parse("a").unwrap()),
            None
        );
        assert_eq!(
            map.lookup(Section::Global, Key::parse("j").unwrap()),
            Some(Action::Down)
        );
    }

    #[test]
    fn broken_files_name_the_file_line_and_key() {
        let e = Keymap::parse("[timeline]\n\"n\" = \"add_nope\"\n", "k.toml", None).unwrap_err();
        assert_eq!((e.line, e.key.as_deref()), (2, Some("n")));
        assert!(
            e.to_string()
                .starts_with("k.toml:2: key \"n\": `add_nope` is not an action"),
            "{e}"
        );

        let e = Keymap::parse(
            "[global]\n\"q\" = \"quit\"\n\"hyper-q\" = \"quit\"\n",
            "k.toml",
            None,
        )
        .unwrap_err();
        assert_eq!(e.line, 3);

        let e = Keymap::parse("[nowhere]\n\"q\" = \"quit\"\n", "k.toml", None).unwrap_err();
        assert!(e.message.contains("[nowhere] is not a section"), "{e}");

        let e = Keymap::parse("[global]\n\"q\" = \n", "k.toml", None).unwrap_err();
        assert!(e.message.contains("not valid TOML"), "{e}");
        assert_eq!(e.line, 2, "{e}");
    }

    #[test]
    fn loading_a_broken_user_file_falls_back_with_a_message() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keymap.toml");
        std::fs::write(&path, "[timeline]\n\"n\" = \"launch_rockets\"\n").unwrap();
        let (map, msg) = Keymap::load(Some(&path));
        let msg = msg.expect("a message");
        assert!(
            msg.contains("keymap.toml:2") && msg.contains("launch_rockets"),
            "{msg}"
        );
        assert_eq!(
            map.lookup(Section::Pane(Pane::Timeline), Key::parse("n").unwrap()),
            Some(Action::AddNote)
        );
        let (_, none) = Keymap::load(Some(&dir.path().join("missing.toml")));
        assert!(none.is_none());
    }
}

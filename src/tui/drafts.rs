//! Status-update drafts: a real editor per audience, checked on every keystroke, saved as
//! typed so neither a crash nor a closed terminal loses one. When the team writes external
//! updates in several languages, the external draft has one editor per language, each
//! checked in its language and saved in a file of its own.

use std::path::{Path, PathBuf};

use ratatui_textarea::TextArea;
use uuid::Uuid;

use crate::domain::comms::{DraftKind, Options, Verdict, validate, validate_version};
use crate::domain::event::{Audience, Severity};
use crate::domain::lang::Lang;

pub struct Draft {
    pub editor: TextArea<'static>,
    pub kind: DraftKind,
    pub verdict: Verdict,
    /// The language it is written in: the words its checks look for.
    pub lang: Lang,
    /// One version of an update written in several languages: also checked for reading
    /// as its language.
    pub versioned: bool,
}

impl Draft {
    pub fn new(audience: Audience, text: &str, severity: Option<Severity>) -> Draft {
        let lines: Vec<String> = text.lines().map(str::to_string).collect();
        let mut d = Draft {
            editor: TextArea::new(if lines.is_empty() {
                vec![String::new()]
            } else {
                lines
            }),
            kind: DraftKind::Update,
            verdict: Verdict { rules: Vec::new() },
            lang: Lang::En,
            versioned: false,
        };
        d.editor
            .set_placeholder_text("press e (or enter) to write; t starts from a template");
        d.editor
            .set_wrap_mode(ratatui_textarea::WrapMode::WordOrGlyph);
        d.recheck(audience, severity);
        d
    }

    pub fn text(&self) -> String {
        self.editor.lines().join("\n")
    }

    pub fn is_empty(&self) -> bool {
        self.text().trim().is_empty()
    }

    /// An empty draft in `lang`; `versioned` for one version of an update in several
    /// languages.
    pub fn in_lang(audience: Audience, lang: Lang, versioned: bool) -> Draft {
        let mut d = Draft::new(audience, "", None);
        d.lang = lang;
        d.versioned = versioned;
        d.recheck(audience, None);
        d
    }

    pub fn recheck(&mut self, audience: Audience, severity: Option<Severity>) {
        let options = Options {
            audience,
            kind: self.kind,
            severity,
            lang: self.lang,
        };
        self.verdict = if self.versioned {
            validate_version(&self.text(), options)
        } else {
            validate(&self.text(), options)
        };
    }

    pub fn replace(&mut self, text: &str, audience: Audience, severity: Option<Severity>) {
        let lines: Vec<String> = text.lines().map(str::to_string).collect();
        let placeholder = self.editor.placeholder_text().to_string();
        self.editor = TextArea::new(if lines.is_empty() {
            vec![String::new()]
        } else {
            lines
        });
        self.editor.set_placeholder_text(placeholder);
        self.editor
            .set_wrap_mode(ratatui_textarea::WrapMode::WordOrGlyph);
        self.recheck(audience, severity);
    }
}

pub fn audience_index(a: Audience) -> usize {
    match a {
        Audience::Internal => 0,
        Audience::External => 1,
    }
}

/// Where a draft is kept: `DATA_DIR/drafts/<incident>-<audience>.txt`.
pub fn draft_path(data_dir: &Path, incident: Uuid, audience: Audience) -> PathBuf {
    version_path(data_dir, incident, audience, None)
}

/// Where a draft is kept, or with `lang` its version in another language:
/// `DATA_DIR/drafts/<incident>-external-fr.txt`.
pub fn version_path(
    data_dir: &Path,
    incident: Uuid,
    audience: Audience,
    lang: Option<Lang>,
) -> PathBuf {
    let who = match audience {
        Audience::Internal => "internal",
        Audience::External => "external",
    };
    let name = match lang {
        None => format!("{incident}-{who}.txt"),
        Some(l) => format!("{incident}-{who}-{}.txt", l.code()),
    };
    data_dir.join("drafts").join(name)
}

/// Writes a draft whole or not at all (a new file renamed over the old one); an empty
/// draft removes the file. Drafts are the writer's own: the file and the `drafts`
/// directory are owner-only (0600 and 0700 on Unix).
pub fn save(
    data_dir: &Path,
    incident: Uuid,
    audience: Audience,
    text: &str,
) -> std::io::Result<()> {
    save_version(data_dir, incident, audience, None, text)
}

/// As [`save`], for the version in `lang` (`None`: the draft itself).
pub fn save_version(
    data_dir: &Path,
    incident: Uuid,
    audience: Audience,
    lang: Option<Lang>,
    text: &str,
) -> std::io::Result<()> {
    let path = version_path(data_dir, incident, audience, lang);
    if text.trim().is_empty() {
        return match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        };
    }
    if let Some(dir) = path.parent() {
        crate::files::create_private_dir_all(dir)?;
    }
    crate::files::replace_private(&path, text.as_bytes())
}

pub fn load(data_dir: &Path, incident: Uuid, audience: Audience) -> Option<String> {
    load_version(data_dir, incident, audience, None)
}

/// As [`load`], for the version in `lang`.
pub fn load_version(
    data_dir: &Path,
    incident: Uuid,
    audience: Audience,
    lang: Option<Lang>,
) -> Option<String> {
    std::fs::read_to_string(version_path(data_dir, incident, audience, lang)).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drafts_survive_a_restart_and_empty_ones_go() {
        let dir = tempfile::tempdir().unwrap();
        let id = Uuid::now_v7();
        save(dir.path(), id, Audience::External, "SEV2 – x\n\nbody").unwrap();
        assert_eq!(
            load(dir.path(), id, Audience::External).as_deref(),
            Some("SEV2 – x\n\nbody")
        );
        assert_eq!(load(dir.path(), id, Audience::Internal), None);
        save(dir.path(), id, Audience::External, "  ").unwrap();
        assert_eq!(load(dir.path(), id, Audience::External), None);
    }

    #[test]
    fn each_language_of_a_draft_is_kept_apart() {
        let dir = tempfile::tempdir().unwrap();
        let id = Uuid::now_v7();
        save(dir.path(), id, Audience::External, "SEV2 – Card payments").unwrap();
        save_version(
            dir.path(),
            id,
            Audience::External,
            Some(Lang::Fr),
            "SEV2 – Paiements",
        )
        .unwrap();
        assert_eq!(
            load(dir.path(), id, Audience::External).as_deref(),
            Some("SEV2 – Card payments")
        );
        assert_eq!(
            load_version(dir.path(), id, Audience::External, Some(Lang::Fr)).as_deref(),
            Some("SEV2 – Paiements")
        );
        assert!(
            version_path(dir.path(), id, Audience::External, Some(Lang::Fr))
                .ends_with(format!("{id}-external-fr.txt"))
        );
    }

    #[cfg(unix)]
    #[test]
    fn drafts_are_readable_by_their_writer_only() {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let root = tempfile::tempdir().unwrap();
        let data = root.path().join("data");
        let id = Uuid::now_v7();
        save(&data, id, Audience::Internal, "SEV2 – checkout down").unwrap();
        assert_eq!(mode(&data), 0o700, "the data directory");
        assert_eq!(mode(&data.join("drafts")), 0o700, "the drafts directory");
        let path = draft_path(&data, id, Audience::Internal);
        assert_eq!(mode(&path), 0o600, "the draft");

        // A draft an older warroom left readable by everyone is owner-only once saved again.
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        save(&data, id, Audience::Internal, "SEV2 – checkout recovering").unwrap();
        assert_eq!(mode(&path), 0o600);
        assert_eq!(
            load(&data, id, Audience::Internal).as_deref(),
            Some("SEV2 – checkout recovering")
        );
        let names: Vec<_> = std::fs::read_dir(data.join("drafts"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1, "only the draft is there: {names:?}");
    }
}

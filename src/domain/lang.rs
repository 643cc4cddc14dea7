//! The languages an external update can be written in. With one language configured an
//! update is one text; with several, it carries a version per language, each checked on
//! its own, and the status page shows them side by side.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::event::ChecklistResult;

#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    En,
    Fr,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Fr];

    /// The BCP 47 code: `en`, `fr`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Fr => "fr",
        }
    }

    /// The language's name in itself, as a reader looks for it.
    pub fn name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Fr => "Français",
        }
    }

    /// The language's name in English, for the console and the CLI.
    pub fn english_name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Fr => "French",
        }
    }

    /// A code or a name, in any case: `fr`, `FR`, `fr-CA`, `french`, `français`.
    pub fn parse(s: &str) -> Result<Lang, String> {
        let lower = s.trim().to_lowercase();
        let primary = lower.split(['-', '_']).next().unwrap_or("");
        match primary {
            "en" | "english" | "anglais" => Ok(Lang::En),
            "fr" | "french" | "français" | "francais" => Ok(Lang::Fr),
            _ => Err(format!(
                "`{}` is not a language warroom writes updates in: use {}",
                s.trim(),
                Lang::ALL
                    .iter()
                    .map(|l| format!("{} ({})", l.code(), l.english_name()))
                    .collect::<Vec<_>>()
                    .join(" or ")
            )),
        }
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// The same update in another language, checked on its own.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommsVersion {
    pub lang: Lang,
    pub text: String,
    #[serde(default)]
    pub checklist: ChecklistResult,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_names_parse_and_others_are_named() {
        assert_eq!(Lang::parse("fr"), Ok(Lang::Fr));
        assert_eq!(Lang::parse(" FR-ca "), Ok(Lang::Fr));
        assert_eq!(Lang::parse("Français"), Ok(Lang::Fr));
        assert_eq!(Lang::parse("en_GB"), Ok(Lang::En));
        let err = Lang::parse("de").unwrap_err();
        assert!(err.contains("`de`") && err.contains("fr (French)"), "{err}");
        assert_eq!(serde_json::to_string(&Lang::Fr).unwrap(), "\"fr\"");
    }
}

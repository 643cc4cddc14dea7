//! The console's settings, from `$XDG_CONFIG_HOME/warroom/config.toml`. Every setting has
//! a sane default; a broken file is reported (file, line, what is wrong) and the defaults
//! are used, so a typo never keeps a responder out of the console.
//!
//! ```toml
//! [notifications]
//! desktop = true          # desktop notifications where a notification service runs
//! bell = true             # the terminal bell with the in-app banner
//!
//! [fatigue]
//! on_incident_warn = "3h" # time on the incident
//! on_incident_limit = "5h"
//! awake_warn = "16h"      # time awake
//! awake_limit = "20h"
//! in_role_warn = "3h"     # time in the current role
//! in_role_limit = "4h"
//! health_check_every = "30m"
//! ask_awake = true        # on joining, ask since when you have been awake (once)
//!
//! [postmortem]
//! action_due = "8w"       # default due date of an action item, after resolution
//!
//! [webhooks]              # Slack-compatible incoming webhooks, per audience
//! internal = "https://hooks.example/T000/B000/XXXX"
//! external = "https://hooks.example/T000/B000/YYYY"
//!
//! [paging]                # teams to page (solo mode; `serve --config` for the server)
//! attempts = 10           # tries per page (5xx, 429 and network errors are retried)
//! retry_after = "1s"      # the pause after the first failed try; it doubles, up to 1m
//! [paging.teams.dba]
//! provider = "opsgenie"
//! api_key = "..."         # the key of an API integration of the team
//! base_url = "https://api.eu.opsgenie.com"   # optional: a regional endpoint
//! [paging.teams.payments]
//! provider = "pagerduty"
//! routing_key = "..."     # an Events API v2 integration's key
//!
//! [comms]
//! languages = ["en", "fr"] # external updates carry a version per language; the first
//!                          # is the one an update's main text is in (default ["en"])
//!
//! [status_page]           # `warroom serve`'s public page at /status (serve --config)
//! enabled = true          # or `serve --no-status-page`
//! title = "Acme status"   # or per language: title = { en = "...", fr = "..." }
//! intro = "Live status of Acme's services."
//! url = "https://status.example.com"   # where it is published, for the feed's links
//!
//! [alerts]                # `warroom serve`'s alerts (serve --config)
//! keep_resolved = "30d"   # a resolved alert unchanged this long is deleted (at least 1h)
//! ```

use std::path::{Path, PathBuf};

use chrono::Duration;
use serde::Deserialize;

use crate::domain::fatigue::Thresholds;
use crate::domain::time::parse_span;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    pub desktop_notifications: bool,
    pub bell: bool,
    pub thresholds: Thresholds,
    pub webhook_internal: Option<String>,
    pub webhook_external: Option<String>,
    /// How long after resolution an action item is due by default.
    pub action_due: Duration,
    /// Whether the console asks, once, since when you have been awake when you join an
    /// incident (or open one you are on duty on) with no awake time recorded.
    pub ask_awake: bool,
    /// The teams this machine pages (see `crate::paging`).
    pub paging: crate::paging::PagingConfig,
    /// The server's public status page: `[status_page]`.
    pub status_page: StatusPageSettings,
    /// The languages external updates are written in (`[comms] languages`), the primary
    /// first; never empty.
    pub languages: Vec<crate::domain::lang::Lang>,
    /// How long `warroom serve` keeps a resolved alert after its last change
    /// (`[alerts] keep_resolved`); at least an hour.
    pub keep_resolved: Duration,
}

/// The default of `[alerts] keep_resolved`.
pub const KEEP_RESOLVED: Duration = Duration::days(30);

/// `[status_page]`: whether `warroom serve` publishes it, and its words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusPageSettings {
    pub enabled: bool,
    /// Per language; empty for the default title.
    pub title: Vec<crate::domain::public::Text>,
    pub intro: Vec<crate::domain::public::Text>,
    pub url: Option<String>,
}

impl Default for StatusPageSettings {
    fn default() -> Self {
        StatusPageSettings {
            enabled: true,
            title: Vec::new(),
            intro: Vec::new(),
            url: None,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            desktop_notifications: true,
            bell: true,
            thresholds: Thresholds::default(),
            webhook_internal: None,
            webhook_external: None,
            action_due: Duration::weeks(8),
            ask_awake: true,
            paging: crate::paging::PagingConfig::default(),
            status_page: StatusPageSettings::default(),
            languages: vec![crate::domain::lang::Lang::En],
            keep_resolved: KEEP_RESOLVED,
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    notifications: Notifications,
    #[serde(default)]
    fatigue: Fatigue,
    #[serde(default)]
    webhooks: Webhooks,
    #[serde(default)]
    postmortem: Postmortem,
    #[serde(default)]
    paging: crate::paging::RawPaging,
    #[serde(default)]
    status_page: RawStatusPage,
    #[serde(default)]
    comms: RawComms,
    #[serde(default)]
    alerts: RawAlerts,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawAlerts {
    keep_resolved: Option<String>,
}

impl RawAlerts {
    fn keep_resolved(&self) -> Result<Duration, String> {
        let Some(v) = &self.keep_resolved else {
            return Ok(KEEP_RESOLVED);
        };
        parse_span(v)
            .filter(|d| *d >= Duration::hours(1))
            .ok_or_else(|| {
                format!(
                    "[alerts] keep_resolved = \"{v}\" is not a span of at least an hour \
                     (e.g. \"30d\", \"12w\")"
                )
            })
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawComms {
    languages: Option<Vec<String>>,
}

impl RawComms {
    fn languages(self) -> Result<Vec<crate::domain::lang::Lang>, String> {
        use crate::domain::lang::Lang;
        let Some(codes) = self.languages else {
            return Ok(vec![Lang::En]);
        };
        if codes.is_empty() {
            return Err("[comms] languages is empty: name at least one, e.g. [\"en\"]".into());
        }
        let mut langs: Vec<Lang> = Vec::new();
        for code in &codes {
            let lang = Lang::parse(code).map_err(|e| format!("[comms] languages: {e}"))?;
            if langs.contains(&lang) {
                return Err(format!(
                    "[comms] languages names {} twice",
                    lang.english_name()
                ));
            }
            langs.push(lang);
        }
        Ok(langs)
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawStatusPage {
    enabled: Option<bool>,
    title: Option<PerLanguage>,
    intro: Option<PerLanguage>,
    url: Option<String>,
}

/// A text for every language, or one per language: `{ en = "...", fr = "..." }`.
#[derive(Deserialize)]
#[serde(untagged)]
enum PerLanguage {
    One(String),
    Each(std::collections::BTreeMap<String, String>),
}

impl PerLanguage {
    fn texts(self, name: &str) -> Result<Vec<crate::domain::public::Text>, String> {
        use crate::domain::lang::Lang;
        use crate::domain::public::Text;
        let too_long = |t: &str| t.chars().count() > 2000;
        match self {
            PerLanguage::One(text) if too_long(&text) => {
                Err(format!("[status_page] {name} is over 2,000 characters"))
            }
            PerLanguage::One(text) => Ok(Lang::ALL
                .iter()
                .map(|l| Text {
                    lang: *l,
                    text: text.trim().to_string(),
                })
                .collect()),
            PerLanguage::Each(map) => map
                .into_iter()
                .map(|(code, text)| {
                    let lang =
                        Lang::parse(&code).map_err(|e| format!("[status_page] {name}: {e}"))?;
                    if too_long(&text) {
                        return Err(format!(
                            "[status_page] {name}.{code} is over 2,000 characters"
                        ));
                    }
                    Ok(Text {
                        lang,
                        text: text.trim().to_string(),
                    })
                })
                .collect(),
        }
    }
}

impl RawStatusPage {
    fn settings(self) -> Result<StatusPageSettings, String> {
        let url = match self.url.map(|u| u.trim().trim_end_matches('/').to_string()) {
            Some(u)
                if !(u.starts_with("https://") || u.starts_with("http://"))
                    || u.contains(char::is_whitespace) =>
            {
                return Err(format!(
                    "[status_page] url = \"{u}\" is not an http(s) address like \"https://status.example.com\""
                ));
            }
            u => u,
        };
        Ok(StatusPageSettings {
            enabled: self.enabled.unwrap_or(true),
            title: self.title.map_or(Ok(Vec::new()), |t| t.texts("title"))?,
            intro: self.intro.map_or(Ok(Vec::new()), |t| t.texts("intro"))?,
            url,
        })
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Postmortem {
    action_due: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Notifications {
    desktop: Option<bool>,
    bell: Option<bool>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Fatigue {
    on_incident_warn: Option<String>,
    on_incident_limit: Option<String>,
    awake_warn: Option<String>,
    awake_limit: Option<String>,
    in_role_warn: Option<String>,
    in_role_limit: Option<String>,
    health_check_every: Option<String>,
    ask_awake: Option<bool>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Webhooks {
    internal: Option<String>,
    external: Option<String>,
}

/// The line of `key` in table `[table]` (1-based), for a message about its value; the
/// table's own line when the key is written another way, else 1.
fn key_line(text: &str, table: &str, key: &str) -> usize {
    let mut current = String::new();
    let mut table_line = None;
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        if let Some(name) = t.strip_prefix('[') {
            current = name.trim_end_matches(']').trim().to_string();
            if current == table {
                table_line.get_or_insert(i + 1);
            }
        } else if current == table
            && t.strip_prefix(key)
                .is_some_and(|rest| rest.trim_start().starts_with('='))
        {
            return i + 1;
        }
    }
    table_line.unwrap_or(1)
}

fn span(name: &str, value: &Option<String>, default: Duration) -> Result<Duration, String> {
    match value {
        None => Ok(default),
        Some(v) => parse_span(v)
            .filter(|d| *d > Duration::zero())
            .ok_or_else(|| {
                format!("[fatigue] {name} = \"{v}\" is not a duration (e.g. \"90m\", \"3h\")")
            }),
    }
}

fn url(name: &str, value: Option<String>) -> Result<Option<String>, String> {
    match value {
        Some(u) if !(u.starts_with("http://") || u.starts_with("https://")) => {
            Err(format!("[webhooks] {name} = \"{u}\" is not an http(s) URL"))
        }
        other => Ok(other.filter(|u| !u.trim().is_empty())),
    }
}

impl Config {
    pub fn user_file() -> Option<PathBuf> {
        dirs::config_dir().map(|d| d.join("warroom").join("config.toml"))
    }

    /// Parses a config file's text; the error names the line where it can.
    pub fn parse(text: &str, file: &str) -> Result<Config, String> {
        let parsed: File = toml::from_str(text).map_err(|e| {
            let line = e
                .span()
                .map(|s| text[..s.start.min(text.len())].lines().count().max(1))
                .unwrap_or(1);
            format!("{file}:{line}: {}", e.message())
        })?;
        let d = Thresholds::default();
        let f = &parsed.fatigue;
        let at = |e: String| format!("{file}: {e}");
        let thresholds = Thresholds {
            on_incident_warn: span("on_incident_warn", &f.on_incident_warn, d.on_incident_warn)
                .map_err(at)?,
            on_incident_limit: span(
                "on_incident_limit",
                &f.on_incident_limit,
                d.on_incident_limit,
            )
            .map_err(at)?,
            awake_warn: span("awake_warn", &f.awake_warn, d.awake_warn).map_err(at)?,
            awake_limit: span("awake_limit", &f.awake_limit, d.awake_limit).map_err(at)?,
            in_role_warn: span("in_role_warn", &f.in_role_warn, d.in_role_warn).map_err(at)?,
            in_role_limit: span("in_role_limit", &f.in_role_limit, d.in_role_limit).map_err(at)?,
            health_check_every: span(
                "health_check_every",
                &f.health_check_every,
                d.health_check_every,
            )
            .map_err(at)?,
        };
        thresholds.check().map_err(at)?;
        Ok(Config {
            desktop_notifications: parsed.notifications.desktop.unwrap_or(true),
            bell: parsed.notifications.bell.unwrap_or(true),
            thresholds,
            ask_awake: f.ask_awake.unwrap_or(true),
            webhook_internal: url("internal", parsed.webhooks.internal).map_err(|e| format!("{file}: {e}"))?,
            webhook_external: url("external", parsed.webhooks.external).map_err(|e| format!("{file}: {e}"))?,
            action_due: match &parsed.postmortem.action_due {
                None => Duration::weeks(8),
                Some(v) => parse_span(v)
                    .filter(|d| *d > Duration::zero())
                    .ok_or_else(|| format!("{file}: [postmortem] action_due = \"{v}\" is not a duration (e.g. \"8w\")"))?,
            },
            paging: crate::paging::PagingConfig::from_raw(parsed.paging, file)
                .map_err(|e| format!("{file}: {e}"))?,
            status_page: parsed.status_page.settings().map_err(at)?,
            languages: parsed
                .comms
                .languages()
                .map_err(|e| format!("{file}:{}: {e}", key_line(text, "comms", "languages")))?,
            keep_resolved: parsed.alerts.keep_resolved().map_err(|e| {
                format!("{file}:{}: {e}", key_line(text, "alerts", "keep_resolved"))
            })?,
        })
    }

    /// The settings in `path` (missing: the defaults), and a message when the file could not
    /// be used.
    pub fn load(path: Option<&Path>) -> (Config, Option<String>) {
        let Some(path) = path.filter(|p| p.exists()) else {
            return (Config::default(), None);
        };
        let shown = path.display().to_string();
        match std::fs::read_to_string(path) {
            Err(e) => (
                Config::default(),
                Some(format!(
                    "{shown}: cannot read it ({e}); using the default settings"
                )),
            ),
            Ok(text) => match Config::parse(&text, &shown) {
                Ok(c) => (c, None),
                Err(e) => (
                    Config::default(),
                    Some(format!("{e}; using the default settings")),
                ),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_file_gives_the_defaults() {
        assert_eq!(Config::parse("", "c.toml").unwrap(), Config::default());
    }

    #[test]
    fn settings_are_read() {
        let c = Config::parse(
            "[notifications]\ndesktop = false\n[fatigue]\nawake_warn = \"12h\"\nhealth_check_every = \"45m\"\n[webhooks]\ninternal = \"http://127.0.0.1:9/x\"\n",
            "c.toml",
        )
        .unwrap();
        assert!(!c.desktop_notifications);
        assert_eq!(c.thresholds.awake_warn, Duration::hours(12));
        assert_eq!(c.thresholds.health_check_every, Duration::minutes(45));
        assert_eq!(c.webhook_internal.as_deref(), Some("http://127.0.0.1:9/x"));
    }

    #[test]
    fn paging_teams_are_read_and_a_missing_key_is_named() {
        let c = Config::parse(
            "[paging.teams.dba]\nprovider = \"opsgenie\"\napi_key = \"k1\"\n",
            "c.toml",
        )
        .unwrap();
        assert_eq!(c.paging.describe(), "dba (Opsgenie)");
        let e =
            Config::parse("[paging.teams.dba]\nprovider = \"pagerduty\"\n", "c.toml").unwrap_err();
        assert!(
            e.starts_with("c.toml:")
                && e.contains("[paging.teams.dba]")
                && e.contains("routing_key"),
            "{e}"
        );
    }

    #[test]
    fn comms_languages_are_read_and_mistakes_are_named_at_their_line() {
        use crate::domain::lang::Lang;
        assert_eq!(Config::default().languages, vec![Lang::En]);
        let c = Config::parse("[comms]\nlanguages = [\"en\", \"fr\"]\n", "c.toml").unwrap();
        assert_eq!(c.languages, vec![Lang::En, Lang::Fr]);
        let c = Config::parse("[comms]\nlanguages = [\"fr\", \"en\"]\n", "c.toml").unwrap();
        assert_eq!(
            c.languages,
            vec![Lang::Fr, Lang::En],
            "the primary one first"
        );
        for (text, says) in [
            (
                "[comms]\n\nlanguages = [\"en\", \"de\"]\n",
                "`de` is not a language",
            ),
            (
                "[comms]\n\nlanguages = [\"en\", \"fr\", \"EN\"]\n",
                "names English twice",
            ),
            ("[comms]\n\nlanguages = []\n", "is empty"),
        ] {
            let e = Config::parse(text, "c.toml").unwrap_err();
            assert!(e.starts_with("c.toml:3:") && e.contains(says), "{e}");
        }
        let e = Config::parse("[comms]\nlanguage = [\"fr\"]\n", "c.toml").unwrap_err();
        assert!(e.starts_with("c.toml:") && e.contains("`language`"), "{e}");
    }

    #[test]
    fn alerts_keep_resolved_is_read_and_a_bad_span_is_named_at_its_line() {
        assert_eq!(Config::default().keep_resolved, Duration::days(30));
        let c = Config::parse("[alerts]\nkeep_resolved = \"2w\"\n", "c.toml").unwrap();
        assert_eq!(c.keep_resolved, Duration::weeks(2));
        let c = Config::parse("[alerts]\nkeep_resolved = \"1h\"\n", "c.toml").unwrap();
        assert_eq!(c.keep_resolved, Duration::hours(1), "an hour is enough");
        for bad in ["soon", "59m", "0d", ""] {
            let text = format!("[alerts]\n\nkeep_resolved = \"{bad}\"\n");
            let e = Config::parse(&text, "c.toml").unwrap_err();
            assert!(
                e.starts_with("c.toml:3:")
                    && e.contains("[alerts] keep_resolved")
                    && e.contains("at least an hour"),
                "{e}"
            );
        }
        let e = Config::parse("[alerts]\nkeep = \"30d\"\n", "c.toml").unwrap_err();
        assert!(e.starts_with("c.toml:") && e.contains("`keep`"), "{e}");
    }

    #[test]
    fn broken_files_say_where_and_fall_back() {
        let e = Config::parse("[fatigue]\nawake_warn = 12\n", "c.toml").unwrap_err();
        assert!(e.starts_with("c.toml:2:"), "{e}");
        let e = Config::parse("[fatigue]\nawake_warn = \"soon\"\n", "c.toml").unwrap_err();
        assert!(
            e.contains("awake_warn") && e.contains("not a duration"),
            "{e}"
        );
        let e = Config::parse("[fatigue]\nawake_warn = \"21h\"\n", "c.toml").unwrap_err();
        assert!(e.contains("shorter than"), "{e}");
        let e = Config::parse("[webhooks]\ninternal = \"ftp://x\"\n", "c.toml").unwrap_err();
        assert!(e.contains("not an http"), "{e}");
        let e = Config::parse("[nope]\n", "c.toml").unwrap_err();
        assert!(e.contains("c.toml:1"), "{e}");

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(&path, "[fatigue\n").unwrap();
        let (c, msg) = Config::load(Some(&path));
        assert_eq!(c, Config::default());
        assert!(msg.unwrap().contains("using the default settings"));
    }
}

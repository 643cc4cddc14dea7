//! The severity table shipped in `assets/severity.toml`.

use serde::Deserialize;

#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct Level {
    pub level: u8,
    pub name: String,
    pub meaning: String,
    pub examples: Vec<String>,
}

#[derive(Deserialize)]
struct Table {
    level: Vec<Level>,
}

pub const SEVERITY_TOML: &str = include_str!("../../assets/severity.toml");

/// The three levels, most severe first.
pub fn table() -> Vec<Level> {
    // The asset is compiled in and checked by a test, so it always parses.
    toml::from_str::<Table>(SEVERITY_TOML)
        .map(|t| t.level)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_table_has_three_levels_in_order() {
        let t: Table = toml::from_str(SEVERITY_TOML).expect("assets/severity.toml parses");
        let levels: Vec<u8> = t.level.iter().map(|l| l.level).collect();
        assert_eq!(levels, vec![1, 2, 3]);
        assert!(t.level.iter().all(|l| !l.examples.is_empty()));
    }
}

//! Settings from attuned's config directory (`config.toml`, `criteria.toml`, `scenarios.toml`).
//!
//! A missing file means the defaults; a broken one means the defaults plus a one-line
//! warning the workstation shows, never a refusal to start.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::domain::prompts::Library;

use crate::domain::criteria::Criteria;
use crate::domain::risk::DEFAULT_STALE_AFTER_DAYS;
use crate::domain::scenarios::Bank;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// A CSM sentiment older than this many days is stale.
    pub stale_after_days: i64,
    pub criteria: Criteria,
    /// The call prompts: `prompts.toml` in the config directory, else the built-in ones.
    pub prompts: Library,
    /// What was wrong with `prompts.toml`, said when a call starts.
    pub prompts_warning: Option<String>,
    /// What was wrong with the files, if anything (defaults were used instead).
    pub warnings: Vec<String>,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            stale_after_days: DEFAULT_STALE_AFTER_DAYS,
            criteria: Criteria::builtin(),
            prompts: Library::builtin(),
            prompts_warning: None,
            warnings: Vec::new(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    stale_after_days: Option<i64>,
}

/// attuned's config directory (`~/.config/attuned` on Linux), if the platform has one.
pub fn config_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "attuned").map(|d| d.config_dir().to_path_buf())
}

impl Config {
    /// Reads the config directory; anything missing or wrong falls back to the defaults.
    pub fn load() -> Config {
        match config_dir() {
            Some(dir) => Config::load_from(&dir),
            None => Config::default(),
        }
    }

    pub fn load_from(dir: &Path) -> Config {
        let mut config = Config::default();
        let read = |name: &str| -> Option<(PathBuf, std::io::Result<String>)> {
            let path = dir.join(name);
            path.exists().then(|| {
                let text = std::fs::read_to_string(&path);
                (path, text)
            })
        };
        if let Some((path, text)) = read("config.toml") {
            match text
                .map_err(|e| e.to_string())
                .and_then(|t| config.apply(&t))
            {
                Ok(()) => {}
                Err(e) => config
                    .warnings
                    .push(format!("{}: {e}; using defaults", path.display())),
            }
        }
        if let Some((path, text)) = read("criteria.toml") {
            match text
                .map_err(|e| e.to_string())
                .and_then(|t| Criteria::parse(&t))
            {
                Ok(c) => config.criteria = c,
                Err(e) => config.warnings.push(format!(
                    "{}: {e}; using the built-in criteria",
                    path.display()
                )),
            }
        }
        if let Some((path, text)) = read("prompts.toml") {
            match text
                .map_err(|e| e.to_string())
                .and_then(|t| Library::parse(&t))
            {
                Ok(lib) => config.prompts = lib,
                Err(e) => {
                    config.prompts_warning = Some(format!(
                        "{}: {e}; using the built-in prompts",
                        path.display()
                    ))
                }
            }
        }
        config
    }

    /// Applies the settings of a `config.toml` text.
    pub fn apply(&mut self, text: &str) -> Result<(), String> {
        let file: ConfigFile =
            toml::from_str(text).map_err(|e| e.to_string().replace('\n', " "))?;
        if let Some(days) = file.stale_after_days {
            if !(1..=3650).contains(&days) {
                return Err(format!(
                    "stale_after_days must be between 1 and 3650, not {days}"
                ));
            }
            self.stale_after_days = days;
        }
        Ok(())
    }
}

/// The practice bank: `scenarios.toml` in the config directory, else the built-in one;
/// with a one-line warning when the user's file could not be used.
pub fn load_scenarios() -> (Bank, Option<String>) {
    match config_dir() {
        Some(dir) => load_scenarios_from(&dir),
        None => (Bank::builtin(), None),
    }
}

pub fn load_scenarios_from(dir: &Path) -> (Bank, Option<String>) {
    let path = dir.join("scenarios.toml");
    if !path.exists() {
        return (Bank::builtin(), None);
    }
    match std::fs::read_to_string(&path)
        .map_err(|e| e.to_string())
        .and_then(|t| Bank::parse(&t))
    {
        Ok(bank) => (bank, None),
        Err(e) => (
            Bank::builtin(),
            Some(format!(
                "{}: {e}; using the built-in scenarios",
                path.display()
            )),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_without_files() {
        let dir = tempfile::tempdir().unwrap();
        let c = Config::load_from(dir.path());
        assert_eq!(c.stale_after_days, 14);
        assert_eq!(c.criteria, Criteria::builtin());
        assert!(c.warnings.is_empty());
    }

    #[test]
    fn files_override_and_broken_files_warn() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("config.toml"), "stale_after_days = 30\n").unwrap();
        std::fs::write(
            dir.path().join("criteria.toml"),
            "[green]\nsummary = \"All good\"\n[yellow]\nsummary = \"Meh\"\n[red]\nsummary = \"Bad\"\ncriteria = [\"Churn talk\"]\n",
        )
        .unwrap();
        let c = Config::load_from(dir.path());
        assert_eq!(c.stale_after_days, 30);
        assert_eq!(c.criteria.red.criteria, vec!["Churn talk".to_string()]);
        assert!(c.warnings.is_empty(), "{:?}", c.warnings);

        std::fs::write(dir.path().join("config.toml"), "stale_after_days = 0\n").unwrap();
        std::fs::write(dir.path().join("criteria.toml"), "not toml [").unwrap();
        let c = Config::load_from(dir.path());
        assert_eq!(c.stale_after_days, 14);
        assert_eq!(c.criteria, Criteria::builtin());
        assert_eq!(c.warnings.len(), 2, "{:?}", c.warnings);
    }

    #[test]
    fn the_scenario_bank_is_overridable_and_a_broken_one_warns() {
        let dir = tempfile::tempdir().unwrap();
        let (bank, warning) = load_scenarios_from(dir.path());
        assert_eq!(bank, Bank::builtin());
        assert!(warning.is_none());

        let own = "[[scenario]]\nid = \"mine\"\nsegment = \"smb\"\ncall_type = \"qbr\"\nemotion = \"pleased\"\nsteps = [\"recognize\"]\nline = \"Great.\"\ncontext = \"Up.\"\nintervention = \"empathy\"\nwhy = \"Celebrate.\"\n";
        std::fs::write(dir.path().join("scenarios.toml"), own).unwrap();
        let (bank, warning) = load_scenarios_from(dir.path());
        assert_eq!((bank.len(), warning), (1, None));

        std::fs::write(dir.path().join("scenarios.toml"), "[[scenario]]\nid = 3").unwrap();
        let (bank, warning) = load_scenarios_from(dir.path());
        assert_eq!(bank, Bank::builtin());
        let warning = warning.unwrap();
        assert!(
            warning.contains("scenarios.toml") && warning.contains("built-in"),
            "{warning}"
        );
        assert!(!warning.contains('\n'), "{warning}");
    }
}

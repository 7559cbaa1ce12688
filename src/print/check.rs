//! The printer part of `config check` and of start-up: known profiles
//! (shipped or from `[print] profiles_dir`, read from disk here), connect
//! settings that parse, and every station the screens show claimed by a
//! printer. `Config::parse` stays pure; `load` reads and checks both.

use super::profile::Profiles;
use super::transport::Endpoint;
use crate::config::{line_of, Config, ConfigError};
use std::path::{Path, PathBuf};

/// Loads the config (`Config::load`) and checks its printers: every error
/// with its line, as `config check` prints them.
pub fn load(flag: Option<&Path>) -> Result<(Config, Option<PathBuf>), Vec<ConfigError>> {
    let (cfg, path) = Config::load(flag)?;
    let (text, file) = match &path {
        // Read again for the line numbers; a file that just parsed reads.
        Some(p) => (
            std::fs::read_to_string(p).unwrap_or_default(),
            p.display().to_string(),
        ),
        None => (String::new(), String::new()),
    };
    let errs = printer_errors(&cfg, &text, &file);
    if errs.is_empty() {
        Ok((cfg, path))
    } else {
        Err(errs)
    }
}

pub fn printer_errors(c: &Config, text: &str, file: &str) -> Vec<ConfigError> {
    let mut errs = Vec::new();
    let mut err = |key: &str, message: String| {
        errs.push(ConfigError {
            file: file.to_string(),
            line: line_of(text, key),
            message,
        })
    };
    if c.printers.is_empty() {
        return errs;
    }
    match Profiles::load(c.print.profiles_dir.as_deref()) {
        Err(e) => err("profiles_dir", e.to_string()),
        Ok(profiles) => {
            for p in &c.printers {
                if profiles.get(&p.profile).is_none() {
                    err(
                        &format!("\"{}\"", p.profile),
                        format!(
                            "printer `{}`: profile `{}` is not known: use one of {}, or put {}.toml in [print] profiles_dir",
                            p.name,
                            p.profile,
                            profiles.names().collect::<Vec<_>>().join(", "),
                            p.profile
                        ),
                    );
                }
            }
        }
    }
    for p in &c.printers {
        if p.connect.starts_with("tcp://") || p.connect.starts_with("serial:") {
            if let Err(e) = Endpoint::parse(&p.connect) {
                err(&p.connect, format!("printer `{}`: {e}", p.name));
            }
        }
    }
    for s in c.unrouted_stations(c.ui.stations.iter().map(String::as_str)) {
        err(
            &format!("\"{s}\""),
            format!("station `{s}` is printed by no printer: add it to a printer's stations = [...], or its tickets go to the receipt printer"),
        );
    }
    if !c.printers.is_empty() && !c.printers.iter().any(|p| p.receipts) {
        // Not an error: receipts then print nowhere, which some kitchens want.
        tracing::info!("no printer has receipts = true: receipts will not print");
    }
    errs
}

#[cfg(test)]
mod tests {
    use super::printer_errors;
    use crate::config::{Config, ConfigError};

    fn check(text: &str) -> Result<Config, Vec<ConfigError>> {
        let c = Config::parse(text, "config.toml")?;
        let errs = printer_errors(&c, text, "config.toml");
        if errs.is_empty() {
            Ok(c)
        } else {
            Err(errs)
        }
    }

    #[test]
    fn an_unknown_profile_is_named_with_its_line() {
        let text = "[[printers]]\nname = \"hot\"\nprofile = \"epson-9000\"\nconnect = \"tcp://127.0.0.1:9100\"\nstations = [\"hot\"]\n";
        let errs = check(text).expect_err("refused");
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert_eq!(errs[0].line, 3);
        assert!(errs[0].message.contains("generic-80"), "{}", errs[0]);
    }

    #[test]
    fn a_station_no_printer_claims_is_an_error() {
        let text = "[[printers]]\nname = \"hot\"\nprofile = \"generic-80\"\nconnect = \"tcp://127.0.0.1:9100\"\nstations = [\"hot\"]\n[ui]\nstations = [\"hot\", \"cold\"]\n";
        let errs = check(text).expect_err("refused");
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert!(errs[0].message.contains("station `cold`"), "{}", errs[0]);
        assert_eq!(errs[0].line, 7);
    }

    #[test]
    fn a_good_printer_section_passes() {
        let text = "[[printers]]\nname = \"hot\"\nprofile = \"xprinter-xp-80\"\nconnect = \"tcp://127.0.0.1:9100\"\nstations = [\"hot\"]\nreceipts = true\n";
        assert!(check(text).is_ok());
    }
}

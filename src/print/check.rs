//! The printer part of `config check`: known profiles (shipped or from
//! `[print] profiles_dir`), connect settings that parse, and every station
//! the screens show claimed by a printer.

use super::profile::Profiles;
use super::transport::Endpoint;
use crate::config::{line_of, Config, ConfigError};

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
    use crate::config::Config;

    #[test]
    fn an_unknown_profile_is_named_with_its_line() {
        let text = "[[printers]]\nname = \"hot\"\nprofile = \"epson-9000\"\nconnect = \"tcp://127.0.0.1:9100\"\nstations = [\"hot\"]\n";
        let errs = Config::parse(text, "config.toml").expect_err("refused");
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert_eq!(errs[0].line, 3);
        assert!(errs[0].message.contains("generic-80"), "{}", errs[0]);
    }

    #[test]
    fn a_station_no_printer_claims_is_an_error() {
        let text = "[[printers]]\nname = \"hot\"\nprofile = \"generic-80\"\nconnect = \"tcp://127.0.0.1:9100\"\nstations = [\"hot\"]\n[ui]\nstations = [\"hot\", \"cold\"]\n";
        let errs = Config::parse(text, "config.toml").expect_err("refused");
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert!(errs[0].message.contains("station `cold`"), "{}", errs[0]);
        assert_eq!(errs[0].line, 7);
    }

    #[test]
    fn a_good_printer_section_passes() {
        let text = "[[printers]]\nname = \"hot\"\nprofile = \"xprinter-xp-80\"\nconnect = \"tcp://127.0.0.1:9100\"\nstations = [\"hot\"]\nreceipts = true\n";
        assert!(Config::parse(text, "config.toml").is_ok());
    }
}

//! The TOML config file: every key has a default, so a missing file still
//! starts; a bad one is reported with its line and what to write instead.

use crate::domain::lockout::PinPolicy;
use crate::domain::{CashRounding, Fen, FirePolicy, MoneyLimits, Rules};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub store: StoreSection,
    pub feed: FeedSection,
    pub printers: Vec<PrinterSection>,
    pub print: PrintSection,
    pub ui: UiSection,
    pub api: ApiSection,
    pub log: LogSection,
    pub limits: LimitsSection,
    pub staff: StaffSection,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StoreSection {
    pub id: String,
    pub name: String,
    pub fire: FirePolicy,
    pub data_dir: PathBuf,
    pub cash_rounding: CashRounding,
    pub timezone: String,
    /// sled's page cache in MiB (RSS runs a few times this).
    pub cache_mib: u64,
    /// Print a receipt when a payment is settled in the store.
    pub receipt_on_settle: bool,
    /// Business days kept in the live store besides today; older days move
    /// to `<data_dir>/archive/` (docs/engine.md), read back by reports,
    /// export, backup and the local API alike.
    pub keep_days_live: u32,
    /// The counter's menu (docs/counter.md); default `menu.toml` beside the config.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub menu: Option<PathBuf>,
}

impl Default for StoreSection {
    fn default() -> Self {
        StoreSection {
            id: "S001".into(),
            name: "passline".into(),
            fire: FirePolicy::OnPayment,
            data_dir: default_data_dir(),
            cash_rounding: CashRounding::Fen,
            timezone: "Asia/Shanghai".into(),
            cache_mib: 4,
            receipt_on_settle: true,
            keep_days_live: 2,
            menu: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FeedSection {
    /// `ws://…` or `wss://…`; empty runs offline.
    pub url: String,
    pub token: Option<String>,
    pub token_file: Option<PathBuf>,
    pub device_id: String,
    /// Allow `ws://` (no TLS) to a host beyond this box: the token and the
    /// orders would cross the network in clear. Off by default.
    pub allow_plain_ws: bool,
}

impl Default for FeedSection {
    fn default() -> Self {
        FeedSection {
            url: String::new(),
            token: None,
            token_file: None,
            device_id: "box-1".into(),
            allow_plain_ws: false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrinterSection {
    pub name: String,
    pub profile: String,
    /// `tcp://host:9100`, `file:/dev/usb/lp0`, `serial:/dev/ttyUSB0?baud=9600`.
    pub connect: String,
    #[serde(default)]
    pub stations: Vec<String>,
    #[serde(default)]
    pub receipts: bool,
    #[serde(default)]
    pub drawer: bool,
    /// Shown on screen ("厨房打印机"); defaults to the name.
    #[serde(default)]
    pub label: Option<String>,
}

/// Printing settings shared by all printers.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PrintSection {
    /// A folder of extra printer profiles (`*.toml`); the shipped ones are built in.
    pub profiles_dir: Option<PathBuf>,
    /// The receipt's QR link; `{store_id}` and `{order_id}` are filled in.
    /// Empty: no QR code.
    pub receipt_link: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UiSection {
    /// `zh` (简体中文) or `en`.
    pub language: Language,
    /// A theme name from `themes/` (`default`, `light`, `kitchen`) or a path.
    pub theme: String,
    /// A card turns amber after this many minutes, red after `late_minutes`.
    pub warn_minutes: u32,
    pub late_minutes: u32,
    /// A `paying` order open this long needs a person.
    pub paying_alert_seconds: u32,
    /// Stations shown on this screen's rail (empty: all).
    pub stations: Vec<String>,
}

impl Default for UiSection {
    fn default() -> Self {
        UiSection {
            language: Language::Zh,
            theme: "default".into(),
            warn_minutes: 5,
            late_minutes: 10,
            paying_alert_seconds: 90,
            stations: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    #[default]
    Zh,
    En,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ApiSection {
    pub listen: String,
    pub token: Option<String>,
    pub token_file: Option<PathBuf>,
    /// Days a command's idempotency key is kept (docs/security.md).
    pub key_days: u32,
}

impl Default for ApiSection {
    fn default() -> Self {
        ApiSection {
            listen: "127.0.0.1:7878".into(),
            token: None,
            token_file: None,
            key_days: 7,
        }
    }
}

/// Staff PINs (docs/security.md, "PINs").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StaffSection {
    /// The fewest digits of a PIN.
    pub pin_min_length: usize,
    /// The fewest digits of a manager's PIN.
    pub manager_pin_min_length: usize,
}

impl Default for StaffSection {
    fn default() -> Self {
        let d = PinPolicy::default();
        StaffSection {
            pin_min_length: d.min_len,
            manager_pin_min_length: d.manager_min_len,
        }
    }
}

/// Money limits (docs/security.md, "Money"): amounts in yuan as strings,
/// like prices in the menu.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LimitsSection {
    /// The most one order may come to; a platform order over it is
    /// quarantined, a counter order refused.
    pub order_max: String,
    /// The most one dish may cost.
    pub unit_price_max: String,
    /// The most of one dish on one line.
    pub qty_max: u32,
    /// The most change a cash tender may take back (cash handed over less
    /// what it pays).
    pub cash_over_max: String,
}

impl Default for LimitsSection {
    fn default() -> Self {
        let d = MoneyLimits::default();
        LimitsSection {
            order_max: d.order_max.to_string(),
            unit_price_max: d.unit_price_max.to_string(),
            qty_max: d.qty_max,
            cash_over_max: d.cash_over_max.to_string(),
        }
    }
}

impl LimitsSection {
    /// The limits, or each amount that is not one with what to write.
    pub fn limits(&self) -> Result<MoneyLimits, Vec<(&'static str, String)>> {
        let mut errs = Vec::new();
        let mut amount = |key: &'static str, text: &str| match Fen::parse_yuan(text) {
            Ok(f) if f.is_positive() => f,
            Ok(_) => {
                errs.push((
                    key,
                    format!(
                        "[limits] {key} is zero: write a positive amount in yuan, like \"500.00\""
                    ),
                ));
                Fen::ZERO
            }
            Err(e) => {
                errs.push((key, format!("[limits] {key}: {e}")));
                Fen::ZERO
            }
        };
        let l = MoneyLimits {
            order_max: amount("order_max", &self.order_max),
            unit_price_max: amount("unit_price_max", &self.unit_price_max),
            qty_max: self.qty_max,
            cash_over_max: amount("cash_over_max", &self.cash_over_max),
        };
        if self.qty_max == 0 {
            errs.push((
                "qty_max",
                "[limits] qty_max is 0: write the most of one dish on a line, like 999".into(),
            ));
        }
        if errs.is_empty() {
            Ok(l)
        } else {
            Err(errs)
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogSection {
    /// Log directory; defaults to `<data_dir>/logs`.
    pub dir: Option<PathBuf>,
    /// `info`, `debug`, … (tracing's filter syntax).
    pub level: String,
}

impl Default for LogSection {
    fn default() -> Self {
        LogSection {
            dir: None,
            level: "info".into(),
        }
    }
}

fn default_data_dir() -> PathBuf {
    if let Ok(x) = std::env::var("XDG_DATA_HOME") {
        if !x.is_empty() {
            return PathBuf::from(x).join("passline");
        }
    }
    match std::env::var("HOME") {
        Ok(h) if !h.is_empty() => PathBuf::from(h).join(".local/share/passline"),
        _ => PathBuf::from("/var/lib/passline"),
    }
}

/// A config problem, with where it is and what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct ConfigError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

impl Config {
    /// Where the config comes from: `--config`, else `$PASSLINE_CONFIG`, else
    /// `$XDG_CONFIG_HOME/passline/config.toml` (`~/.config/...`).
    pub fn locate(flag: Option<&Path>) -> Option<PathBuf> {
        if let Some(p) = flag {
            return Some(p.to_path_buf());
        }
        if let Ok(p) = std::env::var("PASSLINE_CONFIG") {
            if !p.is_empty() {
                return Some(PathBuf::from(p));
            }
        }
        let base = std::env::var("XDG_CONFIG_HOME")
            .ok()
            .filter(|s| !s.is_empty())
            .map(PathBuf::from)
            .or_else(|| {
                std::env::var("HOME")
                    .ok()
                    .map(|h| PathBuf::from(h).join(".config"))
            })?;
        Some(base.join("passline/config.toml"))
    }

    /// Loads the config. A missing file at the default place gives the
    /// defaults; a missing file named explicitly is an error.
    pub fn load(flag: Option<&Path>) -> Result<(Config, Option<PathBuf>), Vec<ConfigError>> {
        let Some(path) = Config::locate(flag) else {
            return Ok((Config::default(), None));
        };
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                let mut c = Config::parse(&text, &path.display().to_string())?;
                if let Some(dir) = path.parent() {
                    c.resolve_relative(dir);
                }
                Ok((c, Some(path)))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && flag.is_none() => {
                Ok((Config::default(), None))
            }
            Err(e) => Err(vec![ConfigError {
                file: path.display().to_string(),
                line: 0,
                message: format!("cannot read it ({e}): check the path given to --config"),
            }]),
        }
    }

    /// Relative paths in the file are relative to the file's folder.
    fn resolve_relative(&mut self, dir: &Path) {
        if self.store.data_dir.is_relative() {
            self.store.data_dir = dir.join(&self.store.data_dir);
        }
        if let Some(t) = &self.feed.token_file {
            if t.is_relative() {
                self.feed.token_file = Some(dir.join(t));
            }
        }
        if let Some(t) = &self.api.token_file {
            if t.is_relative() {
                self.api.token_file = Some(dir.join(t));
            }
        }
        match &self.store.menu {
            Some(t) if t.is_relative() => self.store.menu = Some(dir.join(t)),
            Some(_) => {}
            // The counter's menu sits beside the config unless named.
            None => self.store.menu = Some(dir.join("menu.toml")),
        }
        if let Some(t) = &self.print.profiles_dir {
            if t.is_relative() {
                self.print.profiles_dir = Some(dir.join(t));
            }
        }
    }

    /// Parses and checks a config text; every error found, with its line.
    /// Pure: it reads no file. The printers' profiles and connect settings
    /// are checked by `print::check::load` (`config check`, start-up).
    pub fn parse(text: &str, file: &str) -> Result<Config, Vec<ConfigError>> {
        let c: Config = toml::from_str(text).map_err(|e| {
            let line = e
                .span()
                .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1)
                .unwrap_or(0);
            vec![ConfigError {
                file: file.to_string(),
                line,
                message: explain_toml(e.message()),
            }]
        })?;
        let errors = c.check(text, file);
        if errors.is_empty() {
            Ok(c)
        } else {
            Err(errors)
        }
    }

    /// Checks what the types cannot: a known time zone, stations routed to
    /// printers, unique printer names, a feed URL that can be dialled.
    pub fn check(&self, text: &str, file: &str) -> Vec<ConfigError> {
        let mut errs = Vec::new();
        let mut err = |key: &str, message: String| {
            errs.push(ConfigError {
                file: file.to_string(),
                line: line_of(text, key),
                message,
            })
        };
        if self.store.timezone.parse::<chrono_tz::Tz>().is_err() {
            err(
                "timezone",
                format!(
                    "timezone `{}` is not a time zone: write an IANA name like \"Asia/Shanghai\"",
                    self.store.timezone
                ),
            );
        }
        if self.store.id.trim().is_empty() {
            err(
                "id",
                "store id is empty: write the platform's id, like \"S001\"".into(),
            );
        }
        if self.store.cache_mib == 0 || self.store.cache_mib > 512 {
            err(
                "cache_mib",
                format!(
                    "cache_mib = {} is out of range: write 1 to 512 (4 is plenty)",
                    self.store.cache_mib
                ),
            );
        }
        let dialable = self.feed.url.starts_with("ws://") || self.feed.url.starts_with("wss://");
        if !self.feed.url.is_empty() && !dialable {
            err(
                "url",
                format!(
                    "feed url `{}` must start with ws:// or wss://, like \"wss://platform.example/v1/stores/S001/feed\"",
                    self.feed.url
                ),
            );
        }
        for (key, n) in [
            ("pin_min_length", self.staff.pin_min_length),
            ("manager_pin_min_length", self.staff.manager_pin_min_length),
        ] {
            if !(4..=crate::domain::lockout::PIN_MAX_LEN).contains(&n) {
                err(
                    key,
                    format!(
                        "[staff] {key} = {n} is out of range: write 4 to 12 (managers: 6 or more)"
                    ),
                );
            }
        }
        if let Err(bad) = self.limits.limits() {
            for (key, message) in bad {
                err(key, message);
            }
        }
        if let Some(host) = plain_remote_host(&self.feed.url) {
            if !self.feed.allow_plain_ws {
                err(
                    "url",
                    format!(
                        "feed url `{}` is ws:// to {host}, beyond this box: the token and every order would cross the network in clear. Use wss://, or set [feed] allow_plain_ws = true if the link is private",
                        self.feed.url
                    ),
                );
            }
        }
        if let Ok(addr) = self.api.listen.parse::<std::net::SocketAddr>() {
            let no_token = self
                .api
                .token
                .as_deref()
                .is_none_or(|t| t.trim().is_empty())
                && self.api.token_file.is_none();
            if !addr.ip().is_loopback() && no_token {
                err(
                    "listen",
                    format!(
                        "[api] listen = \"{}\" can be reached from the network, so it needs a token: set [api] token_file (a file only passline can read), or listen on 127.0.0.1",
                        self.api.listen
                    ),
                );
            }
        }
        let mut names = std::collections::HashSet::new();
        for p in &self.printers {
            if !names.insert(p.name.as_str()) {
                err(
                    &format!("\"{}\"", p.name),
                    format!(
                        "printer name `{}` is used twice: give each printer its own name",
                        p.name
                    ),
                );
            }
            if !(p.connect.starts_with("tcp://")
                || p.connect.starts_with("file:")
                || p.connect.starts_with("serial:")
                || p.connect.starts_with("virtual:"))
            {
                err(
                    &p.connect,
                    format!(
                        "printer `{}`: connect `{}` is not understood: write tcp://HOST:9100, file:/dev/usb/lp0 or serial:/dev/ttyUSB0?baud=9600",
                        p.name, p.connect
                    ),
                );
            }
        }
        errs
    }

    /// Stations the console knows of (from the menu or the platform) that no
    /// printer claims: `config check` reports each as an error.
    pub fn unrouted_stations<'a>(
        &self,
        stations: impl IntoIterator<Item = &'a str>,
    ) -> Vec<String> {
        if self.printers.is_empty() {
            return Vec::new();
        }
        stations
            .into_iter()
            .filter(|s| {
                !self
                    .printers
                    .iter()
                    .any(|p| p.stations.iter().any(|x| x == s))
            })
            .map(str::to_string)
            .collect()
    }

    /// Where the counter's menu is: `[store] menu`, else `menu.toml` in the
    /// config file's folder (`config_file` as `load` found it, else the default place).
    pub fn menu_path(&self, config_file: Option<&Path>) -> PathBuf {
        if let Some(m) = &self.store.menu {
            return m.clone();
        }
        let dir = config_file
            .map(Path::to_path_buf)
            .or_else(|| Config::locate(None))
            .and_then(|p| p.parent().map(Path::to_path_buf))
            .unwrap_or_default();
        dir.join("menu.toml")
    }

    /// The stations the printers claim (empty when no printer names one).
    pub fn claimed_stations(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .printers
            .iter()
            .flat_map(|p| p.stations.iter().cloned())
            .collect();
        v.sort();
        v.dedup();
        v
    }

    /// The business rules. Limits `config check` refuses (never reached by
    /// a checked config) fall back to the defaults.
    pub fn rules(&self) -> Rules {
        Rules {
            fire: self.store.fire,
            cash_rounding: self.store.cash_rounding,
            limits: self.limits.limits().unwrap_or_default(),
            pins: PinPolicy {
                min_len: self.staff.pin_min_length,
                manager_min_len: self.staff.manager_pin_min_length,
            },
            key_days: self.api.key_days.max(1),
        }
    }

    pub fn tz(&self) -> chrono_tz::Tz {
        self.store
            .timezone
            .parse()
            .unwrap_or(chrono_tz::Asia::Shanghai)
    }

    /// The routes the `[[printers]]` and `[store] receipt_on_settle` make.
    pub fn routes(&self) -> crate::domain::route::Routes {
        crate::domain::route::Routes {
            printers: self
                .printers
                .iter()
                .map(|p| crate::domain::route::PrinterRoute {
                    name: p.name.clone(),
                    stations: p.stations.clone(),
                    receipts: p.receipts,
                    drawer: p.drawer,
                })
                .collect(),
            receipt_on_settle: self.store.receipt_on_settle,
        }
    }
}

/// The host of a `ws://` URL when it is not this box (loopback), else `None`.
fn plain_remote_host(url: &str) -> Option<String> {
    let rest = url.strip_prefix("ws://")?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or("").to_string(),
        None => authority
            .rsplit_once(':')
            .map_or(authority, |(h, _)| h)
            .to_string(),
    };
    let loopback = host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    (!loopback).then_some(host)
}

/// The first line that mentions `key` (1-based), or 0.
pub(crate) fn line_of(text: &str, key: &str) -> usize {
    text.lines()
        .position(|l| l.contains(key))
        .map(|i| i + 1)
        .unwrap_or(0)
}

fn explain_toml(msg: &str) -> String {
    let msg = msg.trim().replace('\n', " ");
    if msg.contains("unknown field") {
        format!("{msg}; remove it or fix its spelling")
    } else if msg.contains("unknown variant") {
        format!("{msg}; write one of those values")
    } else if msg.contains("invalid type") {
        format!("{msg}; quote text like \"S001\", write numbers bare")
    } else {
        msg
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one_error(text: &str) -> ConfigError {
        let errs = Config::parse(text, "config.toml").expect_err("should be refused");
        assert_eq!(errs.len(), 1, "{errs:?}");
        errs[0].clone()
    }

    #[test]
    fn an_empty_file_gives_the_defaults() {
        let c = Config::parse("", "config.toml").expect("empty is fine");
        assert_eq!(c.store.fire, FirePolicy::OnPayment);
        assert_eq!(c.store.cash_rounding, CashRounding::Fen);
        assert_eq!(c.ui.warn_minutes, 5);
    }

    #[test]
    fn the_documented_example_parses() {
        let c = Config::parse(
            "[store]\nid = \"S001\"\nname = \"老王面馆\"\nfire = \"on_order\"\ndata_dir = \"/var/lib/passline\"\ncash_rounding = \"jiao\"\ntimezone = \"Asia/Shanghai\"\n",
            "config.toml",
        )
        .expect("valid");
        assert_eq!(c.store.name, "老王面馆");
        assert_eq!(c.store.fire, FirePolicy::OnOrder);
        assert_eq!(c.store.cash_rounding, CashRounding::Jiao);
    }

    #[test]
    fn a_wrong_type_names_its_line() {
        let e = one_error("[store]\nid = \"S001\"\ncache_mib = \"big\"\n");
        assert_eq!(e.line, 3);
        assert!(e.message.contains("invalid type"), "{e}");
    }

    #[test]
    fn an_unknown_key_names_its_line_and_the_fix() {
        let e = one_error("[store]\nfier = \"on_order\"\n");
        assert_eq!(e.line, 2);
        assert!(e.message.contains("unknown field `fier`"), "{e}");
        assert!(e.message.contains("fix its spelling"), "{e}");
    }

    #[test]
    fn a_bad_fire_policy_lists_the_good_ones() {
        let e = one_error("[store]\nfire = \"on_pay\"\n");
        assert_eq!(e.line, 2);
        assert!(
            e.message.contains("on_payment") && e.message.contains("on_order"),
            "{e}"
        );
    }

    #[test]
    fn money_limits_are_read_in_yuan_and_a_bad_one_names_its_line() {
        let c = Config::parse(
            "[limits]\norder_max = \"2000.00\"\nqty_max = 50\n",
            "config.toml",
        )
        .expect("valid");
        let l = c.rules().limits;
        assert_eq!((l.order_max, l.qty_max), (Fen(200_000), 50));
        assert_eq!(l.cash_over_max, MoneyLimits::default().cash_over_max);
        let e = one_error("[limits]\n\ncash_over_max = \"lots\"\n");
        assert_eq!(e.line, 3);
        assert!(e.message.contains("like 100"), "{e}");
    }

    #[test]
    fn plain_ws_to_another_host_is_refused_unless_allowed() {
        let e = one_error("[feed]\nurl = \"ws://platform.example/v1/feed\"\n");
        assert_eq!(e.line, 2);
        assert!(e.message.contains("wss://"), "{e}");
        Config::parse(
            "[feed]\nurl = \"ws://platform.example/v1/feed\"\nallow_plain_ws = true\n",
            "config.toml",
        )
        .expect("allowed explicitly");
        for ok in [
            "ws://127.0.0.1:9001/feed",
            "ws://localhost/x",
            "ws://[::1]:9/x",
            "wss://p.example/x",
        ] {
            Config::parse(&format!("[feed]\nurl = \"{ok}\"\n"), "config.toml").expect(ok);
        }
    }

    #[test]
    fn a_network_listen_without_a_token_fails_config_check() {
        let e = one_error("[api]\nlisten = \"0.0.0.0:7878\"\n");
        assert_eq!(e.line, 2);
        assert!(e.message.contains("needs a token"), "{e}");
        Config::parse(
            "[api]\nlisten = \"0.0.0.0:7878\"\ntoken_file = \"api-token\"\n",
            "config.toml",
        )
        .expect("with a token file");
    }

    #[test]
    fn a_bad_timezone_says_what_to_write() {
        let e = one_error("[store]\ntimezone = \"Beijing\"\n");
        assert_eq!(e.line, 2);
        assert!(e.message.contains("Asia/Shanghai"), "{e}");
    }
}

//! What the console shows and how, from `[ui]` and `[store]`: language,
//! theme, alert times, the rail's stations, the clock and printer profiles.

use crate::config::{Language, UiSection};
use crate::engine::Clock;
use crate::tui::theme::Theme;
use std::collections::BTreeMap;
use std::sync::Arc;

/// What the console shows and how, from `[ui]` and `[store]`.
#[derive(Clone)]
pub struct UiOptions {
    pub store_name: String,
    pub language: Language,
    pub theme: Theme,
    /// Set when the configured theme could not be used: shown once at start.
    pub theme_problem: Option<String>,
    pub warn_minutes: u32,
    pub late_minutes: u32,
    pub paying_alert_seconds: u32,
    /// Stations this screen's rail shows (empty: all).
    pub stations: Vec<String>,
    pub clock: Arc<dyn Clock>,
    /// Each printer's profile, for the print preview (printer name → profile).
    pub profiles: BTreeMap<String, crate::print::profile::Profile>,
    pub shop: crate::print::layout::Shop,
}

impl UiOptions {
    /// Adds the printers' profiles (for the print preview) and the store's
    /// receipt header.
    pub fn with_printers(
        mut self,
        cfg: &crate::config::Config,
        profiles: &crate::print::profile::Profiles,
    ) -> UiOptions {
        for p in &cfg.printers {
            if let Some(prof) = profiles.get(&p.profile) {
                self.profiles.insert(p.name.clone(), prof.clone());
            }
        }
        self.shop = crate::print::layout::Shop::from_config(cfg);
        self
    }

    pub fn from_config(ui: &UiSection, store_name: &str, clock: Arc<dyn Clock>) -> UiOptions {
        let (theme, theme_problem) = Theme::load_or_default(&ui.theme);
        UiOptions {
            store_name: store_name.to_string(),
            language: ui.language,
            theme,
            theme_problem,
            warn_minutes: ui.warn_minutes,
            late_minutes: ui.late_minutes.max(ui.warn_minutes),
            paying_alert_seconds: ui.paying_alert_seconds,
            stations: ui.stations.clone(),
            clock,
            profiles: BTreeMap::new(),
            shop: crate::print::layout::Shop {
                name: store_name.to_string(),
                ..Default::default()
            },
        }
    }
}

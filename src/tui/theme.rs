//! Colour themes from `themes/*.toml`: the shipped ones are embedded, a path
//! loads a store's own. A broken theme never stops the console: it starts
//! with the default and says what to fix.

use ratatui::style::Color;
use serde::Deserialize;
use std::path::Path;
use std::str::FromStr;

const DEFAULT: &str = include_str!("../../themes/default.toml");
const LIGHT: &str = include_str!("../../themes/light.toml");
const KITCHEN: &str = include_str!("../../themes/kitchen.toml");

/// The shipped themes, by name.
pub const SHIPPED: [(&str, &str); 3] =
    [("default", DEFAULT), ("light", LIGHT), ("kitchen", KITCHEN)];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Theme {
    pub name: String,
    pub bg: Color,
    pub fg: Color,
    pub dim: Color,
    pub accent: Color,
    pub bar_bg: Color,
    pub bar_fg: Color,
    pub card_bg: Color,
    pub card_fg: Color,
    pub title_bg: Color,
    pub title_fg: Color,
    pub ok: Color,
    pub warn: Color,
    pub late: Color,
    pub alert_bg: Color,
    pub alert_fg: Color,
    pub selected_bg: Color,
    pub emphasis: Color,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTheme {
    name: String,
    bg: String,
    fg: String,
    dim: String,
    accent: String,
    bar_bg: String,
    bar_fg: String,
    card_bg: String,
    card_fg: String,
    title_bg: String,
    title_fg: String,
    ok: String,
    warn: String,
    late: String,
    alert_bg: String,
    alert_fg: String,
    selected_bg: String,
    emphasis: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ThemeError {
    #[error("theme {name}: {detail}; using the default theme")]
    Broken { name: String, detail: String },
    #[error("theme {name} is not shipped and no such file exists: write default, light, kitchen or a path to a .toml file; using the default theme")]
    Unknown { name: String },
}

impl Theme {
    /// Parses a theme file's text.
    pub fn parse(text: &str, name: &str) -> Result<Theme, ThemeError> {
        let broken = |detail: String| ThemeError::Broken {
            name: name.to_string(),
            detail,
        };
        let raw: RawTheme = toml::from_str(text).map_err(|e| broken(e.message().to_string()))?;
        let c = |key: &str, v: &str| {
            Color::from_str(v).map_err(|_| {
                broken(format!(
                    "`{key} = \"{v}\"` is not a colour: write a name like \"yellow\" or \"#ffaf00\""
                ))
            })
        };
        Ok(Theme {
            name: raw.name.clone(),
            bg: c("bg", &raw.bg)?,
            fg: c("fg", &raw.fg)?,
            dim: c("dim", &raw.dim)?,
            accent: c("accent", &raw.accent)?,
            bar_bg: c("bar_bg", &raw.bar_bg)?,
            bar_fg: c("bar_fg", &raw.bar_fg)?,
            card_bg: c("card_bg", &raw.card_bg)?,
            card_fg: c("card_fg", &raw.card_fg)?,
            title_bg: c("title_bg", &raw.title_bg)?,
            title_fg: c("title_fg", &raw.title_fg)?,
            ok: c("ok", &raw.ok)?,
            warn: c("warn", &raw.warn)?,
            late: c("late", &raw.late)?,
            alert_bg: c("alert_bg", &raw.alert_bg)?,
            alert_fg: c("alert_fg", &raw.alert_fg)?,
            selected_bg: c("selected_bg", &raw.selected_bg)?,
            emphasis: c("emphasis", &raw.emphasis)?,
        })
    }

    /// The shipped dark theme.
    pub fn default_dark() -> Theme {
        Theme::parse(DEFAULT, "default").expect("the shipped default theme parses (tested)")
    }

    /// A shipped theme by name, or a `.toml` file by path.
    pub fn load(name_or_path: &str) -> Result<Theme, ThemeError> {
        if let Some((_, text)) = SHIPPED.iter().find(|(n, _)| *n == name_or_path) {
            return Theme::parse(text, name_or_path);
        }
        let path = Path::new(name_or_path);
        match std::fs::read_to_string(path) {
            Ok(text) => Theme::parse(&text, name_or_path),
            Err(_) => Err(ThemeError::Unknown {
                name: name_or_path.to_string(),
            }),
        }
    }

    /// The theme, or the default and a message saying what to fix.
    pub fn load_or_default(name_or_path: &str) -> (Theme, Option<String>) {
        match Theme::load(name_or_path) {
            Ok(t) => (t, None),
            Err(e) => {
                tracing::warn!(theme = name_or_path, "{e}");
                (Theme::default_dark(), Some(e.to_string()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_theme_parses() {
        for (name, text) in SHIPPED {
            let t = Theme::parse(text, name).expect(name);
            assert_eq!(t.name, name);
        }
    }

    #[test]
    fn a_bad_colour_names_the_key_and_falls_back() {
        let text = DEFAULT.replace("warn = \"#ffaf00\"", "warn = \"orangey\"");
        let err = Theme::parse(&text, "mine").expect_err("orangey is no colour");
        assert!(err.to_string().contains("`warn = \"orangey\"`"), "{err}");
        let dir = tempfile::tempdir().expect("temp dir");
        let p = dir.path().join("mine.toml");
        std::fs::write(&p, text).expect("write theme");
        let (t, msg) = Theme::load_or_default(&p.to_string_lossy());
        assert_eq!(t, Theme::default_dark());
        assert!(msg.is_some_and(|m| m.contains("using the default")));
    }

    #[test]
    fn an_unknown_name_says_which_are_shipped() {
        let (_, msg) = Theme::load_or_default("neon");
        assert!(msg.is_some_and(|m| m.contains("default, light, kitchen")));
    }
}

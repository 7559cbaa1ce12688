//! Printer profiles (`printers/*.toml`): paper width, columns, Chinese mode,
//! cutter, cash drawer pulse, QR and status support of one printer model.
//! The shipped profiles are embedded in the binary; a profiles folder may add
//! or replace some. A profile may `inherits = "other"` and change only a few keys.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// The profiles shipped in `printers/`, embedded at build time.
pub const BUILTIN: [(&str, &str); 6] = [
    (
        "generic-80.toml",
        include_str!("../../printers/generic-80.toml"),
    ),
    (
        "generic-58.toml",
        include_str!("../../printers/generic-58.toml"),
    ),
    (
        "generic-58-nocut.toml",
        include_str!("../../printers/generic-58-nocut.toml"),
    ),
    (
        "epson-tm-t88v.toml",
        include_str!("../../printers/epson-tm-t88v.toml"),
    ),
    (
        "xprinter-xp-58.toml",
        include_str!("../../printers/xprinter-xp-58.toml"),
    ),
    (
        "xprinter-xp-80.toml",
        include_str!("../../printers/xprinter-xp-80.toml"),
    ),
];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub name: String,
    #[serde(default)]
    pub vendor: String,
    #[serde(default)]
    pub description: String,
    pub paper: Paper,
    pub fonts: Fonts,
    pub chinese: Chinese,
    pub cutter: Cutter,
    pub drawer: Drawer,
    pub qr: Qr,
    pub status: StatusSupport,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Paper {
    pub width_mm: u32,
    pub width_dots: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fonts {
    /// Columns per line in font A (the one tickets use).
    pub a: usize,
    pub b: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TextEncoding {
    /// GB18030 two-byte form with the printer's Chinese mode on.
    Gb18030,
    /// ASCII only: anything else is replaced visibly.
    None,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Chinese {
    pub encoding: TextEncoding,
    #[serde(default)]
    pub enter: Vec<u8>,
    #[serde(default)]
    pub leave: Vec<u8>,
    /// The font has the 4-byte GB18030 characters (rare): print them as they are.
    #[serde(default)]
    pub four_byte: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CutKind {
    Full,
    Partial,
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cutter {
    pub kind: CutKind,
    pub feed_lines: u8,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Drawer {
    /// 2 or 5: the drawer connector pin the kick goes to.
    pub pin: u8,
    pub on_ms: u32,
    pub off_ms: u32,
}

impl Drawer {
    /// `ESC p m t1 t2`: all five bytes (times in 2 ms steps).
    pub fn pulse(&self) -> [u8; 5] {
        let m = if self.pin == 5 { 1 } else { 0 };
        let step = |ms: u32| (ms / 2).clamp(1, 255) as u8;
        [0x1B, b'p', m, step(self.on_ms), step(self.off_ms)]
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Qr {
    pub supported: bool,
    pub model: u8,
    pub size: u8,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusSupport {
    /// Answers `DLE EOT n` real-time status requests.
    pub dle_eot: bool,
    /// Automatic status back (`GS a`).
    pub asb: bool,
}

impl Profile {
    /// Columns per line at normal size (font A).
    pub fn columns(&self) -> usize {
        self.fonts.a
    }

    /// A built-in profile by name; the shipped files always parse (tested).
    pub fn builtin(name: &str) -> Option<Profile> {
        Profiles::builtin().ok()?.get(name).cloned()
    }

    fn check(&self, file: &str) -> Result<(), ProfileError> {
        let bad = |key: &str, message: String| {
            Err(ProfileError {
                file: file.to_string(),
                key: key.to_string(),
                message,
            })
        };
        if !(40..=120).contains(&self.paper.width_mm) {
            return bad(
                "paper.width_mm",
                format!(
                    "{} mm is not a receipt paper width: write 58 or 80",
                    self.paper.width_mm
                ),
            );
        }
        if self.paper.width_dots == 0 {
            return bad(
                "paper.width_dots",
                "must be more than 0: 384 for 58 mm, 576 for 80 mm".into(),
            );
        }
        if !(16..=80).contains(&self.fonts.a) {
            return bad(
                "fonts.a",
                format!(
                    "{} columns is out of range: 32 on 58 mm, 42 or 48 on 80 mm",
                    self.fonts.a
                ),
            );
        }
        if self.fonts.a % 2 != 0 {
            return bad(
                "fonts.a",
                format!(
                    "{} columns is odd: double-size lines need an even count",
                    self.fonts.a
                ),
            );
        }
        if self.chinese.encoding == TextEncoding::Gb18030 && self.chinese.enter.is_empty() {
            return bad(
                "chinese.enter",
                "is empty but encoding is gb18030: write [0x1C, 0x26] (FS &)".into(),
            );
        }
        if self.drawer.pin != 2 && self.drawer.pin != 5 {
            return bad(
                "drawer.pin",
                format!("pin {} does not exist: write 2 or 5", self.drawer.pin),
            );
        }
        for (key, ms) in [
            ("drawer.on_ms", self.drawer.on_ms),
            ("drawer.off_ms", self.drawer.off_ms),
        ] {
            if !(2..=510).contains(&ms) {
                return bad(
                    key,
                    format!("{ms} ms is out of range: write 2 to 510 (50 and 500 are usual)"),
                );
            }
        }
        if self.qr.model != 1 && self.qr.model != 2 {
            return bad(
                "qr.model",
                format!("model {} does not exist: write 2", self.qr.model),
            );
        }
        if !(1..=16).contains(&self.qr.size) {
            return bad(
                "qr.size",
                format!(
                    "size {} is out of range: write 1 to 16 (4 to 6 is usual)",
                    self.qr.size
                ),
            );
        }
        Ok(())
    }
}

/// A profile that cannot be used: which file, which key, what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("printer profile {file}: `{key}` {message}")]
pub struct ProfileError {
    pub file: String,
    pub key: String,
    pub message: String,
}

/// Every known profile by name.
#[derive(Debug, Clone, Default)]
pub struct Profiles {
    by_name: BTreeMap<String, Profile>,
}

impl Profiles {
    /// The shipped profiles.
    pub fn builtin() -> Result<Profiles, ProfileError> {
        let files: Vec<(String, String)> = BUILTIN
            .iter()
            .map(|(f, t)| (format!("printers/{f}"), t.to_string()))
            .collect();
        Profiles::from_texts(files)
    }

    /// The shipped profiles plus `*.toml` in `dir` (same name replaces).
    pub fn load(dir: Option<&Path>) -> Result<Profiles, ProfileError> {
        let mut files: Vec<(String, String)> = BUILTIN
            .iter()
            .map(|(f, t)| (format!("printers/{f}"), t.to_string()))
            .collect();
        if let Some(dir) = dir {
            let entries = std::fs::read_dir(dir).map_err(|e| ProfileError {
                file: dir.display().to_string(),
                key: "profiles_dir".into(),
                message: format!("cannot be read ({e}): check the path in [print] profiles_dir"),
            })?;
            let mut paths: Vec<_> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "toml"))
                .collect();
            paths.sort();
            for p in paths {
                let text = std::fs::read_to_string(&p).map_err(|e| ProfileError {
                    file: p.display().to_string(),
                    key: "-".into(),
                    message: format!("cannot be read ({e})"),
                })?;
                files.push((p.display().to_string(), text));
            }
        }
        Profiles::from_texts(files)
    }

    /// Parses profile texts (file name, text); later names replace earlier ones.
    pub fn from_texts(files: Vec<(String, String)>) -> Result<Profiles, ProfileError> {
        let mut raw: BTreeMap<String, (String, toml::Table)> = BTreeMap::new();
        for (file, text) in files {
            let table: toml::Table = text.parse().map_err(|e: toml::de::Error| ProfileError {
                file: file.clone(),
                key: key_at(&text, e.span()),
                message: e.message().trim().to_string(),
            })?;
            let Some(name) = table
                .get("name")
                .and_then(|v| v.as_str())
                .map(str::to_string)
            else {
                return Err(ProfileError {
                    file,
                    key: "name".into(),
                    message: "is missing: write name = \"my-printer\"".into(),
                });
            };
            raw.insert(name, (file, table));
        }
        let mut by_name = BTreeMap::new();
        for name in raw.keys() {
            let (file, table) = resolve(&raw, name, 0)?;
            let text = toml::to_string(&table).unwrap_or_default();
            let p: Profile = toml::from_str(&text).map_err(|e| ProfileError {
                file: file.clone(),
                key: key_at(&text, e.span()),
                message: e.message().trim().replace('\n', " "),
            })?;
            p.check(&file)?;
            by_name.insert(name.clone(), p);
        }
        Ok(Profiles { by_name })
    }

    pub fn get(&self, name: &str) -> Option<&Profile> {
        self.by_name.get(name)
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.by_name.keys().map(String::as_str)
    }
}

/// A profile's table with its parents' keys filled in.
fn resolve(
    raw: &BTreeMap<String, (String, toml::Table)>,
    name: &str,
    depth: usize,
) -> Result<(String, toml::Table), ProfileError> {
    let (file, table) = raw.get(name).expect("resolve is called with known names");
    let mut table = table.clone();
    let Some(parent) = table.remove("inherits") else {
        return Ok((file.clone(), table));
    };
    let Some(parent) = parent.as_str() else {
        return Err(ProfileError {
            file: file.clone(),
            key: "inherits".into(),
            message: "must be a profile name in quotes, like \"generic-80\"".into(),
        });
    };
    if depth > 8 || parent == name {
        return Err(ProfileError {
            file: file.clone(),
            key: "inherits".into(),
            message: format!("`{parent}` leads back to this profile: remove the loop"),
        });
    }
    if !raw.contains_key(parent) {
        return Err(ProfileError {
            file: file.clone(),
            key: "inherits".into(),
            message: format!(
                "names `{parent}`, which is no known profile: use one of {}",
                raw.keys().cloned().collect::<Vec<_>>().join(", ")
            ),
        });
    }
    let (_, mut base) = resolve(raw, parent, depth + 1)?;
    merge(&mut base, table);
    Ok((file.clone(), base))
}

fn merge(base: &mut toml::Table, over: toml::Table) {
    for (k, v) in over {
        match (base.get_mut(&k), v) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o),
            (_, v) => {
                base.insert(k, v);
            }
        }
    }
}

/// The key (dotted, with its section) at a TOML error's position.
fn key_at(text: &str, span: Option<std::ops::Range<usize>>) -> String {
    let Some(span) = span else { return "-".into() };
    let upto = &text[..span.start.min(text.len())];
    let section = upto
        .lines()
        .rev()
        .find_map(|l| {
            let t = l.trim();
            (t.starts_with('[') && t.ends_with(']')).then(|| t.trim_matches(['[', ']']).to_string())
        })
        .unwrap_or_default();
    let line = text[upto.rfind('\n').map(|i| i + 1).unwrap_or(0)..]
        .lines()
        .next()
        .unwrap_or("");
    let key = line
        .split('=')
        .next()
        .unwrap_or("")
        .trim()
        .trim_matches(['[', ']']);
    match (section.is_empty(), key.is_empty()) {
        (true, _) => key.to_string(),
        (false, true) => section,
        (false, false) if key == section => section,
        (false, false) => format!("{section}.{key}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_profile_parses_with_the_expected_columns() {
        let p = Profiles::builtin().expect("shipped profiles parse");
        let cols = |n: &str| p.get(n).map(|p| p.columns());
        assert_eq!(cols("generic-58"), Some(32));
        assert_eq!(cols("generic-80"), Some(48));
        assert_eq!(cols("epson-tm-t88v"), Some(42));
        assert_eq!(cols("xprinter-xp-58"), Some(32));
        assert_eq!(cols("xprinter-xp-80"), Some(48));
        assert_eq!(
            p.get("generic-58-nocut").map(|p| p.cutter.kind),
            Some(CutKind::None)
        );
    }

    #[test]
    fn an_inheriting_profile_keeps_its_parents_keys() {
        let p = Profile::builtin("xprinter-xp-58").expect("shipped");
        assert_eq!(p.chinese.encoding, TextEncoding::Gb18030);
        assert_eq!(p.chinese.enter, vec![0x1C, 0x26]);
        assert_eq!(p.cutter.kind, CutKind::Full);
        assert_eq!(p.drawer.pulse(), [0x1B, 0x70, 0x00, 0x19, 0xFA]);
    }

    #[test]
    fn a_misspelt_key_names_the_file_and_the_key() {
        let text = "name = \"shop\"\ninherits = \"generic-80\"\n[paper]\nwidht_mm = 80\n";
        let e = Profiles::from_texts(vec![
            ("printers/generic-80.toml".into(), BUILTIN[0].1.into()),
            ("shop.toml".into(), text.into()),
        ])
        .expect_err("refused");
        assert_eq!(e.file, "shop.toml");
        assert!(e.message.contains("widht_mm"), "{e}");
    }

    #[test]
    fn a_bad_value_says_what_to_write() {
        let text = "name = \"shop\"\ninherits = \"generic-80\"\n[drawer]\npin = 3\n";
        let e = Profiles::from_texts(vec![
            ("printers/generic-80.toml".into(), BUILTIN[0].1.into()),
            ("shop.toml".into(), text.into()),
        ])
        .expect_err("refused");
        assert_eq!(
            (e.file.as_str(), e.key.as_str()),
            ("shop.toml", "drawer.pin")
        );
        assert!(e.message.contains("write 2 or 5"), "{e}");
    }

    #[test]
    fn an_unknown_parent_is_named() {
        let e = Profiles::from_texts(vec![(
            "shop.toml".into(),
            "name = \"shop\"\ninherits = \"epson-9000\"\n".into(),
        )])
        .expect_err("refused");
        assert_eq!(e.key, "inherits");
        assert!(e.message.contains("epson-9000"), "{e}");
    }
}

//! The fuzz targets' inputs, replayed on every `cargo test`: the seed corpus
//! (`fuzz/seeds/<target>/`) and every input a fuzz run found a fault with
//! (`tests/data/fuzz/<target>/`), each through the same check its target runs
//! (`fuzz/checks.rs`). A finding fails here until its fix is in. How to fuzz:
//! docs/fuzzing.md.

#[path = "../../fuzz/checks.rs"]
mod checks;

use std::path::{Path, PathBuf};

/// Every file under `dir` (none when the folder does not exist), by name.
fn inputs(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            (p, bytes)
        })
        .collect()
}

/// Replays the seeds and findings of `target` through `check`; returns how
/// many inputs ran. Each input runs in a catch so the failure names its file.
fn replay(target: &str, check: fn(&[u8])) -> usize {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut all = inputs(&root.join("fuzz/seeds").join(target));
    let seeds = all.len();
    all.extend(inputs(&root.join("tests/data/fuzz").join(target)));
    assert!(seeds >= 3, "{target}: the seed corpus is missing");
    for (path, bytes) in &all {
        if std::panic::catch_unwind(|| check(bytes)).is_err() {
            panic!("{target}: {} fails its check", path.display());
        }
    }
    all.len()
}

#[test]
fn feed_frames_from_the_corpus_decode_or_quarantine_cleanly() {
    replay("feed_frame", checks::feed_frame);
}

#[test]
fn escpos_bytes_from_the_corpus_decode_to_lines() {
    replay("escpos_decode", checks::escpos_decode);
}

#[test]
fn printer_status_answers_from_the_corpus_read_as_a_state() {
    replay("printer_status", checks::printer_status);
}

#[test]
fn every_printer_and_offline_cause_answer_reads_as_a_state() {
    // The parser's input is three bytes: try every first and second answer
    // (and none) against the paper answers that matter.
    for printer in 0..=255u8 {
        for cause in (0..=255u8).map(Some).chain([None]) {
            for paper in [None, Some(0x12), Some(0x72), Some(0xFF)] {
                if cause.is_none() && paper.is_some() {
                    continue;
                }
                let mut bytes = vec![printer];
                if let Some(c) = cause {
                    bytes.push(c);
                    bytes.extend(paper);
                }
                checks::printer_status(&bytes);
            }
        }
    }
}

#[test]
fn configs_from_the_corpus_load_or_say_what_to_fix() {
    replay("config", checks::config);
}

#[test]
fn themes_from_the_corpus_load_or_say_what_to_fix() {
    replay("theme", checks::theme);
}

#[test]
fn menus_from_the_corpus_load_and_search() {
    replay("menu", checks::menu);
}

#[test]
fn printer_profiles_from_the_corpus_load_and_render() {
    replay("printer_profile", checks::printer_profile);
}

#[test]
fn archive_day_files_from_the_corpus_read_or_are_refused_cleanly() {
    replay("archive_day", checks::archive_day);
}

#[test]
fn the_archive_day_seeds_are_real_day_files() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds/archive_day");
    let path = root.join("whole-file-v2.bin");
    let bytes = std::fs::read(&path).expect("seed");
    let recs = passline::store::archive::from_bytes(&path, &bytes).expect("reads");
    assert_eq!((recs.events.len(), recs.orders.len()), (2, 1));
}

#[test]
fn local_api_frames_from_the_corpus_decode_and_keep_the_access_rules() {
    replay("api_frame", checks::api_frame);
}

#[test]
fn backups_from_the_corpus_restore_or_are_refused_cleanly() {
    replay("restore", checks::restore);
}

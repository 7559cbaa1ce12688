//! A console consuming the feed is killed with SIGKILL mid-stream and started
//! again on the same store: nothing it acknowledged is lost, nothing is
//! applied twice. The console runs in a child process: this test binary
//! re-invoked with `PASSLINE_FEED_CHILD_DIR` set.

use crate::feed_support;

use feed_support::*;
use passline::sim::platform::{Scenario, WireFaults};
use std::process::{Command as Process, Stdio};
use std::time::Duration;

const CHILD_DIR: &str = "PASSLINE_FEED_CHILD_DIR";
const CHILD_URL: &str = "PASSLINE_FEED_CHILD_URL";
const EVENTS: u64 = 4000;

/// The child: a console on the given store, fed from the given URL, until killed
/// (or 30 s, so an orphan never lingers).
#[test]
fn crash_child() {
    let (Ok(dir), Ok(url)) = (std::env::var(CHILD_DIR), std::env::var(CHILD_URL)) else {
        return;
    };
    let rt = tokio::runtime::Runtime::new().expect("child runtime");
    rt.block_on(async move {
        let engine = start_engine(std::path::Path::new(&dir));
        let link = Link::start(engine.handle(), &url, TOKEN);
        tokio::time::sleep(Duration::from_secs(30)).await;
        link.shutdown().await;
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_console_killed_mid_stream_loses_nothing_acknowledged_and_applies_nothing_twice() {
    let sim = simulator(Scenario::LunchPeak, |c| {
        c.seed = 99;
        c.rate = 600_000.0;
        c.max_events = Some(EVENTS);
        c.faults = WireFaults::none();
    })
    .await;
    let dir = tempfile::tempdir().expect("temp dir");
    let exe = std::env::current_exe().expect("test binary path");
    let mut child = Process::new(exe)
        .args([
            "feed_crash::crash_child",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_DIR, dir.path())
        .env(CHILD_URL, sim.url())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the child console");

    let mid = eventually(Duration::from_secs(15), || sim.truth().acked >= 300).await;
    child.kill().expect("SIGKILL the child console");
    let _ = child.wait();
    assert!(mid, "the child console never got going");
    tokio::time::sleep(Duration::from_millis(100)).await;
    let acked_at_kill = sim.truth().acked;
    assert!(
        acked_at_kill < EVENTS,
        "killed too late to test anything ({acked_at_kill} acked)"
    );

    // Restart the console on the same store.
    let engine = start_engine(dir.path());
    let h = engine.handle();
    let cursor = h.cursor().expect("cursor");
    assert!(
        cursor >= acked_at_kill,
        "acknowledged {acked_at_kill} but only {cursor} survived the kill"
    );
    let link = Link::start(h.clone(), &sim.url(), TOKEN);
    let done = eventually(Duration::from_secs(20), || sim.acked() >= EVENTS).await;
    assert!(
        done,
        "after the restart the console reached {} of {EVENTS}",
        h.cursor().unwrap_or(0)
    );
    let truth = sim.truth();
    assert_eq!(
        truth.hellos.last().copied(),
        Some(cursor),
        "resumed from what survived"
    );
    assert_eq!(differences(&h, &truth), Vec::<String>::new());
    let seen = applied_seqs(&h);
    assert_eq!(seen.len() as u64, EVENTS);
    assert!(seen.values().all(|n| *n == 1), "a seq was applied twice");
    link.shutdown().await;
}

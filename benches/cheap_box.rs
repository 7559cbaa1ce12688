//! The cheap box: the real `passline` binary limited to one core and 256 MiB,
//! on a store with a big history, fed by the simulator and printing to three
//! virtual printers over loopback. Measures what a store would notice: peak
//! RSS, order-to-ticket and key-to-frame latency, start-up time, the data
//! dir's size and the binary's size.
//!
//! `cargo bench --bench cheap_box` (needs root for the cgroup; without it the
//! run says so and measures unlimited). Env: `PASSLINE_CHEAP_STORE` (a store
//! to copy as the history; default: the engine bench's history for
//! `PASSLINE_BENCH_ORDERS`, built by `cargo bench --bench engine`),
//! `PASSLINE_CHEAP_SECS` (seconds of orders per phase, default 60),
//! `PASSLINE_CHEAP_RATE` (orders per minute, default 120),
//! `PASSLINE_CHEAP_KEYS` (key presses timed, default 300),
//! `PASSLINE_CHEAP_KEEP` (a folder to move the data dir to afterwards: the
//! store as a running console left it, to measure the steady state with
//! `PASSLINE_CHEAP_STORE`).
//! docs/performance.md ("Cheap box") keeps the results.

#[path = "../tests/soak_support/limits.rs"]
mod limits;

use limits::{vm_hwm_kib, Limits};
use passline::domain::{Order, PlatformEvent};
use passline::print::status::PrinterState;
use passline::sim::platform::{Scenario, SimConfig, Simulator, WireFaults};
use passline::sim::printer::VirtualPrinter;
use std::io::Read;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const TOKEN: &str = "cheap-box-token";
const PIN: &str = "2468";

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

fn walk_size(dir: &Path) -> u64 {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return 0;
    };
    rd.flatten()
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => walk_size(&e.path()),
            _ => e.metadata().map(|m| m.len()).unwrap_or(0),
        })
        .sum()
}

fn pct(v: &mut [f64], p: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(|a, b| a.partial_cmp(b).expect("no NaN"));
    v[((v.len() as f64 * p) as usize).min(v.len() - 1)]
}

/// Order `n` of this run; `run` keeps the ids apart from an earlier run's on
/// a kept store (the console ignores an order it already has).
fn order(run: u64, n: u64) -> Order {
    let station = if n % 3 == 0 { "cold" } else { "hot" };
    serde_json::from_value(serde_json::json!({
        "id": format!("CB{run}-{n:06}"), "pickup_no": format!("K{n:04}"), "table": "",
        "channel": "wechat_mini", "dining": "takeaway", "placed_at": "2026-11-26T12:01:05+08:00",
        "currency": "CNY", "amount_due": 9600, "note": "",
        "items": [
            {"line":1,"sku":"GBJD","name":"宫保鸡丁","qty":2,"unit_price":3800,"station":station,
             "modifiers":["少辣"],"note":""},
            {"line":2,"sku":"RICE","name":"米饭","qty":2,"unit_price":1000,"station":"hot",
             "modifiers":[],"note":""}
        ]
    }))
    .expect("a valid order")
}

/// The console's config for this run.
fn write_config(dir: &Path, data: &Path, feed: &str, printers: &[(&str, String)]) -> PathBuf {
    let mut s = format!(
        "[store]\nid = \"S001\"\nname = \"便宜盒子\"\nfire = \"on_order\"\ndata_dir = \"{}\"\n\n\
         [feed]\nurl = \"{feed}\"\ntoken = \"{TOKEN}\"\ndevice_id = \"cheap-box\"\n\n\
         [api]\nlisten = \"127.0.0.1:0\"\n\n[log]\ndir = \"{}\"\n\n[ui]\nlanguage = \"en\"\n",
        data.display(),
        dir.join("log").display()
    );
    for (name, url) in printers {
        let stations = match *name {
            "counter" => "[]",
            other => {
                if other == "hot" {
                    "[\"hot\"]"
                } else {
                    "[\"cold\"]"
                }
            }
        };
        let extra = if *name == "counter" {
            "receipts = true\ndrawer = true\n"
        } else {
            ""
        };
        s.push_str(&format!(
            "\n[[printers]]\nname = \"{name}\"\nprofile = \"xprinter-xp-80\"\nconnect = \"{url}\"\nstations = {stations}\n{extra}"
        ));
    }
    let path = dir.join("config.toml");
    std::fs::write(&path, s).expect("write config");
    path
}

/// A pseudo-terminal for `passline run`: the child gets the slave side.
struct Pty {
    master: std::fs::File,
    slave: OwnedFd,
}

fn open_pty(cols: u16, rows: u16) -> Pty {
    let (mut m, mut s) = (0, 0);
    let ws = libc::winsize {
        ws_row: rows,
        ws_col: cols,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: openpty writes two fds into the locals; null name and termios.
    let rc = unsafe { libc::openpty(&mut m, &mut s, std::ptr::null_mut(), std::ptr::null(), &ws) };
    assert_eq!(rc, 0, "openpty: {}", std::io::Error::last_os_error());
    // SAFETY: both fds were just opened and are owned here.
    unsafe {
        Pty {
            master: std::fs::File::from_raw_fd(m),
            slave: OwnedFd::from_raw_fd(s),
        }
    }
}

/// Output chunks from the pty with the time they arrived.
fn pty_reader(mut master: std::fs::File) -> mpsc::Receiver<(Instant, usize)> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = vec![0u8; 65536];
        loop {
            match master.read(&mut buf) {
                Ok(0) | Err(_) => return,
                Ok(n) => {
                    if tx.send((Instant::now(), n)).is_err() {
                        return;
                    }
                }
            }
        }
    });
    rx
}

/// Waits for output after `since`, then for `quiet` without any: the time of
/// the burst's last chunk (a frame is written in one burst).
fn frame_after(
    rx: &mpsc::Receiver<(Instant, usize)>,
    within: Duration,
    quiet: Duration,
) -> Option<Instant> {
    let deadline = Instant::now() + within;
    let (mut last, _) = rx
        .recv_timeout(deadline.saturating_duration_since(Instant::now()))
        .ok()?;
    while let Ok((t, _)) = rx.recv_timeout(quiet) {
        last = t;
    }
    Some(last)
}

fn write_keys(pty: &std::fs::File, keys: &[u8]) {
    use std::io::Write;
    let mut f = pty;
    f.write_all(keys).expect("write to the pty");
}

struct OrderFlow {
    placed: Vec<(String, Instant)>,
}

/// Pushes orders at `per_min` for `secs`, remembering when each was sent.
async fn place_orders(sim: &Simulator, run: u64, first: u64, per_min: u64, secs: u64) -> OrderFlow {
    let n = per_min * secs / 60;
    let mut tick = tokio::time::interval(Duration::from_secs_f64(60.0 / per_min as f64));
    let mut placed = Vec::new();
    for k in first..first + n {
        tick.tick().await;
        let o = order(run, k);
        placed.push((o.pickup_no.clone(), Instant::now()));
        sim.push_event(
            serde_json::to_value(PlatformEvent::OrderPlaced { order: o }).expect("json"),
        );
    }
    OrderFlow { placed }
}

/// Order sent → first byte of its kitchen ticket at a virtual printer, ms.
fn ticket_latencies(flow: &OrderFlow, printers: &[&VirtualPrinter]) -> (Vec<f64>, usize) {
    let jobs: Vec<_> = printers.iter().flat_map(|p| p.jobs()).collect();
    let mut lat = Vec::new();
    let mut missing = 0;
    for (pickup, sent) in &flow.placed {
        let first = jobs
            .iter()
            .filter(|j| j.text.iter().any(|l| l.contains(pickup.as_str())))
            .map(|j| j.first_byte_at)
            .min();
        match first {
            Some(t) => lat.push(t.saturating_duration_since(*sent).as_secs_f64() * 1000.0),
            None => missing += 1,
        }
    }
    (lat, missing)
}

fn history_dir() -> PathBuf {
    if let Ok(s) = std::env::var("PASSLINE_CHEAP_STORE") {
        return PathBuf::from(s);
    }
    let n = env_u64("PASSLINE_BENCH_ORDERS", 1_000_000);
    let days = env_u64("PASSLINE_BENCH_DAYS", 365).max(1);
    std::env::var("PASSLINE_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| std::env::temp_dir().join("passline-bench"))
        .join(format!("history-{n}-{days}d-acked"))
}

fn stop(child: &mut Child) {
    // SAFETY: plain kill(2) on our own child's pid.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGTERM);
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let exe = PathBuf::from(env!("CARGO_BIN_EXE_passline"));
    let secs = env_u64("PASSLINE_CHEAP_SECS", 60);
    let rate = env_u64("PASSLINE_CHEAP_RATE", 120);
    let keys = env_u64("PASSLINE_CHEAP_KEYS", 300);
    let history = history_dir();
    if !history.exists() {
        eprintln!(
            "no history store at {}: run `cargo bench --bench engine` first (it builds one), or set PASSLINE_CHEAP_STORE",
            history.display()
        );
        std::process::exit(2);
    }
    let limits = Limits::make();
    println!("limits: {}", limits.note);
    let work = tempfile::tempdir().expect("temp dir");
    let data = work.path().join("data");
    let t = Instant::now();
    let (history_events, _) = limits::seed_history(&history, &data);
    let history_bytes = walk_size(&data);
    println!(
        "history: {} ({:.0} MiB, {history_events} events) copied in {:.0} s",
        history.display(),
        history_bytes as f64 / 1048576.0,
        t.elapsed().as_secs_f64()
    );

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let (sim, hot, cold, counter) = rt.block_on(async {
        let mut cfg = SimConfig::new(
            "127.0.0.1:0".parse().expect("loopback"),
            TOKEN,
            Scenario::Idle,
        );
        cfg.faults = WireFaults::none();
        let sim = Simulator::start(cfg).await.expect("simulator");
        let vp = || {
            VirtualPrinter::start(
                "127.0.0.1:0".parse().expect("loopback"),
                PrinterState::Online,
            )
        };
        let (hot, cold, counter) = (
            vp().await.expect("hot"),
            vp().await.expect("cold"),
            vp().await.expect("counter"),
        );
        (sim, hot, cold, counter)
    });
    let cfg = write_config(
        work.path(),
        &data,
        &sim.url(),
        &[
            ("hot", hot.connect_url()),
            ("cold", cold.connect_url()),
            ("counter", counter.connect_url()),
        ],
    );
    let staff = |args: &[&str]| {
        Command::new(&exe)
            .args(["--config", &cfg.display().to_string(), "staff"])
            .args(args)
            .env("PASSLINE_PIN", PIN)
            .output()
            .expect("passline staff")
    };
    let mut add = staff(&[
        "add",
        "--id",
        "77",
        "--name",
        "Cheap Box",
        "--role",
        "cashier",
    ]);
    // A store an earlier run kept (PASSLINE_CHEAP_KEEP) knows the cashier.
    if String::from_utf8_lossy(&add.stderr).contains("already exists") {
        add = staff(&["set-pin", "77"]);
    }
    assert!(
        add.status.success(),
        "staff add: {}",
        String::from_utf8_lossy(&add.stderr)
    );

    // Phase 1: `serve` takes orders and prints them.
    let mut cmd = Command::new(&exe);
    cmd.args(["--config", &cfg.display().to_string(), "serve"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    // SAFETY: the hook only makes async-signal-safe calls (see limits.rs).
    unsafe {
        cmd.pre_exec(limits.hook());
    }
    let serve_started = Instant::now();
    let mut serve = cmd.spawn().expect("start passline serve");
    let (flow, serve_ready) = rt.block_on(async {
        // Ready once the simulator has had the console's hello.
        let hellos = sim.truth().hellos.len();
        let deadline = Instant::now() + Duration::from_secs(60);
        while sim.truth().hellos.len() == hellos && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let ready = serve_started.elapsed().as_secs_f64() * 1000.0;
        let flow = place_orders(&sim, history_events, 1, rate, secs).await;
        let last = sim.acked();
        let _ = sim
            .wait_acked(last.max(flow.placed.len() as u64), Duration::from_secs(20))
            .await;
        tokio::time::sleep(Duration::from_secs(3)).await;
        (flow, ready)
    });
    let serve_hwm = vm_hwm_kib(serve.id());
    stop(&mut serve);
    let (mut tickets, missing) = ticket_latencies(&flow, &[&hot, &cold]);
    let n_tickets = tickets.len();
    let (t50, t99, tmax) = (
        pct(&mut tickets, 0.5),
        pct(&mut tickets, 0.99),
        tickets.last().copied().unwrap_or(f64::NAN),
    );

    // Phase 2: `run` on a terminal: start-up to the first frame, then keys.
    let pty = open_pty(120, 40);
    let slave = || Stdio::from(pty.slave.try_clone().expect("dup the pty"));
    let mut cmd = Command::new(&exe);
    cmd.args(["--config", &cfg.display().to_string(), "run"])
        .env("TERM", "xterm-256color")
        .stdin(slave())
        .stdout(slave())
        .stderr(slave());
    let tty = pty.slave.as_raw_fd();
    // SAFETY: setsid and TIOCSCTTY on the inherited slave fd, between fork
    // and exec, make the pty the child's controlling terminal.
    unsafe {
        cmd.pre_exec(move || {
            libc::setsid();
            libc::ioctl(tty, libc::TIOCSCTTY, 0);
            Ok(())
        });
    }
    // SAFETY: the hook only makes async-signal-safe calls (see limits.rs).
    unsafe {
        cmd.pre_exec(limits.hook());
    }
    let master = pty.master.try_clone().expect("pty master");
    let output = pty_reader(master);
    let started = Instant::now();
    let mut run = cmd.spawn().expect("start passline run");
    let first = frame_after(&output, Duration::from_secs(30), Duration::from_millis(150));
    let startup_ms = first.map(|t| t.duration_since(started).as_secs_f64() * 1000.0);
    // Sign in and go to the cashier table.
    for k in [&b"77"[..], b"\r", PIN.as_bytes(), b"\r"] {
        write_keys(&pty.master, k);
        std::thread::sleep(Duration::from_millis(300));
    }
    std::thread::sleep(Duration::from_secs(2));
    write_keys(&pty.master, b"\x1bOR");
    std::thread::sleep(Duration::from_millis(500));
    while output.try_recv().is_ok() {}
    // Orders keep coming while the cashier moves up and down the table.
    let per_key = Duration::from_millis(80);
    let orders_during = std::thread::scope(|s| {
        let flow2 = s.spawn(|| {
            rt.block_on(place_orders(
                &sim,
                history_events,
                100_000,
                rate,
                (keys * per_key.as_millis() as u64 / 1000).max(1),
            ))
        });
        let mut lat = Vec::new();
        let mut lost = 0;
        for i in 0..keys {
            while output.try_recv().is_ok() {}
            let key: &[u8] = if i % 2 == 0 { b"\x1b[B" } else { b"\x1b[A" };
            let t0 = Instant::now();
            write_keys(&pty.master, key);
            match frame_after(&output, Duration::from_secs(2), Duration::from_millis(8)) {
                Some(t) => lat.push(t.duration_since(t0).as_secs_f64() * 1000.0),
                None => lost += 1,
            }
            std::thread::sleep(per_key);
        }
        let flow2 = flow2.join().expect("order pusher");
        (lat, lost, flow2.placed.len())
    });
    let run_hwm = vm_hwm_kib(run.id());
    stop(&mut run);
    let (mut key_lat, keys_unanswered, orders2) = orders_during;
    let (k50, k99) = (pct(&mut key_lat, 0.5), pct(&mut key_lat, 0.99));

    let bin = exe.metadata().map(|m| m.len()).unwrap_or(0);
    let history_orders = env_u64("PASSLINE_BENCH_ORDERS", 1_000_000);
    println!("{}", "-".repeat(72));
    println!("serve: start-up to the feed's hello {serve_ready:.0} ms");
    println!(
        "serve: {n_tickets} orders at {rate}/min: order sent -> first ticket byte p50 {t50:.1} ms, p99 {t99:.1} ms, max {tmax:.1} ms ({missing} without a ticket)"
    );
    println!(
        "run: start-up to the first frame {}; key to frame p50 {k50:.1} ms, p99 {k99:.1} ms over {} keys ({keys_unanswered} unanswered) with {orders2} orders arriving",
        startup_ms.map_or("none within 30 s".into(), |m| format!("{m:.0} ms")),
        key_lat.len()
    );
    println!(
        "peak RSS: serve {:.1} MiB, run {:.1} MiB; cgroup peak (incl. page cache) {}; OOM kills {}",
        serve_hwm as f64 / 1024.0,
        run_hwm as f64 / 1024.0,
        limits
            .peak_bytes()
            .map_or("n/a".into(), |b| format!("{:.1} MiB", b as f64 / 1048576.0)),
        limits.oom_kills()
    );
    println!(
        "data dir: {:.0} MiB for {history_orders} historical orders = {:.1} MiB per 100,000 (after the run: {:.0} MiB)",
        history_bytes as f64 / 1048576.0,
        history_bytes as f64 / 1048576.0 / (history_orders as f64 / 100_000.0),
        walk_size(&data) as f64 / 1048576.0
    );
    println!(
        "binary: {} = {:.1} MiB",
        exe.display(),
        bin as f64 / 1048576.0
    );
    drop(pty);
    rt.block_on(async move {
        drop(sim);
    });
    if let Ok(keep) = std::env::var("PASSLINE_CHEAP_KEEP") {
        match std::fs::rename(&data, &keep) {
            Ok(()) => println!("data dir kept at {keep}"),
            Err(e) => eprintln!("could not keep the data dir at {keep}: {e}"),
        }
    }
}

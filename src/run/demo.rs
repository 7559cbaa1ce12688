//! `passline demo`: the whole console with nothing to set up. A fresh data
//! dir, the platform simulator playing `lunch-peak` on loopback, three virtual
//! printers in-process (kitchen, bar, counter), demo staff, and the screen
//! signed in as the demo cashier so the live queue is the first thing seen.

use crate::config::{Config, Language, PrinterSection};
use crate::domain::status::PrinterState;
use crate::domain::{Command, Role, Staff};
use crate::engine::SystemClock;
use crate::sim::platform::{Scenario, SimConfig, Simulator};
use crate::sim::printer::VirtualPrinter;
use crate::tui::UiOptions;
use anyhow::Context;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

/// The demo staff: (id, name, role, PIN).
pub const DEMO_STAFF: [(&str, &str, Role, &str); 3] = [
    ("01", "王芳", Role::Cashier, "1234"),
    ("21", "李强", Role::Kitchen, "2222"),
    ("90", "张经理", Role::Manager, "909090"),
];

const TOKEN: &str = "demo-token";

pub struct DemoOptions {
    pub language: Language,
    /// Orders per minute the simulated platform places.
    pub rate: f64,
    pub seed: u64,
    /// Keep the data here instead of a fresh temp dir.
    pub data_dir: Option<PathBuf>,
}

fn fresh_dir() -> PathBuf {
    let stamp = chrono::Utc::now().format("%Y%m%d-%H%M%S");
    std::env::temp_dir().join(format!("passline-demo-{stamp}-{}", std::process::id()))
}

pub fn run_demo(opts: DemoOptions) -> anyhow::Result<ExitCode> {
    let dir = opts.data_dir.clone().unwrap_or_else(fresh_dir);
    std::fs::create_dir_all(&dir)
        .with_context(|| format!("cannot create the demo folder {}", dir.display()))?;
    let _log = super::start_logs(&dir.join("logs"), "info");
    let rt = super::runtime()?;
    let res = rt.block_on(demo(opts, dir.clone()));
    drop(rt);
    if res.is_ok() {
        println!("demo data, logs and printed tickets: {}", dir.display());
    }
    res.map(|()| ExitCode::SUCCESS)
}

async fn demo(opts: DemoOptions, dir: PathBuf) -> anyhow::Result<()> {
    let loopback: SocketAddr = "127.0.0.1:0".parse().expect("a literal address");
    let mut sim_cfg = SimConfig::new(loopback, TOKEN, Scenario::LunchPeak);
    sim_cfg.seed = opts.seed;
    sim_cfg.rate = opts.rate;
    sim_cfg.history = Some(dir.join("platform-history.ndjson"));
    let tz: chrono_tz::Tz = "Asia/Shanghai".parse().expect("a known zone");
    sim_cfg.start = Some(chrono::Utc::now().with_timezone(&tz).fixed_offset());
    let sim = Simulator::start(sim_cfg)
        .await
        .context("the simulated platform could not start")?;

    let mut printers = Vec::new();
    let mut sections = Vec::new();
    for (name, label, profile, stations, counter) in [
        (
            "kitchen",
            "厨房",
            "xprinter-xp-80",
            &["hot", "cold", "staple"][..],
            false,
        ),
        ("bar", "水吧", "xprinter-xp-58", &["bar"][..], false),
        ("counter", "前台", "generic-80", &[][..], true),
    ] {
        let p = VirtualPrinter::start(loopback, PrinterState::Online)
            .await
            .with_context(|| format!("the virtual printer {name} could not start"))?;
        p.write_to(dir.join("printers").join(name));
        sections.push(PrinterSection {
            name: name.into(),
            profile: profile.into(),
            connect: p.connect_url(),
            stations: stations.iter().map(|s| s.to_string()).collect(),
            receipts: counter,
            drawer: counter,
            label: Some(label.into()),
        });
        printers.push(p);
    }

    let mut cfg = Config::default();
    cfg.store.name = "老王面馆 · 演示".into();
    cfg.store.data_dir = dir.join("data");
    cfg.feed.url = sim.url();
    cfg.feed.token = Some(TOKEN.into());
    cfg.feed.device_id = "demo-box".into();
    cfg.printers = sections;
    cfg.ui.language = opts.language;
    let menu_file = dir.join("menu.toml");
    std::fs::write(&menu_file, crate::counter::menu::DEMO_MENU).context("writing the demo menu")?;
    cfg.store.menu = Some(menu_file);

    let engine = crate::cli::start_engine(&cfg)?;
    let h = engine.handle();
    for (id, name, role, pin) in DEMO_STAFF {
        if h.store().staff_record(id)?.is_none() {
            h.execute(
                None,
                Command::AddStaff {
                    staff_id: id.into(),
                    name: name.into(),
                    role,
                    pin: pin.into(),
                },
            )
            .await
            .context("adding the demo staff")?;
        }
    }
    let console = super::Console::start(&cfg, engine)?;
    let (id, name, role, _) = DEMO_STAFF[0];
    let cashier = Staff {
        id: id.into(),
        name: name.into(),
        role,
        active: true,
    };
    let banner = match opts.language {
        Language::Zh => "演示：收银 01 / 1234 · 厨房 21 / 2222 · 经理 90 / 909090 · 按 ? 看按键",
        Language::En => {
            "DEMO: cashier 01 / 1234 · kitchen 21 / 2222 · manager 90 / 909090 · ? for keys"
        }
    };
    let tz = cfg.tz();
    let ui = UiOptions::from_config(&cfg.ui, &cfg.store.name, Arc::new(SystemClock { tz }))
        .with_printers(&cfg, &console.profiles);
    let counter = crate::tui::app::counter::CounterSetup {
        menu: Arc::new(crate::counter::Menu::demo()),
        store_id: cfg.store.id.clone(),
        device_id: cfg.feed.device_id.clone(),
    };
    let res = crate::tui::term::run_app_with(
        console.engine.handle(),
        console.feed.clone(),
        console.printers.clone(),
        ui,
        Some(cashier),
        Some(banner.to_string()),
        Some(counter),
    )
    .await
    .context("the terminal failed: run the demo in a real terminal (not a pipe)");
    console.stop().await;
    drop(printers);
    let _ = sim.stop().await;
    res
}

//! The command-line commands that work on the store directly (with no console
//! running): config check, staff, export, shifts and reports, backup and restore.

use crate::config::Config;
use crate::domain::{Command, Role, StaffId};
use crate::engine::{Engine, EngineConfig, EngineError, SystemClock};
use crate::store::{backup, Store};
use anyhow::{anyhow, bail, Context};
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

/// Loads the config or explains every error found.
pub fn load_config(flag: Option<&Path>) -> anyhow::Result<Config> {
    match crate::print::check::load(flag) {
        Ok((c, _)) => Ok(c),
        Err(errs) => {
            let lines: Vec<String> = errs.iter().map(|e| e.to_string()).collect();
            bail!(
                "the config has {} error(s):\n  {}\n(run `passline config check` after fixing)",
                lines.len(),
                lines.join("\n  ")
            )
        }
    }
}

pub fn open_store(cfg: &Config) -> anyhow::Result<Store> {
    Ok(Store::open(&cfg.store.data_dir, cfg.store.cache_mib << 20)?)
}

/// Starts an engine on the configured store (for one-shot commands).
pub fn start_engine(cfg: &Config) -> anyhow::Result<Engine> {
    let store = open_store(cfg)?;
    let tz = cfg.tz();
    Ok(Engine::start(
        store,
        EngineConfig {
            rules: cfg.rules(),
            routes: cfg.routes(),
            tz,
            clock: Arc::new(SystemClock { tz }),
            menu: engine_menu(cfg),
        },
    )?)
}

/// The menu the engine prices counter orders from (`[store] menu`, else
/// `menu.toml` beside the config). Missing or bad: counter orders are
/// refused with `no_menu` and the reason is logged; the kitchen still runs.
fn engine_menu(cfg: &Config) -> Option<Arc<crate::counter::Menu>> {
    match crate::counter::Menu::load(&cfg.menu_path(None), &cfg.claimed_stations()) {
        Ok(m) => Some(Arc::new(m)),
        Err(errs) => {
            for e in errs {
                tracing::info!(error = %e, "no menu: counter orders will be refused");
            }
            None
        }
    }
}

/// Starts the engine of a long-running console (`run`, `serve`): with the
/// archivist moving business days older than `[store] keep_days_live` out of
/// the live store.
pub fn start_console_engine(cfg: &Config) -> anyhow::Result<Engine> {
    // Archived days leave sled's file as big as before: copy the live
    // store into a fresh file when it has grown well past its content.
    match crate::store::compact::compact_if_bloated(&cfg.store.data_dir) {
        Ok(Some((before, after))) => {
            tracing::info!(before, after, "compacted the live store")
        }
        Ok(None) => {}
        Err(e) => tracing::warn!(error = %e, "could not compact the live store; it still works"),
    }
    let mut engine = start_engine(cfg)?;
    engine.start_archivist(cfg.store.keep_days_live);
    Ok(engine)
}

pub fn config_check(flag: Option<&Path>) -> anyhow::Result<ExitCode> {
    match crate::print::check::load(flag) {
        Ok((c, path)) => {
            match path {
                Some(p) if p.exists() => println!("{}: ok", p.display()),
                _ => println!(
                    "no config file found: using the defaults (data in {})",
                    c.store.data_dir.display()
                ),
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(errs) => {
            for e in &errs {
                println!("{e}");
            }
            println!("{} error(s)", errs.len());
            Ok(ExitCode::from(1))
        }
    }
}

/// Checks the counter's menu like `config check`: each error with its line.
pub fn menu_check(flag: Option<&Path>) -> anyhow::Result<ExitCode> {
    let (cfg, path) = match crate::print::check::load(flag) {
        Ok(x) => x,
        Err(errs) => {
            for e in &errs {
                println!("{e}");
            }
            println!("{} error(s) in the config: fix them first", errs.len());
            return Ok(ExitCode::from(1));
        }
    };
    let menu = cfg.menu_path(path.as_deref());
    match crate::counter::Menu::load(&menu, &cfg.claimed_stations()) {
        Ok(m) => {
            let sold_out = m.items.iter().filter(|i| !i.available).count();
            println!(
                "{}: ok ({} dishes in {} categories, {sold_out} sold out)",
                menu.display(),
                m.items.len(),
                m.categories.len()
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(errs) => {
            for e in &errs {
                println!("{e}");
            }
            println!("{} error(s)", errs.len());
            Ok(ExitCode::from(1))
        }
    }
}

/// The PIN from $PASSLINE_PIN, else asked twice on the terminal.
fn read_pin(who: &str) -> anyhow::Result<String> {
    if let Ok(p) = std::env::var("PASSLINE_PIN") {
        return Ok(p);
    }
    let ask = |prompt: &str| -> anyhow::Result<String> {
        crate::secret::read_hidden(prompt).context("reading the PIN")
    };
    let a = ask(&format!("PIN for {who} (digits; not shown): "))?;
    let b = ask("the same PIN again: ")?;
    if a != b {
        bail!("the two PINs differ: nothing was changed, try again");
    }
    Ok(a)
}

fn run_staff_command(cfg: &Config, cmd: Command) -> anyhow::Result<()> {
    let engine = start_engine(cfg)?;
    let res = engine.handle().execute_blocking(None, cmd);
    engine.shutdown();
    match res {
        Ok(_) => Ok(()),
        Err(EngineError::Refused(r)) => Err(anyhow!("{r}")),
        Err(e) => Err(e.into()),
    }
}

pub fn staff_add(
    flag: Option<&Path>,
    id: &str,
    name: &str,
    role: &str,
) -> anyhow::Result<ExitCode> {
    let cfg = load_config(flag)?;
    let role = Role::parse(role)
        .ok_or_else(|| anyhow!("role `{role}` is not known: write kitchen, cashier or manager"))?;
    let pin = read_pin(id)?;
    run_staff_command(
        &cfg,
        Command::AddStaff {
            staff_id: StaffId(id.into()),
            name: name.into(),
            role,
            pin,
        },
    )?;
    println!("added {id} {name} ({})", role.as_str());
    Ok(ExitCode::SUCCESS)
}

pub fn staff_list(flag: Option<&Path>) -> anyhow::Result<ExitCode> {
    let cfg = load_config(flag)?;
    let store = open_store(&cfg)?;
    for r in store.staff_records()? {
        println!(
            "{:<6} {:<10} {:<8} {}",
            r.staff.id.0,
            r.staff.name,
            r.staff.role.as_str(),
            if r.staff.active { "active" } else { "disabled" }
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub fn staff_disable(flag: Option<&Path>, id: &str) -> anyhow::Result<ExitCode> {
    let cfg = load_config(flag)?;
    run_staff_command(
        &cfg,
        Command::DisableStaff {
            staff_id: StaffId(id.into()),
        },
    )?;
    println!("disabled {id}");
    Ok(ExitCode::SUCCESS)
}

pub fn staff_set_pin(flag: Option<&Path>, id: &str) -> anyhow::Result<ExitCode> {
    let cfg = load_config(flag)?;
    let pin = read_pin(id)?;
    run_staff_command(
        &cfg,
        Command::SetPin {
            staff_id: StaffId(id.into()),
            pin,
        },
    )?;
    println!("PIN changed for {id}");
    Ok(ExitCode::SUCCESS)
}

pub fn staff_unlock(flag: Option<&Path>, id: &str) -> anyhow::Result<ExitCode> {
    let cfg = load_config(flag)?;
    run_staff_command(
        &cfg,
        Command::UnlockPins {
            staff_id: StaffId(id.into()),
        },
    )?;
    println!("PINs of {id} unlocked on every screen");
    Ok(ExitCode::SUCCESS)
}

pub fn export(
    flag: Option<&Path>,
    json: bool,
    events: bool,
    after_event: u64,
) -> anyhow::Result<ExitCode> {
    let cfg = load_config(flag)?;
    let store = open_store(&cfg)?;
    let out = std::io::stdout();
    let mut out = std::io::BufWriter::new(out.lock());
    if events {
        let mut after = after_event;
        loop {
            let batch = store.events_after(after, 1000)?;
            let Some(last) = batch.last() else { break };
            after = last.id;
            for ev in &batch {
                serde_json::to_writer(&mut out, ev)?;
                out.write_all(b"\n")?;
            }
        }
    } else if json {
        let mut orders = Vec::new();
        for o in store.all_orders() {
            let o = o?;
            if o.last_event > after_event {
                orders.push(crate::export::order_json(&o));
            }
        }
        serde_json::to_writer_pretty(&mut out, &orders)?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

pub fn backup(flag: Option<&Path>, to: &Path) -> anyhow::Result<ExitCode> {
    let cfg = load_config(flag)?;
    let store = open_store(&cfg)?;
    let n = backup::write(&store, to)?;
    println!("backed up {n} records to {}", to.display());
    Ok(ExitCode::SUCCESS)
}

pub fn restore(flag: Option<&Path>, from: &Path) -> anyhow::Result<ExitCode> {
    let cfg = load_config(flag)?;
    let (n, aside) = backup::restore(from, &cfg.store.data_dir, cfg.store.cache_mib << 20)?;
    match aside {
        Some(a) => println!(
            "restored {n} records; the previous store was moved to {}",
            a.display()
        ),
        None => println!("restored {n} records"),
    }
    Ok(ExitCode::SUCCESS)
}

pub fn compact(flag: Option<&Path>) -> anyhow::Result<ExitCode> {
    let cfg = load_config(flag)?;
    // Opening proves no running console holds it.
    drop(open_store(&cfg)?);
    let before = std::fs::metadata(cfg.store.data_dir.join("db")).map_or(0, |m| m.len());
    let after = crate::store::compact::compact(&cfg.store.data_dir)?;
    println!(
        "compacted the store: {:.1} MiB -> {:.1} MiB",
        before as f64 / 1048576.0,
        after as f64 / 1048576.0
    );
    Ok(ExitCode::SUCCESS)
}

/// Runs the platform simulator until Ctrl-C.
pub fn simulate(
    listen: std::net::SocketAddr,
    token: &str,
    scenario: &str,
    seed: u64,
    rate: f64,
    history: Option<std::path::PathBuf>,
) -> anyhow::Result<ExitCode> {
    use crate::sim::platform::{serve, Scenario, SimConfig};
    let Some(scenario) = Scenario::parse(scenario) else {
        bail!("unknown scenario {scenario:?}: use lunch-peak, chaos or late-success");
    };
    if !(rate > 0.0 && rate.is_finite()) {
        bail!("--rate must be a positive number of orders per minute");
    }
    let mut cfg = SimConfig::new(listen, token, scenario);
    cfg.seed = seed;
    cfg.rate = rate;
    cfg.history = history;
    let rt = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    rt.block_on(async move {
        let (stop, stopped) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            let _ = tokio::signal::ctrl_c().await;
            let _ = stop.send(true);
        });
        eprintln!(
            "simulating the platform ({}) on ws://{listen}/v1/stores/S001/feed; Ctrl-C stops",
            scenario.name()
        );
        serve(cfg, stopped).await
    })?;
    Ok(ExitCode::SUCCESS)
}

/// A PIN from $PASSLINE_PIN, else asked once on the terminal.
fn ask_pin(who: &str) -> anyhow::Result<String> {
    if let Ok(p) = std::env::var("PASSLINE_PIN") {
        return Ok(p);
    }
    eprint!("PIN for {who}: ");
    std::io::stderr().flush().ok();
    let mut s = String::new();
    std::io::stdin()
        .read_line(&mut s)
        .context("reading the PIN")?;
    Ok(s.trim().to_string())
}

pub fn shift_open(flag: Option<&Path>, staff: &str, float: &str) -> anyhow::Result<ExitCode> {
    let cfg = load_config(flag)?;
    let float = crate::domain::Fen::parse_yuan(float).map_err(|e| anyhow!("float: {e}"))?;
    let pin = ask_pin(staff)?;
    let engine = start_engine(&cfg)?;
    let res = engine.handle().execute_blocking(
        None,
        Command::OpenShift {
            staff_id: StaffId(staff.into()),
            pin: Some(pin),
            float,
        },
    );
    engine.shutdown();
    let c = match res {
        Ok(c) => c,
        Err(EngineError::Refused(r)) => bail!("{r}"),
        Err(e) => return Err(e.into()),
    };
    for ev in &c.events {
        if let crate::domain::EventBody::ShiftOpened { shift, .. } = &ev.body {
            println!("shift {shift} opened by {staff} with a float of {float}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn shift_close(
    flag: Option<&Path>,
    staff: &str,
    manager: &str,
    count: &str,
    confirm_open_issues: bool,
) -> anyhow::Result<ExitCode> {
    let cfg = load_config(flag)?;
    let count = crate::domain::DrawerCount::parse(count).map_err(|e| anyhow!("{e}"))?;
    let pin = ask_pin(manager)?;
    let engine = start_engine(&cfg)?;
    let res = engine.handle().execute_blocking(
        None,
        Command::CloseShift {
            staff_id: StaffId(staff.into()),
            approval: crate::domain::Approval {
                staff_id: StaffId(manager.into()),
                pin,
            },
            count,
            confirm_open_issues,
        },
    );
    engine.shutdown();
    match res {
        Ok(_) => {}
        Err(EngineError::Refused(r)) => bail!("{r}"),
        Err(e) => return Err(e.into()),
    }
    let store = open_store(&cfg)?;
    let r = crate::report::z_report(&store, None)?;
    let zh = cfg.ui.language == crate::config::Language::Zh;
    for line in crate::report::layout::lines(&r, 48, zh) {
        println!("{line}");
    }
    Ok(ExitCode::SUCCESS)
}

/// `passline report z|x|errors`: reads the store (the console must be stopped).
pub fn report(
    flag: Option<&Path>,
    what: &str,
    shift: Option<u64>,
    date: Option<&str>,
    json: bool,
    csv: bool,
    cols: usize,
) -> anyhow::Result<ExitCode> {
    use crate::report;
    let cfg = load_config(flag)?;
    let store = open_store(&cfg)?;
    let r = match (what, date) {
        (_, Some(d)) => report::day_report(&store, d, cfg.tz())?,
        ("z", None) => report::z_report(&store, shift)?,
        ("x", None) => report::x_report(&store, shift)?,
        // The error log: the shift asked for, else the open one, else the last closed.
        (_, None) => match shift {
            Some(n) => match report::shift(&store, n)? {
                Some(rec) if rec.closed_event.is_some() => report::z_report(&store, Some(n))?,
                _ => report::x_report(&store, Some(n))?,
            },
            None => match report::open_shift(&store)? {
                Some(_) => report::x_report(&store, None)?,
                None => report::z_report(&store, None)?,
            },
        },
    };
    let out = std::io::stdout();
    let mut out = std::io::BufWriter::new(out.lock());
    let errors = what == "errors";
    if json {
        let v = if errors {
            report::export::errors_json(&r)
        } else {
            serde_json::to_value(&r)?
        };
        serde_json::to_writer_pretty(&mut out, &v)?;
        out.write_all(b"\n")?;
    } else if csv {
        let text = if errors {
            report::export::errors_csv(&r)
        } else {
            report::export::report_csv(&r)
        };
        out.write_all(text.as_bytes())?;
    } else if errors {
        out.write_all(report::export::errors_csv(&r).as_bytes())?;
    } else {
        let zh = cfg.ui.language == crate::config::Language::Zh;
        for line in report::layout::lines(&r, cols.clamp(20, 200), zh) {
            writeln!(out, "{line}")?;
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

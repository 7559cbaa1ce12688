//! passline's command line: argument parsing only; the work is in the library.

use clap::{Parser, Subcommand};
use passline::cli;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "passline",
    version,
    about = "A terminal console for restaurants that take orders online"
)]
struct Args {
    /// Config file (else $PASSLINE_CONFIG, else ~/.config/passline/config.toml).
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// The console with a simulated platform and virtual printers: nothing to set up.
    Demo {
        /// Screen language: zh or en.
        #[arg(long, default_value = "zh")]
        lang: String,
        /// Orders per minute the simulated platform places.
        #[arg(long, default_value_t = 12.0)]
        rate: f64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Keep the demo's data here (default: a fresh folder under /tmp).
        #[arg(long, value_name = "DIR")]
        data_dir: Option<PathBuf>,
    },
    /// Run the console: sign-in, kitchen rail, cashier, alerts and log.
    Run,
    /// Check the config file and say what to fix.
    Config {
        #[command(subcommand)]
        what: ConfigCmd,
    },
    /// Check the counter's menu (menu.toml) and say what to fix.
    Menu {
        #[command(subcommand)]
        what: MenuCmd,
    },
    /// Manage staff: ids, names, roles and PINs.
    Staff {
        #[command(subcommand)]
        what: StaffCmd,
    },
    /// Print the orders (--json) or the event log (--events) of the store.
    Export {
        /// One JSON array, one object per order.
        #[arg(long, conflicts_with = "events")]
        json: bool,
        /// The event log as NDJSON, one event per line.
        #[arg(long)]
        events: bool,
    },
    /// Copy the whole store to one file.
    Backup {
        #[arg(long, value_name = "FILE")]
        to: PathBuf,
    },
    /// Replace the store with a backup (the current one is moved aside).
    Restore {
        #[arg(long, value_name = "FILE")]
        from: PathBuf,
    },
    /// Run a virtual network printer (loopback only) that decodes what it gets.
    PrinterEmulator {
        #[arg(long, default_value = "127.0.0.1:9100", value_name = "ADDR")]
        listen: std::net::SocketAddr,
        /// online, paper-out, cover-open or offline
        #[arg(long, default_value = "online")]
        status: String,
        /// Cut the first connection after this many bytes.
        #[arg(long, value_name = "N")]
        fail_after_bytes: Option<usize>,
        /// Write each job received as DIR/job-NNNN.txt (decoded) and .bin (raw).
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
    /// Play the ordering platform on loopback (for tests and demos).
    Simulate {
        #[arg(long, default_value = "127.0.0.1:9001")]
        listen: std::net::SocketAddr,
        #[arg(long)]
        token: String,
        /// lunch-peak, chaos or late-success
        #[arg(long, default_value = "lunch-peak")]
        scenario: String,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Orders per minute (bursts reach 2.5 times this).
        #[arg(long, value_name = "ORDERS_PER_MIN", default_value_t = 12.0)]
        rate: f64,
        /// NDJSON file that keeps the events, so a restart replays them.
        #[arg(long, value_name = "FILE")]
        history: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum ConfigCmd {
    /// Report each error with its line and what to write instead.
    Check,
}

#[derive(Subcommand)]
enum MenuCmd {
    /// Report each error with its line and what to write instead.
    Check,
}

#[derive(Subcommand)]
enum StaffCmd {
    /// Add a staff member (PIN from $PASSLINE_PIN, else asked twice).
    Add {
        #[arg(long)]
        id: String,
        #[arg(long)]
        name: String,
        /// kitchen, cashier or manager
        #[arg(long)]
        role: String,
    },
    /// List staff (never their PINs).
    List,
    /// Stop a staff member from signing in or approving.
    Disable { id: String },
    /// Set a new PIN (from $PASSLINE_PIN, else asked twice).
    SetPin { id: String },
}

fn main() -> ExitCode {
    let args = Args::parse();
    let config = args.config.as_deref();
    let result = match args.command {
        Cmd::Run => passline::tui::run_console(config),
        Cmd::Demo {
            lang,
            rate,
            seed,
            data_dir,
        } => match lang.as_str() {
            "zh" | "en" => passline::demo::run_demo(passline::demo::DemoOptions {
                language: if lang == "en" {
                    passline::config::Language::En
                } else {
                    passline::config::Language::Zh
                },
                rate,
                seed,
                data_dir,
            }),
            other => {
                eprintln!("passline: --lang {other} is not known: write zh or en");
                return ExitCode::from(2);
            }
        },
        Cmd::Config {
            what: ConfigCmd::Check,
        } => cli::config_check(config),
        Cmd::Menu {
            what: MenuCmd::Check,
        } => cli::menu_check(config),
        Cmd::Staff { what } => match what {
            StaffCmd::Add { id, name, role } => cli::staff_add(config, &id, &name, &role),
            StaffCmd::List => cli::staff_list(config),
            StaffCmd::Disable { id } => cli::staff_disable(config, &id),
            StaffCmd::SetPin { id } => cli::staff_set_pin(config, &id),
        },
        Cmd::Export { json, events } => cli::export(config, json || !events, events),
        Cmd::Backup { to } => cli::backup(config, &to),
        Cmd::Restore { from } => cli::restore(config, &from),
        Cmd::PrinterEmulator {
            listen,
            status,
            fail_after_bytes,
            out,
        } => match passline::sim::printer::parse_status(&status) {
            Some(st) => passline::sim::printer::run_emulator(listen, st, fail_after_bytes, out)
                .map(|()| ExitCode::SUCCESS),
            None => Err(anyhow::anyhow!(
                "--status {status} is not understood: write online, paper-out, cover-open or offline"
            )),
        },
        Cmd::Simulate {
            listen,
            token,
            scenario,
            seed,
            rate,
            history,
        } => cli::simulate(listen, &token, &scenario, seed, rate, history),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("passline: {e:#}");
            ExitCode::from(1)
        }
    }
}

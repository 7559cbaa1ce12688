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
    /// Run the console: sign-in, kitchen rail, cashier, alerts and log
    /// (and the local API for second screens and `ctl`).
    Run,
    /// Run the engine and the local API with no screen (for systemd).
    Serve,
    /// Show the console's screens on this terminal, fed by a running console.
    Attach {
        /// The console's API, like ws://192.168.1.10:7878
        #[arg(long, value_name = "ws://HOST:PORT")]
        url: String,
        /// What this screen is for: kitchen (the rail) or cashier.
        #[arg(long, value_parser = ["kitchen", "cashier"])]
        role: String,
        /// The API token (else $PASSLINE_TOKEN, else [api] token / token_file).
        #[arg(long, env = "PASSLINE_TOKEN", hide_env_values = true)]
        token: Option<String>,
    },
    /// One command to the running console through its API (exit 0 done,
    /// 1 refused, 2 usage, 3 console unreachable).
    Ctl(passline::api::ctl::CtlArgs),
    /// Check the config file and say what to fix.
    Config {
        #[command(subcommand)]
        what: ConfigCmd,
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
}

#[derive(Subcommand)]
enum ConfigCmd {
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
        Cmd::Serve => passline::api::serve::serve_console(config),
        Cmd::Attach { url, role, token } => {
            let role = passline::api::ScreenRole::parse(&role)
                .unwrap_or(passline::api::ScreenRole::Kitchen);
            passline::api::serve::attach_console(config, &url, role, token.as_deref())
        }
        Cmd::Ctl(args) => return passline::api::ctl::run(config, args),
        Cmd::Config {
            what: ConfigCmd::Check,
        } => cli::config_check(config),
        Cmd::Staff { what } => match what {
            StaffCmd::Add { id, name, role } => cli::staff_add(config, &id, &name, &role),
            StaffCmd::List => cli::staff_list(config),
            StaffCmd::Disable { id } => cli::staff_disable(config, &id),
            StaffCmd::SetPin { id } => cli::staff_set_pin(config, &id),
        },
        Cmd::Export { json, events } => cli::export(config, json || !events, events),
        Cmd::Backup { to } => cli::backup(config, &to),
        Cmd::Restore { from } => cli::restore(config, &from),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("passline: {e:#}");
            ExitCode::from(1)
        }
    }
}

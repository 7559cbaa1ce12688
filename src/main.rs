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
        /// A file holding the API token ($PASSLINE_TOKEN first; else
        /// [api] token / token_file from the config).
        #[arg(long, value_name = "FILE")]
        token_file: Option<PathBuf>,
        /// Refused: a token on the command line is visible to every user.
        #[arg(long, hide = true)]
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
        /// Only what came after this event id: events after it, orders
        /// changed after it (an incremental export).
        #[arg(long, value_name = "EVENT_ID", default_value_t = 0)]
        after_event: u64,
    },
    /// Shift reports from the event log: z (a closed shift), x (the open
    /// shift so far), errors (failed payments by code and hour).
    Report {
        /// z, x or errors
        #[arg(value_parser = ["z", "x", "errors"])]
        what: String,
        /// A shift by number (default: z the last closed, x the open one).
        #[arg(long, conflicts_with = "date")]
        shift: Option<u64>,
        /// A business date, YYYY-MM-DD, whatever the shifts.
        #[arg(long)]
        date: Option<String>,
        /// One JSON object.
        #[arg(long, conflicts_with = "csv")]
        json: bool,
        /// CSV rows: section,item,detail,count,amount.
        #[arg(long)]
        csv: bool,
        /// Columns of the text layout (32 for 58 mm paper, 48 for 80 mm).
        #[arg(long, default_value_t = 48)]
        cols: usize,
    },
    /// Open or close a shift (on a stopped console; PINs from $PASSLINE_PIN or asked).
    Shift {
        #[command(subcommand)]
        what: ShiftCmd,
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
    /// Compact the stopped store now (a copy of its live records swapped in;
    /// `run` and `serve` do it by themselves when the file has bloated).
    Compact,
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
        /// A file holding the token the console must present ($PASSLINE_TOKEN first).
        #[arg(long, value_name = "FILE")]
        token_file: Option<PathBuf>,
        /// Refused: a token on the command line is visible to every user.
        #[arg(long, hide = true)]
        token: Option<String>,
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
enum ShiftCmd {
    /// Open a shift with the float in the drawer, in yuan.
    Open {
        #[arg(long)]
        staff: String,
        #[arg(long)]
        float: String,
    },
    /// Close the open shift: the drawer counted, a manager approves.
    Close {
        #[arg(long)]
        staff: String,
        #[arg(long)]
        manager: String,
        /// Pieces of each denomination: 100=3,50=2,20=0,10=4,5=1,1=7,0.5=2,0.1=3
        #[arg(long)]
        count: String,
        /// Close even with orders paid twice or still paying (they are listed).
        #[arg(long)]
        confirm_open_issues: bool,
    },
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
    /// Lift every PIN lock on a staff member, on every screen (after the
    /// lockout held them for a manager).
    Unlock { id: String },
}

fn main() -> ExitCode {
    passline::secret::private_umask();
    passline::alloc_tuning::tune();
    let args = Args::parse();
    let config = args.config.as_deref();
    let result = match args.command {
        Cmd::Run => passline::run::console::run_console(config),
        Cmd::Demo {
            lang,
            rate,
            seed,
            data_dir,
        } => match lang.as_str() {
            "zh" | "en" => passline::run::demo::run_demo(passline::run::demo::DemoOptions {
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
        Cmd::Serve => passline::run::serve::serve_console(config),
        Cmd::Attach { token: Some(_), .. } | Cmd::Simulate { token: Some(_), .. } => {
            eprintln!("passline: --token: {}", passline::secret::TOKEN_ON_COMMAND_LINE);
            return ExitCode::from(2);
        }
        Cmd::Attach {
            url,
            role,
            token_file,
            token: None,
        } => {
            let role = passline::api::ScreenRole::parse(&role)
                .unwrap_or(passline::api::ScreenRole::Kitchen);
            passline::run::attach::attach_console(config, &url, role, token_file.as_deref())
        }
        Cmd::Ctl(args) => return passline::api::ctl::run(config, args),
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
            StaffCmd::Unlock { id } => cli::staff_unlock(config, &id),
        },
        Cmd::Export {
            json,
            events,
            after_event,
        } => cli::export(config, json || !events, events, after_event),
        Cmd::Report {
            what,
            shift,
            date,
            json,
            csv,
            cols,
        } => cli::report(config, &what, shift, date.as_deref(), json, csv, cols),
        Cmd::Shift { what } => match what {
            ShiftCmd::Open { staff, float } => cli::shift_open(config, &staff, &float),
            ShiftCmd::Close {
                staff,
                manager,
                count,
                confirm_open_issues,
            } => cli::shift_close(config, &staff, &manager, &count, confirm_open_issues),
        },
        Cmd::Backup { to } => cli::backup(config, &to),
        Cmd::Restore { from } => cli::restore(config, &from),
        Cmd::Compact => cli::compact(config),
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
            token_file,
            token: None,
            scenario,
            seed,
            rate,
            history,
        } => match passline::api::api_token(token_file.as_deref(), None, None) {
            Ok(Some(token)) => cli::simulate(listen, &token, &scenario, seed, rate, history),
            Ok(None) => Err(anyhow::anyhow!(
                "the simulator needs a token: --token-file FILE or $PASSLINE_TOKEN"
            )),
            Err(e) => Err(e.into()),
        },
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("passline: {e:#}");
            ExitCode::from(1)
        }
    }
}

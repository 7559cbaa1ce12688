//! `passline ctl`: one command to the running console through the local API.
//! Exit codes: 0 done, 1 refused by the business rules (the reason is
//! printed), 2 usage (a bad flag or amount, with an example), 3 the console
//! cannot be reached. `--json` prints machine-readable output; orders use
//! the field names of `export --json`.

use super::client::ApiClient;
use super::message::{ClientMsg, CommandResult, ScreenRole, ServerMsg};
use super::ApiError;
use crate::config::Config;
use crate::domain::status::LinkState;
use crate::domain::status::PrinterState;
use crate::domain::tender::{all_due, quote};
use crate::domain::{Approval, Command, Fen, Method, OrderId, OrderState, StaffId, TenderInput};
use clap::{Args, Subcommand};
use serde_json::Value;
use std::path::Path;
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct CtlArgs {
    /// The console's API (else ws://<[api] listen> from the config).
    #[arg(long, global = true, value_name = "ws://HOST:PORT")]
    pub url: Option<String>,
    /// A file holding the API token ($PASSLINE_TOKEN first; else [api]
    /// token / token_file from the config).
    #[arg(long, global = true, value_name = "FILE")]
    pub token_file: Option<std::path::PathBuf>,
    /// Refused: a token on the command line is visible to every user.
    #[arg(long, global = true, hide = true)]
    pub token: Option<String>,
    /// Your staff id (PIN from $PASSLINE_PIN, else asked).
    #[arg(long, global = true, value_name = "ID")]
    pub staff: Option<String>,
    /// Machine-readable output.
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub what: CtlCmd,
}

#[derive(Debug, Subcommand)]
pub enum CtlCmd {
    /// Today's orders (open ones with --open).
    Orders {
        #[arg(long)]
        open: bool,
    },
    /// One order.
    Order { id: String },
    /// Settle what is still due on an order.
    Settle {
        id: String,
        /// cash, card, scan, voucher or other
        #[arg(long)]
        method: String,
        /// Cash handed over, in yuan (like 100.00).
        #[arg(long, value_name = "YUAN", allow_hyphen_values = true)]
        tendered: Option<String>,
        /// The card slip's or voucher's reference.
        #[arg(long)]
        reference: Option<String>,
    },
    /// Bump an order off the kitchen rail.
    Bump { id: String },
    /// Bring back the most recently bumped order.
    Recall,
    /// Print a job again (marked REPRINT), or an order's receipt.
    Reprint {
        job: Option<u64>,
        #[arg(long, value_name = "ID", conflicts_with = "job")]
        order: Option<String>,
    },
    /// Void an order (a manager approves: --approver, PIN from
    /// $PASSLINE_APPROVER_PIN, else asked).
    Void {
        id: String,
        #[arg(long)]
        reason: String,
        #[arg(long, value_name = "ID")]
        approver: String,
    },
    /// Move a dead printer's waiting jobs to another printer (a manager
    /// approves: --approver, PIN from $PASSLINE_APPROVER_PIN, else asked).
    MoveQueue {
        from: String,
        to: String,
        #[arg(long, value_name = "ID")]
        approver: String,
    },
    /// Printers and their queues.
    Printers,
    /// The platform feed's link.
    Feed,
}

/// How a ctl run ended.
#[derive(Debug)]
enum End {
    Done,
    Refused(Box<CommandResult>),
    Usage(String),
    Unreachable(String),
}

impl From<ApiError> for End {
    fn from(e: ApiError) -> End {
        End::Unreachable(e.to_string())
    }
}

/// Runs one ctl command; never panics on what the user typed.
pub fn run(flag: Option<&Path>, args: CtlArgs) -> ExitCode {
    let json = args.json;
    let end = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt.block_on(run_async(flag, args)),
        Err(e) => End::Unreachable(format!("cannot start the async runtime: {e}")),
    };
    match end {
        End::Done => ExitCode::SUCCESS,
        End::Refused(r) => {
            if json {
                println!("{}", serde_json::to_string_pretty(&r).unwrap_or_default());
            }
            eprintln!(
                "refused ({}): {}",
                r.code.as_deref().unwrap_or("refused"),
                r.message.as_deref().unwrap_or("")
            );
            ExitCode::from(1)
        }
        End::Usage(m) => {
            eprintln!("passline ctl: {m}");
            ExitCode::from(2)
        }
        End::Unreachable(m) => {
            eprintln!("passline ctl: {m}");
            ExitCode::from(3)
        }
    }
}

/// The amount in yuan, exactly; anything else is refused with an example.
pub fn parse_amount(text: &str) -> Result<Fen, String> {
    match Fen::parse_yuan(text) {
        Ok(f) if f.is_positive() => Ok(f),
        _ => Err(format!(
            "`{text}` is not an amount: write yuan with at most two decimals, like --tendered 100.00 or --tendered 56.5"
        )),
    }
}

fn secret(var: &str, prompt: &str) -> Result<String, End> {
    if let Ok(p) = std::env::var(var) {
        return Ok(p);
    }
    crate::secret::read_hidden(prompt)
        .map_err(|e| End::Usage(format!("cannot read the PIN ({e}): set {var}")))
}

fn staff_of(args: &CtlArgs) -> Result<StaffId, End> {
    args.staff
        .as_deref()
        .map(StaffId::from)
        .ok_or_else(|| End::Usage("say who you are: --staff ID (your staff id)".into()))
}

fn print_json(v: &Value) {
    println!("{}", serde_json::to_string_pretty(v).unwrap_or_default());
}

async fn run_async(flag: Option<&Path>, args: CtlArgs) -> End {
    let cfg = match crate::print::check::load(flag) {
        Ok((c, _)) => c,
        Err(_) if args.url.is_some() => Config::default(),
        Err(errs) => {
            return End::Usage(format!(
                "the config has errors (run `passline config check`), or give --url: {}",
                errs.first().map(|e| e.to_string()).unwrap_or_default()
            ))
        }
    };
    let url = args.url.clone().unwrap_or_else(|| {
        let listen = cfg.api.listen.replace("0.0.0.0:", "127.0.0.1:");
        format!("ws://{listen}")
    });
    if args.token.is_some() {
        return End::Usage(format!("--token: {}", crate::secret::TOKEN_ON_COMMAND_LINE));
    }
    let token = match crate::api::api_token(
        args.token_file.as_deref(),
        cfg.api.token.as_deref(),
        cfg.api.token_file.as_deref(),
    ) {
        Ok(t) => t,
        Err(e) => return End::Usage(e.to_string()),
    };
    let subscribe = matches!(
        args.what,
        CtlCmd::Orders { .. } | CtlCmd::Printers | CtlCmd::Feed
    );
    // Usage problems are found before the console is dialled.
    if let CtlCmd::Settle {
        method, tendered, ..
    } = &args.what
    {
        let Some(m) = Method::parse(method) else {
            return End::Usage(format!(
                "method `{method}` is not known: write cash, card, scan, voucher or other (like --method cash)"
            ));
        };
        if let Some(t) = tendered {
            if m != Method::Cash {
                return End::Usage(
                    "--tendered is the cash handed over: use it with --method cash".into(),
                );
            }
            if let Err(e) = parse_amount(t) {
                return End::Usage(e);
            }
        }
    }
    if let CtlCmd::Reprint {
        job: None,
        order: None,
    } = &args.what
    {
        return End::Usage(
            "say what to reprint: a job number (ctl reprint 42) or --order ID".into(),
        );
    }
    let mut c = match ApiClient::connect(
        &url,
        token.as_deref(),
        ScreenRole::Cashier,
        subscribe,
        None,
    )
    .await
    {
        Ok(c) => c,
        Err(e) => return e.into(),
    };
    let end = match one(&mut c, &args).await {
        Ok(e) | Err(e) => e,
    };
    c.close().await;
    end
}

fn key() -> String {
    ulid::Ulid::new().to_string()
}

async fn snapshot(c: &mut ApiClient) -> Result<ServerMsg, End> {
    loop {
        match c.next().await? {
            m @ ServerMsg::Snapshot { .. } => return Ok(m),
            ServerMsg::Dropped { message, .. } => return Err(End::Unreachable(message)),
            _ => continue,
        }
    }
}

async fn get_order(c: &mut ApiClient, id: &str) -> Result<OrderState, End> {
    let k = key();
    c.send(&ClientMsg::GetOrder {
        key: k.clone(),
        order_id: OrderId(id.to_string()),
    })
    .await?;
    match c.reply(&k).await? {
        ServerMsg::Order { order: Some(o), .. } => Ok(o),
        _ => Err(End::Refused(Box::new(CommandResult::refused(
            k,
            "unknown_order",
            format!("no order {id}: check the order id (ctl orders lists today's)"),
        )))),
    }
}

/// Signs the staff member in on this connection (their PIN), for commands
/// that name them.
async fn sign_in(c: &mut ApiClient, staff: &StaffId) -> Result<(), End> {
    let pin = secret("PASSLINE_PIN", &format!("PIN for {staff}: "))?;
    let r = c
        .command(
            &key(),
            Command::SignIn {
                staff_id: staff.clone(),
                pin,
            },
            None,
        )
        .await?;
    if r.ok {
        Ok(())
    } else {
        Err(End::Refused(Box::new(r)))
    }
}

/// Sends a command, prints the result, and says how it ended.
async fn send(c: &mut ApiClient, json: bool, cmd: Command, done: String) -> Result<End, End> {
    let r = c.command(&key(), cmd, None).await?;
    if !r.ok {
        return Ok(End::Refused(Box::new(r)));
    }
    if json {
        print_json(&serde_json::to_value(&r).unwrap_or_default());
    } else {
        println!("{done}");
    }
    Ok(End::Done)
}

fn order_line(o: &OrderState) -> String {
    format!(
        "{:<6} {:<20} {:<9} {:>9} {:<14} {:<9} {}",
        o.order.pickup_no,
        o.order.id.0,
        o.order.dining.as_str(),
        o.order.amount_due.to_string(),
        o.payment().as_str(),
        o.kitchen().as_str(),
        o.remaining()
    )
}

async fn one(c: &mut ApiClient, args: &CtlArgs) -> Result<End, End> {
    let json = args.json;
    match &args.what {
        CtlCmd::Orders { open } => {
            let ServerMsg::Snapshot { orders, .. } = snapshot(c).await? else {
                unreachable!("snapshot() returns only snapshots")
            };
            let mut orders: Vec<OrderState> = orders
                .into_iter()
                .filter(|o| !*open || o.is_open())
                .collect();
            orders.sort_by_key(|o| o.order.placed_at);
            if json {
                let list: Vec<Value> = orders.iter().map(crate::export::order_json).collect();
                print_json(&Value::Array(list));
            } else {
                for o in &orders {
                    println!("{}", order_line(o));
                }
                println!("{} order(s)", orders.len());
            }
            Ok(End::Done)
        }
        CtlCmd::Order { id } => {
            let o = get_order(c, id).await?;
            if json {
                print_json(&crate::export::order_json(&o));
            } else {
                println!("{}", order_line(&o));
                for i in &o.order.items {
                    println!("  {} x{} {}", i.name, i.qty, i.unit_price);
                }
                if let Some(code) = o.online.as_ref().and_then(|u| u.error_code.as_deref()) {
                    println!("  online payment: {code}");
                }
            }
            Ok(End::Done)
        }
        CtlCmd::Settle {
            id,
            method,
            tendered,
            reference,
        } => {
            let staff = staff_of(args)?;
            let method = Method::parse(method).expect("checked before dialling");
            let tendered = match tendered {
                Some(t) => Some(parse_amount(t).map_err(End::Usage)?),
                None => None,
            };
            let o = get_order(c, id).await?;
            let left = o.remaining();
            let rounding = c.store.cash_rounding;
            let amount = all_due(left, method, rounding);
            // A tender the rules would refuse goes to the engine all the
            // same: its refusal is the one `ctl` prints.
            let change = quote(left, method, amount, tendered, rounding)
                .map(|q| q.change)
                .unwrap_or(Fen::ZERO);
            let pin = secret("PASSLINE_PIN", &format!("PIN for {staff}: "))?;
            let cmd = Command::Settle {
                order_id: o.order.id.clone(),
                staff_id: staff,
                pin: Some(pin),
                tenders: vec![TenderInput {
                    method,
                    amount,
                    tendered,
                    reference: reference.clone(),
                }],
            };
            send(
                c,
                json,
                cmd,
                format!(
                    "settled {} ({}): {} {amount}, change {change}",
                    o.order.pickup_no,
                    o.order.id.0,
                    method.as_str()
                ),
            )
            .await
        }
        CtlCmd::Bump { id } => {
            let staff = staff_of(args)?;
            sign_in(c, &staff).await?;
            let cmd = Command::Bump {
                order_id: OrderId(id.clone()),
                staff_id: staff,
                line: None,
            };
            send(c, json, cmd, format!("bumped {id}")).await
        }
        CtlCmd::Recall => {
            let staff = staff_of(args)?;
            sign_in(c, &staff).await?;
            let cmd = Command::Recall {
                staff_id: staff,
                order_id: None,
            };
            send(c, json, cmd, "recalled the last bumped order".into()).await
        }
        CtlCmd::Reprint { job, order } => {
            let staff = staff_of(args)?;
            let (order_id, job) = match (job, order) {
                (Some(n), _) => {
                    let k = key();
                    c.send(&ClientMsg::GetJob {
                        key: k.clone(),
                        job: *n,
                    })
                    .await?;
                    let found = match c.reply(&k).await? {
                        ServerMsg::Job { job: Some(j), .. } => j.doc.order_id().map(str::to_string),
                        _ => None,
                    };
                    let Some(o) = found else {
                        return Ok(End::Refused(Box::new(CommandResult::refused(
                            k,
                            "unknown_job",
                            format!(
                                "no print job {n} for an order: check the job number on the ticket"
                            ),
                        ))));
                    };
                    (o, Some(*n))
                }
                (None, Some(o)) => (o.clone(), None),
                (None, None) => unreachable!("checked before dialling"),
            };
            sign_in(c, &staff).await?;
            let cmd = Command::Reprint {
                order_id: OrderId(order_id.clone()),
                staff_id: staff,
                job,
            };
            send(c, json, cmd, format!("reprint of {order_id} queued")).await
        }
        CtlCmd::Void {
            id,
            reason,
            approver,
        } => {
            let staff = staff_of(args)?;
            sign_in(c, &staff).await?;
            let pin = secret(
                "PASSLINE_APPROVER_PIN",
                &format!("manager {approver}'s PIN to approve: "),
            )?;
            let cmd = Command::Void {
                order_id: OrderId(id.clone()),
                staff_id: staff,
                approval: Approval {
                    staff_id: StaffId(approver.clone()),
                    pin,
                },
                reason: reason.clone(),
            };
            send(c, json, cmd, format!("voided {id}")).await
        }
        CtlCmd::MoveQueue { from, to, approver } => {
            let staff = staff_of(args)?;
            sign_in(c, &staff).await?;
            let pin = secret(
                "PASSLINE_APPROVER_PIN",
                &format!("manager {approver}'s PIN to approve: "),
            )?;
            let cmd = Command::MoveQueue {
                staff_id: staff,
                from: from.clone(),
                to: to.clone(),
                approval: Approval {
                    staff_id: StaffId(approver.clone()),
                    pin,
                },
            };
            send(c, json, cmd, format!("{from}'s waiting jobs moved to {to}")).await
        }
        CtlCmd::Printers => {
            let ServerMsg::Snapshot { printers, .. } = snapshot(c).await? else {
                unreachable!("snapshot() returns only snapshots")
            };
            if json {
                print_json(&serde_json::to_value(&printers).unwrap_or_default());
            } else {
                for p in &printers {
                    let state = match &p.state {
                        PrinterState::Error(e) => format!("error: {e}"),
                        s => serde_json::to_value(s)
                            .ok()
                            .and_then(|v| v.as_str().map(str::to_string))
                            .unwrap_or_default(),
                    };
                    println!(
                        "{:<12} {:<12} {:<10} {} waiting",
                        p.name, p.label, state, p.queued
                    );
                }
            }
            Ok(End::Done)
        }
        CtlCmd::Feed => {
            let ServerMsg::Snapshot { feed, .. } = snapshot(c).await? else {
                unreachable!("snapshot() returns only snapshots")
            };
            if json {
                print_json(&serde_json::to_value(&feed).unwrap_or_default());
            } else {
                let link = match &feed.link {
                    LinkState::Disabled => "off (no feed url: standalone)".to_string(),
                    LinkState::Online => "online".to_string(),
                    LinkState::Connecting { next_try_secs, .. } => {
                        format!("reconnecting in {next_try_secs} s")
                    }
                    LinkState::Offline { since } => format!("offline since {since}"),
                    LinkState::Unauthorized => "unauthorized: fix [feed] token".to_string(),
                };
                println!("feed: {link}");
                println!(
                    "cursor {}, unsent reports {}, unreadable frames {}",
                    feed.cursor, feed.unsent_reports, feed.quarantined
                );
            }
            Ok(End::Done)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn amounts_are_read_exactly_in_yuan() {
        assert_eq!(parse_amount("100.00"), Ok(Fen(10000)));
        assert_eq!(parse_amount("56.5"), Ok(Fen(5650)));
        assert_eq!(parse_amount("0.1"), Ok(Fen(10)));
    }

    #[test]
    fn anything_else_is_refused_with_an_example() {
        for bad in ["abc", "1e2", "56.555", "-5", "0", "", "1,000"] {
            let e = parse_amount(bad).expect_err(bad);
            assert!(e.contains("like --tendered 100.00"), "{bad}: {e}");
        }
    }

    #[test]
    fn json_of_a_refusal_names_its_code() {
        let r = CommandResult::refused("k".into(), "kitchen_screen", "no".into());
        let v = json!(r);
        assert_eq!(v["code"], "kitchen_screen");
        assert_eq!(v["ok"], false);
    }
}

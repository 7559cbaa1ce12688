//! The spool against the virtual printer, with a real engine on a temp dir:
//! a printer that is off, out of paper, cut off midway, and a crash mid-send.
//! Every ticket prints; a ticket that may print twice says so.

use crate::common;

use common::TestStore;
use passline::domain::*;
use passline::engine::EngineHandle;
use passline::print::layout::Shop;
use passline::print::profile::Profile;
use passline::print::route::{PrinterRoute, Routes};
use passline::print::spool::{start_with, Spool, SpoolOptions, SpoolPrinter};
use passline::print::status::{PrinterState, SpoolStatus};
use passline::print::transport::{Endpoint, Timeouts};
use passline::sim::printer::{ReceivedJob, VirtualPrinter};
use passline::store::JobState;
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(10);

fn kitchen_routes() -> Routes {
    Routes {
        printers: vec![PrinterRoute {
            name: "hot".into(),
            stations: vec!["hot".into()],
            receipts: true,
            drawer: true,
        }],
        receipt_on_settle: true,
    }
}

fn dine_in() -> Rules {
    Rules {
        fire: FirePolicy::OnOrder,
        cash_rounding: CashRounding::Fen,
        ..Default::default()
    }
}

fn options() -> SpoolOptions {
    SpoolOptions {
        timeouts: Timeouts {
            connect: Duration::from_millis(500),
            write: Duration::from_secs(2),
            status: Duration::from_millis(500),
        },
        retry_every: Duration::from_millis(100),
        idle_check_every: Some(Duration::from_millis(300)),
    }
}

fn start_spool(h: EngineHandle, vp: &VirtualPrinter) -> Spool {
    let printer = SpoolPrinter {
        name: "hot".into(),
        label: "厨房打印机".into(),
        endpoint: Endpoint::parse(&vp.connect_url()).expect("tcp url"),
        profile: Profile::builtin("xprinter-xp-80").expect("shipped profile"),
    };
    start_with(h, vec![printer], Shop::default(), options())
}

async fn place(h: &EngineHandle, seq: u64) {
    let mut order = common::order(&format!("WX20261125-{seq:06}"), 3800);
    order.pickup_no = format!("A{seq:03}");
    h.execute(
        None,
        Command::Platform {
            seq,
            event: PlatformEvent::OrderPlaced { order },
        },
    )
    .await
    .expect("order placed");
}

/// The job number a received ticket carries ("job #N").
fn job_no(j: &ReceivedJob) -> Option<u64> {
    j.text.iter().find_map(|l| {
        let i = l.find("job #")?;
        l[i + 5..].split_whitespace().next()?.parse().ok()
    })
}

fn marked_duplicate(j: &ReceivedJob) -> bool {
    j.text.iter().any(|l| l.contains("possible duplicate of #"))
}

async fn wait_status(
    rx: &mut tokio::sync::watch::Receiver<SpoolStatus>,
    within: Duration,
    want: impl Fn(&SpoolStatus) -> bool,
) -> Option<SpoolStatus> {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        {
            let s = rx.borrow_and_update();
            if want(&s) {
                return Some(s.clone());
            }
        }
        if tokio::time::timeout_at(deadline, rx.changed())
            .await
            .is_err()
        {
            return None;
        }
    }
}

async fn until_refused(vp: &VirtualPrinter) {
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(vp.addr()).await.is_err() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the virtual printer kept listening while off");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_tickets_wait_for_a_printer_that_is_off_then_print_once_in_order() {
    let t = TestStore::with_routes(dine_in(), kitchen_routes());
    let vp = VirtualPrinter::start("127.0.0.1:0".parse().expect("addr"), PrinterState::Offline)
        .await
        .expect("virtual printer");
    until_refused(&vp).await;
    let spool = start_spool(t.h(), &vp);
    let mut status = spool.status.clone();
    for seq in 1..=20 {
        place(&t.h(), seq).await;
    }
    let held = wait_status(&mut status, Duration::from_secs(2), |s| {
        s[0].state == PrinterState::Offline && s[0].queued == 20
    })
    .await;
    assert!(
        held.is_some(),
        "the screen must show the printer offline with 20 waiting: {:?}",
        status.borrow()
    );
    assert!(vp.jobs().is_empty());

    vp.set_status(PrinterState::Online);
    let jobs = vp.wait_for_jobs(20, WAIT).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let jobs_after = vp.jobs();
    assert_eq!(
        jobs_after.len(),
        20,
        "exactly 20 tickets, got {}",
        jobs_after.len()
    );
    let numbers: Vec<u64> = jobs.iter().filter_map(job_no).collect();
    assert_eq!(numbers, (1..=20).collect::<Vec<u64>>(), "in job order");
    assert!(jobs.iter().all(|j| !marked_duplicate(j) && !j.cut_off));
    assert!(
        jobs[0].text.iter().any(|l| l.contains("宫保鸡丁")),
        "{:#?}",
        jobs[0].text
    );
    let queued = wait_status(&mut status, Duration::from_secs(2), |s| {
        s[0].queued == 0 && s[0].state == PrinterState::Online
    })
    .await;
    assert!(queued.is_some(), "{:?}", status.borrow());
    assert!(t
        .h()
        .jobs()
        .expect("jobs")
        .iter()
        .all(|j| j.state == JobState::Done && j.attempts == 1));
    spool.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paper_out_holds_the_queue_and_shows_it_then_it_drains() {
    let t = TestStore::with_routes(dine_in(), kitchen_routes());
    let vp = VirtualPrinter::start("127.0.0.1:0".parse().expect("addr"), PrinterState::Online)
        .await
        .expect("virtual printer");
    let spool = start_spool(t.h(), &vp);
    let mut status = spool.status.clone();
    for seq in 1..=3 {
        place(&t.h(), seq).await;
    }
    assert_eq!(vp.wait_for_jobs(3, WAIT).await.len(), 3);
    // Confirmed and done before the paper runs out.
    let drained = wait_status(&mut status, WAIT, |s| s[0].queued == 0).await;
    assert!(drained.is_some(), "{:?}", status.borrow());

    vp.set_status(PrinterState::PaperOut);
    let asked = Instant::now();
    for seq in 4..=6 {
        place(&t.h(), seq).await;
    }
    let shown = wait_status(&mut status, Duration::from_secs(2), |s| {
        s[0].state == PrinterState::PaperOut && s[0].queued == 3
    })
    .await
    .unwrap_or_else(|| {
        panic!(
            "paper out is shown within 2 s: {:?} jobs {}",
            status.borrow(),
            vp.jobs().len()
        )
    });
    assert!(asked.elapsed() < Duration::from_secs(2));
    assert_eq!(shown[0].line(), "厨房打印机缺纸 hot: paper out, 3 waiting");
    // The cheap printer would take the data and lose it in its buffer: nothing was sent.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(vp.jobs().len(), 3);

    vp.set_status(PrinterState::Online);
    let jobs = vp.wait_for_jobs(6, WAIT).await;
    let numbers: Vec<u64> = jobs.iter().filter_map(job_no).collect();
    assert_eq!(numbers, (1..=6).collect::<Vec<u64>>());
    assert!(jobs
        .iter()
        .all(|j| !marked_duplicate(j) && !j.while_paper_out));
    assert!(
        wait_status(&mut status, Duration::from_secs(2), |s| s[0].queued == 0)
            .await
            .is_some()
    );
    spool.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_cut_midway_reprints_the_ticket_marked_as_a_possible_duplicate() {
    let t = TestStore::with_routes(dine_in(), kitchen_routes());
    let vp = VirtualPrinter::start("127.0.0.1:0".parse().expect("addr"), PrinterState::Online)
        .await
        .expect("virtual printer");
    vp.fail_after_bytes(Some(200));
    let spool = start_spool(t.h(), &vp);
    place(&t.h(), 1).await;
    place(&t.h(), 2).await;
    let jobs = vp.wait_for_jobs(3, WAIT).await;
    assert_eq!(jobs.len(), 3, "{jobs:#?}");
    assert!(jobs[0].cut_off, "the first send was cut off");
    assert!(!marked_duplicate(&jobs[0]));
    assert_eq!(job_no(&jobs[1]), Some(1));
    assert!(
        jobs[1]
            .text
            .iter()
            .any(|l| l.contains("重打 REPRINT · possible duplicate of #1")),
        "{:#?}",
        jobs[1].text
    );
    assert_eq!(job_no(&jobs[2]), Some(2));
    assert!(
        !marked_duplicate(&jobs[2]),
        "the next ticket is not a reprint"
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    let rec = t.h().job(1).expect("read").expect("job 1");
    assert_eq!(
        (rec.state, rec.attempts, rec.interrupted),
        (JobState::Done, 2, true)
    );
    spool.shutdown().await;
}

const CHILD_DIR: &str = "PASSLINE_TEST_CRASH_CHILD_DIR";
const CHILD_PRINTER: &str = "PASSLINE_TEST_CRASH_CHILD_PRINTER";

/// The console process that gets killed: the engine and the spool on the
/// store in `dir`, printing to `printer`, until SIGKILL.
fn crash_child(dir: &str, printer: &str) {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let store =
            passline::store::Store::open(std::path::Path::new(dir), 4 << 20).expect("store");
        let cfg = passline::engine::EngineConfig {
            rules: dine_in(),
            routes: kitchen_routes(),
            tz: chrono_tz::Asia::Shanghai,
            clock: std::sync::Arc::new(passline::engine::FixedClock::at(
                "2026-11-25T12:00:00+08:00",
            )),
            menu: None,
        };
        let engine = passline::engine::Engine::start(store, cfg).expect("engine");
        let printer = SpoolPrinter {
            name: "hot".into(),
            label: "厨房打印机".into(),
            endpoint: Endpoint::Tcp(printer.to_string()),
            profile: Profile::builtin("xprinter-xp-80").expect("shipped profile"),
        };
        let _spool = start_with(engine.handle(), vec![printer], Shop::default(), options());
        tokio::time::sleep(Duration::from_secs(30)).await;
    });
}

/// Kills the child if the test fails first.
struct KillOnDrop(std::process::Child);
impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn a_crash_mid_send_prints_every_ticket_and_marks_the_one_that_may_repeat() {
    if let (Ok(dir), Ok(printer)) = (std::env::var(CHILD_DIR), std::env::var(CHILD_PRINTER)) {
        crash_child(&dir, &printer);
        return;
    }
    let mut t = TestStore::with_routes(dine_in(), kitchen_routes());
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        for seq in 1..=6 {
            place(&t.h(), seq).await;
        }
    });
    let jobs = t.h().jobs().expect("jobs");
    assert_eq!(jobs.len(), 6);
    let profile = Profile::builtin("xprinter-xp-80").expect("profile");
    let len = |i: usize| {
        passline::print::render::render_job(&jobs[i], &profile, &Shop::default())
            .expect("renders")
            .len()
    };
    // Status requests are 9 bytes before and after each job: stall in the
    // middle of the third ticket's bytes.
    let stall_at = 9 + len(0) + 9 + 9 + len(1) + 9 + 9 + len(2) / 2;
    if let Some(e) = t.engine.take() {
        e.shutdown();
    }

    let vp = rt
        .block_on(VirtualPrinter::start(
            "127.0.0.1:0".parse().expect("addr"),
            PrinterState::Online,
        ))
        .expect("virtual printer");
    vp.stall_after_bytes(Some(stall_at));
    let child = std::process::Command::new(std::env::current_exe().expect("test binary"))
        .args([
            "--exact",
            "print_spool::a_crash_mid_send_prints_every_ticket_and_marks_the_one_that_may_repeat",
            "--nocapture",
        ])
        .env(CHILD_DIR, t.dir.path())
        .env(CHILD_PRINTER, vp.addr().to_string())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("child console");
    let mut child = KillOnDrop(child);
    let deadline = Instant::now() + WAIT;
    while vp.received_bytes() < stall_at {
        assert!(
            Instant::now() < deadline,
            "the child never reached the third ticket"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    // The child now waits for a confirmation that never comes: kill it mid-send.
    std::thread::sleep(Duration::from_millis(100));
    child.0.kill().expect("SIGKILL");
    let _ = child.0.wait();
    let before = rt.block_on(vp.wait_for_jobs(3, WAIT));
    assert_eq!(before.len(), 3, "two whole tickets and a cut-off third");
    assert!(before[2].cut_off);

    // Restart on the same store: everything left prints, the third marked.
    t.start();
    let jobs_after = rt.block_on(async {
        let spool = start_spool(t.h(), &vp);
        let jobs = vp.wait_for_jobs(7, WAIT).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        spool.shutdown().await;
        jobs
    });
    let all = vp.jobs();
    assert_eq!(
        all.len(),
        7,
        "{:#?}",
        all.iter().map(|j| &j.text).collect::<Vec<_>>()
    );
    assert_eq!(jobs_after.len(), 7);
    for n in 1..=6u64 {
        let whole: Vec<&ReceivedJob> = all
            .iter()
            .filter(|j| !j.cut_off && job_no(j) == Some(n))
            .collect();
        assert_eq!(whole.len(), 1, "job #{n} printed whole exactly once");
        let silent_copies = all
            .iter()
            .filter(|j| job_no(j) == Some(n) && !marked_duplicate(j))
            .count();
        assert!(silent_copies <= 1, "job #{n} printed twice without a mark");
    }
    assert!(
        marked_duplicate(&all[3]) && job_no(&all[3]) == Some(3),
        "{:#?}",
        all[3].text
    );
    let rec = t.h().jobs().expect("jobs");
    assert!(rec.iter().all(|j| j.state == JobState::Done), "{rec:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paper_running_out_mid_ticket_reprints_it_marked_after_reloading() {
    let t = TestStore::with_routes(dine_in(), kitchen_routes());
    let vp = VirtualPrinter::start("127.0.0.1:0".parse().expect("addr"), PrinterState::Online)
        .await
        .expect("virtual printer");
    // The paper ends 300 bytes in: inside the first ticket.
    vp.paper_out_after_bytes(Some(300));
    let spool = start_spool(t.h(), &vp);
    let mut status = spool.status.clone();
    place(&t.h(), 1).await;
    place(&t.h(), 2).await;
    let shown = wait_status(&mut status, Duration::from_secs(2), |s| {
        s[0].state == PrinterState::PaperOut && s[0].queued == 2
    })
    .await;
    assert!(shown.is_some(), "{:?}", status.borrow());
    let rec = t.h().job(1).expect("read").expect("job 1");
    assert_eq!((rec.state, rec.interrupted), (JobState::Queued, true));

    vp.set_status(PrinterState::Online);
    let jobs = vp.wait_for_jobs(3, WAIT).await;
    assert_eq!(jobs.len(), 3);
    // The cheap printer prints what it buffered, then the marked reprint.
    assert!(jobs[0].while_paper_out && job_no(&jobs[0]) == Some(1) && !marked_duplicate(&jobs[0]));
    assert!(
        marked_duplicate(&jobs[1]) && job_no(&jobs[1]) == Some(1),
        "{:#?}",
        jobs[1].text
    );
    assert!(!marked_duplicate(&jobs[2]) && job_no(&jobs[2]) == Some(2));
    spool.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn out_of_paper_the_drawer_still_opens_and_the_receipt_waits() {
    let t = TestStore::with_routes(dine_in(), kitchen_routes());
    let h = t.h();
    h.execute(
        None,
        Command::AddStaff {
            staff_id: "01".into(),
            name: "王芳".into(),
            role: Role::Cashier,
            pin: "1234".into(),
        },
    )
    .await
    .expect("cashier");
    let vp = VirtualPrinter::start("127.0.0.1:0".parse().expect("addr"), PrinterState::Online)
        .await
        .expect("virtual printer");
    let spool = start_spool(h.clone(), &vp);
    let mut status = spool.status.clone();
    place(&h, 1).await;
    assert_eq!(vp.wait_for_jobs(1, WAIT).await.len(), 1);
    assert!(wait_status(&mut status, WAIT, |s| s[0].queued == 0)
        .await
        .is_some());

    vp.set_status(PrinterState::PaperOut);
    h.execute(
        None,
        Command::Settle {
            order_id: OrderId("WX20261125-000001".into()),
            staff_id: StaffId("01".into()),
            pin: Some("1234".into()),
            tenders: vec![TenderInput {
                method: Method::Cash,
                amount: Fen(3800),
                tendered: Some(Fen(5000)),
                reference: None,
            }],
        },
    )
    .await
    .expect("settled in cash");
    let jobs = vp.wait_for_jobs(2, WAIT).await;
    assert_eq!(jobs.len(), 2);
    assert_eq!(jobs[1].text, vec!["[DRAWER pin2 50ms/500ms]"]);
    let held = wait_status(&mut status, Duration::from_secs(2), |s| {
        s[0].state == PrinterState::PaperOut && s[0].queued == 1
    })
    .await;
    assert!(held.is_some(), "the receipt waits: {:?}", status.borrow());

    vp.set_status(PrinterState::Online);
    let jobs = vp.wait_for_jobs(3, WAIT).await;
    assert_eq!(
        jobs.len(),
        3,
        "{:?} finished: {}",
        status.borrow(),
        spool.handles[0].is_finished()
    );
    assert!(
        jobs[2]
            .text
            .iter()
            .any(|l| l.contains("找零 Change") && l.contains("￥12.00")),
        "{:#?}",
        jobs[2].text
    );
    spool.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_printer_that_runs_out_of_paper_shows_it_before_the_next_ticket() {
    let t = TestStore::with_routes(dine_in(), kitchen_routes());
    let vp = VirtualPrinter::start("127.0.0.1:0".parse().expect("addr"), PrinterState::Online)
        .await
        .expect("virtual printer");
    let spool = start_spool(t.h(), &vp);
    let mut status = spool.status.clone();
    assert!(
        wait_status(&mut status, Duration::from_secs(2), |s| s[0].state
            == PrinterState::Online)
        .await
        .is_some()
    );
    vp.set_status(PrinterState::PaperOut);
    let shown = wait_status(&mut status, Duration::from_secs(2), |s| {
        s[0].state == PrinterState::PaperOut
    })
    .await;
    assert!(shown.is_some(), "{:?}", status.borrow());
    assert!(vp.jobs().is_empty(), "looking prints nothing");
    spool.shutdown().await;
}

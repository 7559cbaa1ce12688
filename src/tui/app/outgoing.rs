//! Engine work sent off the screen's loop, as gitui's `asyncgit` does: an
//! update that needs the engine hands back an [`Outgoing`]; the loop runs it
//! on a task ([`Courier`]) and its outcome comes back as `Message::Done`. So
//! the keyboard keeps answering while a slow link (`attach`) carries a
//! settlement. Tests may run the work inline with `App::handle`.

use super::message::ShiftAction;
use super::message::{Done, Message, Note, Pending};
use super::{App, Effect, Screen};
use crate::domain::job::JobDoc;
use crate::engine::EngineHandle;
use crate::tui::source::Source;
use crate::tui::text::error_text;
use tokio::sync::mpsc;

/// Work for the engine, ready to run anywhere.
pub struct Outgoing {
    work: Work,
}

enum Work {
    /// A command and the ones that follow it while each succeeds.
    Commands { source: Source, effect: Effect },
    /// The report spooled on the receipt printer. `after_close` holds the
    /// note of the shift close it follows (the two notes are joined).
    Print {
        engine: EngineHandle,
        printer: String,
        doc: Box<JobDoc>,
        after_close: Option<Option<Note>>,
    },
}

impl Outgoing {
    /// Runs the work and says how it ended, as a message for the app.
    pub async fn run(self) -> Message {
        let done = match self.work {
            Work::Commands { source, effect } => {
                let mut res = source.execute(effect.cmd).await;
                for cmd in effect.then {
                    if res.is_err() {
                        break;
                    }
                    res = source.execute(cmd).await;
                }
                Done::Command {
                    pending: effect.pending,
                    res,
                }
            }
            Work::Print {
                engine,
                printer,
                doc,
                after_close,
            } => Done::Printed {
                res: engine.spool_add(printer, *doc).await.map(|_| ()),
                after_close,
            },
        };
        Message::Done(Box::new(done))
    }
}

/// The loop's errand runner: each `Outgoing` runs on its own task and its
/// outcome waits here until the loop takes it.
pub struct Courier {
    tx: mpsc::UnboundedSender<Message>,
    rx: mpsc::UnboundedReceiver<Message>,
}

impl Default for Courier {
    fn default() -> Courier {
        let (tx, rx) = mpsc::unbounded_channel();
        Courier { tx, rx }
    }
}

impl Courier {
    /// Sends the work off; it never blocks the caller.
    pub fn send(&self, work: Outgoing) {
        let tx = self.tx.clone();
        tokio::spawn(async move {
            let _ = tx.send(work.run().await);
        });
    }

    /// The next outcome to come back (waits for one).
    pub async fn next(&mut self) -> Message {
        self.rx
            .recv()
            .await
            .expect("the courier holds a sender, so the channel stays open")
    }
}

impl App {
    /// Takes one message without waiting on the engine: what it asks of the
    /// engine comes back as work to send off.
    pub fn step(&mut self, msg: Message) -> Option<Outgoing> {
        match msg {
            Message::Done(done) => self.done(*done),
            Message::PrintReport if self.screen == Screen::Report => self.print_report(None),
            msg => self.update(msg).map(|effect| Outgoing {
                work: Work::Commands {
                    source: self.source.clone(),
                    effect,
                },
            }),
        }
    }

    /// Handles one message and runs the engine work it asks for inline,
    /// until nothing is left to do (tests and scripted callers; the
    /// terminal loop sends work off with `step` instead).
    pub async fn handle(&mut self, msg: Message) {
        let mut next = self.step(msg);
        while let Some(work) = next {
            let msg = work.run().await;
            next = self.step(msg);
        }
    }

    /// Folds in engine work that came back.
    fn done(&mut self, done: Done) -> Option<Outgoing> {
        match done {
            Done::Command { pending, res } => {
                let closing = matches!(pending, Pending::Shift(ShiftAction::Close));
                let closed = closing && res.is_ok();
                self.finish(pending, res);
                self.drain_events();
                // The Z-report prints as the shift closes.
                if !closed {
                    return None;
                }
                let before = self.note.clone();
                let work = self.print_report(Some(before.clone()));
                if work.is_none() {
                    self.join_notes(before);
                }
                work
            }
            Done::Printed { res, after_close } => {
                let w = self.words;
                self.note = Some(match res {
                    Ok(()) => Note::Done(w.report_printed.into()),
                    Err(e) => Note::Refused(error_text(w, &e)),
                });
                if let Some(before) = after_close {
                    self.join_notes(before);
                }
                None
            }
        }
    }

    /// After a shift close: its note and the report's, on one line.
    fn join_notes(&mut self, before: Option<Note>) {
        if let (Some(Note::Done(a)), Some(Note::Done(b))) = (before, self.note.clone()) {
            self.note = Some(Note::Done(format!("{a}; {b}")));
        }
    }

    /// The report spooled on the receipt printer (32 columns: fits 58 and
    /// 80 mm), as work to send off; nothing when there is no report here.
    pub(super) fn print_report(&mut self, after_close: Option<Option<Note>>) -> Option<Outgoing> {
        let w = self.words;
        let Some(Ok(r)) = &self.report else {
            return None;
        };
        let engine = self.source.local().cloned()?;
        let Some(printer) = engine.config().routes.receipt_printer() else {
            self.note = Some(Note::Refused(w.no_receipt_printer.into()));
            return None;
        };
        let printer = printer.to_string();
        let doc = Box::new(crate::report::layout::print_doc(r, 32));
        Some(Outgoing {
            work: Work::Print {
                engine,
                printer,
                doc,
                after_close,
            },
        })
    }
}

//! The commit loop: take a batch of requests (group commit), decide each,
//! write the batch in one transaction, flush, then answer and publish.
//! Nobody hears "done" before the flush.

use super::Writer;
use crate::engine::{EngineError, Op, Request};
use crate::store::StoreError;
use std::sync::{mpsc, Arc};

impl Writer {
    pub(in crate::engine) fn run(&mut self, rx: mpsc::Receiver<Request>) {
        while let Ok(first) = rx.recv() {
            let mut batch = vec![first];
            // Group commit: take what is waiting; while more keeps arriving
            // (callers refilling a pipeline), yield briefly and take that too,
            // so one flush covers them. Alone, a command waits for no one.
            let mut idle_rounds = 0;
            while batch.len() < 1024 && idle_rounds < 3 {
                match rx.try_recv() {
                    Ok(r) => {
                        batch.push(r);
                        idle_rounds = 0;
                    }
                    Err(_) if batch.len() == 1 => break,
                    Err(_) => {
                        idle_rounds += 1;
                        std::thread::yield_now();
                    }
                }
            }
            let mut done = Vec::with_capacity(batch.len());
            let mut stop = false;
            for req in batch {
                if matches!(req.op, Op::Stop) || stop {
                    stop = true;
                    let _ = req.reply.send(Err(EngineError::Stopped));
                    continue;
                }
                let res = self.process(req.op);
                done.push((req.reply, res));
            }
            // Readers wait out the window in which sled shows the batch
            // but a power cut would still take it (`Store::durable_reads`).
            let written = {
                let store = self.store.clone();
                let _gate = store.commit_gate();
                self.write_pending()
                    .and_then(|()| self.store.flush().map_err(EngineError::from))
            };
            if let Err(e) = &written {
                tracing::error!(error = %e, "commit failed: the batch is not durable and was refused");
                let detail = match e {
                    EngineError::Store(StoreError::WriteFailed { detail }) => detail.clone(),
                    e => e.to_string(),
                };
                for (reply, res) in done {
                    let _ = reply.send(match res {
                        Ok(_) => Err(EngineError::Store(StoreError::WriteFailed {
                            detail: detail.clone(),
                        })),
                        r => r,
                    });
                }
                self.reload();
                // A stop in a batch that failed still stops (it used to be
                // lost here, and a shutdown on a failing disk waited forever).
                if stop {
                    break;
                }
                continue;
            }
            self.stats.flushes += 1;
            self.publish_board();
            for j in std::mem::take(&mut self.pending_jobs) {
                let _ = self.jobs_tx.send(Arc::new(j));
            }
            for ev in std::mem::take(&mut self.side_events) {
                let _ = self.events_tx.send(Arc::new(ev));
            }
            for (reply, res) in done {
                if let Ok(c) = &res {
                    for ev in &c.events {
                        let _ = self.events_tx.send(Arc::new(ev.clone()));
                    }
                }
                let _ = reply.send(res);
            }
            let _ = self.stats_tx.send(self.stats.clone());
            if stop {
                break;
            }
        }
        if let Err(e) = self.store.flush() {
            tracing::error!(error = %e, "final flush failed");
        }
    }
}

//! The print queue's writes: new jobs, attempts and results, moving a
//! printer's queue to another, and reprints.

use super::{need_role, Writer, Writes, SPOOL};
use crate::domain::job::JobDoc;
use crate::domain::job::{JobRecord, JobState};
use crate::domain::{Actor, Approval, EventBody, OrderId, OrderState, Refusal};
use crate::engine::{Committed, EngineError};
use crate::store::encode;
use chrono::{DateTime, FixedOffset};

impl Writer {
    pub(super) fn new_job(
        &mut self,
        printer: &str,
        doc: JobDoc,
        event_id: u64,
        now: DateTime<FixedOffset>,
    ) -> JobRecord {
        let job = self.next_job;
        self.next_job += 1;
        JobRecord {
            job,
            printer: printer.to_string(),
            doc,
            event_id,
            created_at: now,
            state: JobState::Queued,
            attempts: 0,
            interrupted: false,
            last_error: None,
            printed_at: None,
        }
    }

    pub(super) fn spool_update(
        &mut self,
        job: u64,
        f: impl FnOnce(&mut JobRecord, DateTime<FixedOffset>),
    ) -> Result<Committed, EngineError> {
        let Some(mut j) = self.job(job)? else {
            return Ok(Committed::default());
        };
        f(&mut j, self.now());
        let mut w = Writes::default();
        w.put(SPOOL, job.to_be_bytes().to_vec(), encode(&j));
        w.jobs.push(j);
        self.stage(w);
        Ok(Committed {
            jobs: vec![job],
            ..Committed::default()
        })
    }

    /// Moves every waiting job of `from` to `to`: each old job is marked
    /// moved and a copy queued on `to` (marked a possible duplicate when a
    /// send had started), with a `QueueMoved` event naming the approver.
    pub(super) fn move_queue(
        &mut self,
        w: &mut Writes,
        from: String,
        to: String,
        approval: &Approval,
    ) -> Result<(), EngineError> {
        let approver = self.check_pin(&approval.staff_id, &approval.pin)?;
        need_role(&approver, approver.role.may_approve(), "manager to approve")?;
        let known = |name: &str| self.cfg.routes.printers.iter().any(|p| p.name == name);
        for name in [&from, &to] {
            if !self.cfg.routes.printers.is_empty() && !known(name) {
                return Err(Refusal::UnknownPrinter { name: name.clone() }.into());
            }
        }
        let now = self.now();
        let mut moved_jobs = Vec::new();
        for mut j in self.all_jobs()? {
            if j.printer != from || j.state != JobState::Queued {
                continue;
            }
            j.state = JobState::Moved;
            w.put(SPOOL, j.job.to_be_bytes().to_vec(), encode(&j));
            let doc = if j.interrupted || j.attempts > 0 {
                JobDoc::Reprint {
                    of_job: j.job,
                    original_at: j.created_at,
                    possible_duplicate: true,
                    doc: Box::new(j.doc.clone()),
                }
            } else {
                j.doc.clone()
            };
            let moved = self.new_job(&to, doc, j.event_id, now);
            w.put(SPOOL, moved.job.to_be_bytes().to_vec(), encode(&moved));
            moved_jobs.push(moved.job);
            w.jobs.push(j);
            w.jobs.push(moved);
        }
        self.add_events(
            w,
            Actor::Staff {
                id: approver.id.clone(),
            },
            vec![EventBody::QueueMoved {
                from,
                to,
                approver: approver.id,
                jobs: moved_jobs,
            }],
            now,
        )
    }

    pub(super) fn plan_reprint(
        &self,
        order_id: &OrderId,
        job: Option<u64>,
        after: Option<&OrderState>,
    ) -> Result<Vec<(String, JobDoc)>, EngineError> {
        match job {
            Some(n) => {
                let Some(orig) = self.job(n)? else {
                    return Ok(Vec::new());
                };
                let inner = match orig.doc {
                    JobDoc::Reprint { doc, .. } => *doc,
                    d => d,
                };
                if inner.order_id() != Some(order_id.0.as_str()) {
                    return Ok(Vec::new());
                }
                Ok(vec![(
                    orig.printer,
                    JobDoc::Reprint {
                        of_job: n,
                        original_at: orig.created_at,
                        possible_duplicate: false,
                        doc: Box::new(inner),
                    },
                )])
            }
            None => Ok(match (self.cfg.routes.receipt_printer(), after) {
                (Some(p), Some(st)) => vec![(
                    p.to_string(),
                    JobDoc::Receipt {
                        state: Box::new(st.clone()),
                        copy: true,
                    },
                )],
                _ => Vec::new(),
            }),
        }
    }
}

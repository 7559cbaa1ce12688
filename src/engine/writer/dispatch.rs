//! Dispatch: which decision a request or command goes to. The decisions
//! themselves are the domain's (`Rules`, `shift`, `staff`); this file only
//! loads what they need and stages what they return.

use super::{
    keys, need_role, Writer, Writes, IDEM, META, OUTBOX, OUTBOX_IDS, QUARANTINE, SPOOL, STAFF,
};
use crate::domain::job::JobState;
use crate::domain::{
    Actor, Approval, Command, EventBody, OrderId, PlatformOutcome, Refusal, Staff,
};
use crate::engine::{pins, Committed, EngineError, Op};
use crate::store::{encode, QuarantinedFrame, StaffRecord};
use chrono::{DateTime, FixedOffset};

impl Writer {
    pub(super) fn process(&mut self, op: Op) -> Result<Committed, EngineError> {
        match op {
            Op::Stop => Err(EngineError::Stopped),
            Op::Command {
                key,
                cmd,
                device,
                verdicts,
            } => {
                self.device = device;
                self.verdicts = verdicts;
                let scoped = key.as_ref().map(|k| keys::scoped(&self.device, &cmd, k));
                let print = key.as_ref().map(|_| keys::fingerprint(&cmd));
                if let (Some(k), Some(s)) = (&key, &scoped) {
                    if let Some(c) = self.replay(s, k, &cmd)? {
                        return Ok(c);
                    }
                }
                let mut w = self.command(*cmd)?;
                let committed = Committed {
                    events: w.events.clone(),
                    reports: w.reports.clone(),
                    jobs: w.jobs.iter().map(|j| j.job).collect(),
                    replay: false,
                };
                if let (Some(s), Some(command)) = (scoped, print) {
                    if !committed.events.is_empty() {
                        let rec = keys::KeyRecord {
                            command,
                            at: self.now(),
                            committed: committed.clone(),
                        };
                        w.put(IDEM, s, encode(&rec));
                    }
                }
                self.stage(w);
                Ok(committed)
            }
            Op::SpoolAttempt { job } => self.spool_update(job, |j, _| {
                j.attempts += 1;
            }),
            Op::SpoolDone { job } => self.spool_update(job, |j, now| {
                j.state = JobState::Done;
                j.printed_at = Some(now);
                j.last_error = None;
            }),
            Op::SpoolFailed {
                job,
                error,
                interrupted,
            } => self.spool_update(job, move |j, _| {
                j.last_error = Some(error.clone());
                j.interrupted |= interrupted;
            }),
            Op::SpoolMove { from, to, approval } => {
                self.device = crate::engine::CONSOLE_DEVICE.to_string();
                self.verdicts = Default::default();
                let mut w = Writes::default();
                self.move_queue(&mut w, from, to, &approval)?;
                let committed = Committed {
                    events: w.events.clone(),
                    jobs: w.jobs.iter().map(|j| j.job).collect(),
                    ..Committed::default()
                };
                self.stage(w);
                Ok(committed)
            }
            Op::Archive { plan } => {
                // The batch so far is written with the step, and readers
                // wait until the step's barrier has made both durable (a
                // settlement's report read in between went out before its
                // fsync: the long power-cut run caught it).
                let store = self.store.clone();
                let _gate = store.commit_gate();
                self.write_pending()?;
                self.store.commit_archive(&plan)?;
                Ok(Committed::default())
            }
            Op::SpoolAdd { printer, doc } => {
                let mut w = Writes::default();
                let j = self.new_job(&printer, *doc, 0, self.now());
                w.put(SPOOL, j.job.to_be_bytes().to_vec(), encode(&j));
                w.jobs.push(j);
                let committed = Committed {
                    jobs: w.jobs.iter().map(|j| j.job).collect(),
                    ..Committed::default()
                };
                self.stage(w);
                Ok(committed)
            }
        }
    }

    /// Turns a command into the writes that commit it, or a refusal.
    pub(super) fn command(&mut self, cmd: Command) -> Result<Writes, EngineError> {
        let now = self.now();
        let mut w = Writes::default();
        match cmd {
            Command::Platform { seq, event } => {
                self.check_seq(seq)?;
                if seq <= self.cursor {
                    return Ok(w);
                }
                w.cursor = Some(seq);
                let order = self.load_order(event.order_id())?;
                match self.cfg.rules.platform(order.as_ref(), &event) {
                    PlatformOutcome::Events(bodies) => {
                        self.add_events(&mut w, Actor::Platform { seq }, bodies, now)?;
                    }
                    PlatformOutcome::Quarantine(error) => {
                        let raw = serde_json::to_string(&event).unwrap_or_default();
                        self.quarantine(&mut w, Some(seq), raw, error, now)?;
                    }
                }
            }
            Command::Quarantine { seq, raw, error } => {
                if let Some(seq) = seq {
                    self.check_seq(seq)?;
                    if seq <= self.cursor {
                        return Ok(w);
                    }
                    w.cursor = Some(seq);
                }
                self.quarantine(&mut w, seq, raw, error, now)?;
            }
            Command::ReportAcked { report_id } => {
                if let Some(k) = self.get(OUTBOX_IDS, report_id.as_bytes())? {
                    w.del(OUTBOX, k.to_vec());
                    w.del(OUTBOX_IDS, report_id.clone().into_bytes());
                    w.outbox_delta -= 1;
                    self.add_events(
                        &mut w,
                        Actor::Console,
                        vec![EventBody::ReportAcked { report_id }],
                        now,
                    )?;
                }
            }
            Command::AddStaff {
                staff_id,
                name,
                role,
                pin,
            } => {
                if self.get(STAFF, staff_id.0.as_bytes())?.is_some() {
                    return Err(Refusal::StaffExists {
                        staff_id: staff_id.0,
                    }
                    .into());
                }
                self.cfg.rules.pins.check(&pin, role)?;
                let rec = StaffRecord {
                    staff: Staff {
                        id: staff_id.clone(),
                        name: name.clone(),
                        role,
                        active: true,
                    },
                    pin_hash: pins::hash_pin(&pin),
                    failures: 0,
                    locked_until: None,
                };
                w.put(STAFF, staff_id.0.clone().into_bytes(), encode(&rec));
                self.add_events(
                    &mut w,
                    Actor::Console,
                    vec![EventBody::StaffAdded {
                        staff_id,
                        name,
                        role,
                    }],
                    now,
                )?;
            }
            Command::DisableStaff { staff_id } => {
                let mut rec = self.staff_record(&staff_id)?;
                rec.staff.active = false;
                w.put(STAFF, staff_id.0.clone().into_bytes(), encode(&rec));
                self.add_events(
                    &mut w,
                    Actor::Console,
                    vec![EventBody::StaffDisabled { staff_id }],
                    now,
                )?;
            }
            Command::SetPin { staff_id, pin } => {
                let mut rec = self.staff_record(&staff_id)?;
                self.cfg.rules.pins.check(&pin, rec.staff.role)?;
                rec.pin_hash = pins::hash_pin(&pin);
                rec.failures = 0;
                rec.locked_until = None;
                w.put(STAFF, staff_id.0.clone().into_bytes(), encode(&rec));
                self.add_events(
                    &mut w,
                    Actor::Console,
                    vec![EventBody::PinChanged { staff_id }],
                    now,
                )?;
            }
            Command::UnlockPins { staff_id } => self.unlock_pins(&mut w, &staff_id)?,
            Command::MoveQueue {
                staff_id,
                from,
                to,
                approval,
            } => {
                let staff = self.active_staff(&staff_id)?;
                need_role(&staff, staff.role.may_take_money(), "cashier or a manager")?;
                self.move_queue(&mut w, from, to, &approval)?;
            }
            Command::SignIn { staff_id, pin } => {
                self.check_pin(&staff_id, &pin)?;
            }
            Command::OpenShift {
                staff_id,
                pin,
                float,
            } => self.open_shift(&mut w, &staff_id, pin.as_deref(), float, now)?,
            Command::CloseShift {
                staff_id,
                approval,
                count,
                confirm_open_issues,
            } => self.close_shift(
                &mut w,
                &staff_id,
                &approval,
                count,
                confirm_open_issues,
                now,
            )?,
            Command::PlaceCounterOrder {
                staff_id,
                store_id,
                device_id,
                ticket,
            } => {
                let staff = self.active_staff(&staff_id)?;
                let order =
                    self.number_counter_order(&mut w, &store_id, &device_id, ticket, now)?;
                let bodies = self.cfg.rules.counter_order(order, &staff)?;
                self.add_events(&mut w, Actor::Staff { id: staff.id }, bodies, now)?;
            }
            cmd => {
                let staff_id = cmd
                    .staff_id()
                    .cloned()
                    .expect("every store command names its staff member");
                let staff = match pin_of(&cmd) {
                    Some(pin) => self.check_pin(&staff_id, pin)?,
                    None => self.active_staff(&staff_id)?,
                };
                let approver = match approval_of(&cmd) {
                    Some(a) => Some(self.check_pin(&a.staff_id, &a.pin)?),
                    None => None,
                };
                let cmd = match cmd {
                    Command::Recall {
                        staff_id,
                        order_id: None,
                    } => Command::Recall {
                        staff_id,
                        order_id: self.last_bumped(),
                    },
                    c => c,
                };
                let order_id = order_of(&cmd);
                let order = match &order_id {
                    Some(id) => self.load_order(id)?,
                    None => None,
                };
                let bodies =
                    self.cfg
                        .rules
                        .store(order.as_ref(), &cmd, &staff, approver.as_ref())?;
                self.add_events(&mut w, Actor::Staff { id: staff.id }, bodies, now)?;
                if let Command::CollectPayCode { auth_code, .. } = &cmd {
                    self.collect_report(&mut w, auth_code, now);
                }
            }
        }
        Ok(w)
    }

    pub(super) fn check_seq(&self, seq: u64) -> Result<(), EngineError> {
        if seq > self.cursor + 1 {
            return Err(EngineError::Gap {
                cursor: self.cursor,
                seq,
            });
        }
        Ok(())
    }

    pub(super) fn last_bumped(&self) -> Option<OrderId> {
        self.bumped
            .iter()
            .rev()
            .find(|id| self.orders.get(*id).is_some_and(|o| o.bumped_at.is_some()))
            .cloned()
    }

    pub(super) fn quarantine(
        &mut self,
        w: &mut Writes,
        seq: Option<u64>,
        raw: String,
        error: String,
        now: DateTime<FixedOffset>,
    ) -> Result<(), EngineError> {
        let id = self.next_quarantine;
        self.next_quarantine += 1;
        let q = QuarantinedFrame {
            id,
            at: now,
            seq,
            raw,
            error: error.clone(),
        };
        tracing::warn!(seq, error = %error, "frame quarantined");
        w.put(QUARANTINE, id.to_be_bytes().to_vec(), encode(&q));
        w.put(
            META,
            "next_quarantine",
            self.next_quarantine.to_be_bytes().to_vec(),
        );
        w.quarantine_delta += 1;
        let actor = match seq {
            Some(seq) => Actor::Platform { seq },
            None => Actor::Console,
        };
        self.add_events(
            w,
            actor,
            vec![EventBody::FrameQuarantined {
                seq,
                error,
                quarantine_id: id,
            }],
            now,
        )
    }
}

pub(super) fn pin_of(cmd: &Command) -> Option<&str> {
    match cmd {
        Command::Settle { pin, .. } => pin.as_deref(),
        _ => None,
    }
}

pub(super) fn approval_of(cmd: &Command) -> Option<&Approval> {
    match cmd {
        Command::Void { approval, .. }
        | Command::Refund { approval, .. }
        | Command::ResolveDoublePayment { approval, .. } => Some(approval),
        _ => None,
    }
}

pub(super) fn order_of(cmd: &Command) -> Option<OrderId> {
    match cmd {
        Command::Settle { order_id, .. }
        | Command::Recheck { order_id, .. }
        | Command::Bump { order_id, .. }
        | Command::Serve { order_id, .. }
        | Command::Void { order_id, .. }
        | Command::Refund { order_id, .. }
        | Command::ResolveDoublePayment { order_id, .. }
        | Command::Reprint { order_id, .. }
        | Command::CollectPayCode { order_id, .. } => Some(order_id.clone()),
        Command::Recall { order_id, .. } => order_id.clone(),
        _ => None,
    }
}

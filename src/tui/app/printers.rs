//! The printers screen: the spool's jobs (read in this process only) and
//! reprinting one.

use super::message::{Effect, Message, Pending};
use super::App;
use crate::domain::{Command, OrderId};

impl App {
    pub(super) fn update_printers(&mut self, msg: Message) -> Option<Effect> {
        let last = self.jobs.len().saturating_sub(1);
        match msg {
            Message::Up => self.jobs_selected = self.jobs_selected.saturating_sub(1),
            Message::Down => self.jobs_selected = (self.jobs_selected + 1).min(last),
            Message::PageUp => self.jobs_selected = self.jobs_selected.saturating_sub(10),
            Message::PageDown => self.jobs_selected = (self.jobs_selected + 10).min(last),
            Message::Enter => {
                let job = self.jobs.get(self.jobs_selected)?;
                let order_id = OrderId(job.doc.order_id()?.to_string());
                let staff_id = self.staff.as_ref()?.id.clone();
                return Some(Effect {
                    cmd: Command::Reprint {
                        order_id,
                        staff_id,
                        job: Some(job.job),
                    },
                    then: Vec::new(),
                    pending: Pending::Reprint { job: job.job },
                });
            }
            _ => {}
        }
        None
    }

    /// Rereads the spool for the printers screen: at most once a second
    /// unless `now`, and only while that screen is shown.
    pub fn read_jobs(&mut self, now: bool) {
        let fresh = self
            .jobs_read_at
            .is_some_and(|t| t.elapsed() < std::time::Duration::from_secs(1));
        if fresh && !now {
            return;
        }
        if let Some(Ok(mut jobs)) = self.source.local().map(|h| h.jobs()) {
            jobs.reverse();
            jobs.truncate(200);
            self.jobs = jobs;
            self.jobs_selected = self.jobs_selected.min(self.jobs.len().saturating_sub(1));
        }
        self.jobs_read_at = Some(std::time::Instant::now());
    }
}

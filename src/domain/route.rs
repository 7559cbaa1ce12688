//! Which printer prints what: stations to kitchen printers, receipts and the
//! cash drawer to the counter printer. Decides the jobs an event causes.

use super::event::{Event, EventBody};
use super::job::JobDoc;
use super::state::{Kitchen, OrderState};
use super::tender::Method;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PrinterRoute {
    pub name: String,
    pub stations: Vec<String>,
    pub receipts: bool,
    pub drawer: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Routes {
    pub printers: Vec<PrinterRoute>,
    /// Print a receipt when a payment is settled in the store.
    pub receipt_on_settle: bool,
}

impl Routes {
    /// Printers for a station. A station no printer claims goes to the
    /// receipt printer (or the first printer) so nothing is silently lost;
    /// `config check` reports such stations as errors.
    pub fn printers_for(&self, station: &str) -> Vec<&str> {
        let named: Vec<&str> = self
            .printers
            .iter()
            .filter(|p| p.stations.iter().any(|s| s == station))
            .map(|p| p.name.as_str())
            .collect();
        if !named.is_empty() {
            return named;
        }
        self.receipt_printer()
            .or_else(|| self.printers.first().map(|p| p.name.as_str()))
            .into_iter()
            .collect()
    }

    pub fn receipt_printer(&self) -> Option<&str> {
        self.printers
            .iter()
            .find(|p| p.receipts)
            .map(|p| p.name.as_str())
    }

    pub fn drawer_printer(&self) -> Option<&str> {
        self.printers
            .iter()
            .find(|p| p.drawer)
            .map(|p| p.name.as_str())
    }

    /// The jobs an event causes, given the order before and after it.
    pub fn plan(
        &self,
        ev: &Event,
        before: Option<&OrderState>,
        after: Option<&OrderState>,
    ) -> Vec<(String, JobDoc)> {
        let mut jobs = Vec::new();
        if self.printers.is_empty() {
            return jobs;
        }
        match (&ev.body, after) {
            (EventBody::Fired { lines, addon, .. }, Some(st)) => {
                for (station, ls) in by_station(st, lines) {
                    for p in self.printers_for(&station) {
                        jobs.push((
                            p.to_string(),
                            JobDoc::Kitchen {
                                order: st.order.clone(),
                                station: station.clone(),
                                lines: ls.clone(),
                                addon: *addon,
                                fired_at: ev.at,
                            },
                        ));
                    }
                }
            }
            (
                EventBody::OrderCancelled { reason, .. } | EventBody::Voided { reason, .. },
                Some(st),
            ) => {
                let Some(before) = before else { return jobs };
                let cooking: Vec<u32> = before
                    .lines
                    .iter()
                    .filter(|(_, k)| matches!(k, Kitchen::Fired | Kitchen::Ready))
                    .map(|(l, _)| *l)
                    .collect();
                for (station, ls) in by_station(st, &cooking) {
                    for p in self.printers_for(&station) {
                        jobs.push((
                            p.to_string(),
                            JobDoc::Cancel {
                                order: st.order.clone(),
                                station: station.clone(),
                                lines: ls.clone(),
                                reason: reason.clone(),
                            },
                        ));
                    }
                }
            }
            (EventBody::Settled { tenders, .. }, Some(st)) => {
                if self.receipt_on_settle {
                    if let Some(p) = self.receipt_printer() {
                        jobs.push((
                            p.to_string(),
                            JobDoc::Receipt {
                                state: Box::new(st.clone()),
                                copy: false,
                            },
                        ));
                    }
                }
                if tenders.iter().any(|t| t.method == Method::Cash) {
                    if let Some(p) = self.drawer_printer() {
                        jobs.push((p.to_string(), JobDoc::Drawer));
                    }
                }
            }
            _ => {}
        }
        jobs
    }
}

fn by_station(st: &OrderState, lines: &[u32]) -> BTreeMap<String, Vec<u32>> {
    let mut m: BTreeMap<String, Vec<u32>> = BTreeMap::new();
    for it in &st.order.items {
        if lines.contains(&it.line) {
            m.entry(it.station.clone()).or_default().push(it.line);
        }
    }
    m
}

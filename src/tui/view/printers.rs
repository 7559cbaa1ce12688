//! The printers screen: each printer's state and queue, the spooled jobs
//! (newest first), and the chosen job as it was printed, from the decoder.

use super::super::app::App;
use super::super::width::{fit, pad};
use crate::domain::job::JobState;
use crate::print::profile::Profile;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

pub(super) fn printers(app: &App, area: Rect, buf: &mut Buffer) {
    let (w, t) = (app.words, &app.opts.theme);
    let [left, right] = if area.width >= 100 {
        Layout::horizontal([Constraint::Percentage(48), Constraint::Min(40)]).areas(area)
    } else {
        Layout::horizontal([Constraint::Percentage(45), Constraint::Min(20)]).areas(area)
    };
    let [states, list] = Layout::vertical([
        Constraint::Length(app.printers.len() as u16 + 2),
        Constraint::Min(3),
    ])
    .areas(left);

    let inner = super::boxed(t, states, w.printers, buf);
    let width = inner.width as usize;
    let lines: Vec<Line> = app
        .printers
        .iter()
        .map(|p| {
            let (label, style) = super::printer_state(app, &p.state);
            let mut text = format!("{} {} {}", pad(&p.label, 8), pad(&p.name, 8), label);
            if p.queued > 0 {
                text.push_str(&format!(" [{}]", p.queued));
            }
            if let Some(e) = &p.last_error {
                text.push_str(&format!(" {e}"));
            }
            Line::from(Span::styled(fit(&text, width), style))
        })
        .collect();
    Paragraph::new(lines).render(inner, buf);

    let inner = super::boxed(t, list, w.printers, buf);
    let width = inner.width as usize;
    if app.jobs.is_empty() {
        Paragraph::new(Span::styled(
            format!(" {}", w.no_jobs),
            Style::new().fg(t.dim),
        ))
        .render(inner, buf);
    }
    let rows = inner.height as usize;
    let first = app.jobs_selected.saturating_sub(rows.saturating_sub(1));
    let lines: Vec<Line> = app
        .jobs
        .iter()
        .enumerate()
        .skip(first)
        .take(rows)
        .map(|(i, j)| {
            let pickup = job_pickup(j).unwrap_or_default();
            let state = match (j.state, j.attempts) {
                (JobState::Done, _) => "ok",
                (JobState::Moved, _) => "->",
                (JobState::Queued, 0) => "..",
                (JobState::Queued, _) => "!!",
            };
            let text = format!(
                "{} #{:<5} {} {} {} {}",
                if i == app.jobs_selected { ">" } else { " " },
                j.job,
                j.created_at.format("%H:%M:%S"),
                pad(&j.printer, 8),
                pad(j.doc.kind(), 8),
                pad(&format!("{pickup} {state}"), 10),
            );
            let style = match j.state {
                JobState::Queued if j.attempts > 0 || j.last_error.is_some() => {
                    Style::new().fg(t.late)
                }
                JobState::Queued => Style::new().fg(t.warn),
                _ if i == app.jobs_selected => Style::new()
                    .fg(t.title_fg)
                    .bg(t.title_bg)
                    .add_modifier(Modifier::BOLD),
                _ => Style::new().fg(t.fg),
            };
            Line::from(Span::styled(fit(&text, width), style))
        })
        .collect();
    Paragraph::new(lines).render(inner, buf);

    let inner = super::boxed(t, right, w.preview, buf);
    let Some(job) = app.jobs.get(app.jobs_selected) else {
        return;
    };
    let fallback;
    let profile = match app.opts.profiles.get(&job.printer) {
        Some(p) => p,
        None => {
            fallback = Profile::builtin("generic-80");
            match &fallback {
                Some(p) => p,
                None => return,
            }
        }
    };
    let width = inner.width as usize;
    let lines: Vec<Line> = crate::print::preview_text_for(job, profile, &app.opts.shop)
        .into_iter()
        .take(inner.height as usize)
        .map(|l| Line::from(fit(&l, width)))
        .collect();
    Paragraph::new(lines).render(inner, buf);
}

fn job_pickup(j: &crate::domain::job::JobRecord) -> Option<String> {
    use crate::domain::job::JobDoc;
    fn of(d: &JobDoc) -> Option<String> {
        match d {
            JobDoc::Kitchen { order, .. } | JobDoc::Cancel { order, .. } => {
                Some(order.pickup_no.clone())
            }
            JobDoc::Receipt { state, .. } => Some(state.order.pickup_no.clone()),
            JobDoc::Reprint { doc, .. } => of(doc),
            JobDoc::Drawer | JobDoc::Text { .. } => None,
        }
    }
    of(&j.doc)
}

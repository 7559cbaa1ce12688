//! The alert list and the log: recent events and today's error codes in plain words.

use super::super::alerts::AlertKey;
use super::super::app::App;
use super::super::width::{cols, fit, pad};
use crate::domain::catalogue;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

pub(super) fn alerts(app: &App, area: Rect, buf: &mut Buffer) {
    let (w, t) = (app.words, &app.opts.theme);
    let [list, keys] = Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(area);
    let inner = super::boxed(t, list, w.alerts, buf);
    let alerts = app.visible_alerts();
    if alerts.is_empty() {
        Paragraph::new(Span::styled(
            format!(" {}", w.no_alerts),
            Style::new().fg(t.ok),
        ))
        .render(inner, buf);
    }
    let width = inner.width as usize;
    let kind_w = [
        w.alert_failed,
        w.alert_double,
        w.alert_paying,
        w.alert_printer,
        w.alert_feed,
        w.alert_quarantine,
    ]
    .iter()
    .map(|s| cols(s))
    .max()
    .unwrap_or(0);
    let mut lines = Vec::new();
    for (i, a) in alerts.iter().enumerate() {
        let (what, todo) = match &a.key {
            // A payment's reason already says what to do: offer the way to the order.
            AlertKey::PaymentFailed(_) if !a.detail.is_empty() => (w.alert_failed, w.open_order),
            AlertKey::PayingTooLong(_) if !a.detail.is_empty() => (w.alert_paying, w.open_order),
            AlertKey::PaymentFailed(_) => (w.alert_failed, w.do_failed),
            AlertKey::DoublePaid(_) => (w.alert_double, w.do_double),
            AlertKey::PayingTooLong(_) => (w.alert_paying, w.do_paying),
            AlertKey::Printer(_) => (w.alert_printer, w.do_printer),
            AlertKey::Feed => (w.alert_feed, w.do_feed),
            AlertKey::Quarantine(_) => (w.alert_quarantine, w.do_quarantine),
            AlertKey::PinsHeld(_) => (w.alert_pins, w.do_pins),
        };
        let selected = i == app.alerts_selected;
        let style = if selected {
            Style::new()
                .fg(t.alert_fg)
                .bg(t.alert_bg)
                .add_modifier(Modifier::BOLD)
        } else {
            Style::new().fg(t.late)
        };
        let mark = if selected { ">" } else { " " };
        let head = format!(
            "{mark}{} {} {} {}",
            a.raised_at.format("%H:%M"),
            pad(what, kind_w),
            a.subject,
            a.detail
        );
        lines.push(Line::from(Span::styled(pad(&head, width), style)));
        lines.push(Line::from(Span::styled(
            fit(&format!("       {todo}"), width),
            Style::new().fg(t.dim),
        )));
    }
    if !lines.is_empty() {
        let sel_line = app.alerts_selected * 2;
        let skip = sel_line.saturating_sub((inner.height as usize).saturating_sub(2));
        Paragraph::new(lines.into_iter().skip(skip).collect::<Vec<_>>()).render(inner, buf);
    }
    Paragraph::new(Span::styled(
        format!(" {}", w.alert_keys),
        Style::new().fg(t.accent),
    ))
    .render(keys, buf);
}

pub(super) fn log(app: &App, area: Rect, buf: &mut Buffer) {
    let (w, t) = (app.words, &app.opts.theme);
    let wide = area.width >= 110;
    let [events, codes] = if wide {
        Layout::horizontal([Constraint::Min(40), Constraint::Percentage(45)]).areas(area)
    } else {
        Layout::vertical([
            Constraint::Min(4),
            Constraint::Length((app.codes_today.len() as u16 + 2).clamp(3, 9)),
        ])
        .areas(area)
    };
    let inner = super::boxed(t, events, w.recent_events, buf);
    let width = inner.width as usize;
    let lines: Vec<Line> = app
        .log
        .iter()
        .skip(app.log_scroll)
        .take(inner.height as usize)
        .map(|l| {
            let name = w.event(l.name);
            let text = format!(
                "{} {} {} {}",
                l.at.format("%H:%M:%S"),
                pad(name, 18),
                pad(&l.subject, 6),
                l.detail
            );
            let style = match l.name {
                "double_payment" | "frame_quarantined" | "pin_rejected" => Style::new().fg(t.late),
                "payment_updated"
                    if !l.detail.starts_with("SUCCESS") && !l.detail.starts_with("REFUND") =>
                {
                    Style::new().fg(t.warn)
                }
                "settled" | "bumped" | "served" => Style::new().fg(t.ok),
                _ => Style::new().fg(t.fg),
            };
            Line::from(Span::styled(fit(&text, width), style))
        })
        .collect();
    Paragraph::new(lines).render(inner, buf);
    let inner = super::boxed(t, codes, w.codes_today, buf);
    let width = inner.width as usize;
    if app.codes_today.is_empty() {
        Paragraph::new(Span::styled(
            format!(" {}", w.no_codes),
            Style::new().fg(t.ok),
        ))
        .render(inner, buf);
        return;
    }
    let mut counts: Vec<(&String, &u32)> = app.codes_today.iter().collect();
    counts.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let code_w = counts.iter().map(|(c, _)| cols(c)).max().unwrap_or(0);
    let lines: Vec<Line> = counts
        .into_iter()
        .map(|(code, n)| {
            let plain = match catalogue::explain(code) {
                Some(c) if w.chinese => format!("{}: {}", c.zh, c.zh_action),
                Some(c) => format!("{}: {}", c.en, c.en_action),
                None => String::new(),
            };
            Line::from(vec![
                Span::styled(
                    format!("{n:>4} "),
                    Style::new().fg(t.emphasis).add_modifier(Modifier::BOLD),
                ),
                Span::styled(format!("{} ", pad(code, code_w)), Style::new().fg(t.warn)),
                Span::raw(fit(&plain, width.saturating_sub(code_w + 6))),
            ])
        })
        .collect();
    Paragraph::new(lines).render(inner, buf);
}

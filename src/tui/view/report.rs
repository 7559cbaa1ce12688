//! The shift report screen (managers): the X-report of the open shift, else
//! the Z-report of the last closed one, laid out as on paper. Wide screens
//! show it in two columns.

use super::super::app::App;
use super::super::width::pad;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget, Wrap};

/// The widest a report column gets: a report reads best like a receipt.
const MAX_COLS: usize = 56;

pub(super) fn report(app: &App, area: Rect, buf: &mut Buffer) {
    let (w, t) = (app.words, &app.opts.theme);
    let [body, keys] = Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(area);
    let inner = super::boxed(t, body, w.report, buf);
    let two = inner.width as usize >= 2 * 40 + 3;
    let col_w = if two {
        ((inner.width as usize - 3) / 2).min(MAX_COLS)
    } else {
        (inner.width as usize).saturating_sub(2).min(MAX_COLS)
    };
    if let Some(Err(e)) = &app.report {
        Paragraph::new(Span::styled(format!(" {e}"), Style::new().fg(t.warn)))
            .wrap(Wrap { trim: false })
            .render(inner, buf);
    }
    let lines = app.report_lines(col_w.max(20));
    let h = inner.height as usize;
    let per_page = if two { 2 * h } else { h };
    let last_start = lines.len().saturating_sub(per_page);
    let start = app.report_scroll.min(last_start);
    let shown: Vec<&String> = lines.iter().skip(start).take(per_page).collect();
    let style = Style::new().fg(t.fg);
    let cell = |s: &str| Line::from(Span::styled(format!(" {}", pad(s, col_w)), style));
    if two {
        let [l, r] = Layout::horizontal([
            Constraint::Length(col_w as u16 + 2),
            Constraint::Length(col_w as u16 + 2),
        ])
        .spacing(1)
        .areas(inner);
        let left: Vec<Line> = shown.iter().take(h).map(|s| cell(s)).collect();
        let right: Vec<Line> = shown.iter().skip(h).map(|s| cell(s)).collect();
        Paragraph::new(left).render(l, buf);
        Paragraph::new(right).render(r, buf);
    } else {
        let v: Vec<Line> = shown.iter().map(|s| cell(s)).collect();
        Paragraph::new(v).render(inner, buf);
    }
    Paragraph::new(Span::styled(
        format!(" {}", w.report_keys),
        Style::new().fg(t.accent),
    ))
    .render(keys, buf);
}

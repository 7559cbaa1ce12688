//! The sign-in prompt: staff id and PIN, the engine's refusal when wrong.

use super::super::app::{App, SignInField};
use super::{boxed, centered};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget, Wrap};

pub(super) fn sign_in(app: &App, area: Rect, buf: &mut Buffer) {
    let (w, t) = (app.words, &app.opts.theme);
    let f = &app.sign_in;
    let rect = centered(area, 60, 10);
    let inner = boxed(
        t,
        rect,
        &format!("{} {}", app.opts.store_name, w.sign_in),
        buf,
    );
    let field = |label: &str, value: String, active: bool| {
        let style = if active {
            Style::new()
                .fg(t.title_fg)
                .bg(t.title_bg)
                .add_modifier(Modifier::BOLD)
        } else {
            Style::new().fg(t.card_fg).bg(t.selected_bg)
        };
        let cursor = if active { "_" } else { " " };
        Line::from(vec![
            Span::raw(format!("  {} ", super::super::width::pad(label, 10))),
            Span::styled(
                format!(
                    " {value}{cursor}{:width$}",
                    "",
                    width = 10usize.saturating_sub(value.len())
                ),
                style,
            ),
        ])
    };
    let mut lines = vec![
        Line::raw(""),
        field(w.staff_id, f.id.clone(), f.field == SignInField::Id),
        Line::raw(""),
        field(w.pin, "*".repeat(f.pin.len()), f.field == SignInField::Pin),
        Line::raw(""),
    ];
    match &f.message {
        Some(m) => lines.push(Line::from(Span::styled(
            format!("  {m}"),
            Style::new().fg(t.late).add_modifier(Modifier::BOLD),
        ))),
        None => lines.push(Line::from(Span::styled(
            format!("  {}", w.sign_in_hint),
            Style::new().fg(t.dim),
        ))),
    }
    Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .render(inner, buf);
}

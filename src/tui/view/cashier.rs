//! The cashier's table: orders that need a person first, then unpaid ones,
//! then the rest; the selected order's reason in full underneath.

use super::super::alerts::payment_reason;
use super::super::app::App;
use super::super::width::{fit, pad, pad_left};
use super::age;
use crate::domain::{OrderState, PaymentSummary};
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

/// Column widths: pickup, table, channel, amount, payment, age; the reason takes the rest.
const WIDTHS: [usize; 6] = [7, 6, 8, 9, 12, 6];

/// The reason column in plain words.
pub(super) fn reason(app: &App, st: &OrderState) -> String {
    let w = app.words;
    if st.double_paid && !st.double_resolved {
        return w.paid_twice.to_string();
    }
    if super::super::alerts::paying_too_long(st, app.now(), app.opts.paying_alert_seconds) {
        let r = payment_reason(st, w.chinese).unwrap_or_default();
        return format!("{} {r}", w.paying_long);
    }
    match st.payment() {
        PaymentSummary::Failed | PaymentSummary::Paying | PaymentSummary::Unpaid => {
            payment_reason(st, w.chinese).unwrap_or_default()
        }
        _ => st
            .voided
            .as_ref()
            .map(|(_, r)| r.clone())
            .or(st.cancelled.clone())
            .unwrap_or_default(),
    }
}

fn row_text(app: &App, st: &OrderState, reason_w: usize) -> String {
    let w = app.words;
    let cells = [
        pad(&st.order.pickup_no, WIDTHS[0]),
        pad(st.order.table.as_deref().unwrap_or("-"), WIDTHS[1]),
        pad(w.channel(st.order.channel), WIDTHS[2]),
        pad_left(&st.effective_due().to_string(), WIDTHS[3] - 1) + " ",
        pad(w.payment(st.payment()), WIDTHS[4]),
        pad_left(&age(app.now(), st.order.placed_at), WIDTHS[5] - 1) + " ",
        fit(&reason(app, st), reason_w),
    ];
    cells.concat()
}

pub(super) fn cashier(app: &App, area: Rect, buf: &mut Buffer) {
    let (w, t) = (app.words, &app.opts.theme);
    let [table, detail] = Layout::vertical([Constraint::Min(2), Constraint::Length(2)]).areas(area);
    let reason_w = (table.width as usize).saturating_sub(WIDTHS.iter().sum::<usize>() + 2);
    let header = [
        pad(w.col_pickup, WIDTHS[0]),
        pad(w.col_table, WIDTHS[1]),
        pad(w.col_channel, WIDTHS[2]),
        pad_left(w.col_amount, WIDTHS[3] - 1) + " ",
        pad(w.col_payment, WIDTHS[4]),
        pad_left(w.col_age, WIDTHS[5] - 1) + " ",
        w.col_reason.to_string(),
    ]
    .concat();
    let head_style = Style::new()
        .fg(t.bar_fg)
        .bg(t.bar_bg)
        .add_modifier(Modifier::BOLD);
    buf.set_style(Rect::new(table.x, table.y, table.width, 1), head_style);
    buf.set_string(
        table.x + 2,
        table.y,
        fit(&header, table.width.saturating_sub(2) as usize),
        head_style,
    );
    let rows = app.cashier_rows();
    if rows.is_empty() {
        buf.set_string(
            table.x + 2,
            table.y + 1,
            w.no_orders,
            Style::new().fg(t.dim),
        );
        return;
    }
    let visible = table.height.saturating_sub(1) as usize;
    let sel = app.cashier_index(&rows);
    let offset = sel.saturating_sub(visible.saturating_sub(1));
    let now = app.now();
    for (k, st) in rows.iter().enumerate().skip(offset).take(visible) {
        let y = table.y + 1 + (k - offset) as u16;
        let group = app.cashier_group(st, now);
        let mut style = match group {
            0 => Style::new().fg(t.late).add_modifier(Modifier::BOLD),
            1 => Style::new().fg(t.fg),
            _ => Style::new().fg(t.dim),
        };
        if k == sel {
            style = style.bg(t.selected_bg).add_modifier(Modifier::BOLD);
            buf.set_style(Rect::new(table.x, y, table.width, 1), style);
        }
        let mark = if k == sel { "> " } else { "  " };
        buf.set_string(
            table.x,
            y,
            format!("{mark}{}", row_text(app, st, reason_w)),
            style,
        );
    }
    if let Some(st) = rows.get(sel) {
        detail_lines(app, st, detail, buf);
    }
}

/// The selected order in full: items, the whole reason, what keys do.
fn detail_lines(app: &App, st: &OrderState, area: Rect, buf: &mut Buffer) {
    let (w, t) = (app.words, &app.opts.theme);
    let items: Vec<String> = st
        .order
        .items
        .iter()
        .map(|i| format!("{}x{}", i.qty, i.name))
        .collect();
    let first = format!(
        " {} {} {} {} {} {}  {}",
        st.order.pickup_no,
        w.channel(st.order.channel),
        w.due,
        st.effective_due(),
        w.still_due,
        st.remaining(),
        items.join(" ")
    );
    let second = format!(" {}", reason(app, st));
    let width = area.width as usize;
    let lines = vec![
        Line::from(Span::styled(
            fit(&first, width),
            Style::new().fg(t.fg).add_modifier(Modifier::BOLD),
        )),
        Line::from(Span::styled(
            fit(&second, width),
            Style::new().fg(t.emphasis),
        )),
    ];
    buf.set_style(area, Style::new().bg(t.card_bg));
    Paragraph::new(lines).render(area, buf);
}

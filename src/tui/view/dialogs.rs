//! Dialogs over the cashier screen: settle (method, amount, live change,
//! split, PIN), the manager-approved actions (void, double payment), and
//! opening or closing a shift (float; drawer counted by denomination).

use super::super::app::{
    App, ManagerAction, ManagerDialog, SettleDialog, SettleStage, ShiftAction, ShiftDialog,
};
use super::super::width::pad;
use crate::domain::Method;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};

pub(super) fn settle(app: &App, d: &SettleDialog, area: Rect, buf: &mut Buffer) {
    let (w, t) = (app.words, &app.opts.theme);
    let Some(st) = app.board.get(&d.order_id) else {
        return;
    };
    let label = |s: &str| Span::styled(format!(" {} ", pad(s, 12)), Style::new().fg(t.dim));
    let big = Style::new().fg(t.emphasis).add_modifier(Modifier::BOLD);
    let table = st
        .order
        .table
        .as_deref()
        .map(|x| format!(" {}{x}", w.table))
        .unwrap_or_default();
    let mut lines = vec![Line::from(vec![
        Span::styled(format!(" {}{table} ", st.order.pickup_no), big),
        Span::raw(format!(
            " {} {}   {} ",
            w.due,
            st.effective_due(),
            w.still_due
        )),
        Span::styled(app.settle_left(d).to_string(), big),
    ])];
    if let Some(r) = super::super::alerts::payment_reason(st, w.chinese) {
        lines.push(Line::from(Span::styled(
            format!(" {r}"),
            Style::new().fg(t.late),
        )));
    }
    lines.push(Line::raw(""));
    match d.stage {
        SettleStage::OutcomeOpen => {
            let warn = Style::new()
                .fg(t.alert_fg)
                .bg(t.alert_bg)
                .add_modifier(Modifier::BOLD);
            lines.push(Line::from(Span::styled(
                format!(" ! {} ", w.outcome_open),
                warn,
            )));
            lines.push(Line::raw(""));
            lines.push(Line::from(Span::styled(
                format!(" {}", w.outcome_keys),
                Style::new().fg(t.accent),
            )));
        }
        SettleStage::Tender | SettleStage::Pin => {
            let methods: Vec<Span> = Method::ALL
                .iter()
                .map(|m| {
                    let style = if *m == d.method {
                        Style::new()
                            .fg(t.title_fg)
                            .bg(t.title_bg)
                            .add_modifier(Modifier::BOLD)
                    } else {
                        Style::new().fg(t.dim)
                    };
                    Span::styled(format!(" {} ", w.method(*m)), style)
                })
                .collect();
            lines.push(Line::from([vec![label(w.method)], methods].concat()));
            lines.extend(super::counter::scan_lines(app, d));
            for tdr in &d.tenders {
                lines.push(Line::from(vec![
                    label(w.split_so_far),
                    Span::raw(format!("{} {}", w.method(tdr.method), tdr.amount)),
                    Span::styled(
                        tdr.tendered
                            .filter(|x| *x != tdr.amount)
                            .map(|x| format!("  ({} {x})", w.tendered))
                            .unwrap_or_default(),
                        Style::new().fg(t.dim),
                    ),
                ]));
            }
            if d.stage == SettleStage::Tender {
                let preview = app.settle_preview(d);
                lines.push(Line::from(vec![
                    label(w.tendered),
                    Span::styled(
                        format!(" {}_ ", d.input),
                        Style::new()
                            .fg(t.title_fg)
                            .bg(t.title_bg)
                            .add_modifier(Modifier::BOLD),
                    ),
                    Span::styled(
                        match (preview, d.input.is_empty()) {
                            (Some((amount, _, _)), true) => format!("  = {amount}"),
                            _ => String::new(),
                        },
                        Style::new().fg(t.dim),
                    ),
                ]));
                let change = match preview {
                    Some((_, _, c)) => c.to_string(),
                    None => "?".into(),
                };
                lines.push(Line::from(vec![label(w.change), Span::styled(change, big)]));
                lines.push(Line::raw(""));
                lines.push(Line::from(Span::styled(
                    format!(" {}", w.settle_keys),
                    Style::new().fg(t.accent),
                )));
            } else {
                lines.push(Line::from(vec![
                    label(w.cashier_pin),
                    Span::styled(
                        format!(" {}_ ", "*".repeat(d.pin.len())),
                        Style::new()
                            .fg(t.title_fg)
                            .bg(t.title_bg)
                            .add_modifier(Modifier::BOLD),
                    ),
                ]));
                lines.push(Line::raw(""));
                lines.push(Line::from(Span::styled(
                    format!(" {}", w.pin_keys),
                    Style::new().fg(t.accent),
                )));
            }
        }
    }
    if let Some(e) = &d.error {
        lines.push(super::error_line(t, e));
    }
    super::dialog(t, area, (78, lines.len() as u16 + 2), w.settle, lines, buf);
}

pub(super) fn manager(app: &App, d: &ManagerDialog, area: Rect, buf: &mut Buffer) {
    let (w, t) = (app.words, &app.opts.theme);
    let pickup = app
        .board
        .get(&d.order_id)
        .map(|st| st.order.pickup_no.clone())
        .unwrap_or_default();
    let (title, text_label) = match d.action {
        ManagerAction::Void => (w.void_order, w.reason),
        ManagerAction::ResolveDouble { .. } => (w.resolve_double, w.note),
    };
    let field = |i: usize, label: &str, value: String| {
        let active = d.field == i;
        let style = if active {
            Style::new()
                .fg(t.title_fg)
                .bg(t.title_bg)
                .add_modifier(Modifier::BOLD)
        } else {
            Style::new().fg(t.card_fg).bg(t.selected_bg)
        };
        Line::from(vec![
            Span::styled(format!(" {} ", pad(label, 12)), Style::new().fg(t.dim)),
            Span::styled(
                format!(" {value}{} ", if active { "_" } else { " " }),
                style,
            ),
        ])
    };
    let mut lines = vec![Line::from(Span::styled(
        format!(" {pickup}"),
        Style::new().fg(t.emphasis).add_modifier(Modifier::BOLD),
    ))];
    if let ManagerAction::ResolveDouble { refund_in_store } = d.action {
        let pick = |on: bool, s: &str| {
            let style = if on {
                Style::new()
                    .fg(t.title_fg)
                    .bg(t.title_bg)
                    .add_modifier(Modifier::BOLD)
            } else {
                Style::new().fg(t.dim)
            };
            Span::styled(format!(" {s} "), style)
        };
        lines.push(Line::from(vec![
            Span::raw("  <> "),
            pick(refund_in_store, w.refund_in_store),
            Span::raw(" "),
            pick(!refund_in_store, w.refund_online),
        ]));
    }
    lines.push(field(0, text_label, d.text.clone()));
    lines.push(field(1, w.manager_id, d.manager_id.clone()));
    lines.push(field(2, w.manager_pin, "*".repeat(d.pin.len())));
    lines.push(Line::raw(""));
    lines.push(Line::from(Span::styled(
        format!(" {}", w.manager_keys),
        Style::new().fg(t.accent),
    )));
    if let Some(e) = &d.error {
        lines.push(super::error_line(t, e));
    }
    super::dialog(t, area, (64, lines.len() as u16 + 2), title, lines, buf);
}

pub(super) fn shift(app: &App, d: &ShiftDialog, area: Rect, buf: &mut Buffer) {
    use crate::domain::shift::Denomination;
    use crate::domain::Fen;
    let (w, t) = (app.words, &app.opts.theme);
    let field = |i: usize, label: &str, value: String, extra: String| {
        let active = d.field == i;
        let style = if active {
            Style::new()
                .fg(t.title_fg)
                .bg(t.title_bg)
                .add_modifier(Modifier::BOLD)
        } else {
            Style::new().fg(t.card_fg).bg(t.selected_bg)
        };
        Line::from(vec![
            Span::styled(format!(" {} ", pad(label, 12)), Style::new().fg(t.dim)),
            Span::styled(
                format!(
                    " {} ",
                    pad(&format!("{value}{}", if active { "_" } else { "" }), 9)
                ),
                style,
            ),
            Span::styled(extra, Style::new().fg(t.dim)),
        ])
    };
    let mut lines = Vec::new();
    let title = match d.action {
        ShiftAction::Open => {
            lines.push(field(0, w.float_yuan, d.values[0].clone(), String::new()));
            w.open_shift
        }
        ShiftAction::Close => {
            for (i, den) in Denomination::ALL.into_iter().enumerate() {
                let n: i64 = d.values[i].parse().unwrap_or(0);
                let sub = Fen(den.value().0 * n);
                let extra = if n > 0 {
                    format!(" {sub}")
                } else {
                    String::new()
                };
                let label = format!("{}{}", den.label(), w.yuan);
                lines.push(field(i, &label, d.values[i].clone(), extra));
            }
            lines.push(Line::from(vec![
                Span::styled(format!(" {} ", pad(w.counted, 12)), Style::new().fg(t.dim)),
                Span::styled(
                    format!(" {}", d.count().total()),
                    Style::new().fg(t.emphasis).add_modifier(Modifier::BOLD),
                ),
            ]));
            let mark = |on: bool, s: &str| {
                let style = if on {
                    Style::new()
                        .fg(t.title_fg)
                        .bg(t.title_bg)
                        .add_modifier(Modifier::BOLD)
                } else {
                    Style::new().fg(t.dim)
                };
                Span::styled(format!(" {s} "), style)
            };
            lines.push(Line::from(vec![
                Span::styled(
                    format!(" {} ", pad(w.confirm_open, 12)),
                    Style::new().fg(t.dim),
                ),
                Span::raw("<>"),
                mark(d.confirm, w.yes),
                mark(!d.confirm, w.no),
            ]));
            let m = d.values.len();
            lines.push(field(m, w.manager_id, d.manager_id.clone(), String::new()));
            w.close_shift
        }
    };
    let pin_label = match d.action {
        ShiftAction::Open => w.your_pin,
        ShiftAction::Close => w.manager_pin,
    };
    lines.push(field(
        d.pin_field(),
        pin_label,
        "*".repeat(d.pin.len()),
        String::new(),
    ));
    lines.push(Line::from(Span::styled(
        format!(" {}", w.shift_keys),
        Style::new().fg(t.accent),
    )));
    if let Some(e) = &d.error {
        lines.push(super::error_line(t, e));
    }
    // An error wraps inside the box: make room for all of it.
    let wrapped = d
        .error
        .as_ref()
        .map(|e| super::super::width::cols(e) / 66)
        .unwrap_or(0);
    super::dialog(
        t,
        area,
        (70, (lines.len() + wrapped) as u16 + 2),
        title,
        lines,
        buf,
    );
}

//! The counter's panels: order entry (lines, search, total) over the cashier
//! screen, the scan lines of the settle dialog, and the unsent-report count.

use super::super::app::{App, SettleDialog};
use super::super::width::{fit, pad, pad_left};
use crate::counter::entry::EntryField;
use crate::counter::OrderEntry;
use crate::domain::status::LinkState;
use crate::domain::{Dining, Method, TradeState};
use crate::tui::app::counter::words;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};

/// The help overlay's keys for order entry, [中文, English].
pub(super) const KEYS: [&[(&str, &str)]; 2] = [
    &[
        ("字母/数字", "编码或拼音首字母"),
        ("Enter", "加入最匹配的菜; 空时下单"),
        ("数字", "(未输入时) 上一道菜的数量"),
        ("+ 数字", "上一道菜的口味"),
        ("Tab", "堂食/外带"),
        ("#", "桌号"),
        ("/", "备注"),
        ("Backspace", "删字; 空时删上一道菜"),
        ("Esc", "取消"),
    ],
    &[
        ("letters", "a sku or pinyin initials"),
        ("Enter", "add the best match; empty: place the order"),
        ("digits", "(nothing typed) quantity of the last dish"),
        ("+ digit", "a modifier of the last dish"),
        ("Tab", "dine in / takeaway"),
        ("#", "table"),
        ("/", "note"),
        ("Backspace", "delete; empty: remove the last dish"),
        ("Esc", "cancel"),
    ],
];

pub(super) fn order_entry(app: &App, e: &OrderEntry, area: Rect, buf: &mut Buffer) {
    let (w, t) = (app.words, &app.opts.theme);
    let cw = words(w.chinese);
    let Some(setup) = &app.counter else {
        return;
    };
    let width: usize = 76;
    let big = Style::new().fg(t.emphasis).add_modifier(Modifier::BOLD);
    let field = Style::new()
        .fg(t.title_fg)
        .bg(t.title_bg)
        .add_modifier(Modifier::BOLD);
    let dim = Style::new().fg(t.dim);
    let caret = |on: bool| if on { "_" } else { "" };
    let dining = match e.dining {
        Dining::Takeaway => cw.takeaway,
        Dining::DineIn => cw.dine_in,
    };
    let mut lines = vec![Line::from(vec![
        Span::styled(format!(" {dining} "), field),
        Span::styled(format!("  {} ", cw.table), dim),
        Span::raw(format!(
            "{}{}",
            e.table,
            caret(e.field == EntryField::Table)
        )),
        Span::styled(format!("  {} ", cw.note), dim),
        Span::raw(format!("{}{}", e.note, caret(e.field == EntryField::Note))),
    ])];
    lines.push(Line::raw(""));
    if e.lines.is_empty() {
        lines.push(Line::from(Span::styled(format!(" {}", cw.empty), dim)));
    }
    for (i, l) in e.lines.iter().enumerate() {
        let mods = l.modifiers.join(" ");
        let left = format!(" {:>2} {} x{} ", i + 1, l.name, l.qty);
        lines.push(Line::from(vec![
            Span::raw(pad(&left, 30)),
            Span::styled(pad(&fit(&mods, 30), 32), Style::new().fg(t.accent)),
            Span::raw(pad_left(&l.total().to_string(), 10)),
        ]));
    }
    lines.push(Line::raw(""));
    if e.field == EntryField::Modifier {
        let offered = e
            .lines
            .last()
            .map(|l| l.offered.clone())
            .unwrap_or_default();
        let text: Vec<String> = offered
            .iter()
            .enumerate()
            .take(9)
            .map(|(i, m)| format!("{} {m}", i + 1))
            .collect();
        lines.push(Line::from(Span::styled(
            format!(" {}", fit(&text.join("  "), width - 2)),
            big,
        )));
        lines.push(Line::from(Span::styled(
            format!(" {}", cw.modifier_keys),
            dim,
        )));
    } else {
        let found: Vec<String> = e
            .matches(&setup.menu, 4)
            .iter()
            .map(|it| {
                let sold = if it.available { "" } else { "(x)" };
                format!("{}{sold} {}", it.name, it.price)
            })
            .collect();
        lines.push(Line::from(vec![
            Span::styled(format!(" {} ", pad(cw.search, 10)), dim),
            Span::styled(
                format!(" {}{} ", e.query, caret(e.field == EntryField::Search)),
                field,
            ),
            Span::raw(fit(&format!("  {}", found.join(" | ")), width - 24)),
        ]));
    }
    lines.push(Line::from(vec![
        Span::styled(format!(" {} ", pad(cw.total, 10)), dim),
        Span::styled(e.total().to_string(), big),
    ]));
    if let Some(err) = &e.error {
        lines.push(super::error_line(t, err));
    }
    lines.push(Line::from(Span::styled(
        format!(" {}", cw.keys),
        Style::new().fg(t.accent),
    )));
    super::dialog(t, area, (78, lines.len() as u16 + 3), cw.title, lines, buf);
}

/// What "scan" means in the settle dialog right now, and a code's progress.
pub(super) fn scan_lines(app: &App, d: &SettleDialog) -> Vec<Line<'static>> {
    let t = &app.opts.theme;
    let cw = words(app.words.chinese);
    let mut out = Vec::new();
    if let Some(c) = app.collecting().filter(|c| c.order_id == d.order_id) {
        let text = match c.state {
            Some(TradeState::Userpaying) => cw.confirming,
            _ => cw.sent,
        };
        out.push(Line::from(Span::styled(
            format!(" {} {} {text}", c.channel.as_str(), c.masked),
            Style::new()
                .fg(t.alert_fg)
                .bg(t.alert_bg)
                .add_modifier(Modifier::BOLD),
        )));
    } else if d.method == Method::Scan {
        let (text, color) = match &app.feed.link {
            LinkState::Online => (cw.scan_online, t.ok),
            LinkState::Disabled => (cw.scan_no_feed, t.dim),
            _ => (cw.scan_manual, t.warn),
        };
        out.push(Line::from(Span::styled(
            format!(" {text}"),
            Style::new().fg(color),
        )));
    }
    out
}

/// "unsent 3" on the status bar while reports wait for the platform.
pub(super) fn unsent_span(app: &App) -> Option<Span<'static>> {
    let n = app.feed.unsent_reports;
    (n > 0).then(|| {
        let t = &app.opts.theme;
        Span::styled(
            format!(" {}:{n}", words(app.words.chinese).unsent),
            Style::new().fg(t.warn).bg(t.bar_bg),
        )
    })
}

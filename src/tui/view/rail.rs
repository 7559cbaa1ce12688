//! The kitchen rail: order cards in arrival order, coloured by age, the
//! all-day counts, the typed number and the ready shelf.

use super::super::app::App;
use super::super::width::{cols, fit, pad};
use super::age;
use crate::domain::{Kitchen, OrderState};
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

/// Narrowest card; the rail fits as many columns as this allows.
const CARD_MIN: u16 = 25;

pub(super) fn rail(app: &App, area: Rect, buf: &mut Buffer) {
    let wide = area.width >= 100;
    let side = if area.width >= 160 { 30 } else { 24 };
    let [main, panel] = if wide {
        Layout::horizontal([Constraint::Min(0), Constraint::Length(side)]).areas(area)
    } else {
        [area, Rect::default()]
    };
    let [cards_area, info] =
        Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(main);
    cards(app, cards_area, buf);
    info_line(app, info, buf, !wide);
    if wide {
        all_day(app, panel, buf);
    }
}

/// The age colour of a card: (title background, title foreground).
fn age_colours(app: &App, st: &OrderState) -> (Color, Color) {
    let t = &app.opts.theme;
    let since = st.fired_at.unwrap_or(st.order.placed_at);
    let mins = (app.now() - since).num_minutes();
    if mins >= i64::from(app.opts.late_minutes) {
        (t.late, Color::Black)
    } else if mins >= i64::from(app.opts.warn_minutes) {
        (t.warn, Color::Black)
    } else {
        (t.title_bg, t.title_fg)
    }
}

/// A card's lines: title, dishes with modifiers and notes, the order's note.
fn card_lines(
    app: &App,
    n: usize,
    st: &OrderState,
    width: usize,
    selected: bool,
) -> Vec<Line<'static>> {
    let (w, t) = (app.words, &app.opts.theme);
    let (tbg, tfg) = age_colours(app, st);
    let title_style = Style::new().fg(tfg).bg(tbg).add_modifier(Modifier::BOLD);
    let mark = if selected { ">" } else { " " };
    let table = st
        .order
        .table
        .as_deref()
        .map(|x| format!(" {}{x}", w.table))
        .unwrap_or_default();
    let left = format!(
        "{mark}{n} {}{table} {}",
        st.order.pickup_no,
        w.dining(st.order.dining)
    );
    let right = format!(
        " {} ",
        age(app.now(), st.fired_at.unwrap_or(st.order.placed_at))
    );
    let room = width.saturating_sub(cols(&right));
    let mut lines = vec![Line::from(Span::styled(
        format!("{}{right}", pad(&left, room)),
        title_style,
    ))];
    let filter = app.station_filter();
    let body = Style::new()
        .fg(t.card_fg)
        .bg(if selected { t.selected_bg } else { t.card_bg });
    for (i, it) in app.rail_lines(st, &filter).into_iter().enumerate() {
        let ready = st.lines.get(&it.line) == Some(&Kitchen::Ready);
        let chosen = selected && app.rail.item == Some(i);
        let mut style = body.add_modifier(Modifier::BOLD);
        if ready {
            style = Style::new()
                .fg(t.dim)
                .bg(body.bg.unwrap_or(t.card_bg))
                .add_modifier(Modifier::CROSSED_OUT);
        }
        if chosen {
            style = style.add_modifier(Modifier::REVERSED);
        }
        let head = if chosen { ">" } else { " " };
        lines.push(Line::from(Span::styled(
            pad(&format!("{head}{}x {}", it.qty, it.name), width),
            style,
        )));
        let emph = Style::new()
            .fg(t.emphasis)
            .bg(body.bg.unwrap_or(t.card_bg))
            .add_modifier(Modifier::BOLD);
        if !it.modifiers.is_empty() {
            lines.push(Line::from(Span::styled(
                pad(&format!("    {}", it.modifiers.join(" ")), width),
                emph,
            )));
        }
        if !it.note.trim().is_empty() {
            lines.push(Line::from(Span::styled(
                pad(&format!("    ! {}", it.note.trim()), width),
                emph.add_modifier(Modifier::UNDERLINED),
            )));
        }
    }
    if !st.order.note.trim().is_empty() {
        let emph = Style::new()
            .fg(t.emphasis)
            .bg(body.bg.unwrap_or(t.card_bg))
            .add_modifier(Modifier::BOLD);
        lines.push(Line::from(Span::styled(
            pad(&format!(" ! {}", st.order.note.trim()), width),
            emph,
        )));
    }
    lines
}

/// Lines a card takes (the same count `card_lines` makes).
fn card_height(app: &App, st: &OrderState) -> u16 {
    let filter = app.station_filter();
    let dishes: usize = app
        .rail_lines(st, &filter)
        .iter()
        .map(|it| {
            1 + usize::from(!it.modifiers.is_empty()) + usize::from(!it.note.trim().is_empty())
        })
        .sum();
    (1 + dishes + usize::from(!st.order.note.trim().is_empty())) as u16
}

fn cards(app: &App, area: Rect, buf: &mut Buffer) {
    let (w, t) = (app.words, &app.opts.theme);
    let orders = app.rail_orders();
    if orders.is_empty() {
        let msg = Paragraph::new(Span::styled(
            format!("  {}", w.rail_empty),
            Style::new().fg(t.dim),
        ));
        msg.render(area, buf);
        return;
    }
    let ncols = (area.width / CARD_MIN).max(1) as usize;
    let card_w = area.width / ncols as u16;
    let rows: Vec<&[&OrderState]> = orders.chunks(ncols).collect();
    let heights: Vec<u16> = rows
        .iter()
        .map(|r| r.iter().map(|st| card_height(app, st)).max().unwrap_or(1))
        .collect();
    // Scroll so the row holding the selected card is on screen.
    let sel = app.rail.selected.min(orders.len() - 1);
    let sel_row = sel / ncols;
    let mut first = sel_row;
    let mut used = heights[sel_row];
    while first > 0 && used + 1 + heights[first - 1] <= area.height {
        first -= 1;
        used += 1 + heights[first];
    }
    let mut y = area.y;
    let mut shown = 0;
    for (r, row) in rows.iter().enumerate().skip(first) {
        let left = area.bottom().saturating_sub(y);
        if left < 2 {
            break;
        }
        let h = heights[r].min(left);
        for (k, st) in row.iter().enumerate() {
            let i = r * ncols + k;
            let lines = card_lines(app, i + 1, st, card_w.saturating_sub(1) as usize, i == sel);
            let x = area.x + k as u16 * card_w;
            let rect = Rect::new(x, y, card_w.saturating_sub(1), h);
            buf.set_style(rect, Style::new().fg(t.card_fg).bg(t.card_bg));
            Paragraph::new(lines).render(rect, buf);
        }
        shown += row.len();
        y += h + 1;
    }
    let hidden = orders.len() - shown;
    if hidden > 0 {
        let text = format!(" +{hidden} {} ", w.more_cards);
        let x = area.right().saturating_sub(cols(&text) as u16);
        buf.set_string(
            x,
            area.bottom().saturating_sub(1),
            text,
            Style::new().fg(t.alert_fg).bg(t.alert_bg),
        );
    }
}

/// Station, the typed number, the ready shelf (and the all-day counts when narrow).
fn info_line(app: &App, area: Rect, buf: &mut Buffer, with_all_day: bool) {
    let (w, t) = (app.words, &app.opts.theme);
    let bar = Style::new().fg(t.bar_fg).bg(t.bar_bg);
    buf.set_style(area, bar);
    let station = match app.station_filter() {
        Some(s) => s.join(","),
        None => w.all_stations.to_string(),
    };
    let mut spans = vec![
        Span::styled(format!(" [*]{}:{station} ", w.station), bar),
        Span::styled(
            format!(" {}:{:<4} ", w.typed, format!("{}_", app.rail.input)),
            Style::new()
                .fg(t.title_fg)
                .bg(t.title_bg)
                .add_modifier(Modifier::BOLD),
        ),
    ];
    let ready: Vec<String> = app
        .ready_orders()
        .iter()
        .map(|st| st.order.pickup_no.clone())
        .collect();
    if !ready.is_empty() {
        spans.push(Span::styled(
            format!(" [.]{}: {} ", w.ready_shelf, ready.join(" ")),
            bar.fg(t.ok),
        ));
    }
    if with_all_day {
        let counts: Vec<String> = app
            .all_day()
            .iter()
            .map(|(d, n)| format!("{d}{n}"))
            .collect();
        if !counts.is_empty() {
            spans.push(Span::styled(
                format!(" {}: {}", w.all_day, counts.join(" ")),
                bar,
            ));
        }
    }
    Paragraph::new(Line::from(spans)).render(area, buf);
}

/// The open count of each dish across the rail.
fn all_day(app: &App, area: Rect, buf: &mut Buffer) {
    let (w, t) = (app.words, &app.opts.theme);
    let inner = super::boxed(t, area, w.all_day, buf);
    let width = inner.width as usize;
    let lines: Vec<Line> = app
        .all_day()
        .into_iter()
        .map(|(dish, n)| {
            let count = format!("{n:>3}");
            let name = fit(&dish, width.saturating_sub(cols(&count) + 1));
            Line::from(vec![
                Span::styled(
                    pad(&name, width.saturating_sub(cols(&count))),
                    Style::new().fg(t.card_fg),
                ),
                Span::styled(
                    count,
                    Style::new().fg(t.emphasis).add_modifier(Modifier::BOLD),
                ),
            ])
        })
        .collect();
    Paragraph::new(lines).render(inner, buf);
}

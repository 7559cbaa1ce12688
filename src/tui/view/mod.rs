//! Drawing: `impl Widget for &App`, one function per panel. Views only read
//! the app; nothing here changes state. Borders and markers are ASCII so
//! that terminals which draw East Asian ambiguous-width symbols two columns
//! wide still line up.

mod cashier;
mod counter;
mod dialogs;
mod lists;
mod printers;
mod rail;
mod report;
mod sign_in;

use super::app::{App, Dialog, Note, Screen};
use super::theme::Theme;
use super::width::{cols, fit};
use crate::domain::status::LinkState;
use crate::domain::status::PrinterState;
use chrono::{DateTime, FixedOffset};
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::symbols::border;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Widget};

/// ASCII borders: the same width in every terminal and locale.
pub(crate) const ASCII: border::Set<'static> = border::Set {
    top_left: "+",
    top_right: "+",
    bottom_left: "+",
    bottom_right: "+",
    vertical_left: "|",
    vertical_right: "|",
    horizontal_top: "-",
    horizontal_bottom: "-",
};

impl Widget for &App {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = &self.opts.theme;
        buf.set_style(area, base(t));
        let banner = banner_line(self);
        let [bar, top, body, foot] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Length(u16::from(banner.is_some())),
            Constraint::Min(1),
            Constraint::Length(1),
        ])
        .areas(area);
        status_bar(self, bar, buf);
        if let Some(line) = banner {
            Paragraph::new(line).render(top, buf);
        }
        match self.screen {
            Screen::SignIn => sign_in::sign_in(self, body, buf),
            Screen::Rail => rail::rail(self, body, buf),
            Screen::Cashier => cashier::cashier(self, body, buf),
            Screen::Alerts => lists::alerts(self, body, buf),
            Screen::Log => lists::log(self, body, buf),
            Screen::Printers => printers::printers(self, body, buf),
            Screen::Report => report::report(self, body, buf),
        }
        footer(self, foot, buf);
        match &self.dialog {
            Some(Dialog::Settle(d)) => dialogs::settle(self, d, body, buf),
            Some(Dialog::Manager(d)) => dialogs::manager(self, d, body, buf),
            Some(Dialog::Shift(d)) => dialogs::shift(self, d, body, buf),
            Some(Dialog::Counter(e)) => counter::order_entry(self, e, body, buf),
            None => {}
        }
        if self.help {
            help(self, body, buf);
        }
    }
}

pub(crate) fn base(t: &Theme) -> Style {
    Style::new().fg(t.fg).bg(t.bg)
}

/// `mm:ss` under an hour, `1h05` above.
pub(crate) fn age(now: DateTime<FixedOffset>, since: DateTime<FixedOffset>) -> String {
    let s = (now - since).num_seconds().max(0);
    if s < 3600 {
        format!("{}:{:02}", s / 60, s % 60)
    } else {
        format!("{}h{:02}", s / 3600, (s % 3600) / 60)
    }
}

/// A rectangle of at most `w` x `h` in the middle of `area`.
/// A refusal or error inside a dialog: red and bold, after a space.
pub(crate) fn error_line(t: &Theme, e: &str) -> Line<'static> {
    Line::from(Span::styled(
        format!(" {e}"),
        Style::new().fg(t.late).add_modifier(Modifier::BOLD),
    ))
}

/// Draws a dialog: a box `w` wide and `h` high (inside borders included)
/// centred in `area`, titled, holding `lines` wrapped to its width.
pub(crate) fn dialog(
    t: &Theme,
    area: Rect,
    (w, h): (u16, u16),
    title: &str,
    lines: Vec<Line<'_>>,
    buf: &mut Buffer,
) {
    let rect = centered(area, w, h);
    let inner = boxed(t, rect, title, buf);
    Paragraph::new(lines)
        .wrap(ratatui::widgets::Wrap { trim: false })
        .render(inner, buf);
}

pub(crate) fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

/// A cleared box with an ASCII border and a title; returns the inside.
pub(crate) fn boxed(t: &Theme, area: Rect, title: &str, buf: &mut Buffer) -> Rect {
    Clear.render(area, buf);
    let block = Block::bordered()
        .border_set(ASCII)
        .title(Span::styled(
            format!(" {title} "),
            Style::new().add_modifier(Modifier::BOLD),
        ))
        .style(Style::new().fg(t.card_fg).bg(t.card_bg))
        .border_style(Style::new().fg(t.accent));
    let inner = block.inner(area);
    block.render(area, buf);
    inner
}

fn feed_span(app: &App) -> Span<'static> {
    let (w, t) = (app.words, &app.opts.theme);
    let (text, color) = match &app.feed.link {
        LinkState::Disabled => (w.feed_off.to_string(), t.dim),
        LinkState::Online => (w.online.to_string(), t.ok),
        LinkState::Connecting { next_try_secs, .. } => {
            (format!("{} {next_try_secs}s", w.reconnecting_in), t.warn)
        }
        LinkState::Offline { since } => (
            format!("{} {}", w.offline_since, since.format("%H:%M")),
            t.late,
        ),
        LinkState::Unauthorized => (w.unauthorized.to_string(), t.late),
    };
    Span::styled(
        format!("{}:{text}", w.feed),
        Style::new().fg(color).bg(t.bar_bg),
    )
}

/// A printer's state in words and the colour to show it in.
pub(crate) fn printer_state(app: &App, state: &PrinterState) -> (String, Style) {
    let (w, t) = (app.words, &app.opts.theme);
    let (text, color) = match state {
        PrinterState::Online => (w.printer_ok.to_string(), t.ok),
        PrinterState::Unknown => (w.printer_unknown.to_string(), t.dim),
        PrinterState::Offline => (w.printer_offline.to_string(), t.late),
        PrinterState::PaperOut => (w.paper_out.to_string(), t.late),
        PrinterState::CoverOpen => (w.cover_open.to_string(), t.late),
        PrinterState::Error(e) => (format!("{} {e}", w.printer_error), t.late),
    };
    (text, Style::new().fg(color))
}

fn printer_spans(app: &App) -> Vec<Span<'static>> {
    let t = &app.opts.theme;
    app.printers
        .iter()
        .map(|p| {
            let (state, style) = printer_state(app, &p.state);
            let color = style.fg.unwrap_or(t.fg);
            let queue = if p.queued > 0 {
                format!("[{}]", p.queued)
            } else {
                String::new()
            };
            Span::styled(
                format!("  {}:{state}{queue}", p.label),
                Style::new().fg(color).bg(t.bar_bg),
            )
        })
        .collect()
}

/// Store, clock, feed, printers on the left; who is signed in and the alert count on the right.
fn status_bar(app: &App, area: Rect, buf: &mut Buffer) {
    let (w, t) = (app.words, &app.opts.theme);
    let bar = Style::new().fg(t.bar_fg).bg(t.bar_bg);
    buf.set_style(area, bar);
    let now = app.now();
    let mut left = vec![
        Span::styled(
            format!(" {} ", app.opts.store_name),
            bar.add_modifier(Modifier::BOLD),
        ),
        Span::styled(format!("{}  ", now.format("%H:%M:%S")), bar),
        feed_span(app),
    ];

    left.extend(printer_spans(app));
    let who = match &app.staff {
        Some(s) => format!("{} {}({})", s.id, s.name, w.role(s.role)),
        None => w.not_signed_in.to_string(),
    };
    let n = app.visible_alerts().len();
    let alert_style = if n > 0 {
        Style::new()
            .fg(t.alert_fg)
            .bg(t.alert_bg)
            .add_modifier(Modifier::BOLD)
    } else {
        bar
    };
    let mut right = Vec::new();
    // Reports waiting for the platform (counter orders taken offline …).
    right.extend(counter::unsent_span(app));
    right.extend([
        Span::styled(format!(" {who} "), bar),
        Span::styled(format!(" {} {n} ", w.open_alerts), alert_style),
    ]);
    let right_w: usize = right.iter().map(|s| cols(&s.content)).sum();
    let right_w = (right_w as u16).min(area.width);
    let [l, r] = Layout::horizontal([Constraint::Min(0), Constraint::Length(right_w)]).areas(area);
    Paragraph::new(Line::from(left)).style(bar).render(l, buf);
    Paragraph::new(Line::from(right)).style(bar).render(r, buf);
}

/// The newest alert for this role, or the caller's banner.
fn banner_line(app: &App) -> Option<Line<'static>> {
    let (w, t) = (app.words, &app.opts.theme);
    if let Some(lost) = &app.link_lost {
        let style = Style::new()
            .fg(t.alert_fg)
            .bg(t.alert_bg)
            .add_modifier(Modifier::BOLD);
        return Some(Line::from(Span::styled(format!(" ! {lost} "), style)).style(style));
    }
    if app.staff.is_some() {
        if let Some(a) = app.visible_alerts().last() {
            use super::alerts::AlertKey::*;
            let (what, todo) = match &a.key {
                PaymentFailed(_) => (w.alert_failed, w.do_failed),
                DoublePaid(_) => (w.alert_double, w.do_double),
                PayingTooLong(_) => (w.alert_paying, w.do_paying),
                Printer(_) => (w.alert_printer, w.do_printer),
                Feed => (w.alert_feed, w.do_feed),
                Quarantine(_) => (w.alert_quarantine, w.do_quarantine),
                PinsHeld(_) => (w.alert_pins, w.do_pins),
            };
            let style = Style::new()
                .fg(t.alert_fg)
                .bg(t.alert_bg)
                .add_modifier(Modifier::BOLD);
            // Payment reasons already say what to do (from the catalogue).
            let text = match &a.key {
                PaymentFailed(_) | PayingTooLong(_) if !a.detail.is_empty() => {
                    format!(" ! {what} {} {}  [j]{} ", a.subject, a.detail, w.jump)
                }
                _ => format!(
                    " ! {what} {} {}: {todo}  [j]{} ",
                    a.subject, a.detail, w.jump
                ),
            };
            return Some(Line::from(Span::styled(text, style)).style(style));
        }
    }
    app.banner.as_ref().map(|b| {
        let style = Style::new().fg(t.title_fg).bg(t.title_bg);
        Line::from(Span::styled(format!(" {b} "), style)).style(style)
    })
}

/// The last result (done or refused) and the way to the help.
fn footer(app: &App, area: Rect, buf: &mut Buffer) {
    let (w, t) = (app.words, &app.opts.theme);
    let hint = format!(" [?/F1]{} ", w.help);
    let mut spans = Vec::new();
    let screens: Vec<&str> = app
        .screens()
        .iter()
        .map(|s| match s {
            Screen::SignIn => w.sign_in,
            Screen::Rail => w.rail,
            Screen::Cashier => w.cashier,
            Screen::Alerts => w.alerts,
            Screen::Log => w.log,
            Screen::Printers => w.printers,
            Screen::Report => w.report,
        })
        .collect();
    for (i, s) in app.screens().iter().enumerate() {
        let style = if *s == app.screen {
            Style::new()
                .fg(t.title_fg)
                .bg(t.title_bg)
                .add_modifier(Modifier::BOLD)
        } else {
            Style::new().fg(t.dim)
        };
        spans.push(Span::styled(format!(" {} ", screens[i]), style));
    }
    spans.push(Span::raw(" "));
    match &app.note {
        Some(Note::Done(s)) => spans.push(Span::styled(
            s.clone(),
            Style::new().fg(t.ok).add_modifier(Modifier::BOLD),
        )),
        Some(Note::Refused(s)) => spans.push(Span::styled(
            s.clone(),
            Style::new().fg(t.late).add_modifier(Modifier::BOLD),
        )),
        None => {}
    }
    let hint_w = cols(&hint) as u16;
    let [l, r] = Layout::horizontal([Constraint::Min(0), Constraint::Length(hint_w)]).areas(area);
    Paragraph::new(Line::from(spans)).render(l, buf);
    Paragraph::new(Span::styled(hint, Style::new().fg(t.dim))).render(r, buf);
}

/// Every key of the current screen (and dialog), over the screen.
fn help(app: &App, area: Rect, buf: &mut Buffer) {
    let (w, t) = (app.words, &app.opts.theme);
    let screen_keys = match (&app.dialog, app.screen) {
        (Some(Dialog::Settle(_)), _) => w.keys_settle,
        (Some(Dialog::Manager(_)), _) => w.keys_manager,
        (Some(Dialog::Shift(_)), _) => w.keys_shift,
        (Some(Dialog::Counter(_)), _) => counter::KEYS[usize::from(!w.chinese)],
        (None, Screen::SignIn) => w.keys_sign_in,
        (None, Screen::Rail) => w.keys_rail,
        (None, Screen::Cashier) => w.keys_cashier,
        (None, Screen::Alerts) => w.keys_alerts,
        (None, Screen::Log) => w.keys_log,
        (None, Screen::Printers) => w.keys_printers,
        (None, Screen::Report) => w.keys_report,
    };
    let keys: Vec<&(&str, &str)> = screen_keys.iter().chain(w.keys_global.iter()).collect();
    let key_w = keys.iter().map(|(k, _)| cols(k)).max().unwrap_or(0);
    let width = keys.iter().map(|(_, d)| cols(d)).max().unwrap_or(0) + key_w + 6;
    let rect = centered(area, (width as u16).max(30), keys.len() as u16 + 3);
    let inner = boxed(t, rect, w.help_title, buf);
    let lines: Vec<Line> = keys
        .iter()
        .map(|(k, d)| {
            Line::from(vec![
                Span::styled(
                    format!(" {} ", super::width::pad(k, key_w)),
                    Style::new().fg(t.accent).add_modifier(Modifier::BOLD),
                ),
                Span::raw(fit(
                    d,
                    inner.width.saturating_sub(key_w as u16 + 3) as usize,
                )),
            ])
        })
        .collect();
    Paragraph::new(lines).render(inner, buf);
}

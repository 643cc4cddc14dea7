//! TTD and TTR across incidents (`s` in the incident list): how long incidents took to be
//! detected and resolved, by severity, as p50, p90 and max with a bar chart, drills left
//! out, so the team sees whether it is getting faster. Any key closes it.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Bar, BarChart, BarGroup, Block, Clear, Paragraph, Wrap};

use crate::domain::incident::IncidentSummary;
use crate::domain::metrics::{Group, format_duration};
use crate::tui::layout::centered;

fn bars(label: &str, g: &Group) -> BarGroup<'static> {
    let minutes = |d: Option<chrono::Duration>| d.map_or(0, |d| d.num_minutes().max(0) as u64);
    let p50 = |d: &Option<crate::domain::metrics::Distribution>| d.as_ref().map(|x| x.p50);
    let p90 = |d: &Option<crate::domain::metrics::Distribution>| d.as_ref().map(|x| x.p90);
    let bar = |name: &str, v: u64, color: Color| {
        Bar::default()
            .label(Line::from(name.to_string()))
            .value(v)
            .text_value(format_duration(chrono::Duration::minutes(v as i64)))
            .style(Style::new().fg(color))
    };
    BarGroup::default()
        .label(Line::from(label.to_string()))
        .bars(&[
            bar("TTD p50", minutes(p50(&g.ttd)), Color::Cyan),
            bar("TTD p90", minutes(p90(&g.ttd)), Color::Blue),
            bar("TTR p50", minutes(p50(&g.ttr)), Color::Yellow),
            bar("TTR p90", minutes(p90(&g.ttr)), Color::Red),
        ])
}

/// Draws the statistics of `incidents`.
pub fn draw(incidents: &[IncidentSummary], f: &mut Frame, area: Rect) {
    let rect = centered(
        area,
        area.width.saturating_sub(2),
        area.height.saturating_sub(2).max(3),
    );
    f.render_widget(Clear, rect);
    let block = Block::bordered().title(" TTD and TTR across incidents (any key closes) ");
    let inner = block.inner(rect);
    f.render_widget(block, rect);
    let s = crate::domain::metrics::stats(incidents, None);
    let [summary, chart] =
        Layout::vertical([Constraint::Length(6), Constraint::Min(3)]).areas(inner);
    let mut lines = vec![Line::from(format!(
        "{} incident(s), {} drill(s) left out; minutes shown in the bars",
        s.all.incidents, s.drills_excluded
    ))];
    for (level, g) in &s.by_severity {
        let d = |x: &Option<crate::domain::metrics::Distribution>| {
            x.as_ref().map_or("-".to_string(), |d| {
                format!(
                    "p50 {} p90 {} max {} (n={})",
                    format_duration(d.p50),
                    format_duration(d.p90),
                    format_duration(d.max),
                    d.count
                )
            })
        };
        lines.push(Line::from(format!(
            "SEV{level}: TTD {}  TTR {}",
            d(&g.ttd),
            d(&g.ttr)
        )));
    }
    if !s.missing.is_empty() {
        lines.push(Line::from(Span::styled(
            format!(
                "{} incident(s) lack a time and are left out of a figure (see `warroom stats`)",
                s.missing.len()
            ),
            Style::new().fg(Color::Yellow),
        )));
    }
    f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), summary);
    let mut chart_widget = BarChart::default().bar_width(7).bar_gap(1).group_gap(3);
    for (level, g) in &s.by_severity {
        chart_widget = chart_widget.data(bars(&format!("SEV{level}"), g));
    }
    f.render_widget(chart_widget, chart);
}

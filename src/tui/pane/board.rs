//! The board pane (3): the incident's reasoning in three columns. What responders have
//! observed, the theories that might explain it (open, supported or refuted), and the
//! experiments that test them (running, or with their outcome). It keeps the response
//! honest: an experiment names the theories it tests, and its outcome supports or refutes
//! them. The IC's discipline questions open from here.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use crate::domain::event::{Event, EventKind, TheoryStatus};
use crate::tui::action::Action;
use crate::tui::ctx::{Ctx, Look};
use crate::tui::data::IncidentData;
use crate::tui::effect::Effect;
use crate::tui::overlay::Overlay;
use crate::tui::overlay::form::{Answers, Field, Purpose};

/// What the footer offers while the board has the focus.
pub const HINTS: &[Action] = &[
    Action::AddObservation,
    Action::AddTheory,
    Action::AddExperiment,
    Action::RecordOutcome,
    Action::Amend,
    Action::Discipline,
    Action::Help,
];

// The fields of the board's forms.
const OBSERVED: &str = "Observed";
const THEORY: &str = "Theory";
const PLAN: &str = "Plan";
const TESTS: &str = "Tests";
const OUTCOME: &str = "Outcome";
const NOTES: &str = "Notes";

/// Moves the selection: left and right between columns, the rest within the column.
pub fn navigate(
    data: Option<&IncidentData>,
    column: &mut usize,
    rows: &mut [usize; 3],
    action: Action,
    delta: isize,
) {
    match action {
        Action::Left => *column = column.saturating_sub(1),
        Action::Right => *column = (*column + 1).min(2),
        _ => {}
    }
    let n = data.map_or(0, |d| match *column {
        0 => d.state.board.observations.len(),
        1 => d.state.board.theories.len(),
        _ => d.state.board.experiments.len(),
    }) as isize;
    let c = *column;
    rows[c] = (rows[c] as isize + delta).clamp(0, (n - 1).max(0)) as usize;
}

/// The id of the selected observation or theory (what `m` amends).
pub fn selected_id(
    data: Option<&IncidentData>,
    column: usize,
    rows: &[usize; 3],
) -> Option<uuid::Uuid> {
    let b = &data?.state.board;
    match column {
        0 => b.observations.get(rows[0]).map(|o| o.id),
        1 => b.theories.get(rows[1]).map(|t| t.id),
        _ => None,
    }
}

/// The board's own acts, with the selected column and the selected row of each.
pub fn act(ctx: &mut Ctx, column: usize, rows: &[usize; 3], action: Action) -> Vec<Effect> {
    let Some(d) = ctx.data else {
        return Vec::new();
    };
    let state = &d.state;
    match action {
        Action::AddObservation => ctx.open_form(
            "Observation",
            Purpose::Observation { from_event: None },
            vec![Field::line(OBSERVED, "", "what is going on, as seen")],
        ),
        Action::AddTheory => ctx.open_form(
            "Theory",
            Purpose::Theory,
            vec![Field::line(THEORY, "", "why it might be happening")],
        ),
        Action::AddExperiment => {
            let open: Vec<String> = state
                .board
                .theories
                .iter()
                .enumerate()
                .filter(|(_, t)| t.status == TheoryStatus::Open)
                .map(|(i, _)| format!("T{}", i + 1))
                .collect();
            let preset = if column == 1 {
                format!("T{}", rows[1] + 1)
            } else {
                String::new()
            };
            ctx.open_form(
                "Experiment",
                Purpose::Experiment,
                vec![
                    Field::line(PLAN, "", "what you will do and what result would tell you"),
                    Field::line(
                        TESTS,
                        &preset,
                        format!("theories it tests, e.g. T1,T3 (open: {})", open.join(" ")),
                    ),
                ],
            );
        }
        Action::RecordOutcome => {
            // The selected experiment, or else the newest one still running.
            let exp = match state.board.experiments.get(rows[2]).filter(|_| column == 2) {
                Some(e) => Some(e),
                None => state
                    .board
                    .experiments
                    .iter()
                    .rev()
                    .find(|e| e.is_running()),
            };
            match exp {
                Some(e) if e.is_running() => {
                    let id = e.id;
                    let label = state
                        .board
                        .experiment_label(id)
                        .unwrap_or_else(|| "E?".into());
                    let tested: Vec<String> = e
                        .tests
                        .iter()
                        .filter_map(|t| state.board.theory_label(*t))
                        .collect();
                    let hint = if tested.len() > 1 {
                        format!(
                            "a verdict per theory: {} with s(upports) r(efutes) i(nconclusive)",
                            tested
                                .iter()
                                .map(|t| format!("{t}=…"))
                                .collect::<Vec<_>>()
                                .join(" ")
                        )
                    } else {
                        "supports · refutes · inconclusive (s, r, i)".to_string()
                    };
                    ctx.open_form(
                        format!("Outcome of {label}: {}", e.plan),
                        Purpose::Outcome { experiment: id },
                        vec![
                            Field::line(OUTCOME, "", hint),
                            Field::line(NOTES, "", "what you saw"),
                        ],
                    );
                }
                Some(_) => ctx.complain("that experiment already has an outcome"),
                None => ctx.complain("no experiment is running: plan one first"),
            }
        }
        Action::Discipline => *ctx.overlay = Overlay::Discipline,
        _ => {}
    }
    Vec::new()
}

/// An observation started from a timeline entry: its text, to edit into what was seen.
pub fn observe_entry(ctx: &mut Ctx, ev: &Event) {
    let text = crate::domain::describe::text(&ev.kind);
    ctx.open_form(
        "Observation from the timeline",
        Purpose::Observation {
            from_event: Some(ev.id),
        },
        vec![Field::line(OBSERVED, &text, "edit to state what was seen")],
    );
}

/// A submitted board form.
pub fn submit(ctx: &mut Ctx, form: &Answers) -> Vec<Effect> {
    let now = ctx.now;
    match form.purpose {
        Purpose::Observation { from_event } => ctx.record(
            vec![(
                now,
                EventKind::Observation {
                    text: form.value(OBSERVED),
                    from_event,
                },
            )],
            "observation added".into(),
        ),
        Purpose::Theory => ctx.record(
            vec![(
                now,
                EventKind::Theory {
                    text: form.value(THEORY),
                },
            )],
            "theory added".into(),
        ),
        Purpose::Experiment => {
            let Some(d) = ctx.data else {
                return Vec::new();
            };
            let mut tests = Vec::new();
            for part in form
                .value(TESTS)
                .split([',', ' '])
                .filter(|p| !p.trim().is_empty())
            {
                let n = part
                    .trim()
                    .trim_start_matches(['T', 't'])
                    .parse::<usize>()
                    .ok();
                match n.and_then(|n| d.state.board.theories.get(n.wrapping_sub(1))) {
                    Some(t) => tests.push(t.id),
                    None => {
                        return ctx
                            .refuse(format!("`{part}` is not a theory number (T1, T2, ...)"));
                    }
                }
            }
            if tests.is_empty() {
                return ctx.refuse("name the theories it tests, e.g. T1".into());
            }
            ctx.record(
                vec![(
                    now,
                    EventKind::Experiment {
                        plan: form.value(PLAN),
                        tests,
                    },
                )],
                "experiment added".into(),
            )
        }
        Purpose::Outcome { experiment } => {
            let Some(d) = ctx.data else {
                return Vec::new();
            };
            let Some(e) = d.state.board.experiment(experiment) else {
                return ctx.refuse("that experiment is gone".into());
            };
            let (outcome, verdicts) =
                match crate::domain::board::parse_verdicts(&d.state.board, e, &form.value(OUTCOME))
                {
                    Ok(v) => v,
                    Err(e) => return ctx.refuse(e),
                };
            ctx.record(
                vec![(
                    now,
                    EventKind::ExperimentOutcome {
                        experiment,
                        outcome,
                        verdicts,
                        notes: form.value(NOTES),
                    },
                )],
                "outcome recorded".into(),
            )
        }
        _ => Vec::new(),
    }
}

/// Draws the three columns, each scrolled to keep its selection in view.
pub fn draw(
    look: &Look,
    column: usize,
    rows: &[usize; 3],
    f: &mut Frame,
    area: Rect,
    focused: bool,
) {
    let Some(d) = look.data else { return };
    let b = &d.state.board;
    let cols: [Rect; 3] = Layout::horizontal([Constraint::Ratio(1, 3); 3]).areas(area);
    let titles = [
        format!("Observed ({})", b.observations.len()),
        format!("Theories ({})", b.theories.len()),
        format!("Experiments ({})", b.experiments.len()),
    ];
    let theory_no = |id| {
        b.theories
            .iter()
            .position(|t| t.id == id)
            .map(|i| format!("T{}", i + 1))
    };
    for (c, rect) in cols.iter().enumerate() {
        let block = Block::new()
            .borders(Borders::RIGHT)
            .title(Span::styled(titles[c].clone(), Style::new().bold()));
        let inner = block.inner(*rect);
        f.render_widget(block, *rect);
        let len = match c {
            0 => b.observations.len(),
            1 => b.theories.len(),
            _ => b.experiments.len(),
        };
        // Only the items that can be on screen are formatted.
        let item = |i: usize| -> (String, Style) {
            match c {
                0 => (format!("• {}", b.observations[i].text), Style::new()),
                1 => {
                    let t = &b.theories[i];
                    let (tag, style) = match t.status {
                        TheoryStatus::Open => ("open", Style::new()),
                        TheoryStatus::Supported => {
                            ("SUPPORTED", Style::new().fg(Color::Green).bold())
                        }
                        TheoryStatus::Refuted => {
                            ("refuted", Style::new().fg(Color::DarkGray).crossed_out())
                        }
                    };
                    (format!("T{} [{tag}] {}", i + 1, t.text), style)
                }
                _ => {
                    let e = &b.experiments[i];
                    let tests: Vec<String> = e.tests.iter().filter_map(|t| theory_no(*t)).collect();
                    let (tag, style) = match b.result_of(e) {
                        None => ("running".to_string(), Style::new().fg(Color::Yellow)),
                        Some(r) if e.outcome_before_verdicts.is_some() => {
                            (r, Style::new().fg(Color::Magenta))
                        }
                        Some(r) => (r, Style::new().fg(Color::Cyan)),
                    };
                    // A concluded experiment's verdicts name its theories already.
                    let line = if e.is_running() {
                        format!("E{} [{tag}] {}: {}", i + 1, tests.join(","), e.plan)
                    } else {
                        format!("E{} [{tag}] {}", i + 1, e.plan)
                    };
                    (line, style)
                }
            }
        };
        let h = inner.height as usize;
        let sel = rows[c];
        // Wrapped items: keep the selected one in view by starting a little before it.
        let start = sel
            .saturating_sub(h.saturating_sub(1) / 2)
            .min(len.saturating_sub(1));
        let mut text = Text::default();
        for i in start..len.min(start + h) {
            let (s, mut style) = item(i);
            if focused && column == c && i == sel {
                style = style.add_modifier(Modifier::REVERSED);
            }
            text.lines.push(Line::from(Span::styled(s, style)));
        }
        f.render_widget(Paragraph::new(text).wrap(Wrap { trim: true }), inner);
    }
}

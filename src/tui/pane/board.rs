//! The board pane (3): the incident's reasoning in three columns. What responders have
//! observed, the theories that might explain it (open, supported or refuted), and the
//! experiments that test them (running, or with their outcome). It keeps the response
//! honest: an experiment names the theories it tests, and its outcome supports or refutes
//! them. The IC's discipline questions open from here.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use uuid::Uuid;

use crate::domain::describe::{clip, visible};
use crate::domain::entry::wrap;
use crate::domain::event::{Event, EventKind, TheoryStatus};
use crate::tui::action::Action;
use crate::tui::ctx::{Ctx, Look};
use crate::tui::data::IncidentData;
use crate::tui::effect::Effect;
use crate::tui::fit;
use crate::tui::overlay::Overlay;
use crate::tui::overlay::choose::{Chooser, Entry, Picked, Question};
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

/// A verdict on a theory, by the key that gives it.
const VERDICTS: [(char, &str); 3] = [('s', "supports"), ('r', "refutes"), ('i', "inconclusive")];

/// How many items each column holds: observations, theories, experiments.
pub fn lens(data: Option<&IncidentData>) -> [usize; 3] {
    data.map_or([0; 3], |d| {
        let b = &d.state.board;
        [b.observations.len(), b.theories.len(), b.experiments.len()]
    })
}

/// Moves the selection: left and right between columns, the rest within the column. A
/// column follows its newest item (`follow`) until a move in it selects another.
pub fn navigate(
    data: Option<&IncidentData>,
    column: &mut usize,
    rows: &mut [usize; 3],
    follow: &mut [bool; 3],
    action: Action,
    delta: isize,
) {
    match action {
        Action::Left => *column = column.saturating_sub(1),
        Action::Right => *column = (*column + 1).min(2),
        _ => {}
    }
    let c = *column;
    let n = lens(data)[c] as isize;
    rows[c] = (rows[c] as isize + delta).clamp(0, (n - 1).max(0)) as usize;
    if delta != 0 {
        follow[c] = rows[c] as isize + 1 >= n;
    }
}

/// After new items arrived (`before`: how many each column held), a column that follows
/// its newest item (its last one selected, or nothing chosen in it yet) selects the newest.
pub fn follow_new(
    data: Option<&IncidentData>,
    before: [usize; 3],
    rows: &mut [usize; 3],
    follow: &[bool; 3],
) {
    let after = lens(data);
    for c in 0..3 {
        if after[c] > before[c] && follow[c] {
            rows[c] = after[c] - 1;
        }
    }
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
                    // One key per verdict, a question per theory it tests (an old
                    // experiment that names none takes one verdict), then the notes.
                    let mut chooser = Chooser::new(
                        format!("Outcome of {label}: {}", e.plan),
                        Purpose::Outcome { experiment: id },
                    );
                    for t in &e.tests {
                        let text = state.board.theory(*t).map_or("", |t| t.text.as_str());
                        let name = state.board.theory_label(*t).unwrap_or_else(|| "T?".into());
                        chooser = chooser.ask(Question::new(
                            format!("{name} {}", clip(text, 40)),
                            &VERDICTS,
                        ));
                    }
                    if e.tests.is_empty() {
                        chooser = chooser.ask(Question::new("Outcome", &VERDICTS));
                    }
                    ctx.open_chooser(chooser.then(Entry::new(NOTES, "optional: what you saw")));
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
        vec![Field::line(OBSERVED, &text, "edit to state what was seen").to_edit()],
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
            record_outcome(ctx, experiment, &form.value(OUTCOME), form.value(NOTES))
        }
        _ => Vec::new(),
    }
}

/// An answered outcome chooser: the verdict keys, theory by theory, and the notes.
pub fn submit_picked(ctx: &mut Ctx, picked: &Picked) -> Vec<Effect> {
    let Purpose::Outcome { experiment } = picked.purpose else {
        return Vec::new();
    };
    let Some(d) = ctx.data else {
        return Vec::new();
    };
    let Some(e) = d.state.board.experiment(experiment) else {
        return ctx.refuse("that experiment is gone".into());
    };
    // Read as typed would be: `T1=s T3=r`, or the one verdict of an experiment that
    // names no theory.
    let input = if e.tests.is_empty() {
        picked.keys.iter().collect::<String>()
    } else {
        e.tests
            .iter()
            .zip(&picked.keys)
            .map(|(t, k)| {
                let name = d
                    .state
                    .board
                    .theory_label(*t)
                    .unwrap_or_else(|| "T?".into());
                format!("{name}={k}")
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    record_outcome(ctx, experiment, &input, picked.text.clone())
}

/// The outcome of `experiment` from its verdicts as written (`supports`, `T1=s T3=r`).
fn record_outcome(ctx: &mut Ctx, experiment: Uuid, verdicts: &str, notes: String) -> Vec<Effect> {
    let Some(d) = ctx.data else {
        return Vec::new();
    };
    let Some(e) = d.state.board.experiment(experiment) else {
        return ctx.refuse("that experiment is gone".into());
    };
    let (outcome, verdicts) =
        match crate::domain::board::parse_verdicts(&d.state.board, e, verdicts) {
            Ok(v) => v,
            Err(e) => return ctx.refuse(e),
        };
    ctx.record(
        vec![(
            ctx.now,
            EventKind::ExperimentOutcome {
                experiment,
                outcome,
                verdicts,
                notes,
            },
        )],
        "outcome recorded".into(),
    )
}

/// Draws the three columns, each scrolled so its selected item shows whole, the items
/// wrapped to the column's width (an arrow in the title says more are above or below).
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
    let lens = lens(look.data);
    for (c, rect) in cols.iter().enumerate() {
        let len = lens[c];
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
        let block = |title: String| {
            Block::new()
                .borders(Borders::RIGHT)
                .title(Span::styled(title, Style::new().bold()))
        };
        let inner = block(titles[c].clone()).inner(*rect);
        let width = usize::from(inner.width);
        let h = usize::from(inner.height);
        let wrapped = |i: usize| wrap(&visible(&item(i).0), width);
        let sel = rows[c].min(len.saturating_sub(1));
        let start = fit::first_shown(|i| wrapped(i).len(), len, sel, h);
        let mut lines: Vec<Line> = Vec::new();
        let mut end = start;
        while end < len && lines.len() < h {
            let (_, mut style) = item(end);
            if focused && column == c && end == sel {
                style = style.add_modifier(Modifier::REVERSED);
            }
            let shown = wrapped(end);
            let whole = lines.len() + shown.len() <= h;
            lines.extend(
                shown
                    .into_iter()
                    .map(|l| Line::from(Span::styled(l, style))),
            );
            if whole {
                end += 1;
            }
        }
        lines.truncate(h);
        let mut title = titles[c].clone();
        if start > 0 {
            title.push_str(" ↑");
        }
        if end < len {
            title.push_str(" ↓");
        }
        f.render_widget(block(title), *rect);
        f.render_widget(Paragraph::new(lines), inner);
    }
}

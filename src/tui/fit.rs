//! Fitting what there is to show into the room there is: a line of parts to the
//! terminal's width, for the header, the footer and the incident list's columns, and a
//! column of items of several rows each to its height, for the board.
//!
//! Each part of a line has one or more forms, longest first, and each form says how long
//! it lasts as room runs out. The line is squeezed step by step: at each step the forms
//! that last no longer are given up, a part falling back to its next form or leaving the
//! line; the first step at which everything fits is drawn. So a part is never cut, and
//! what matters most is the last thing to go. A column scrolls so its selected item shows
//! whole.

use ratatui::text::{Line, Span};

/// One way of showing a part, and how long it lasts: at a squeeze of `lasts` or more the
/// part falls back to its next form, or leaves the line. A part's shorter forms last
/// longer than its longer ones.
pub struct Form {
    pub spans: Vec<Span<'static>>,
    pub lasts: u16,
}

/// One part of a line.
pub struct Part {
    /// Longest first.
    pub forms: Vec<Form>,
    /// What goes between it and the next part shown.
    pub join: &'static str,
    /// Takes the room left over: its first form cut to it (ending in …), padded.
    pub grow: bool,
}

impl Part {
    /// A part with one form.
    pub fn one(spans: Vec<Span<'static>>, lasts: u16, join: &'static str) -> Part {
        Part {
            forms: vec![Form { spans, lasts }],
            join,
            grow: false,
        }
    }

    /// A part with several forms, longest first, each with how long it lasts.
    pub fn forms(forms: Vec<(Vec<Span<'static>>, u16)>, join: &'static str) -> Part {
        Part {
            forms: forms
                .into_iter()
                .map(|(spans, lasts)| Form { spans, lasts })
                .collect(),
            join,
            grow: false,
        }
    }

    /// What `choose` needs to know of it: each form's width and how long it lasts, and
    /// the width of its join.
    pub fn measure(&self) -> Measure {
        Measure {
            forms: self
                .forms
                .iter()
                .map(|f| (width(&f.spans), f.lasts))
                .collect(),
            join: text_width(self.join),
        }
    }
}

/// A part as `choose` sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Measure {
    /// Each form's width and how long it lasts, longest first.
    pub forms: Vec<(usize, u16)>,
    /// The width of what goes between it and the next part shown.
    pub join: usize,
}

/// Which form of each part is shown (`None`: left out) for the parts to fit in `width`:
/// the first squeeze, from nothing given up onwards through every form's `lasts`, at which
/// the line fits; at each squeeze a part shows its first form lasting longer than it. The
/// room that squeeze leaves is then handed back, form by form, those that last longest
/// first: a part takes a longer form (or shows again) where it still fits.
pub fn choose(parts: &[Measure], width: usize) -> Vec<Option<usize>> {
    let mut squeezes: Vec<u16> = parts
        .iter()
        .flat_map(|p| p.forms.iter().map(|(_, lasts)| *lasts))
        .collect();
    squeezes.push(0);
    squeezes.sort_unstable();
    squeezes.dedup();
    let mut chosen = vec![None; parts.len()];
    for squeeze in squeezes {
        let at: Vec<Option<usize>> = parts
            .iter()
            .map(|p| p.forms.iter().position(|(_, lasts)| *lasts > squeeze))
            .collect();
        if used(parts, &at) <= width {
            chosen = at;
            break;
        }
    }
    // Every longer form than the one chosen, the forms that last longest first.
    let mut longer: Vec<(u16, usize, usize)> = parts
        .iter()
        .enumerate()
        .flat_map(|(i, p)| p.forms.iter().enumerate().map(move |(k, f)| (f.1, i, k)))
        .filter(|(_, i, k)| chosen[*i].is_none_or(|c| *k < c))
        .collect();
    longer.sort_by_key(|(lasts, i, k)| (std::cmp::Reverse(*lasts), *i, *k));
    for (_, i, k) in longer {
        let was = chosen[i];
        if was.is_some_and(|c| c <= k) {
            continue;
        }
        chosen[i] = Some(k);
        if used(parts, &chosen) > width {
            chosen[i] = was;
        }
    }
    chosen
}

/// The width of the chosen forms with the joins between them.
pub fn used(parts: &[Measure], chosen: &[Option<usize>]) -> usize {
    let shown: Vec<(&Measure, usize)> = parts
        .iter()
        .zip(chosen)
        .filter_map(|(p, c)| c.map(|c| (p, c)))
        .collect();
    let n = shown.len();
    shown
        .iter()
        .enumerate()
        .map(|(i, (p, c))| p.forms[*c].0 + if i + 1 < n { p.join } else { 0 })
        .sum()
}

/// The parts fitted to `width`, as one line, and whether every part shows in full.
pub fn fit(parts: Vec<Part>, width: usize) -> (Line<'static>, bool) {
    let measures: Vec<Measure> = parts.iter().map(Part::measure).collect();
    let chosen = choose(&measures, width);
    let whole = chosen.iter().all(|c| *c == Some(0));
    let mut spare = width.saturating_sub(used(&measures, &chosen));
    let last = chosen.iter().rposition(Option::is_some);
    let mut spans = Vec::new();
    for (i, (part, choice)) in parts.into_iter().zip(chosen).enumerate() {
        let Some(c) = choice else { continue };
        if part.grow {
            // Its first form, cut or padded to the room there is.
            let room = measures[i].forms[c].0 + std::mem::take(&mut spare);
            let first = part.forms.into_iter().next().map(|f| f.spans);
            spans.extend(grow(first.unwrap_or_default(), room));
        } else {
            spans.extend(
                part.forms
                    .into_iter()
                    .nth(c)
                    .map(|f| f.spans)
                    .unwrap_or_default(),
            );
        }
        if Some(i) != last && !part.join.is_empty() {
            spans.push(Span::raw(part.join));
        }
    }
    (Line::from(spans), whole)
}

/// `spans` cut or padded to exactly `room` columns; cut text ends in ….
pub fn grow(spans: Vec<Span<'static>>, room: usize) -> Vec<Span<'static>> {
    let mut out = Vec::new();
    let mut left = room;
    let total = width(&spans);
    let cut = total > room;
    for span in spans {
        let w = span.width();
        if !cut || w < left {
            left -= w.min(left);
            out.push(span);
            continue;
        }
        // The span where the room ends: as much as fits, then ….
        let keep = cut_to(&span.content, left);
        left = 0;
        out.push(Span::styled(keep, span.style));
        break;
    }
    if left > 0 {
        out.push(Span::raw(" ".repeat(left)));
    }
    out
}

/// At most `width` columns of `s`, ending in … when cut.
pub fn clip(s: &str, width: usize) -> String {
    if text_width(s) <= width {
        s.to_string()
    } else {
        cut_to(s, width)
    }
}

/// `s` cut to end in … within `width` columns.
fn cut_to(s: &str, width: usize) -> String {
    let mut out = String::new();
    let mut used = 0;
    for ch in s.chars() {
        let w = char_width(ch);
        if used + w + 1 > width {
            break;
        }
        out.push(ch);
        used += w;
    }
    if width > 0 {
        out.push('…');
    }
    out
}

/// The first of `len` items to show in a column `rows` high, item `i` taking `height(i)`
/// rows, so that the `selected` item shows whole (its top, when it is taller than the
/// column): it sits as near the middle as the items before it allow, lower when too few
/// items come after it to fill the column, so the newest item, selected, is at the foot
/// with as many before it as fit. Only the items near the selected one are measured.
pub fn first_shown(
    height: impl Fn(usize) -> usize,
    len: usize,
    selected: usize,
    rows: usize,
) -> usize {
    if len == 0 {
        return 0;
    }
    let selected = selected.min(len - 1);
    let own = height(selected);
    if own >= rows {
        return selected;
    }
    let free = rows - own;
    // The rows the items after the selected one fill, as far as the free rows go.
    let mut below = 0;
    let mut i = selected + 1;
    while i < len && below < free {
        below += height(i);
        i += 1;
    }
    let room_above = free - below.min(free - free / 2);
    let mut start = selected;
    let mut above = 0;
    while start > 0 {
        let h = height(start - 1);
        if above + h > room_above {
            break;
        }
        above += h;
        start -= 1;
    }
    start
}

/// The columns `spans` take on a terminal.
pub fn width(spans: &[Span]) -> usize {
    spans.iter().map(Span::width).sum()
}

/// The columns `s` takes on a terminal.
pub fn text_width(s: &str) -> usize {
    Span::raw(s).width()
}

fn char_width(ch: char) -> usize {
    let mut buf = [0u8; 4];
    text_width(ch.encode_utf8(&mut buf))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(forms: &[(usize, u16)], join: usize) -> Measure {
        Measure {
            forms: forms.to_vec(),
            join,
        }
    }

    #[test]
    fn everything_in_full_when_it_fits() {
        let parts = [m(&[(10, 5)], 1), m(&[(10, 9), (4, 50)], 1), m(&[(5, 3)], 0)];
        assert_eq!(choose(&parts, 27), vec![Some(0), Some(0), Some(0)]);
        assert_eq!(used(&parts, &[Some(0), Some(0), Some(0)]), 27);
    }

    #[test]
    fn what_lasts_least_goes_first_and_nothing_is_cut() {
        // An alarm (lasts longest), the IC, the link, and a decoration.
        let alarm = m(&[(30, 40), (12, 100)], 1);
        let ic = m(&[(14, 60), (8, 90)], 3);
        let link = m(&[(40, 5), (20, 70)], 3);
        let decoration = m(&[(10, 20)], 3);
        let parts = [alarm, ic, link, decoration];
        // The link's long form goes first, then the decoration.
        assert_eq!(
            choose(&parts, 30 + 1 + 14 + 3 + 20 + 3 + 10),
            vec![Some(0), Some(0), Some(1), Some(0)]
        );
        assert_eq!(
            choose(&parts, 30 + 1 + 14 + 3 + 20),
            vec![Some(0), Some(0), Some(1), None]
        );
        // Then the alarm shortens before the IC and the link give anything up.
        assert_eq!(
            choose(&parts, 12 + 1 + 14 + 3 + 20),
            vec![Some(1), Some(0), Some(1), None]
        );
        // The IC's short form, then the link leaves, then the IC: the alarm stays last.
        assert_eq!(
            choose(&parts, 12 + 1 + 8 + 3 + 20),
            vec![Some(1), Some(1), Some(1), None]
        );
        assert_eq!(choose(&parts, 25), vec![Some(1), Some(1), None, None]);
        assert_eq!(choose(&parts, 12), vec![Some(1), None, None, None]);
        // What still fits shows, even when what matters more does not.
        assert_eq!(choose(&parts, 11), vec![None, Some(1), None, None]);
        assert_eq!(choose(&parts, 7), vec![None, None, None, None]);
    }

    #[test]
    fn room_left_by_a_squeeze_goes_back_to_what_lasts_longest() {
        let alarm = m(&[(30, 40), (12, 100)], 1);
        let detail = m(&[(20, 30), (5, 90)], 0);
        let parts = [alarm, detail];
        // Squeezed to 12 + 1 + 5; the alarm's long form does not fit back, the detail's does.
        assert_eq!(choose(&parts, 34), vec![Some(1), Some(0)]);
        // With room for the alarm's long form, it takes it first.
        assert_eq!(choose(&parts, 36), vec![Some(0), Some(1)]);
    }

    #[test]
    fn every_choice_fits_at_every_width() {
        let parts = [
            m(&[(24, 50), (15, 100)], 1),
            m(&[(16, 40)], 3),
            m(&[(13, 38)], 3),
            m(&[(14, 60), (8, 95)], 3),
            m(&[(43, 5), (21, 70), (9, 90)], 0),
        ];
        let mut before = 0;
        for width in 0..200 {
            let chosen = choose(&parts, width);
            let shown = used(&parts, &chosen);
            assert!(shown <= width, "{shown} > {width}: {chosen:?}");
            // More room never shows less.
            assert!(shown >= before, "at {width}: {shown} < {before}");
            before = shown;
        }
    }

    #[test]
    fn a_growing_part_takes_the_room_left_and_is_cut_with_an_ellipsis() {
        let parts = vec![
            Part::one(vec![Span::raw("SEV2")], 100, " "),
            Part {
                forms: vec![
                    Form {
                        spans: vec![Span::raw("Card payments failing at checkout")],
                        lasts: 10,
                    },
                    Form {
                        spans: vec![Span::raw("Card payme…")],
                        lasts: 45,
                    },
                ],
                join: " ",
                grow: true,
            },
            Part::one(vec![Span::raw("IC jonas")], 90, ""),
        ];
        let (line, whole) = fit(parts, 30);
        assert!(!whole);
        assert_eq!(line.width(), 30);
        assert_eq!(line.to_string(), "SEV2 Card payments f… IC jonas");

        let parts = vec![
            Part::one(vec![Span::raw("SEV2")], 100, " "),
            Part {
                forms: vec![Form {
                    spans: vec![Span::raw("Short")],
                    lasts: 45,
                }],
                join: " ",
                grow: true,
            },
            Part::one(vec![Span::raw("IC jonas")], 90, ""),
        ];
        let (line, whole) = fit(parts, 30);
        assert!(whole);
        assert_eq!(line.to_string(), "SEV2 Short            IC jonas");
    }

    #[test]
    fn clipping_counts_columns() {
        assert_eq!(clip("checkout", 8), "checkout");
        assert_eq!(clip("checkout", 5), "chec…");
        assert_eq!(clip("checkout", 1), "…");
        assert_eq!(clip("checkout", 0), "");
        assert_eq!(text_width("⚑ 1 other"), 9);
    }

    #[test]
    fn the_selected_item_shows_whole_wherever_it_is() {
        // Items of 1 to 4 rows, in a column 10 rows high.
        let heights = [3, 1, 4, 2, 2, 1, 3, 4, 1, 2, 3, 2];
        let h = |i: usize| heights[i];
        for rows in [1, 3, 5, 10, 40] {
            for selected in 0..heights.len() {
                let start = first_shown(h, heights.len(), selected, rows);
                assert!(
                    start <= selected,
                    "{rows} rows, item {selected}: starts at {start}"
                );
                let before: usize = heights[start..selected].iter().sum();
                assert!(
                    before + heights[selected] <= rows || start == selected,
                    "{rows} rows, item {selected}: {before} rows before it"
                );
            }
        }
    }

    #[test]
    fn the_newest_selected_sits_at_the_foot_and_the_first_at_the_top() {
        let heights = [2; 12];
        let h = |i: usize| heights[i];
        // Ten rows: the newest and the four before it.
        assert_eq!(first_shown(h, 12, 11, 10), 7);
        assert_eq!(first_shown(h, 12, 0, 10), 0);
        // In the middle, with about as much before it as after.
        assert_eq!(first_shown(h, 12, 6, 10), 4);
        // Everything fits: nothing is scrolled away.
        assert_eq!(first_shown(h, 4, 3, 10), 0);
        // Taller than the column: its top shows.
        assert_eq!(first_shown(|_| 30, 3, 1, 10), 1);
        assert_eq!(first_shown(h, 0, 0, 10), 0);
    }
}

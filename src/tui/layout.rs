//! Where everything goes on the terminal: the header, the pane tabs, the panes and the
//! status line. Wide terminals (150x36 and up) show all five panes, medium ones (100
//! columns) the timeline beside the last other pane focused, narrow ones the focused pane
//! alone, and zoom gives the focused pane the whole body. A click focuses the pane under
//! it, and a page (Page Up / Page Down) is as many rows as the timeline shows.

use ratatui::layout::{Constraint, Layout, Rect};

use super::pane::Pane;

/// The parts of the incident screen, top to bottom.
pub struct Areas {
    pub header: Rect,
    pub tabs: Rect,
    pub body: Rect,
    pub status: Rect,
}

/// What decides the layout: the terminal's size and which panes are asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Geometry {
    pub size: (u16, u16),
    pub zoom: bool,
    pub focus: Pane,
    /// The pane shown beside the timeline on medium-width screens.
    pub side: Pane,
}

impl Geometry {
    pub fn areas(&self) -> Areas {
        let area = Rect::new(0, 0, self.size.0, self.size.1);
        let [header, tabs, body, status] = Layout::vertical([
            Constraint::Length(2),
            Constraint::Length(1),
            Constraint::Min(1),
            Constraint::Length(1),
        ])
        .areas(area);
        Areas {
            header,
            tabs,
            body,
            status,
        }
    }

    /// Where each visible pane is drawn.
    pub fn pane_rects(&self) -> Vec<(Pane, Rect)> {
        let body = self.areas().body;
        let (w, h) = self.size;
        if self.zoom {
            return vec![(self.focus, body)];
        }
        if w >= 150 && h >= 36 {
            let [left, mid, right] = Layout::horizontal([
                Constraint::Percentage(42),
                Constraint::Percentage(26),
                Constraint::Percentage(32),
            ])
            .areas(body);
            let [roster, fatigue] =
                Layout::vertical([Constraint::Percentage(55), Constraint::Percentage(45)])
                    .areas(mid);
            let [board, comms] =
                Layout::vertical([Constraint::Percentage(55), Constraint::Percentage(45)])
                    .areas(right);
            return vec![
                (Pane::Timeline, left),
                (Pane::Roster, roster),
                (Pane::Fatigue, fatigue),
                (Pane::Board, board),
                (Pane::Comms, comms),
            ];
        }
        if w >= 100 {
            let [left, right] =
                Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)])
                    .areas(body);
            let side = if self.focus == Pane::Timeline {
                self.side
            } else {
                self.focus
            };
            return vec![(Pane::Timeline, left), (side, right)];
        }
        vec![(self.focus, body)]
    }

    /// Rows inside a pane's border.
    pub fn pane_height(&self, pane: Pane) -> u16 {
        self.pane_rects()
            .into_iter()
            .find(|(p, _)| *p == pane)
            .map(|(_, r)| r.height.saturating_sub(2))
            .unwrap_or_else(|| self.areas().body.height.saturating_sub(2))
    }

    /// The pane under a terminal cell, if any.
    pub fn pane_at(&self, column: u16, row: u16) -> Option<Pane> {
        self.pane_rects()
            .into_iter()
            .find(|(_, r)| {
                column >= r.x && column < r.x + r.width && row >= r.y && row < r.y + r.height
            })
            .map(|(pane, _)| pane)
    }
}

/// A `w` by `h` box in the middle of `area` (no larger than it), for overlays.
pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

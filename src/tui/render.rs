//! Rendering: a pure function of the state. Nothing here touches the network, a lock or the
//! clock: the countdowns come from `state.now`. The top screen is drawn whole, then the
//! overlay and the MFA modal above it, as `State::focus` orders them.

use ratatui::Frame;
use ratatui::layout::Rect;

use super::base::layout::areas;
use super::base::theme::Theme;
use super::overlays::Overlay;
use super::state::{Screen, State};
use super::{account, exports, fleet, list, mfa, overlays, sign_in};

pub fn render(frame: &mut Frame, state: &State) {
    let theme = Theme { color: !state.no_color };
    let area = frame.area();
    match state.screens.last() {
        Some(Screen::Account(view)) => account::render::render(frame, area, state, view, theme),
        Some(Screen::Fleet(view)) => fleet::render::render(frame, area, state, view, theme),
        None => {
            let regions = areas(area.width, area.height, state.list.show_chain);
            list::header::header(frame, regions.header, state, theme);
            list::render::render(frame, regions.list, state, theme);
            if let Some(chain_area) = regions.chain {
                list::chain::render(frame, chain_area, state, theme);
            }
            list::header::status(frame, regions.status, state, theme);
        }
    }
    overlays_and_modal(frame, area, state, theme);
}

fn overlays_and_modal(frame: &mut Frame, area: Rect, state: &State, theme: Theme) {
    match &state.overlay {
        Overlay::None => {}
        Overlay::Help => overlays::render::help(frame, area, state, theme),
        Overlay::Log => overlays::render::log(frame, area, state, theme),
        Overlay::Exports(popup) => exports::render::render(frame, area, state, popup, theme),
    }
    if !state.mfa.asks.is_empty() {
        mfa::render::render(frame, area, state, theme);
    }
    if state.sign_in.is_open() {
        sign_in::render::render(frame, area, state, theme);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use jiff::SignedDuration;
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    use super::*;
    use crate::tui::action::Action;
    use crate::tui::update::update;

    fn header_text(state: &State) -> String {
        let mut terminal = Terminal::new(TestBackend::new(120, 12)).unwrap();
        terminal.draw(|frame| render(frame, state)).unwrap();
        let buffer = terminal.backend().buffer();
        (0..buffer.area.width).map(|x| buffer[(x, 0)].symbol()).collect()
    }

    #[test]
    fn the_header_says_when_the_clock_is_more_than_a_minute_off_aws() {
        let mut state = State::new(Vec::new(), "2026-11-21T09:00:00Z".parse().unwrap(), Duration::from_secs(300));
        assert!(!header_text(&state).contains("clock"), "nothing measured: no notice");
        update(&mut state, Action::AwsClock(Some(SignedDuration::from_secs(30))));
        assert!(!header_text(&state).contains("clock"), "half a minute is no news");
        update(&mut state, Action::AwsClock(Some(SignedDuration::from_mins(10))));
        assert!(header_text(&state).contains("· clock 10m ahead of AWS"), "{}", header_text(&state));
        update(&mut state, Action::AwsClock(Some(SignedDuration::from_mins(-10))));
        assert!(header_text(&state).contains("· clock 10m behind AWS"), "{}", header_text(&state));
    }
}

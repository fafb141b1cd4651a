//! The loop: one channel of actions (keys, ticks, task results, log lines), a batch at a
//! time through `update`, effects to the executor, one draw per batch. Idle, it wakes once
//! a second for the countdowns.

use std::sync::Arc;
use std::time::Duration;

use crossterm::event::{Event, EventStream};
use futures::StreamExt;
use tokio::sync::mpsc;

use super::action::Action;
use super::clipboard;
use super::executor::Executor;
use super::render;
use super::state::State;
use super::terminal::TerminalGuard;
use super::update::update;
use crate::domain::engine::Engine;

const BATCH: usize = 64;

fn spawn_inputs(
    actions: mpsc::UnboundedSender<Action>,
    mut log_lines: mpsc::UnboundedReceiver<String>,
    engine: Arc<Engine>,
) {
    let keys = actions.clone();
    tokio::spawn(async move {
        let mut events = EventStream::new();
        while let Some(Ok(event)) = events.next().await {
            let action = match event {
                Event::Key(key) => Action::Key(key),
                Event::Mouse(mouse) => Action::Mouse(mouse),
                Event::Paste(text) => Action::Paste(text),
                Event::Resize(width, height) => Action::Resize(width, height),
                _ => continue,
            };
            if keys.send(action).is_err() {
                break;
            }
        }
    });
    let ticks = actions.clone();
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(Duration::from_secs(1));
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // The engine's clock is AWS time once an STS answer has shown the offset; the offset
        // itself goes to the header whenever it changes.
        let mut ahead = None;
        loop {
            interval.tick().await;
            if engine.clock_ahead_of_aws() != ahead {
                ahead = engine.clock_ahead_of_aws();
                let _ = ticks.send(Action::AwsClock(ahead));
            }
            if ticks.send(Action::Tick(engine.now())).is_err() {
                break;
            }
        }
    });
    let logs = actions;
    tokio::spawn(async move {
        let mut batch = Vec::new();
        while log_lines.recv_many(&mut batch, BATCH).await > 0 {
            if logs.send(Action::Log(std::mem::take(&mut batch))).is_err() {
                break;
            }
        }
    });
}

/// Installed before the terminal is taken over, so a SIGTERM or SIGHUP at any moment
/// becomes a normal quit that restores it.
#[cfg(unix)]
fn watch_signals(actions: mpsc::UnboundedSender<Action>) -> std::io::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    // Raw mode turns Ctrl-C and Ctrl-\ into keys, but `kill -INT` / `kill -QUIT` from outside
    // still arrive as signals: each is a clean quit, so the terminal is given back.
    let mut terminate = signal(SignalKind::terminate())?;
    let mut hangup = signal(SignalKind::hangup())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut quit = signal(SignalKind::quit())?;
    tokio::spawn(async move {
        tokio::select! {
            _ = terminate.recv() => {}
            _ = hangup.recv() => {}
            _ = interrupt.recv() => {}
            _ = quit.recv() => {}
        }
        let _ = actions.send(Action::Quit);
    });
    Ok(())
}

pub async fn run(
    mut state: State,
    executor: Executor,
    mut actions: mpsc::UnboundedReceiver<Action>,
    log_lines: mpsc::UnboundedReceiver<String>,
) -> std::io::Result<()> {
    #[cfg(unix)]
    watch_signals(executor.actions.clone())?;
    let mut terminal = TerminalGuard::enter()?;
    let size = terminal.screen.size()?;
    state.size = (size.width, size.height);
    spawn_inputs(executor.actions.clone(), log_lines, executor.engine.clone());
    let _ = executor.actions.send(Action::Tick(executor.engine.now()));
    terminal.screen.draw(|frame| render::render(frame, &state))?;
    let mut batch = Vec::with_capacity(BATCH);
    while actions.recv_many(&mut batch, BATCH).await > 0 {
        for action in batch.drain(..) {
            for effect in update(&mut state, action) {
                // Copying needs the terminal: the executor hands it back.
                let Some(exports) = executor.spawn(effect) else { continue };
                terminal.write_raw(&clipboard::osc52(&exports.text))?;
                let actions = executor.actions.clone();
                tokio::task::spawn_blocking(move || {
                    let how = match clipboard::system_clipboard(exports.text) {
                        Ok(()) => "OSC 52 and the system clipboard".to_owned(),
                        Err(reason) => format!("OSC 52 (system clipboard: {reason})"),
                    };
                    tracing::info!("exports copied through {how}");
                    let _ = actions.send(Action::Copied(Ok(how)));
                });
            }
        }
        if state.should_quit {
            break;
        }
        terminal.screen.draw(|frame| render::render(frame, &state))?;
    }
    Ok(())
}

//! Every integration test, in one test binary: each file of `tests/it/` is a module, and
//! `support` (moto, PTY, keyring, proxies) is shared by all of them. One binary links the
//! library and the AWS SDK once instead of once per file.
//!
//! Run one file's tests with `cargo nextest run -E 'test(/^agent_socket::/)'` (or
//! `cargo test --test it agent_socket::`). Insta snapshots live in `tests/it/snapshots/`,
//! named `it__<module>__<name>.snap`.

// The whole crate is test code, helpers included: a failed step stops the test loudly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

/// Shared by the modules below (`use crate::support::…`).
mod support;

#[cfg(unix)]
mod agent_boundaries;
#[cfg(unix)]
mod agent_commands;
mod agent_ecs_endpoint;
#[cfg(unix)]
mod agent_mfa;
mod agent_protocol;
#[cfg(unix)]
mod agent_socket;
mod alarms_against_moto;
mod alarms_panel;
mod architecture;
mod cli_against_moto;
mod cli_check;
#[cfg(unix)]
mod cli_hostile_input;
mod cli_run;
mod cli_sqs_dump;
mod cli_sqs_files;
mod cli_sqs_list;
mod cli_sqs_move_task;
mod cli_sqs_rails;
mod cli_sqs_redrive;
mod compiled_inventory;
mod completions;
mod console_signin;
#[cfg(unix)]
mod doctor;
mod exec_environment;
mod fault_cli;
mod fault_output;
mod fault_screen;
mod fault_store;
mod fuzz_corpus_replay;
mod import_aws_config;
mod import_mfa_command;
mod import_organizations;
mod import_session_tags;
mod keyring_cache;
mod logs_secret_scan;
#[cfg(target_os = "linux")]
mod not_dumpable;
mod packaging;
mod progress_pty;
mod render_panels;
mod render_snapshots;
mod sqs_access_denied;
mod sqs_against_moto;
mod sso_cli_cache;
mod sso_faults;
mod sso_headless_agent;
mod sso_import;
mod sso_one_sign_in;
mod sso_secrets;
mod sso_sign_in;
#[cfg(unix)]
mod state_dir_files;
mod store_ask_before_lock;
#[cfg(unix)]
mod store_deleted_locks;
mod store_hung_keyring;
mod store_processes;
#[cfg(unix)]
mod store_short_sessions;
#[cfg(unix)]
mod tui_agent_pty;
mod tui_fleet_pty;
mod tui_hung_endpoint;
mod tui_panels_pty;
mod tui_pty;
mod tui_sign_in_pty;
mod version;

//! The fleet view: what is on fire across the marked roles' accounts, in one table (alarms
//! in ALARM, then every queue, dead-letter depth first). `view` holds it, `update` opens it
//! and gives the accounts their turns, `render` draws it.

pub mod render;
#[cfg(test)]
mod tests;
pub mod update;
pub mod view;

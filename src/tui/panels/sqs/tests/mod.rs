//! The SQS panel's state machine, driven directly: keys, ticks and results in, views and jobs
//! out. Jobs run against an in-memory SQS, so the tests also show which SQS operation each step
//! calls, and their messages are fed back as the executor would.

mod changes;
mod detail_peek;
mod listing;
mod move_tasks;
mod rails;
mod reading;
mod redrive_errors;
mod support;

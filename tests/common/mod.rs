//! Helpers shared by the integration tests, so that every test file starts the binary, the
//! demo incident and the server the same way:
//!
//! - [`warroom`]: the real binary with a cleared environment (only an allow-list is passed
//!   on, and the config dir points where nothing is), so a developer's own settings never
//!   reach a test;
//! - [`demo_events`]: a built-in scenario as a confirmed log with seqs 1..N;
//! - [`Server`] and [`serve`]: a warroom server in the test's process on a free port of
//!   127.0.0.1, holding the test's tokens;
//! - [`Watched`]: a store passed through to a real one, looking at every read of events;
//! - [`TestDb`]: a PostgreSQL database of its own for one test.
//!
//! Each test file uses a part of this, so what one file leaves unused is not a warning.

#![allow(dead_code)]

mod binary;
mod fixtures;
mod postgres;
mod server;
mod store;

// Re-exported so tests write `common::warroom(..)`; what a test file leaves unused is not
// a warning either.
#[allow(unused_imports)]
pub use binary::{BIN, clean_command, warroom, warroom_assert};
#[allow(unused_imports)]
pub use fixtures::{
    DEMO_INCIDENT, Recorded, demo_events, demo_ids, demo_start, numbered_ids, scenario_events,
};
#[allow(unused_imports)]
pub use postgres::{TestDb, admin_url, with_database};
#[allow(unused_imports)]
pub use server::{Access, Server, Token, add_tokens, serve, serve_at};
#[allow(unused_imports)]
pub use store::Watched;

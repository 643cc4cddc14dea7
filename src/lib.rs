#![forbid(unsafe_code)]
//! warroom: a terminal console for incident commanders.

pub mod cli;
pub mod clock;
pub mod config;
pub mod domain;
pub mod drill;
pub mod files;
pub mod notify;
pub mod paging;
pub mod server;
pub mod store;
pub mod sync;
pub mod tui;
pub mod verbs;
pub mod webhook;

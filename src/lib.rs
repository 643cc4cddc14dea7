#![forbid(unsafe_code)]
//! warroom: a terminal console for incident commanders.

pub mod clock;
pub mod domain;

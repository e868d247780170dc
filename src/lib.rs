//! runner-medic: follows GitLab Runner pod logs, classifies every line,
//! tracks runner health and explains it.
//!
//! ```text
//! input bytes (kubectl logs output, files, stdin)
//!     | line::LineSplitter        split on \n, cap at 64 KiB, count truncations
//!     v
//! parse::Parser::parse(&[u8])     -> Parsed   (k8s timestamp, kubectl --prefix, ANSI,
//!                                              runner | text | json | plain)
//! classify::Classifier::classify  -> Event    (class, runner short id, status, cause, job)
//! health::Tracker::record         -> Option<Transition>   (latched state per runner)
//! health::Tracker::diagnose       -> Diagnosis            (what is wrong, what fixes it)
//!     v
//! health::report::Report (text | json)   `runner-medic analyze`, the status page
//! ```
//!
//! Decisions are pure, synchronous and time-injected; I/O lives in `app`.

pub mod admin;
pub mod analyze;
pub mod app;
pub mod classify;
pub mod cli;
pub mod config;
pub mod daemon;
pub mod demo;
pub mod event;
pub mod health;
pub mod line;
pub mod metrics;
pub mod parse;
pub mod pipeline;
pub mod redact;
pub mod remediate;
pub mod selector;
pub mod shutdown;
pub mod sim;
pub mod source;
pub mod telemetry;

//! The integration tests, as one binary (`cargo test --test it`,
//! `cargo nextest run --test it`): linking one test binary per file cost
//! more than building the crate. One module per former binary, their
//! helpers in `common`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on bad fixtures

mod common;

mod cli;
mod docs;
mod examples;
mod gitlab_client;
mod layers;
mod remediation;
mod remediation_glrt;
mod sim_kubectl;
mod watch;
mod watch_cli;

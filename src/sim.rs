//! Simulation: faithful stand-ins for what runner-medic reads, used by
//! tests, the example logs and the demo.
//!
//! * `render` writes runner log lines byte for byte as gitlab-runner does;
//! * `scenario` scripts runner pods;
//! * `cluster` + `kube`: an in-process Kubernetes API server with runner
//!   pods whose logs the scripts write, and fault injection.
pub mod cluster;
pub mod driver;
pub mod gitlab;
pub mod kube;
pub mod render;
pub mod scenario;
pub mod world;

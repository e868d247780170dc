//! Simulation: faithful stand-ins for what runner-medic reads, used by
//! tests, the example logs and the demo. `render` writes runner log lines
//! byte for byte as gitlab-runner does; `scenario` scripts runner pods.
pub mod render;
pub mod scenario;

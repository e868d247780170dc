//! runner-medic's own log lines of one test, to scan for tokens.
//!
//! Not a global subscriber: tests share the process under `cargo test`
//! (one thread each) and have one each under nextest, and the capture
//! must be the same test's either way. The test runs on a runtime of its
//! own whose every thread logs to the test's buffer.

use std::future::Future;
use std::io::Write;
use std::sync::{Arc, Mutex};

/// The captured lines (`runner_medic=debug`, no colours).
#[derive(Clone, Default)]
pub struct Logs(Arc<Mutex<Vec<u8>>>);

impl Logs {
    /// Everything logged so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl Write for Logs {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Runs `test` as `#[tokio::test(flavor = "multi_thread", worker_threads =
/// 2)]` would, with everything logged on any thread of its runtime (workers,
/// blocking pool, the test's own) captured in the [`Logs`] it is given.
pub fn with_logs<F: Future>(test: impl FnOnce(Logs) -> F) -> F::Output {
    let logs = Logs::default();
    let writer = logs.clone();
    let dispatch = tracing::Dispatch::new(
        tracing_subscriber::fmt()
            .with_env_filter("runner_medic=debug")
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish(),
    );
    let on_thread = dispatch.clone();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        // The thread ends with the runtime: its default need not be undone.
        .on_thread_start(move || std::mem::forget(tracing::dispatcher::set_default(&on_thread)))
        .build()
        .unwrap();
    tracing::dispatcher::with_default(&dispatch, || runtime.block_on(test(logs)))
}

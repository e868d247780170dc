//! Helpers shared by every module of the integration-test binary, one of
//! each: running the built binary ([`bin`]), talking to a daemon's admin
//! server ([`admin`]), reading its metrics ([`metrics`]), a simulated
//! cluster with an in-process daemon ([`harness`]), the simulated world of
//! the remediation tests ([`world`]), a wiremock GitLab ([`gitlab`]) and a
//! per-test log capture ([`logs`]).

pub mod admin;
pub mod bin;
pub mod gitlab;
pub mod harness;
pub mod logs;
pub mod metrics;
pub mod world;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The namespace of every simulated runner.
pub const NS: &str = "gitlab-runner";

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A scratch directory of one test's own, `rm-NAME-PID-N` in the temporary
/// directory (the counter keeps tests of the same process apart), removed
/// when dropped.
pub struct Scratch(PathBuf);

impl Scratch {
    pub fn new(name: &str) -> Scratch {
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("rm-{name}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    /// `file` inside the directory.
    pub fn join(&self, file: impl AsRef<Path>) -> PathBuf {
        self.0.join(file)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Compares `actual` with the file at `path`; with `RUNNER_MEDIC_BLESS=1`
/// rewrites the file instead.
pub fn golden(path: &Path, actual: &str) {
    if std::env::var_os("RUNNER_MEDIC_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (run with RUNNER_MEDIC_BLESS=1 to create it)",
            path.display()
        )
    });
    if expected != actual {
        let diff: Vec<String> = expected
            .lines()
            .zip(actual.lines())
            .enumerate()
            .filter(|(_, (a, b))| a != b)
            .take(5)
            .map(|(n, (a, b))| format!("line {}:\n  expected: {a}\n  actual:   {b}", n + 1))
            .collect();
        panic!(
            "{} differs from the output ({} vs {} lines); RUNNER_MEDIC_BLESS=1 updates it if the change is intended.\n{}",
            path.display(),
            expected.lines().count(),
            actual.lines().count(),
            diff.join("\n")
        );
    }
}

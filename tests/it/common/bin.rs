//! The built `runner-medic` binary as a child process: run to completion
//! ([`run`], [`run_within`]) or kept running, its stderr read line by line
//! ([`spawn`]).

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The binary with `args`, from the repository root, with nothing of the
/// caller's environment that could change what it does: no `RUNNER_MEDIC_*`
/// variable, no in-cluster service, `KUBECONFIG` a file that does not exist
/// (callers add what they mean).
pub fn command(args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_runner-medic"));
    cmd.args(args).current_dir(super::root());
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("RUNNER_MEDIC_") {
            cmd.env_remove(key);
        }
    }
    cmd.env_remove("KUBERNETES_SERVICE_HOST")
        .env_remove("KUBERNETES_SERVICE_PORT")
        .env("KUBECONFIG", "/nonexistent/kubeconfig");
    cmd
}

/// Runs the binary with `args`, feeding `stdin`.
pub fn run(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = command(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn runner-medic");
    if let Some(input) = stdin {
        let mut s = child.stdin.take().unwrap();
        let input = input.to_vec();
        std::thread::spawn(move || {
            let _ = s.write_all(&input);
        });
    }
    child.wait_with_output().expect("wait for runner-medic")
}

/// Runs the binary with `args` and `env`; kills it and fails if it runs
/// longer than `limit` (a read that blocks or never ends).
pub fn run_within(args: &[&str], env: &[(&str, &str)], limit: Duration) -> Output {
    let mut child = command(args)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > limit {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!("{args:?} still running after {limit:?}:\n{}", stderr(&out));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

/// Standard output as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Standard error as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A running binary (a daemon, usually) whose stderr is read line by line.
pub struct Running {
    pub child: Child,
    lines: mpsc::Receiver<String>,
    /// The stderr lines read so far.
    pub stderr: Vec<String>,
}

/// Starts the binary with `args` and `env`, stdout discarded.
pub fn spawn(args: &[&str], env: &[(&str, &str)]) -> Running {
    let mut child = command(args)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    Running {
        child,
        lines: rx,
        stderr: Vec::new(),
    }
}

impl Running {
    /// Waits (20 s at most) for a stderr line containing `needle`; returns it.
    pub fn wait_log(&mut self, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            match self.lines.recv_timeout(Duration::from_millis(100)) {
                Ok(l) => {
                    self.stderr.push(l.clone());
                    if l.contains(needle) {
                        return l;
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(_) => break,
            }
        }
        panic!(
            "no log line with {needle:?}; stderr so far:\n{}",
            self.stderr.join("\n")
        );
    }

    /// Reads the rest of stderr (until 200 ms pass without a line).
    pub fn drain(&mut self) {
        while let Ok(l) = self.lines.recv_timeout(Duration::from_millis(200)) {
            self.stderr.push(l);
        }
    }

    /// Sends SIGTERM.
    pub fn sigterm(&self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
    }
}

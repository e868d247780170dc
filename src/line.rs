//! Where a line came from ([`Origin`]) and how a byte stream becomes lines
//! ([`LineSplitter`]).
//!
//! Input is bytes, never `str`: a stream is split on `\n` here, a trailing
//! `\r` is dropped, and a line longer than the cap keeps its first bytes and
//! is flagged truncated while the rest is discarded without being buffered.
//! Decoding and parsing happen later (`parse`).

use std::sync::Arc;

/// Lines longer than this are truncated (and counted); 64 KiB holds every
/// runner line seen in practice, including debug config dumps.
pub const MAX_LINE_BYTES: usize = 64 * 1024;

/// Which container stream a line belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Origin {
    /// Kubernetes namespace (empty when unknown, e.g. offline input).
    pub namespace: Arc<str>,
    /// The owning workload (Deployment, StatefulSet...) name.
    pub workload: Arc<str>,
    /// Pod name.
    pub pod: Arc<str>,
    /// Container name (empty when unknown).
    pub container: Arc<str>,
}

impl Origin {
    /// Builds an origin from its parts.
    pub fn new(namespace: &str, workload: &str, pod: &str, container: &str) -> Origin {
        Origin {
            namespace: namespace.into(),
            workload: workload.into(),
            pod: pod.into(),
            container: container.into(),
        }
    }

    /// An origin for a pod whose workload is guessed from its name.
    pub fn for_pod(namespace: &str, pod: &str, container: &str) -> Origin {
        Origin::new(namespace, workload_of_pod(pod), pod, container)
    }

    /// `namespace/workload`, or just the workload when the namespace is unknown.
    pub fn workload_path(&self) -> String {
        if self.namespace.is_empty() {
            self.workload.to_string()
        } else {
            format!("{}/{}", self.namespace, self.workload)
        }
    }
}

/// Guesses the owning workload from a pod name the way Kubernetes builds
/// names: a Deployment pod is `<deployment>-<replicaset hash>-<5 chars>`, a
/// DaemonSet or bare ReplicaSet pod `<name>-<5 chars>`, a StatefulSet pod
/// `<name>-<ordinal>`. Used only when owner references are not available
/// (offline input); the daemon reads the owners.
pub fn workload_of_pod(pod: &str) -> &str {
    let is_suffix = |s: &str, min: usize, max: usize| {
        (min..=max).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    };
    let Some((head, last)) = pod.rsplit_once('-') else {
        return pod;
    };
    if last.bytes().all(|b| b.is_ascii_digit()) && !last.is_empty() {
        return head; // StatefulSet ordinal
    }
    if !is_suffix(last, 5, 5) {
        return pod;
    }
    match head.rsplit_once('-') {
        // The ReplicaSet hash is a pod-template hash: 6 to 10 chars that
        // contain a digit or are all consonants; accept any short lowercase
        // alphanumeric run that contains a digit.
        Some((deployment, hash))
            if is_suffix(hash, 6, 10) && hash.bytes().any(|b| b.is_ascii_digit()) =>
        {
            deployment
        }
        _ => head,
    }
}

/// Splits a byte stream into lines without ever buffering more than
/// [`MAX_LINE_BYTES`] (or the configured cap) of one line.
#[derive(Debug)]
pub struct LineSplitter {
    buf: Vec<u8>,
    cap: usize,
    /// Bytes of the current line beyond the cap were dropped.
    overflowed: bool,
}

impl Default for LineSplitter {
    fn default() -> Self {
        LineSplitter::new(MAX_LINE_BYTES)
    }
}

impl LineSplitter {
    /// A splitter that truncates lines at `cap` bytes.
    pub fn new(cap: usize) -> LineSplitter {
        LineSplitter {
            buf: Vec::with_capacity(256),
            cap: cap.max(1),
            overflowed: false,
        }
    }

    /// Feeds a chunk; `emit(line, truncated)` is called for every complete
    /// line, without its `\n` (and `\r`).
    pub fn push(&mut self, mut chunk: &[u8], mut emit: impl FnMut(&[u8], bool)) {
        while let Some(nl) = memchr::memchr(b'\n', chunk) {
            let (head, rest) = (&chunk[..nl], &chunk[nl + 1..]);
            if self.buf.is_empty() && !self.overflowed {
                // Fast path: the whole line is inside this chunk.
                let (line, truncated) = cap_line(head, self.cap);
                emit(trim_cr(line, truncated), truncated);
            } else {
                self.append(head);
                let truncated = self.overflowed;
                let line = std::mem::take(&mut self.buf);
                emit(trim_cr(&line, truncated), truncated);
                self.buf = line;
                self.buf.clear();
                self.overflowed = false;
            }
            chunk = rest;
        }
        self.append(chunk);
    }

    /// Bytes of an unfinished line are pending.
    pub fn has_partial(&self) -> bool {
        !self.buf.is_empty() || self.overflowed
    }

    /// Emits the unfinished last line, if any (end of input without `\n`).
    pub fn finish(&mut self, mut emit: impl FnMut(&[u8], bool)) {
        if self.has_partial() {
            let truncated = self.overflowed;
            emit(trim_cr(&self.buf, truncated), truncated);
        }
        self.clear();
    }

    /// Drops an unfinished line (a stream that will be re-read elsewhere).
    pub fn clear(&mut self) {
        self.buf.clear();
        self.overflowed = false;
    }

    fn append(&mut self, bytes: &[u8]) {
        let room = self.cap.saturating_sub(self.buf.len());
        if bytes.len() > room {
            self.buf.extend_from_slice(&bytes[..room]);
            self.overflowed = true;
        } else {
            self.buf.extend_from_slice(bytes);
        }
    }
}

fn cap_line(line: &[u8], cap: usize) -> (&[u8], bool) {
    if line.len() > cap {
        (&line[..cap], true)
    } else {
        (line, false)
    }
}

fn trim_cr(line: &[u8], truncated: bool) -> &[u8] {
    match line {
        [rest @ .., b'\r'] if !truncated => rest,
        _ => line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(chunks: &[&[u8]], cap: usize) -> Vec<(Vec<u8>, bool)> {
        let mut s = LineSplitter::new(cap);
        let mut out = Vec::new();
        for c in chunks {
            s.push(c, |l, t| out.push((l.to_vec(), t)));
        }
        s.finish(|l, t| out.push((l.to_vec(), t)));
        out
    }

    #[test]
    fn lines_split_across_chunks_are_joined() {
        let out = split(&[b"ab", b"c\nde", b"f\r\ng"], 100);
        assert_eq!(
            out,
            vec![
                (b"abc".to_vec(), false),
                (b"def".to_vec(), false),
                (b"g".to_vec(), false)
            ]
        );
    }

    #[test]
    fn long_lines_are_truncated_without_buffering_the_rest() {
        let long = vec![b'x'; 1000];
        let mut chunks: Vec<&[u8]> = vec![&long[..300], &long[300..]];
        chunks.push(b"\nok\n");
        let out = split(&chunks, 64);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].0.len(), 64);
        assert!(out[0].1);
        assert_eq!(out[1], (b"ok".to_vec(), false));
    }

    #[test]
    fn a_line_of_exactly_the_cap_is_not_truncated() {
        let line = vec![b'y'; 64];
        let mut input = line.clone();
        input.push(b'\n');
        assert_eq!(split(&[&input], 64), vec![(line, false)]);
    }

    #[test]
    fn empty_lines_are_lines() {
        assert_eq!(split(&[b"\n\n"], 8).len(), 2);
    }

    #[test]
    fn workload_is_guessed_from_pod_names() {
        assert_eq!(
            workload_of_pod("gitlab-runner-6c8d9f7b5-qz4tn"),
            "gitlab-runner"
        );
        assert_eq!(
            workload_of_pod("gitlab-runner-7d4b9c8f6d-x2x7k"),
            "gitlab-runner"
        );
        assert_eq!(workload_of_pod("runner-0"), "runner");
        assert_eq!(workload_of_pod("ds-pod-abcde"), "ds-pod");
        assert_eq!(workload_of_pod("plain"), "plain");
    }
}

//! Read positions kept across restarts of runner-medic (`watch.state_file`).
//!
//! Without them a restarted daemon reads its lookback again to rebuild
//! health, and counts those lines a second time: `increase()` over the
//! restart shows events that happened once as if they happened twice.
//! With them, every follower sends its container instance's [`Mark`]
//! behind its lines, and the pipeline records it here once they are
//! counted; the file is written every few seconds and once more after the
//! pipeline drained on shutdown. A new run still reads the lookback (health needs
//! it) but replays the lines up to the mark into health only.
//!
//! A graceful restart counts nothing twice and loses nothing. After a
//! crash, the lines read since the last write (a few seconds) are counted
//! again. An unreadable file is reported and ignored (the lookback is
//! counted again, as without the file); an unwritable path is a startup
//! error, since it would silently do nothing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use super::checkpoint::{Mark, Resume};

/// Lines of one mark persisted: more lines than this in the last second
/// read may be counted again after a restart.
pub const MARK_LINES: usize = 512;

/// The format written.
const VERSION: u32 = 1;

/// A positions file larger than this is not ours (a thousand streams take
/// a few hundred KiB): ignored rather than read into memory.
const MAX_FILE_BYTES: u64 = 32 * 1024 * 1024;

/// One container instance's log.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct StreamId {
    /// Namespace (for people reading the file).
    pub namespace: String,
    /// Pod name (for people reading the file).
    pub pod: String,
    /// Pod UID: a StatefulSet's `runner-0` is a new pod after a delete.
    pub uid: String,
    /// Container name.
    pub container: String,
    /// The container's restart count: which instance.
    pub instance: i32,
}

/// The positions file could not be used.
#[derive(Debug, thiserror::Error)]
#[error(
    "watch.state_file: cannot {action} {path}: {error}; mount a writable volume there (an emptyDir survives container restarts) or remove the setting"
)]
pub struct PositionsError {
    action: &'static str,
    path: String,
    // In the message, not exposed as a source: printed once.
    error: std::io::Error,
}

#[derive(Serialize, Deserialize)]
struct File {
    version: u32,
    streams: Vec<Entry>,
}

#[derive(Serialize, Deserialize)]
struct Entry {
    #[serde(flatten)]
    id: StreamId,
    #[serde(flatten)]
    mark: Mark,
}

#[derive(Default)]
struct Inner {
    streams: BTreeMap<StreamId, Mark>,
    changed: bool,
}

/// The marks of every followed container instance, and their file.
pub struct Positions {
    path: PathBuf,
    inner: Mutex<Inner>,
}

impl std::fmt::Debug for Positions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Positions")
            .field("path", &self.path)
            .field("streams", &self.lock().streams.len())
            .finish()
    }
}

use std::os::unix::fs::OpenOptionsExt;

impl Positions {
    /// Loads `path` (absent: nothing to resume) and proves it can be
    /// written. A file that cannot be parsed is reported and replaced.
    pub fn open(path: &Path) -> Result<Positions, PositionsError> {
        // A FIFO would block the open, a device would be replaced by the
        // first save (`--state-file /dev/null` as root): only a regular
        // file, or nothing yet, is a positions file.
        match std::fs::metadata(path) {
            Ok(m) if !m.is_file() => {
                return Err(PositionsError {
                    action: "use",
                    path: path.display().to_string(),
                    error: std::io::Error::new(
                        std::io::ErrorKind::InvalidInput,
                        "it is not a regular file (a directory, FIFO, socket or device)",
                    ),
                });
            }
            _ => {}
        }
        let streams = match read_capped(path) {
            Ok(bytes) => parse(&bytes).unwrap_or_else(|why| {
                tracing::warn!(path = %path.display(), %why, "ignoring the positions file: lines in the lookback will be counted again");
                BTreeMap::new()
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => BTreeMap::new(),
            Err(source) => {
                return Err(PositionsError {
                    action: "read",
                    path: path.display().to_string(),
                    error: source,
                });
            }
        };
        let loaded = streams.len();
        let p = Positions {
            path: path.to_owned(),
            inner: Mutex::new(Inner {
                streams,
                changed: true,
            }),
        };
        p.save().map_err(|error| PositionsError {
            action: "write",
            path: path.display().to_string(),
            error,
        })?;
        tracing::info!(path = %path.display(), streams = loaded, "read positions");
        Ok(p)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves consistent data behind.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Where the previous run stopped reading `id`, if it did.
    pub fn resume(&self, id: &StreamId) -> Option<Resume> {
        self.lock().streams.get(id).cloned().map(Resume::new)
    }

    /// Records how far `id` was read.
    pub fn update(&self, id: &StreamId, mark: Mark) {
        Self::put(&mut self.lock(), id, mark);
    }

    /// Records how far `id` was read unless the file is being written right
    /// now (never blocks the runtime thread on the writer): the mark comes
    /// back then, to be tried again.
    pub fn try_update(&self, id: &StreamId, mark: Mark) -> Result<(), Mark> {
        match self.inner.try_lock() {
            Ok(mut inner) => Self::put(&mut inner, id, mark),
            Err(std::sync::TryLockError::Poisoned(e)) => Self::put(&mut e.into_inner(), id, mark),
            Err(std::sync::TryLockError::WouldBlock) => return Err(mark),
        }
        Ok(())
    }

    /// The newest instance of a container with a mark.
    pub fn last_instance(&self, uid: &str, container: &str) -> Option<i32> {
        self.lock()
            .streams
            .keys()
            .filter(|id| id.uid == uid && id.container == container)
            .map(|id| id.instance)
            .max()
    }

    fn put(inner: &mut Inner, id: &StreamId, mut mark: Mark) {
        mark.seen.truncate(MARK_LINES);
        if inner.streams.get(id) != Some(&mark) {
            inner.streams.insert(id.clone(), mark);
            inner.changed = true;
        }
    }

    /// Forgets every instance of a container of pod `uid` (it is gone).
    pub fn forget(&self, uid: &str, container: &str) {
        let mut inner = self.lock();
        let before = inner.streams.len();
        inner
            .streams
            .retain(|id, _| id.uid != uid || id.container != container);
        inner.changed |= inner.streams.len() != before;
    }

    /// Forgets instances older than `instance` of a container.
    pub fn forget_before(&self, uid: &str, container: &str, instance: i32) {
        let mut inner = self.lock();
        let before = inner.streams.len();
        inner
            .streams
            .retain(|id, _| id.uid != uid || id.container != container || id.instance >= instance);
        inner.changed |= inner.streams.len() != before;
    }

    /// Keeps only the pods for which `live(uid)` holds (after a full list:
    /// pods deleted while runner-medic was down).
    pub fn retain_pods(&self, live: impl Fn(&str) -> bool) {
        let mut inner = self.lock();
        let before = inner.streams.len();
        inner.streams.retain(|id, _| live(&id.uid));
        inner.changed |= inner.streams.len() != before;
    }

    /// Container instances recorded.
    pub fn len(&self) -> usize {
        self.lock().streams.len()
    }

    /// Nothing recorded.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Writes the file if anything changed (a temporary file renamed over
    /// it: a crash leaves the old or the new file, never half of one).
    pub fn save(&self) -> std::io::Result<()> {
        // A copy under the lock, serialized after it is released.
        let file = {
            let mut inner = self.lock();
            if !inner.changed {
                return Ok(());
            }
            inner.changed = false;
            File {
                version: VERSION,
                streams: inner
                    .streams
                    .iter()
                    .map(|(id, mark)| Entry {
                        id: id.clone(),
                        mark: mark.clone(),
                    })
                    .collect(),
            }
        };
        let text = serde_json::to_vec(&file).map_err(std::io::Error::other);
        let result = text.and_then(|text| {
            let mut tmp = self.path.clone().into_os_string();
            tmp.push(".tmp");
            // Created anew, exclusively: a link or a file someone put at
            // the temporary name is removed (the link itself, never its
            // target), and O_EXCL never follows a link to write elsewhere.
            match std::fs::remove_file(&tmp) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
                _ => {}
            }
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&tmp)?;
            std::io::Write::write_all(&mut f, &text)?;
            // Durable before it replaces the old file (a node crash must not
            // leave an empty file behind the new name).
            f.sync_all()?;
            std::fs::rename(&tmp, &self.path)
        });
        if result.is_err() {
            self.lock().changed = true;
        }
        result
    }
}

/// The file's bytes, one more than [`MAX_FILE_BYTES`] at most.
fn read_capped(path: &Path) -> std::io::Result<Vec<u8>> {
    // Not a regular file (checked by `open` too, but a FIFO swapped in
    // between must not block): refuse before opening.
    if std::fs::metadata(path).is_ok_and(|m| !m.is_file()) {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "not a regular file",
        ));
    }
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)?;
    Ok(bytes)
}

fn parse(bytes: &[u8]) -> Result<BTreeMap<StreamId, Mark>, String> {
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err("larger than 32 MiB, not a positions file".into());
    }
    let file: File = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
    if file.version != VERSION {
        return Err(format!("format version {} is not {VERSION}", file.version));
    }
    Ok(file
        .streams
        .into_iter()
        .map(|mut e| {
            e.mark.seen.truncate(MARK_LINES); // a file edited by hand
            (e.id, e.mark)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::checkpoint::Checkpoint;
    use std::os::unix::fs::FileTypeExt;

    fn id(uid: &str, instance: i32) -> StreamId {
        StreamId {
            namespace: "ns".into(),
            pod: "runner-0".into(),
            uid: uid.into(),
            container: "runner".into(),
            instance,
        }
    }

    fn mark(lines: &[(&str, &str)]) -> Mark {
        let mut c = Checkpoint::new();
        for (t, l) in lines {
            c.admit(Some(t.parse().unwrap()), l.as_bytes());
        }
        c.mark().unwrap()
    }

    /// A fresh directory, removed at drop.
    struct Dir(PathBuf);

    impl Dir {
        fn path(&self) -> &Path {
            &self.0
        }
    }

    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn dir() -> Dir {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let d = std::env::temp_dir().join(format!("rm-positions-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        Dir(d)
    }

    #[test]
    fn marks_survive_a_restart() {
        let d = dir();
        let path = d.path().join("positions.json");
        let p = Positions::open(&path).unwrap();
        assert!(p.is_empty());
        let m = mark(&[("2026-03-02T10:00:04.100000000Z", "a")]);
        p.update(&id("u1", 0), m.clone());
        p.save().unwrap();
        let again = Positions::open(&path).unwrap();
        assert_eq!(again.len(), 1);
        let mut r = again.resume(&id("u1", 0)).unwrap();
        assert_eq!(r.since(), m.since);
        assert!(r.was_read(
            Some("2026-03-02T10:00:04.100000000Z".parse().unwrap()),
            b"a"
        ));
        assert!(again.resume(&id("u1", 1)).is_none(), "another instance");
        assert!(again.resume(&id("u2", 0)).is_none(), "another pod");
    }

    #[test]
    fn forgotten_and_vanished_pods_leave_the_file() {
        let d = dir();
        let path = d.path().join("p.json");
        let p = Positions::open(&path).unwrap();
        let m = mark(&[("2026-03-02T10:00:04Z", "a")]);
        for (u, i) in [("u1", 0), ("u1", 1), ("u2", 0), ("u3", 0)] {
            p.update(&id(u, i), m.clone());
        }
        p.forget_before("u1", "runner", 1);
        assert!(p.resume(&id("u1", 0)).is_none());
        assert!(p.resume(&id("u1", 1)).is_some());
        p.forget("u2", "runner");
        p.retain_pods(|uid| uid == "u1");
        p.save().unwrap();
        let again = Positions::open(&path).unwrap();
        assert_eq!(again.len(), 1);
    }

    #[test]
    fn a_corrupt_or_foreign_file_is_ignored_and_replaced() {
        let d = dir();
        let path = d.path().join("p.json");
        for junk in [
            &b"{\"version\":1,\"str"[..],
            b"\xff\xfe",
            b"{\"version\":9,\"streams\":[]}",
        ] {
            std::fs::write(&path, junk).unwrap();
            let p = Positions::open(&path).unwrap();
            assert!(p.is_empty());
            let text = std::fs::read_to_string(&path).unwrap();
            assert!(text.starts_with("{\"version\":1,"), "{text}");
        }
    }

    #[test]
    fn a_follower_never_waits_for_the_writer() {
        let d = dir();
        let p = Positions::open(&d.path().join("p.json")).unwrap();
        let m = mark(&[("2026-03-02T10:00:04Z", "a")]);
        let held = p.inner.lock().unwrap();
        let back = p.try_update(&id("u", 0), m.clone()).unwrap_err();
        assert_eq!(back, m, "busy: the mark comes back to be tried later");
        drop(held);
        assert!(p.try_update(&id("u", 0), m).is_ok());
        assert!(p.resume(&id("u", 0)).is_some());
        assert_eq!(p.last_instance("u", "runner"), Some(0));
        assert_eq!(p.last_instance("v", "runner"), None);
    }

    #[test]
    fn a_huge_file_is_not_read_into_memory() {
        let d = dir();
        let path = d.path().join("p.json");
        let f = std::fs::File::create(&path).unwrap();
        f.set_len(MAX_FILE_BYTES + 10).unwrap(); // sparse
        let p = Positions::open(&path).unwrap();
        assert!(p.is_empty());
        assert!(std::fs::metadata(&path).unwrap().len() < 100, "replaced");
    }

    #[test]
    fn an_unwritable_path_is_an_error_naming_the_field_and_the_fix() {
        let d = dir();
        let path = d.path().join("missing-dir").join("p.json");
        let e = Positions::open(&path).unwrap_err().to_string();
        assert!(e.starts_with("watch.state_file: cannot write"), "{e}");
        assert!(e.contains("missing-dir"), "{e}");
        assert!(e.contains("emptyDir"), "{e}");
    }

    #[test]
    fn special_files_are_refused_without_blocking_or_replacing_them() {
        let d = dir();
        let fifo = d.path().join("fifo");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .is_ok_and(|s| s.success());
        let mut paths = vec![
            d.path().to_path_buf(),
            std::path::PathBuf::from("/dev/null"),
        ];
        if made {
            paths.push(fifo);
        }
        for path in paths {
            let e = Positions::open(&path).unwrap_err().to_string();
            assert!(e.contains("not a regular file"), "{}: {e}", path.display());
            assert!(e.starts_with("watch.state_file: cannot use"), "{e}");
        }
        assert!(
            std::fs::metadata("/dev/null")
                .unwrap()
                .file_type()
                .is_char_device()
        );
    }

    #[test]
    fn a_link_at_the_temporary_name_is_not_followed() {
        let d = dir();
        let path = d.path().join("p.json");
        let victim = d.path().join("victim");
        std::fs::write(&victim, "precious").unwrap();
        let mut tmp = path.clone().into_os_string();
        tmp.push(".tmp");
        std::os::unix::fs::symlink(&victim, &tmp).unwrap();
        let p = Positions::open(&path).unwrap();
        p.update(&id("u", 0), mark(&[("2026-03-02T10:00:04.5Z", "a line")]));
        p.save().unwrap();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
        assert!(std::fs::symlink_metadata(&path).unwrap().is_file());
        assert!(
            Positions::open(&path)
                .unwrap()
                .resume(&id("u", 0))
                .is_some()
        );
    }

    #[test]
    fn huge_marks_are_capped() {
        let d = dir();
        let p = Positions::open(&d.path().join("p.json")).unwrap();
        let lines: Vec<(String, String)> = (0..2000)
            .map(|i| ("2026-03-02T10:00:04.5Z".to_owned(), format!("line {i}")))
            .collect();
        let refs: Vec<(&str, &str)> = lines
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        p.update(&id("u", 0), mark(&refs));
        let mut r = p.resume(&id("u", 0)).unwrap();
        let at = Some("2026-03-02T10:00:04.5Z".parse().unwrap());
        let known = (0..2000)
            .take_while(|i| r.was_read(at, format!("line {i}").as_bytes()))
            .count();
        assert_eq!(known, MARK_LINES);
    }

    #[test]
    fn saving_without_changes_writes_nothing() {
        let d = dir();
        let path = d.path().join("p.json");
        let p = Positions::open(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        p.save().unwrap();
        assert!(!path.exists());
        p.update(&id("u", 0), mark(&[("2026-03-02T10:00:04Z", "a")]));
        p.save().unwrap();
        assert!(path.exists());
    }
}

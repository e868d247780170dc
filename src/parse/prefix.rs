//! Prefixes that wrap a container's own output: the Kubernetes
//! `timestamps=true` stamp, the `[pod/NAME/CONTAINER] ` tag of
//! `kubectl logs --prefix`, and the CRI file tag (`stdout F `).

use jiff::Timestamp;

/// The `kubectl logs --prefix` tag, as byte ranges of the raw line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TagSpan {
    /// Pod name range.
    pub pod: (usize, usize),
    /// Container name range.
    pub container: (usize, usize),
}

/// Parses a leading RFC3339 timestamp followed by one space, as the kubelet
/// writes it (`2026-03-02T08:14:03.512277188Z `; fixed 9 fractional digits,
/// but any precision and any UTC offset are accepted). Returns the instant
/// and the number of bytes consumed, including the space.
pub fn timestamp(b: &[u8]) -> Option<(Timestamp, usize)> {
    timestamp_cached(b, &mut DateCache::default())
}

/// Remembers the last date seen: consecutive lines share it, and turning a
/// date into days is the costly part.
#[derive(Debug, Default, Clone, Copy)]
pub struct DateCache {
    date: [u8; 10],
    days: i64,
}

/// [`timestamp`] with a cache of the last date.
pub fn timestamp_cached(b: &[u8], cache: &mut DateCache) -> Option<(Timestamp, usize)> {
    // YYYY-MM-DDTHH:MM:SS is 19 bytes; shortest form adds `Z ` (21).
    if b.len() < 21 || b[4] != b'-' || b[7] != b'-' || (b[10] != b'T' && b[10] != b't') {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let days = if cache.date == b[..10] && cache.days != 0 {
        cache.days
    } else {
        let year = digits(&b[0..4])? as i64;
        let month = digits(&b[5..7])?;
        let day = digits(&b[8..10])?;
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return None;
        }
        let days = days_from_civil(year, month, day);
        cache.date.copy_from_slice(&b[..10]);
        cache.days = days;
        days
    };
    let hour = digits(&b[11..13])?;
    let minute = digits(&b[14..16])?;
    let second = digits(&b[17..19])?;
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut i = 19;
    let mut nanos: u32 = 0;
    if b[i] == b'.' {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            if i - start < 9 {
                nanos = nanos * 10 + u32::from(b[i] - b'0');
            }
            i += 1;
        }
        let n = i - start;
        if n == 0 {
            return None;
        }
        for _ in n..9 {
            nanos *= 10;
        }
    }
    let offset_secs: i64 = match b.get(i)? {
        b'Z' | b'z' => {
            i += 1;
            0
        }
        sign @ (b'+' | b'-') => {
            // `+01:00`, or `+0100` as journalctl's short-iso prints it.
            let off = b.get(i + 1..i + 5)?;
            let (h, m, len) = if off[2] == b':' {
                let off = b.get(i + 1..i + 6)?;
                (digits(&off[0..2])?, digits(&off[3..5])?, 6)
            } else {
                (digits(&off[0..2])?, digits(&off[2..4])?, 5)
            };
            if h > 23 || m > 59 {
                return None;
            }
            i += len;
            let secs = i64::from(h * 3600 + m * 60);
            if *sign == b'-' { -secs } else { secs }
        }
        _ => return None,
    };
    if b.get(i) != Some(&b' ') {
        return None;
    }
    // A leap second (:60) is folded into the next second, as Go does.
    let secs = days * 86_400 + i64::from(hour * 3600 + minute * 60 + second) - offset_secs;
    let ts = Timestamp::new(secs, nanos as i32).ok()?;
    Some((ts, i + 1))
}

/// Parses a `[pod/NAME/CONTAINER] ` tag at the start of `b`.
pub fn kubectl_tag(b: &[u8]) -> Option<(TagSpan, usize)> {
    let rest = b.strip_prefix(b"[pod/")?;
    let end = memchr::memchr(b']', rest)?;
    if rest.get(end + 1) != Some(&b' ') {
        return None;
    }
    let inner = &rest[..end];
    let slash = memchr::memchr(b'/', inner)?;
    let (pod, container) = (&inner[..slash], &inner[slash + 1..]);
    let name_ok = |s: &[u8]| {
        !s.is_empty()
            && s.len() <= 253
            && s.iter()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-' || *c == b'.')
    };
    if !name_ok(pod) || !name_ok(container) {
        return None;
    }
    let base = 5;
    Some((
        TagSpan {
            pod: (base, base + slash),
            container: (base + slash + 1, base + end),
        },
        base + end + 2,
    ))
}

/// Parses the CRI log-file tag that follows the timestamp in
/// `/var/log/pods` files: `stdout F ` or `stderr P `. Returns whether the
/// record is partial (`P`) and the bytes consumed.
pub fn cri_tag(b: &[u8]) -> Option<(bool, usize)> {
    if b.len() < 9 || !(b.starts_with(b"stdout ") || b.starts_with(b"stderr ")) {
        return None;
    }
    let partial = match b[7] {
        b'F' => false,
        b'P' => true,
        _ => return None,
    };
    if b[8] != b' ' {
        return None;
    }
    Some((partial, 9))
}

fn digits(b: &[u8]) -> Option<u32> {
    b.iter().try_fold(0u32, |acc, &c| {
        c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
    })
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Option<String> {
        timestamp(s.as_bytes()).map(|(t, n)| format!("{t} {n}"))
    }

    #[test]
    fn kubelet_fixed_width_timestamps_parse() {
        assert_eq!(
            ts("2026-03-02T08:14:03.512277188Z x").as_deref(),
            Some("2026-03-02T08:14:03.512277188Z 31")
        );
    }

    #[test]
    fn offsets_and_short_fractions_parse_to_utc() {
        assert_eq!(
            ts("2026-03-02T17:14:03.5+09:00 x").as_deref(),
            Some("2026-03-02T08:14:03.5Z 28")
        );
        assert_eq!(
            ts("2024-02-29T00:00:00Z x").as_deref(),
            Some("2024-02-29T00:00:00Z 21")
        );
    }

    #[test]
    fn agrees_with_jiff_on_many_dates() {
        for (y, m, d) in [
            (1970, 1, 1),
            (2000, 2, 29),
            (2026, 12, 31),
            (2100, 3, 1),
            (1999, 7, 15),
        ] {
            let s = format!("{y:04}-{m:02}-{d:02}T23:59:58.000000001Z ");
            let (ours, _) = timestamp(s.as_bytes()).unwrap();
            let theirs: Timestamp = s.trim().parse().unwrap();
            assert_eq!(ours, theirs, "{s}");
        }
    }

    #[test]
    fn non_timestamps_are_rejected() {
        for s in [
            "2026-13-02T08:14:03Z x",
            "2026-02-30T08:14:03Z x",
            "2026-03-02T08:14:03Zx",
            "2026-03-02 08:14:03Z x",
            "Checking for jobs...",
            "2026-03-02T08:14:03.Z x",
        ] {
            assert_eq!(ts(s), None, "{s}");
        }
    }

    #[test]
    fn kubectl_tags_parse() {
        let line = b"[pod/gitlab-runner-6c8d9f7b5-qz4tn/gitlab-runner] rest";
        let (tag, n) = kubectl_tag(line).unwrap();
        assert_eq!(
            &line[tag.pod.0..tag.pod.1],
            b"gitlab-runner-6c8d9f7b5-qz4tn"
        );
        assert_eq!(&line[tag.container.0..tag.container.1], b"gitlab-runner");
        assert_eq!(&line[n..], b"rest");
        assert!(kubectl_tag(b"[pod/x] rest").is_none());
        assert!(kubectl_tag(b"[pod/A/b] rest").is_none());
    }

    #[test]
    fn cri_tags_parse() {
        assert_eq!(cri_tag(b"stdout F hello"), Some((false, 9)));
        assert_eq!(cri_tag(b"stderr P hello"), Some((true, 9)));
        assert_eq!(cri_tag(b"stdout X hello"), None);
    }
}

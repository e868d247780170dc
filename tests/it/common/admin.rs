//! A daemon's admin server over real sockets (a new connection for every
//! request, as Prometheus and the kubelet make them), and waiting for it to
//! show something.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// How long every wait for a daemon lasts at most. The longest wait is a
/// remediation carried out by the binary (`watch_cli`), with the whole
/// suite sharing two cores; a test that passes never waits that long.
pub const WAIT: Duration = Duration::from_secs(60);

/// `method path` with `headers` and `body` (a `Content-Length` for anything
/// but a GET) over a new connection: the response's status (0 if none came)
/// and body. The server may answer and close before the body is sent
/// (`413`, `401`): write and read errors are not failures.
pub async fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, String) {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    if method != "GET" {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    let _ = s.write_all(head.as_bytes()).await;
    let _ = s.write_all(body).await;
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf).await;
    let text = String::from_utf8_lossy(&buf).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

/// `GET path`: (status, body).
pub async fn get(addr: SocketAddr, path: &str) -> (u16, String) {
    request(addr, "GET", path, &[], b"").await
}

/// `GET /metrics`: the OpenMetrics text.
pub async fn scrape(addr: SocketAddr) -> String {
    get(addr, "/metrics").await.1
}

/// `POST /api/v1/alerts` with `body` (and `Authorization: Bearer <auth>`):
/// the status and the response body.
pub async fn post_alerts(addr: SocketAddr, auth: Option<&str>, body: String) -> (u16, String) {
    let bearer = auth.map(|a| format!("Bearer {a}"));
    let mut headers = vec![("Content-Type", "application/json")];
    if let Some(b) = &bearer {
        headers.push(("Authorization", b));
    }
    request(addr, "POST", "/api/v1/alerts", &headers, body.as_bytes()).await
}

/// Polls `GET path` every 100 ms until `check(status, body)` passes;
/// returns the status and body. Fails after [`WAIT`] (60 s), naming `what`
/// and showing the last answer.
pub async fn wait_get(
    addr: SocketAddr,
    path: &str,
    what: &str,
    check: impl Fn(u16, &str) -> bool,
) -> (u16, String) {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let (status, body) = get(addr, path).await;
        if check(status, &body) {
            return (status, body);
        }
        if tokio::time::Instant::now() > deadline {
            // Of /metrics, the samples: the # HELP and # TYPE lines are noise.
            let shown: Vec<&str> = body.lines().filter(|l| !l.starts_with("# ")).collect();
            panic!(
                "timed out after {WAIT:?} waiting for {what}; GET {path} answered {status}:\n{}",
                shown.join("\n")
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Polls `/metrics` until `check` passes (60 s at most, [`wait_get`]);
/// returns the text.
pub async fn wait_metrics(addr: SocketAddr, what: &str, check: impl Fn(&str) -> bool) -> String {
    wait_get(addr, "/metrics", what, |_, m| check(m)).await.1
}

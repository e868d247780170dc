//! SIGTERM and SIGINT become one [`CancellationToken`]. Everything that runs
//! watches the token and drains; a second signal aborts the process at once
//! (exit status 130), for when draining hangs.

use tokio::signal::unix::{SignalKind, signal};
use tokio_util::sync::CancellationToken;

/// Spawns the signal watcher; the token is cancelled on the first signal.
pub fn on_signals() -> std::io::Result<CancellationToken> {
    let token = CancellationToken::new();
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    let t = token.clone();
    tokio::spawn(async move {
        tokio::select! {
            _ = term.recv() => tracing::info!("SIGTERM received, draining"),
            _ = int.recv() => tracing::info!("SIGINT received, draining"),
        }
        t.cancel();
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
        tracing::warn!("second signal received, aborting");
        std::process::exit(130);
    });
    Ok(token)
}

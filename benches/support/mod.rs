//! Helpers shared by the benchmark binaries (included with `#[path]`, so
//! cargo does not take it for a benchmark of its own).

/// The number after `name` on the command line (`-- --pods 1000`), else
/// `default`.
pub fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

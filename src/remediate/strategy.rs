//! What remediation may do: its mode, strategy and restart method. Plain
//! settings, below both the policy that decides and the history that
//! remembers (which would otherwise import each other).

use serde::{Deserialize, Serialize};

/// Whether remediation runs at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// Never (the default).
    #[default]
    Off,
    /// Decide and record, mutate nothing.
    DryRun,
    /// Act.
    On,
}

impl Mode {
    /// The stable name (as on the command line).
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Off => "off",
            Mode::DryRun => "dry-run",
            Mode::On => "on",
        }
    }
}

/// What remediation does.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, clap::ValueEnum,
)]
#[serde(rename_all = "kebab-case")]
pub enum Strategy {
    /// Restart the runner's pods (safe everywhere; fixes transient state only).
    #[default]
    Restart,
    /// The seed runbook, legacy registration-token workflow only: delete the
    /// runner in GitLab, then restart the pods so they register anew.
    Reregister,
    /// `glrt-` workflow: reset the runner's token, write it to the Secret,
    /// restart.
    Rotate,
    /// `glrt-` workflow: create a new runner, write its token to the Secret,
    /// restart, delete the old runner.
    Recreate,
}

impl Strategy {
    /// The stable name (metrics label).
    pub fn as_str(self) -> &'static str {
        match self {
            Strategy::Restart => "restart",
            Strategy::Reregister => "reregister",
            Strategy::Rotate => "rotate",
            Strategy::Recreate => "recreate",
        }
    }

    /// Whether the strategy changes anything in GitLab.
    pub fn mutates_gitlab(self) -> bool {
        !matches!(self, Strategy::Restart)
    }

    /// Issues a new token and writes it to the runner's Secret.
    pub fn writes_secret(self) -> bool {
        matches!(self, Strategy::Rotate | Strategy::Recreate)
    }
}

/// How pods are restarted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum RestartMethod {
    /// Delete the runner's pods one by one, each with a UID precondition.
    #[default]
    Delete,
    /// Patch the owning Deployment like `kubectl rollout restart`.
    Rollout,
}

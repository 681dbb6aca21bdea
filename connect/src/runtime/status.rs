//! Connector and task states (AbstractStatus.State), target states (TargetState) and the status
//! record `{"state","trace","worker_id","generation"}` written to the status topic.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum State {
    Unassigned,
    Running,
    Paused,
    Failed,
    Restarting,
    Stopped,
    Destroyed,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Unassigned => "UNASSIGNED",
            State::Running => "RUNNING",
            State::Paused => "PAUSED",
            State::Failed => "FAILED",
            State::Restarting => "RESTARTING",
            State::Stopped => "STOPPED",
            State::Destroyed => "DESTROYED",
        }
    }
}

/// What the user asked a connector to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetState {
    Started,
    Paused,
    Stopped,
}

impl TargetState {
    pub fn as_str(self) -> &'static str {
        match self {
            TargetState::Started => "STARTED",
            TargetState::Paused => "PAUSED",
            TargetState::Stopped => "STOPPED",
        }
    }

    pub fn parse(s: &str) -> Option<TargetState> {
        match s {
            "STARTED" => Some(TargetState::Started),
            "PAUSED" => Some(TargetState::Paused),
            "STOPPED" => Some(TargetState::Stopped),
            _ => None,
        }
    }

    /// KIP-980 `initial_state` (case-insensitive): RUNNING, PAUSED or STOPPED.
    pub fn from_initial_state(s: &str) -> Option<TargetState> {
        match s.to_ascii_uppercase().as_str() {
            "RUNNING" => Some(TargetState::Started),
            "PAUSED" => Some(TargetState::Paused),
            "STOPPED" => Some(TargetState::Stopped),
            _ => None,
        }
    }

    /// The `target-state-<n>` record: `state` is STARTED/PAUSED for old workers (STOPPED is
    /// written as PAUSED there), `state.v2` the real value.
    pub fn record(self) -> serde_json::Value {
        let v1 = if self == TargetState::Stopped {
            TargetState::Paused
        } else {
            self
        };
        serde_json::json!({"state": v1.as_str(), "state.v2": self.as_str()})
    }
}

/// One status record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Status {
    pub state: State,
    pub trace: Option<String>,
    pub worker_id: String,
    pub generation: i32,
}

impl Status {
    pub fn new(state: State, worker_id: &str, generation: i32) -> Status {
        Status {
            state,
            trace: None,
            worker_id: worker_id.to_string(),
            generation,
        }
    }

    pub fn failed(trace: String, worker_id: &str, generation: i32) -> Status {
        Status {
            state: State::Failed,
            trace: Some(trace),
            worker_id: worker_id.to_string(),
            generation,
        }
    }
}

/// A Java-style stack trace text for a failure: `<class>: <message>` and `Caused by:` lines.
pub fn trace(class: &str, message: &str, cause: Option<(&str, &str)>) -> String {
    let mut t = format!("{class}: {message}\n");
    if let Some((c, m)) = cause {
        t.push_str(&format!("Caused by: {c}: {m}\n"));
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_shapes() {
        let s = Status::new(State::Running, "h:8083", 3);
        assert_eq!(
            serde_json::to_string(&s).unwrap(),
            r#"{"state":"RUNNING","trace":null,"worker_id":"h:8083","generation":3}"#
        );
        assert_eq!(
            TargetState::Stopped.record().to_string(),
            r#"{"state":"PAUSED","state.v2":"STOPPED"}"#
        );
        assert_eq!(
            TargetState::from_initial_state("running"),
            Some(TargetState::Started)
        );
    }
}

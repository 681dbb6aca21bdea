//! One member of a classic group: its identity, timeouts, supported protocols, current assignment and
//! the parked JoinGroup / SyncGroup long polls, plus the outcome values those polls are completed with
//! and a bounded parser for the topic list of a consumer-protocol subscription.

use bytes::Bytes;
use tokio::sync::oneshot;
use tokio::time::{Duration, Instant};

/// How long a brand-new member may wait in a rebalance before it counts as gone (Kafka's
/// `NewMemberJoinTimeoutMs`): it protects against clients that disconnect during their first join.
pub(super) const NEW_MEMBER_JOIN_TIMEOUT: Duration = Duration::from_secs(300);

/// What a JoinGroup long poll is answered with, before version-specific encoding.
#[derive(Debug, Clone, Default)]
pub(super) struct JoinOutcome {
    pub error: i16,
    pub generation: i32,
    pub protocol_type: Option<String>,
    pub protocol_name: Option<String>,
    pub leader: String,
    pub member_id: String,
    /// Filled for the leader only: every member with its metadata for the chosen protocol.
    pub members: Vec<JoinMemberInfo>,
}

impl JoinOutcome {
    pub fn error(member_id: &str, error: i16) -> JoinOutcome {
        JoinOutcome {
            error,
            generation: -1,
            member_id: member_id.to_string(),
            ..JoinOutcome::default()
        }
    }
}

#[derive(Debug, Clone)]
pub(super) struct JoinMemberInfo {
    pub member_id: String,
    pub instance_id: Option<String>,
    pub metadata: Bytes,
}

/// What a SyncGroup long poll is answered with.
#[derive(Debug, Clone, Default)]
pub(super) struct SyncOutcome {
    pub error: i16,
    pub assignment: Bytes,
    pub protocol_type: Option<String>,
    pub protocol_name: Option<String>,
}

impl SyncOutcome {
    pub fn error(error: i16) -> SyncOutcome {
        SyncOutcome {
            error,
            ..SyncOutcome::default()
        }
    }
}

/// Parameters of a JoinGroup that create or update a member.
#[derive(Debug, Clone)]
pub(super) struct JoinParams {
    pub instance_id: Option<String>,
    pub client_id: String,
    pub client_host: String,
    pub session_timeout: Duration,
    pub rebalance_timeout: Duration,
    pub protocol_type: String,
    pub protocols: Vec<(String, Bytes)>,
}

#[derive(Debug)]
pub(super) struct Member {
    pub id: String,
    pub instance_id: Option<String>,
    pub client_id: String,
    pub client_host: String,
    pub session_timeout: Duration,
    pub rebalance_timeout: Duration,
    pub protocol_type: String,
    /// (protocol name, metadata) in the member's order of preference.
    pub protocols: Vec<(String, Bytes)>,
    pub assignment: Bytes,
    pub join_waiter: Option<oneshot::Sender<JoinOutcome>>,
    pub sync_waiter: Option<oneshot::Sender<SyncOutcome>>,
    /// Joined but never completed a rebalance yet.
    pub is_new: bool,
    pub heartbeat_deadline: Instant,
}

impl Member {
    pub fn new(id: String, p: &JoinParams, now: Instant) -> Member {
        Member {
            id,
            instance_id: p.instance_id.clone(),
            client_id: p.client_id.clone(),
            client_host: p.client_host.clone(),
            session_timeout: p.session_timeout,
            rebalance_timeout: p.rebalance_timeout,
            protocol_type: p.protocol_type.clone(),
            protocols: p.protocols.clone(),
            assignment: Bytes::new(),
            join_waiter: None,
            sync_waiter: None,
            is_new: true,
            heartbeat_deadline: now + NEW_MEMBER_JOIN_TIMEOUT.max(p.session_timeout),
        }
    }

    pub fn awaiting_join(&self) -> bool {
        self.join_waiter.is_some()
    }

    pub fn awaiting_sync(&self) -> bool {
        self.sync_waiter.is_some()
    }

    /// Whether the member's liveness is vouched for without a fresh heartbeat: members parked in a
    /// rebalance are bounded by the rebalance / sync deadlines instead (new members excepted).
    pub fn heartbeat_exempt(&self) -> bool {
        !self.is_new && (self.awaiting_join() || self.awaiting_sync())
    }

    pub fn touch(&mut self, now: Instant) {
        self.heartbeat_deadline = now + self.session_timeout;
    }

    pub fn supports(&self, protocol: &str) -> bool {
        self.protocols.iter().any(|(n, _)| n == protocol)
    }

    pub fn metadata(&self, protocol: &str) -> Bytes {
        self.protocols
            .iter()
            .find(|(n, _)| n == protocol)
            .map(|(_, m)| m.clone())
            .unwrap_or_default()
    }

    /// Same protocols, same order, same metadata.
    pub fn matches(&self, protocols: &[(String, Bytes)]) -> bool {
        self.protocols.as_slice() == protocols
    }

    pub fn finish_join(&mut self, outcome: JoinOutcome) {
        if let Some(tx) = self.join_waiter.take() {
            // The requester may have gone away; nothing to do then.
            let _ = tx.send(outcome);
        }
    }

    pub fn finish_sync(&mut self, outcome: SyncOutcome) {
        if let Some(tx) = self.sync_waiter.take() {
            let _ = tx.send(outcome);
        }
    }

    /// Parks a new JoinGroup; a superseded one is told to retry.
    pub fn park_join(&mut self, tx: oneshot::Sender<JoinOutcome>, retry_error: i16) {
        let member_id = self.id.clone();
        self.finish_join(JoinOutcome::error(&member_id, retry_error));
        self.join_waiter = Some(tx);
    }

    /// Parks a new SyncGroup; a superseded one is told to retry.
    pub fn park_sync(&mut self, tx: oneshot::Sender<SyncOutcome>, retry_error: i16) {
        self.finish_sync(SyncOutcome::error(retry_error));
        self.sync_waiter = Some(tx);
    }
}

/// Removes duplicate protocol names (Kafka keys the request's protocol list by name; first wins).
pub(super) fn dedup_protocols(protocols: Vec<(String, Bytes)>) -> Vec<(String, Bytes)> {
    let mut out: Vec<(String, Bytes)> = Vec::with_capacity(protocols.len());
    for (name, meta) in protocols {
        if !out.iter().any(|(n, _)| *n == name) {
            out.push((name, meta));
        }
    }
    out
}

/// The subscribed topics of a consumer-protocol `ConsumerProtocolSubscription` (any version: the
/// topic array is the first field after the version in all of them). Hand-parsed and bounded by the
/// input length, because a generic decoder pre-allocates whatever count a client claims.
pub(super) fn subscription_topics(metadata: &[u8]) -> Option<Vec<String>> {
    let mut buf = metadata;
    let version = i16::from_be_bytes(take::<2>(&mut buf)?);
    if version < 0 {
        return None;
    }
    let count = i32::from_be_bytes(take::<4>(&mut buf)?);
    if count < 0 {
        return None;
    }
    let count = count as usize;
    // Every topic takes at least its 2-byte length prefix.
    if count > buf.len() / 2 {
        return None;
    }
    let mut topics = Vec::with_capacity(count);
    for _ in 0..count {
        let len = i16::from_be_bytes(take::<2>(&mut buf)?);
        if len < 0 || len as usize > buf.len() {
            return None;
        }
        let (name, rest) = buf.split_at(len as usize);
        topics.push(std::str::from_utf8(name).ok()?.to_string());
        buf = rest;
    }
    Some(topics)
}

fn take<const N: usize>(buf: &mut &[u8]) -> Option<[u8; N]> {
    let head: [u8; N] = buf.get(..N)?.try_into().ok()?;
    *buf = &buf[N..];
    Some(head)
}

//! Test harness for the group coordinator: a coordinator over a temporary MetaStore, a fixed topic
//! table, request builders, and a check that every response encodes at the version it was built for.

mod admin;
mod offsets;
mod rebalance;
mod static_members;

use std::collections::HashMap;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use kafka_protocol::messages::join_group_request::JoinGroupRequestProtocol;
use kafka_protocol::messages::sync_group_request::SyncGroupRequestAssignment;
use kafka_protocol::messages::{
    ConsumerProtocolSubscription, GroupId, HeartbeatRequest, JoinGroupRequest, JoinGroupResponse,
    SyncGroupRequest, SyncGroupResponse,
};
use kafka_protocol::protocol::{Encodable, StrBytes};
use sluice_storage::MetaStore;
use tokio::task::JoinHandle;
use tokio::time::{Duration, Instant};

use super::{GroupConfig, GroupCoordinator, TopicLookup};

pub(super) const MEMBER_ID_REQUIRED: i16 = 79;
pub(super) const REBALANCE_IN_PROGRESS: i16 = 27;
pub(super) const UNKNOWN_MEMBER_ID: i16 = 25;
pub(super) const ILLEGAL_GENERATION: i16 = 22;
pub(super) const FENCED_INSTANCE_ID: i16 = 82;

pub(super) struct Topics(HashMap<String, i32>);

impl TopicLookup for Topics {
    fn partition_count(&self, topic: &str) -> Option<i32> {
        self.0.get(topic).copied()
    }
}

pub(super) struct Harness {
    pub c: Arc<GroupCoordinator>,
    pub meta: Arc<MetaStore>,
    _dir: tempfile::TempDir,
}

pub(super) fn config(initial_delay_ms: u64) -> GroupConfig {
    GroupConfig {
        initial_rebalance_delay_ms: initial_delay_ms,
        min_session_timeout_ms: 6000,
        max_session_timeout_ms: 300_000,
        max_group_size: 10,
    }
}

/// Topics "t1" (3 partitions) and "t2" (2 partitions).
pub(super) fn harness(cfg: GroupConfig) -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let meta = Arc::new(MetaStore::open(dir.path(), 1 << 20).unwrap());
    let topics = Topics(HashMap::from([
        ("t1".to_string(), 3),
        ("t2".to_string(), 2),
    ]));
    let c = GroupCoordinator::new_manual(meta.clone(), Arc::new(topics), cfg);
    Harness { c, meta, _dir: dir }
}

/// A coordinator on tokio's clock with its real sweeper task.
pub(super) fn harness_real_clock(cfg: GroupConfig) -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let meta = Arc::new(MetaStore::open(dir.path(), 1 << 20).unwrap());
    let topics = Topics(HashMap::from([("t1".to_string(), 3)]));
    let c = GroupCoordinator::new(meta.clone(), Arc::new(topics), cfg);
    Harness { c, meta, _dir: dir }
}

/// Lets every spawned request task run as far as it can.
pub(super) async fn settle() {
    for _ in 0..20 {
        tokio::task::yield_now().await;
    }
}

impl Harness {
    pub fn now(&self) -> Instant {
        self.c.now()
    }

    /// Lets `by` pass on the coordinator's clock in sweeper-sized steps, firing deadlines as they fall due.
    pub async fn advance(&self, by: Duration) {
        settle().await;
        let step = super::SWEEP_INTERVAL;
        let mut left = by;
        while !left.is_zero() {
            let d = step.min(left);
            self.c.advance_clock(d);
            settle().await;
            left -= d;
        }
    }

    /// Awaits a parked request, letting time pass until it is answered (at most an hour).
    pub async fn wait<T>(&self, handle: JoinHandle<T>) -> T {
        settle().await;
        for _ in 0..36_000 {
            if handle.is_finished() {
                return handle.await.unwrap();
            }
            self.advance(super::SWEEP_INTERVAL).await;
        }
        panic!("request still parked after an hour");
    }
}

pub(super) fn s(v: &str) -> StrBytes {
    StrBytes::from_string(v.to_string())
}

pub(super) fn gid(v: &str) -> GroupId {
    GroupId(s(v))
}

pub(super) fn assert_encodes<T: Encodable>(msg: &T, version: i16) {
    let mut buf = BytesMut::new();
    if let Err(e) = msg.encode(&mut buf, version) {
        panic!("response does not encode at v{version}: {e}");
    }
}

/// Consumer-protocol subscription metadata, as the Java client sends it (version prefix + body).
pub(super) fn subscription(topics: &[&str], version: i16) -> Bytes {
    let mut sub = ConsumerProtocolSubscription::default();
    sub.topics = topics.iter().map(|t| s(t)).collect();
    let mut buf = BytesMut::new();
    buf.extend_from_slice(&version.to_be_bytes());
    sub.encode(&mut buf, version).unwrap();
    buf.freeze()
}

pub(super) struct JoinSpec<'a> {
    pub group: &'a str,
    pub member_id: &'a str,
    pub instance_id: Option<&'a str>,
    pub client_id: &'a str,
    pub protocols: Vec<(&'a str, Bytes)>,
    pub session_ms: i32,
    pub rebalance_ms: i32,
}

impl<'a> JoinSpec<'a> {
    pub fn new(group: &'a str, topics: &[&str]) -> JoinSpec<'a> {
        JoinSpec {
            group,
            member_id: "",
            instance_id: None,
            client_id: "client",
            protocols: vec![("range", subscription(topics, 1))],
            session_ms: 10_000,
            rebalance_ms: 20_000,
        }
    }

    pub fn member(mut self, id: &'a str) -> Self {
        self.member_id = id;
        self
    }

    pub fn instance(mut self, id: &'a str) -> Self {
        self.instance_id = Some(id);
        self
    }

    pub fn request(&self) -> JoinGroupRequest {
        let mut r = JoinGroupRequest::default();
        r.group_id = gid(self.group);
        r.member_id = s(self.member_id);
        r.group_instance_id = self.instance_id.map(s);
        r.session_timeout_ms = self.session_ms;
        r.rebalance_timeout_ms = self.rebalance_ms;
        r.protocol_type = s("consumer");
        r.protocols = self
            .protocols
            .iter()
            .map(|(n, m)| {
                let mut p = JoinGroupRequestProtocol::default();
                p.name = s(n);
                p.metadata = m.clone();
                p
            })
            .collect();
        r
    }
}

pub(super) async fn join(
    c: &Arc<GroupCoordinator>,
    spec: &JoinSpec<'_>,
    version: i16,
) -> JoinGroupResponse {
    let resp = c
        .join_group(spec.request(), version, spec.client_id, "/127.0.0.1")
        .await;
    assert_encodes(&resp, version);
    resp
}

pub(super) fn spawn_join(
    c: &Arc<GroupCoordinator>,
    spec: &JoinSpec<'_>,
    version: i16,
) -> JoinHandle<JoinGroupResponse> {
    let c = c.clone();
    let req = spec.request();
    let client = spec.client_id.to_string();
    tokio::spawn(async move {
        let resp = c.join_group(req, version, &client, "/127.0.0.1").await;
        assert_encodes(&resp, version);
        resp
    })
}

/// The v4+ two-step join of a new dynamic member: MEMBER_ID_REQUIRED, then the parked real join.
pub(super) async fn start_join(
    h: &Harness,
    spec: JoinSpec<'_>,
    version: i16,
) -> (String, JoinHandle<JoinGroupResponse>) {
    let c = &h.c;
    let first = join(c, &spec, version).await;
    assert_eq!(first.error_code, MEMBER_ID_REQUIRED);
    let id = first.member_id.as_str().to_string();
    assert!(id.starts_with(&format!("{}-", spec.client_id)), "{id}");
    let handle = spawn_join(c, &spec.member(&id), version);
    (id, handle)
}

pub(super) fn sync_req(
    group: &str,
    generation: i32,
    member: &str,
    assignments: &[(&str, &[u8])],
) -> SyncGroupRequest {
    let mut r = SyncGroupRequest::default();
    r.group_id = gid(group);
    r.generation_id = generation;
    r.member_id = s(member);
    r.protocol_type = Some(s("consumer"));
    r.protocol_name = Some(s("range"));
    r.assignments = assignments
        .iter()
        .map(|(m, a)| {
            let mut x = SyncGroupRequestAssignment::default();
            x.member_id = s(m);
            x.assignment = Bytes::copy_from_slice(a);
            x
        })
        .collect();
    r
}

pub(super) async fn sync(
    c: &Arc<GroupCoordinator>,
    req: SyncGroupRequest,
    version: i16,
) -> SyncGroupResponse {
    let resp = c.sync_group(req, version).await;
    assert_encodes(&resp, version);
    resp
}

pub(super) async fn heartbeat(
    c: &Arc<GroupCoordinator>,
    group: &str,
    generation: i32,
    member: &str,
    instance: Option<&str>,
) -> i16 {
    let mut r = HeartbeatRequest::default();
    r.group_id = gid(group);
    r.generation_id = generation;
    r.member_id = s(member);
    r.group_instance_id = instance.map(s);
    let resp = c.heartbeat(r, 4).await;
    assert_encodes(&resp, 4);
    resp.error_code
}

/// A Stable group of dynamic members subscribed to `topics`; returns (member ids, leader, generation).
/// Works with any initial delay (paused clock) or a zero one.
pub(super) async fn stable_group(
    h: &Harness,
    group: &str,
    clients: &[&str],
    topics: &[&str],
) -> (Vec<String>, String, i32) {
    let c = &h.c;
    let mut handles = Vec::new();
    for client in clients {
        let mut spec = JoinSpec::new(group, topics);
        spec.client_id = client;
        handles.push(start_join(h, spec, 9).await);
    }
    let mut ids = Vec::new();
    let mut responses = Vec::new();
    for (id, handle) in handles {
        let r = h.wait(handle).await;
        assert_eq!(r.error_code, 0);
        ids.push(id);
        responses.push(r);
    }
    let generation = responses[0].generation_id;
    let leader = responses[0].leader.as_str().to_string();
    let mut syncs = Vec::new();
    for id in ids.iter().filter(|id| **id != leader) {
        let c = c.clone();
        let req = sync_req(group, generation, id, &[]);
        syncs.push(tokio::spawn(async move { c.sync_group(req, 5).await }));
    }
    let assignments: Vec<(&str, &[u8])> =
        ids.iter().map(|id| (id.as_str(), id.as_bytes())).collect();
    let r = sync(c, sync_req(group, generation, &leader, &assignments), 5).await;
    assert_eq!(r.error_code, 0);
    for handle in syncs {
        assert_eq!(h.wait(handle).await.error_code, 0);
    }
    (ids, leader, generation)
}

//! Sink tasks as members of their consumer group, as Kafka Connect's sink consumers are: the
//! classic protocol with protocol type `consumer` and the range assignor, so
//! `kafka-consumer-groups --describe --group connect-<name>` lists each task (client id
//! `connector-consumer-<name>-<task>`) with its partitions, and a task's partitions are the ones
//! the group assigned to it.
//!
//! The embedded broker serves the requests in-process (`EmbeddedMember`); the subscription and
//! assignment bytes are ConsumerProtocol's, so Kafka's tools read them.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use bytes::{Buf, BufMut, Bytes, BytesMut};
use kafka_protocol::messages::consumer_protocol_assignment::TopicPartition as AssignedTopic;
use kafka_protocol::messages::join_group_request::JoinGroupRequestProtocol;
use kafka_protocol::messages::leave_group_request::MemberIdentity;
use kafka_protocol::messages::sync_group_request::SyncGroupRequestAssignment;
use kafka_protocol::messages::{
    ConsumerProtocolAssignment, ConsumerProtocolSubscription, GroupId, HeartbeatRequest,
    JoinGroupRequest, LeaveGroupRequest, SyncGroupRequest, TopicName,
};
use kafka_protocol::protocol::{Decodable, Encodable, StrBytes};
use sluice_broker::Broker;

use super::{KafkaError, Result};

/// A consumer's group settings (the Java consumer's defaults unless overridden).
#[derive(Debug, Clone)]
pub struct MemberConfig {
    pub group: String,
    pub client_id: String,
    /// session.timeout.ms (45 s).
    pub session_timeout_ms: i32,
    /// max.poll.interval.ms (5 min), the rebalance timeout.
    pub rebalance_timeout_ms: i32,
    /// heartbeat.interval.ms (3 s).
    pub heartbeat_interval_ms: u64,
}

impl MemberConfig {
    pub fn new(group: &str, client_id: &str) -> MemberConfig {
        MemberConfig {
            group: group.to_string(),
            client_id: client_id.to_string(),
            session_timeout_ms: 45_000,
            rebalance_timeout_ms: 300_000,
            heartbeat_interval_ms: 3_000,
        }
    }
}

/// One member of a consumer group.
#[async_trait::async_trait]
pub trait GroupMember: Send + Sync {
    /// Joins (or rejoins) subscribing to `topics`; returns the partitions the group assigned to
    /// this member. Waits for the rebalance, as KafkaConsumer.poll does.
    async fn join(&self, topics: &[String]) -> Result<Vec<(String, i32)>>;
    /// Whether the coordinator asked for a rejoin (a rebalance, or the membership was lost).
    fn needs_rejoin(&self) -> bool;
    /// Leaves the group (task stopped).
    async fn leave(&self);
}

const PROTOCOL_TYPE: &str = "consumer";
const ASSIGNOR: &str = "range";
const CLIENT_HOST: &str = "/127.0.0.1";
const MEMBER_ID_REQUIRED: i16 = 79;
const UNKNOWN_MEMBER_ID: i16 = 25;
const ILLEGAL_GENERATION: i16 = 22;
const REBALANCE_IN_PROGRESS: i16 = 27;

fn sb(s: &str) -> StrBytes {
    StrBytes::from_string(s.to_string())
}

/// ConsumerProtocol bytes: a version (int16) then the struct at that version.
fn with_version<T: Encodable>(msg: &T, version: i16) -> Result<Bytes> {
    let mut buf = BytesMut::new();
    buf.put_i16(version);
    msg.encode(&mut buf, version)
        .map_err(|e| KafkaError::Fatal(format!("cannot encode consumer protocol data: {e}")))?;
    Ok(buf.freeze())
}

fn read_versioned<T: Decodable>(mut b: Bytes, max: i16) -> Option<T> {
    if b.remaining() < 2 {
        return None;
    }
    let v = b.get_i16().min(max);
    T::decode(&mut b, v).ok()
}

pub fn encode_subscription(topics: &[String]) -> Result<Bytes> {
    let s =
        ConsumerProtocolSubscription::default().with_topics(topics.iter().map(|t| sb(t)).collect());
    with_version(&s, 0)
}

pub fn encode_assignment(partitions: &[(String, i32)]) -> Result<Bytes> {
    let mut by_topic: BTreeMap<&str, Vec<i32>> = BTreeMap::new();
    for (t, p) in partitions {
        by_topic.entry(t.as_str()).or_default().push(*p);
    }
    let a = ConsumerProtocolAssignment::default().with_assigned_partitions(
        by_topic
            .into_iter()
            .map(|(t, ps)| {
                AssignedTopic::default()
                    .with_topic(TopicName(sb(t)))
                    .with_partitions(ps)
            })
            .collect(),
    );
    with_version(&a, 0)
}

pub fn decode_assignment(b: Bytes) -> Vec<(String, i32)> {
    let Some(a) = read_versioned::<ConsumerProtocolAssignment>(b, 3) else {
        return Vec::new();
    };
    let mut out: Vec<(String, i32)> = a
        .assigned_partitions
        .into_iter()
        .flat_map(|t| {
            let topic = t.topic.0.as_str().to_string();
            t.partitions.into_iter().map(move |p| (topic.clone(), p))
        })
        .collect();
    out.sort();
    out
}

/// The range assignor (RangeAssignor): per topic, its partitions split in contiguous ranges
/// over the members subscribed to it, in member id order; the first members get one extra.
pub fn range_assign(
    members: &[(String, Vec<String>)],
    partitions: impl Fn(&str) -> i32,
) -> BTreeMap<String, Vec<(String, i32)>> {
    let mut out: BTreeMap<String, Vec<(String, i32)>> = members
        .iter()
        .map(|(m, _)| (m.clone(), Vec::new()))
        .collect();
    let mut topics: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (m, subscribed) in members {
        for t in subscribed {
            topics.entry(t.as_str()).or_default().push(m.as_str());
        }
    }
    for (topic, mut consumers) in topics {
        consumers.sort();
        consumers.dedup();
        let n = partitions(topic).max(0) as usize;
        let c = consumers.len();
        let (per, extra) = (n / c, n % c);
        for (i, m) in consumers.iter().enumerate() {
            let start = i * per + i.min(extra);
            let len = per + usize::from(i < extra);
            let entry = out.entry(m.to_string()).or_default();
            entry.extend((start..start + len).map(|p| (topic.to_string(), p as i32)));
        }
    }
    out
}

#[derive(Default)]
struct Session {
    member_id: String,
    generation: i32,
}

struct Shared {
    broker: Arc<Broker>,
    cfg: MemberConfig,
    session: parking_lot::Mutex<Session>,
    rejoin: AtomicBool,
}

/// A group member served by the in-process broker's group coordinator.
pub struct EmbeddedMember {
    shared: Arc<Shared>,
    heartbeat: parking_lot::Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl EmbeddedMember {
    pub fn new(broker: Arc<Broker>, cfg: MemberConfig) -> EmbeddedMember {
        EmbeddedMember {
            shared: Arc::new(Shared {
                broker,
                cfg,
                session: Default::default(),
                rejoin: AtomicBool::new(true),
            }),
            heartbeat: parking_lot::Mutex::new(None),
        }
    }

    fn start_heartbeats(&self) {
        let mut hb = self.heartbeat.lock();
        if hb.as_ref().is_some_and(|h| !h.is_finished()) {
            return;
        }
        let weak = Arc::downgrade(&self.shared);
        let every = Duration::from_millis(self.shared.cfg.heartbeat_interval_ms.max(100));
        *hb = Some(tokio::spawn(heartbeats(weak, every)));
    }
}

/// The background heartbeat (as the Java consumer's heartbeat thread): a rebalance or a lost
/// membership sets the rejoin flag for the task's loop.
async fn heartbeats(shared: Weak<Shared>, every: Duration) {
    loop {
        tokio::time::sleep(every).await;
        let Some(s) = shared.upgrade() else { return };
        let (member_id, generation) = {
            let st = s.session.lock();
            (st.member_id.clone(), st.generation)
        };
        if member_id.is_empty() {
            continue;
        }
        let req = HeartbeatRequest::default()
            .with_group_id(GroupId(sb(&s.cfg.group)))
            .with_generation_id(generation)
            .with_member_id(sb(&member_id));
        let resp = s.broker.groups().heartbeat(req, 4).await;
        match resp.error_code {
            0 => {}
            UNKNOWN_MEMBER_ID => {
                s.session.lock().member_id.clear();
                s.rejoin.store(true, Ordering::Release);
            }
            _ => s.rejoin.store(true, Ordering::Release),
        }
    }
}

#[async_trait::async_trait]
impl GroupMember for EmbeddedMember {
    async fn join(&self, topics: &[String]) -> Result<Vec<(String, i32)>> {
        let s = &self.shared;
        let gc = s.broker.groups();
        let group = GroupId(sb(&s.cfg.group));
        let metadata = encode_subscription(topics)?;
        for _ in 0..20 {
            let member_id = s.session.lock().member_id.clone();
            let req = JoinGroupRequest::default()
                .with_group_id(group.clone())
                .with_session_timeout_ms(s.cfg.session_timeout_ms)
                .with_rebalance_timeout_ms(s.cfg.rebalance_timeout_ms)
                .with_member_id(sb(&member_id))
                .with_protocol_type(sb(PROTOCOL_TYPE))
                .with_protocols(vec![JoinGroupRequestProtocol::default()
                    .with_name(sb(ASSIGNOR))
                    .with_metadata(metadata.clone())]);
            let resp = gc.join_group(req, 9, &s.cfg.client_id, CLIENT_HOST).await;
            match resp.error_code {
                0 => {}
                MEMBER_ID_REQUIRED => {
                    s.session.lock().member_id = resp.member_id.as_str().to_string();
                    continue;
                }
                UNKNOWN_MEMBER_ID => {
                    s.session.lock().member_id.clear();
                    continue;
                }
                REBALANCE_IN_PROGRESS | ILLEGAL_GENERATION => {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
                code => {
                    return Err(KafkaError::Retriable(format!(
                        "JoinGroup of group {} failed with error code {code}",
                        s.cfg.group
                    )))
                }
            }
            let me = resp.member_id.as_str().to_string();
            {
                let mut st = s.session.lock();
                st.member_id = me.clone();
                st.generation = resp.generation_id;
            }
            let mut assignments = Vec::new();
            if resp.leader.as_str() == me {
                let members: Vec<(String, Vec<String>)> = resp
                    .members
                    .iter()
                    .map(|m| {
                        let subscribed =
                            read_versioned::<ConsumerProtocolSubscription>(m.metadata.clone(), 3)
                                .map(|s| s.topics.iter().map(|t| t.as_str().to_string()).collect())
                                .unwrap_or_default();
                        (m.member_id.as_str().to_string(), subscribed)
                    })
                    .collect();
                let plan = range_assign(&members, |t| {
                    s.broker.topic(t).map_or(0, |t| t.partitions.len() as i32)
                });
                for (member, parts) in plan {
                    assignments.push(
                        SyncGroupRequestAssignment::default()
                            .with_member_id(sb(&member))
                            .with_assignment(encode_assignment(&parts)?),
                    );
                }
            }
            let req = SyncGroupRequest::default()
                .with_group_id(group.clone())
                .with_generation_id(resp.generation_id)
                .with_member_id(sb(&me))
                .with_protocol_type(Some(sb(PROTOCOL_TYPE)))
                .with_protocol_name(Some(sb(ASSIGNOR)))
                .with_assignments(assignments);
            let sync = gc.sync_group(req, 5).await;
            match sync.error_code {
                0 => {
                    s.rejoin.store(false, Ordering::Release);
                    self.start_heartbeats();
                    return Ok(decode_assignment(sync.assignment));
                }
                UNKNOWN_MEMBER_ID => s.session.lock().member_id.clear(),
                _ => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
        Err(KafkaError::Retriable(format!(
            "could not join group {} (it kept rebalancing)",
            s.cfg.group
        )))
    }

    fn needs_rejoin(&self) -> bool {
        self.shared.rejoin.load(Ordering::Acquire)
    }

    async fn leave(&self) {
        if let Some(h) = self.heartbeat.lock().take() {
            h.abort();
        }
        let member_id = std::mem::take(&mut self.shared.session.lock().member_id);
        if member_id.is_empty() {
            return;
        }
        let req = LeaveGroupRequest::default()
            .with_group_id(GroupId(sb(&self.shared.cfg.group)))
            .with_members(vec![MemberIdentity::default()
                .with_member_id(sb(&member_id))
                .with_reason(Some(sb("the sink task stopped")))]);
        let _ = self.shared.broker.groups().leave_group(req, 5).await;
        self.shared.rejoin.store(true, Ordering::Release);
    }
}

impl Drop for EmbeddedMember {
    fn drop(&mut self) {
        if let Some(h) = self.heartbeat.lock().take() {
            h.abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_assignor_matches_kafka() {
        let members = vec![
            ("b".to_string(), vec!["t".to_string(), "u".to_string()]),
            ("a".to_string(), vec!["t".to_string()]),
        ];
        let plan = range_assign(&members, |t| if t == "t" { 5 } else { 2 });
        let t = |p: &[i32], topic: &str| -> Vec<(String, i32)> {
            p.iter().map(|p| (topic.to_string(), *p)).collect()
        };
        assert_eq!(plan["a"], t(&[0, 1, 2], "t"));
        let mut b = t(&[3, 4], "t");
        b.extend(t(&[0, 1], "u"));
        assert_eq!(plan["b"], b);
    }

    #[test]
    fn assignment_bytes_round_trip_in_consumer_protocol_form() {
        let parts = vec![
            ("t".to_string(), 0),
            ("t".to_string(), 2),
            ("u".to_string(), 1),
        ];
        let b = encode_assignment(&parts).unwrap();
        // version 0, then an array of 2 topics: "t" [0, 2], "u" [1], then null user data.
        assert_eq!(&b[..6], &[0, 0, 0, 0, 0, 2]);
        assert_eq!(decode_assignment(b), parts);
        let s = encode_subscription(&["t".to_string()]).unwrap();
        let back = read_versioned::<ConsumerProtocolSubscription>(s, 3).unwrap();
        assert_eq!(back.topics, vec![sb("t")]);
    }
}

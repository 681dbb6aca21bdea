//! JoinGroup, SyncGroup, Heartbeat and LeaveGroup: request validation, the dynamic / static / pending
//! member cases of Kafka's GroupCoordinator, and the version-specific response encoding. JoinGroup and
//! SyncGroup park on a oneshot until the group state machine answers them.

use std::collections::HashMap;
use std::sync::Arc;

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::join_group_response::JoinGroupResponseMember;
use kafka_protocol::messages::leave_group_response::MemberResponse;
use kafka_protocol::messages::{
    HeartbeatRequest, HeartbeatResponse, JoinGroupRequest, JoinGroupResponse, LeaveGroupRequest,
    LeaveGroupResponse, SyncGroupRequest, SyncGroupResponse,
};
use kafka_protocol::protocol::StrBytes;
use tokio::sync::oneshot;
use tokio::time::{Duration, Instant};

use super::group::{Group, GroupState};
use super::member::{
    dedup_protocols, subscription_topics, JoinOutcome, JoinParams, Member, SyncOutcome,
};
use super::{sb_owned, GroupCoordinator};

fn code(e: ResponseError) -> i16 {
    e.code()
}

/// A JoinGroup / SyncGroup answered right away, or parked until the group moves on.
enum Reply<T> {
    Now(T),
    Later(oneshot::Receiver<T>),
}

fn non_empty(s: Option<StrBytes>) -> Option<String> {
    s.map(|s| s.as_str().to_string()).filter(|s| !s.is_empty())
}

impl GroupCoordinator {
    pub async fn join_group(
        self: &Arc<Self>,
        req: JoinGroupRequest,
        version: i16,
        client_id: &str,
        client_host: &str,
    ) -> JoinGroupResponse {
        self.ensure_sweeper();
        let member_id = req.member_id.as_str().to_string();
        let outcome = match self.join_inner(req, version, client_id, client_host) {
            Reply::Now(o) => o,
            Reply::Later(rx) => rx.await.unwrap_or_else(|_| {
                JoinOutcome::error(&member_id, code(ResponseError::RebalanceInProgress))
            }),
        };
        join_response(outcome, version)
    }

    fn join_inner(
        &self,
        req: JoinGroupRequest,
        version: i16,
        client_id: &str,
        client_host: &str,
    ) -> Reply<JoinOutcome> {
        let group_id = req.group_id.0.as_str();
        let member_id = req.member_id.as_str().to_string();
        let fail = |e: ResponseError| Reply::Now(JoinOutcome::error(&member_id, e.code()));
        if group_id.is_empty() {
            return fail(ResponseError::InvalidGroupId);
        }
        if self.is_shut_down() {
            return fail(ResponseError::CoordinatorNotAvailable);
        }
        if req.session_timeout_ms < self.cfg.min_session_timeout_ms
            || req.session_timeout_ms > self.cfg.max_session_timeout_ms
        {
            return fail(ResponseError::InvalidSessionTimeout);
        }
        let session_timeout = Duration::from_millis(req.session_timeout_ms as u64);
        // v0 has no rebalance timeout: it is the session timeout there.
        let rebalance_timeout = if version >= 1 && req.rebalance_timeout_ms > 0 {
            Duration::from_millis(req.rebalance_timeout_ms as u64)
        } else {
            session_timeout
        };
        let params = JoinParams {
            instance_id: if version >= 5 {
                non_empty(req.group_instance_id)
            } else {
                None
            },
            client_id: client_id.to_string(),
            client_host: client_host.to_string(),
            session_timeout,
            rebalance_timeout,
            protocol_type: req.protocol_type.as_str().to_string(),
            protocols: dedup_protocols(
                req.protocols
                    .into_iter()
                    .map(|p| (p.name.as_str().to_string(), p.metadata))
                    .collect(),
            ),
        };

        let group = if member_id.is_empty() {
            self.get_or_create_group(group_id)
        } else {
            match self.get_group(group_id) {
                Some(g) => g,
                None => return fail(ResponseError::UnknownMemberId),
            }
        };
        let mut g = group.lock();
        let now = self.now();
        if g.is(GroupState::Dead) {
            // Deleted meanwhile: let the client look the coordinator up again and retry.
            return fail(ResponseError::CoordinatorNotAvailable);
        }
        if !self.accept_joining_member(&g, &member_id) {
            if g.members.contains_key(&member_id) {
                g.remove_member_and_update(&member_id, "group is over its maximum size", now);
            }
            return Reply::Now(JoinOutcome::error(
                "",
                code(ResponseError::GroupMaxSizeReached),
            ));
        }
        let reply = if member_id.is_empty() {
            self.join_new_member(&mut g, params, version >= 4, now)
        } else {
            join_known_member(&mut g, &member_id, params, now)
        };
        if g.is(GroupState::PreparingRebalance) {
            g.try_complete_join(now);
        }
        reply
    }

    /// Kafka's acceptJoiningMember: new members only while the group is below its maximum size.
    fn accept_joining_member(&self, g: &Group, member_id: &str) -> bool {
        let max = self.cfg.max_group_size;
        let known = g.members.get(member_id);
        match g.state {
            GroupState::Empty | GroupState::Dead => true,
            GroupState::PreparingRebalance => {
                known.is_some_and(Member::awaiting_join)
                    || g.members.values().filter(|m| m.awaiting_join()).count() < max
            }
            GroupState::CompletingRebalance | GroupState::Stable => {
                known.is_some() || g.members.len() < max
            }
        }
    }

    /// JoinGroup without a member id: a new dynamic member (which first gets MEMBER_ID_REQUIRED from
    /// v4), a new static member, or a known static member coming back under a new member id.
    fn join_new_member(
        &self,
        g: &mut Group,
        params: JoinParams,
        require_known_member_id: bool,
        now: Instant,
    ) -> Reply<JoinOutcome> {
        if !g.supports_protocols(&params.protocol_type, &params.protocols) {
            return Reply::Now(JoinOutcome::error(
                "",
                code(ResponseError::InconsistentGroupProtocol),
            ));
        }
        let prefix = params.instance_id.as_deref().unwrap_or(&params.client_id);
        let new_id = format!("{prefix}-{}", uuid::Uuid::new_v4());
        if let Some(instance) = params.instance_id.clone() {
            return match g.static_members.get(&instance).cloned() {
                Some(old_id) => rejoin_static_member(g, &instance, &old_id, &new_id, params, now),
                None => add_member_and_rebalance(g, new_id, params, now),
            };
        }
        if require_known_member_id {
            if g.pending_members.len() >= self.cfg.max_group_size {
                return Reply::Now(JoinOutcome::error(
                    "",
                    code(ResponseError::GroupMaxSizeReached),
                ));
            }
            g.pending_members
                .insert(new_id.clone(), now + params.session_timeout);
            return Reply::Now(JoinOutcome::error(
                &new_id,
                code(ResponseError::MemberIdRequired),
            ));
        }
        add_member_and_rebalance(g, new_id, params, now)
    }

    pub async fn sync_group(
        self: &Arc<Self>,
        req: SyncGroupRequest,
        version: i16,
    ) -> SyncGroupResponse {
        self.ensure_sweeper();
        let outcome = match self.sync_inner(req, version) {
            Reply::Now(o) => o,
            Reply::Later(rx) => rx
                .await
                .unwrap_or_else(|_| SyncOutcome::error(code(ResponseError::RebalanceInProgress))),
        };
        let mut resp = SyncGroupResponse::default();
        resp.error_code = outcome.error;
        resp.assignment = outcome.assignment;
        if version >= 5 && outcome.error == 0 {
            resp.protocol_type = outcome.protocol_type.map(sb_owned);
            resp.protocol_name = outcome.protocol_name.map(sb_owned);
        }
        resp
    }

    fn sync_inner(&self, req: SyncGroupRequest, version: i16) -> Reply<SyncOutcome> {
        let fail = |e: ResponseError| Reply::Now(SyncOutcome::error(e.code()));
        if req.group_id.is_empty() {
            return fail(ResponseError::InvalidGroupId);
        }
        if self.is_shut_down() {
            return fail(ResponseError::CoordinatorNotAvailable);
        }
        let Some(group) = self.get_group(req.group_id.as_str()) else {
            return fail(ResponseError::UnknownMemberId);
        };
        let member_id = req.member_id.as_str();
        let instance_id = if version >= 3 {
            non_empty(req.group_instance_id)
        } else {
            None
        };
        let mut g = group.lock();
        let now = self.now();
        if g.is(GroupState::Dead) {
            return fail(ResponseError::CoordinatorNotAvailable);
        }
        if let Some(e) = g.validate_member(member_id, instance_id.as_deref()) {
            return Reply::Now(SyncOutcome::error(e));
        }
        if req.generation_id != g.generation {
            return fail(ResponseError::IllegalGeneration);
        }
        let inconsistent = |asked: &Option<StrBytes>, have: &Option<String>| {
            asked
                .as_ref()
                .is_some_and(|a| have.as_deref() != Some(a.as_str()))
        };
        if version >= 5
            && (inconsistent(&req.protocol_type, &g.protocol_type)
                || inconsistent(&req.protocol_name, &g.protocol_name))
        {
            return fail(ResponseError::InconsistentGroupProtocol);
        }
        match g.state {
            GroupState::Empty | GroupState::Dead => fail(ResponseError::UnknownMemberId),
            GroupState::PreparingRebalance => fail(ResponseError::RebalanceInProgress),
            GroupState::CompletingRebalance => {
                let (tx, rx) = oneshot::channel();
                g.pending_sync.remove(member_id);
                if let Some(m) = g.members.get_mut(member_id) {
                    m.park_sync(tx, code(ResponseError::RebalanceInProgress));
                    m.touch(now);
                }
                if g.is_leader(member_id) {
                    let mut assignments = HashMap::with_capacity(req.assignments.len());
                    for a in req.assignments {
                        if g.members.contains_key(a.member_id.as_str()) {
                            assignments.insert(a.member_id.as_str().to_string(), a.assignment);
                        }
                    }
                    g.apply_assignment(assignments, now);
                }
                Reply::Later(rx)
            }
            GroupState::Stable => {
                g.pending_sync.remove(member_id);
                let (protocol_type, protocol_name) =
                    (g.protocol_type.clone(), g.protocol_name.clone());
                let Some(m) = g.members.get_mut(member_id) else {
                    return fail(ResponseError::UnknownMemberId);
                };
                m.touch(now);
                Reply::Now(SyncOutcome {
                    error: 0,
                    assignment: m.assignment.clone(),
                    protocol_type,
                    protocol_name,
                })
            }
        }
    }

    pub async fn heartbeat(
        self: &Arc<Self>,
        req: HeartbeatRequest,
        version: i16,
    ) -> HeartbeatResponse {
        self.ensure_sweeper();
        let mut resp = HeartbeatResponse::default();
        resp.error_code = self.heartbeat_inner(req, version);
        resp
    }

    fn heartbeat_inner(&self, req: HeartbeatRequest, version: i16) -> i16 {
        if req.group_id.is_empty() {
            return code(ResponseError::InvalidGroupId);
        }
        if self.is_shut_down() {
            return code(ResponseError::CoordinatorNotAvailable);
        }
        let Some(group) = self.get_group(req.group_id.as_str()) else {
            return code(ResponseError::UnknownMemberId);
        };
        let member_id = req.member_id.as_str();
        let instance_id = if version >= 3 {
            non_empty(req.group_instance_id)
        } else {
            None
        };
        let mut g = group.lock();
        if g.is(GroupState::Dead) {
            return code(ResponseError::CoordinatorNotAvailable);
        }
        if g.is(GroupState::Empty) {
            return code(ResponseError::UnknownMemberId);
        }
        if let Some(e) = g.validate_member(member_id, instance_id.as_deref()) {
            return e;
        }
        if req.generation_id != g.generation {
            return code(ResponseError::IllegalGeneration);
        }
        let state = g.state;
        if let Some(m) = g.members.get_mut(member_id) {
            m.touch(self.now());
        }
        match state {
            // This is how members learn that they must rejoin.
            GroupState::PreparingRebalance => code(ResponseError::RebalanceInProgress),
            _ => 0,
        }
    }

    pub async fn leave_group(
        self: &Arc<Self>,
        req: LeaveGroupRequest,
        version: i16,
    ) -> LeaveGroupResponse {
        self.ensure_sweeper();
        let leaving: Vec<(String, Option<String>)> = if version >= 3 {
            req.members
                .into_iter()
                .map(|m| {
                    (
                        m.member_id.as_str().to_string(),
                        non_empty(m.group_instance_id),
                    )
                })
                .collect()
        } else {
            vec![(req.member_id.as_str().to_string(), None)]
        };
        let (top_error, results) = self.leave_inner(req.group_id.as_str(), &leaving);
        let mut resp = LeaveGroupResponse::default();
        if version >= 3 {
            resp.error_code = top_error;
            resp.members = results
                .into_iter()
                .zip(leaving)
                .map(|(error, (member_id, instance_id))| {
                    let mut m = MemberResponse::default();
                    m.member_id = sb_owned(member_id);
                    m.group_instance_id = instance_id.map(sb_owned);
                    m.error_code = error;
                    m
                })
                .collect();
        } else {
            resp.error_code = if top_error != 0 {
                top_error
            } else {
                results.first().copied().unwrap_or(0)
            };
        }
        resp
    }

    /// Returns (group-level error, per-member errors in request order).
    fn leave_inner(&self, group_id: &str, leaving: &[(String, Option<String>)]) -> (i16, Vec<i16>) {
        if group_id.is_empty() {
            return (code(ResponseError::InvalidGroupId), Vec::new());
        }
        if self.is_shut_down() {
            return (code(ResponseError::CoordinatorNotAvailable), Vec::new());
        }
        let unknown = code(ResponseError::UnknownMemberId);
        let Some(group) = self.get_group(group_id) else {
            return (0, vec![unknown; leaving.len()]);
        };
        let mut g = group.lock();
        if g.is(GroupState::Dead) {
            return (code(ResponseError::CoordinatorNotAvailable), Vec::new());
        }
        let now = self.now();
        let results = leaving
            .iter()
            .map(|(member_id, instance_id)| {
                let instance_id = instance_id.as_deref();
                if !member_id.is_empty() && g.is_static_member_fenced(member_id, instance_id) {
                    return code(ResponseError::FencedInstanceId);
                }
                if g.remove_pending_member(member_id, now) {
                    return 0;
                }
                let target = match instance_id.and_then(|i| g.static_members.get(i)) {
                    Some(id) => id.clone(),
                    None if g.members.contains_key(member_id) => member_id.clone(),
                    None => return unknown,
                };
                g.remove_member_and_update(&target, "left the group", now);
                0
            })
            .collect();
        (0, results)
    }
}

/// Adds a member parked in JoinGroup and starts (or joins) a rebalance.
fn add_member_and_rebalance(
    g: &mut Group,
    member_id: String,
    params: JoinParams,
    now: Instant,
) -> Reply<JoinOutcome> {
    let (tx, rx) = oneshot::channel();
    let mut member = Member::new(member_id, &params, now);
    member.join_waiter = Some(tx);
    g.add_member(member);
    g.maybe_prepare_rebalance(now);
    Reply::Later(rx)
}

/// Takes a known member's new protocols and timeouts and parks its JoinGroup for the rebalance.
fn update_member_and_rebalance(
    g: &mut Group,
    member_id: &str,
    params: JoinParams,
    now: Instant,
) -> Reply<JoinOutcome> {
    let (tx, rx) = oneshot::channel();
    if let Some(m) = g.members.get_mut(member_id) {
        update_member(m, params);
        m.park_join(tx, code(ResponseError::RebalanceInProgress));
    }
    g.maybe_prepare_rebalance(now);
    Reply::Later(rx)
}

fn update_member(m: &mut Member, params: JoinParams) {
    m.protocols = params.protocols;
    m.session_timeout = params.session_timeout;
    m.rebalance_timeout = params.rebalance_timeout;
    m.client_id = params.client_id;
    m.client_host = params.client_host;
}

/// The current generation as a JoinGroup answer, without a rebalance.
fn current_generation(
    g: &Group,
    member_id: &str,
    leader: String,
    with_members: bool,
) -> JoinOutcome {
    JoinOutcome {
        error: 0,
        generation: g.generation,
        protocol_type: g.protocol_type.clone(),
        protocol_name: g.protocol_name.clone(),
        leader,
        member_id: member_id.to_string(),
        members: if with_members {
            g.current_member_metadata()
        } else {
            Vec::new()
        },
    }
}

/// JoinGroup with a member id: a pending member completing the MEMBER_ID_REQUIRED round trip, or a
/// known member rejoining.
fn join_known_member(
    g: &mut Group,
    member_id: &str,
    params: JoinParams,
    now: Instant,
) -> Reply<JoinOutcome> {
    let fail = |e: ResponseError| Reply::Now(JoinOutcome::error(member_id, e.code()));
    if !g.supports_protocols(&params.protocol_type, &params.protocols) {
        return fail(ResponseError::InconsistentGroupProtocol);
    }
    if g.pending_members.contains_key(member_id) {
        if params.instance_id.is_some() {
            // Pending ids are only handed to dynamic members.
            return fail(ResponseError::UnknownMemberId);
        }
        return add_member_and_rebalance(g, member_id.to_string(), params, now);
    }
    if let Some(e) = g.validate_member(member_id, params.instance_id.as_deref()) {
        return Reply::Now(JoinOutcome::error(member_id, e));
    }
    let (is_leader, matches) = match g.members.get(member_id) {
        Some(m) => (g.is_leader(member_id), m.matches(&params.protocols)),
        None => return fail(ResponseError::UnknownMemberId),
    };
    match g.state {
        GroupState::PreparingRebalance => update_member_and_rebalance(g, member_id, params, now),
        GroupState::CompletingRebalance if matches => {
            // Probably lost the JoinGroup response: hand the same answer out again.
            let leader = g.leader.clone().unwrap_or_default();
            Reply::Now(current_generation(g, member_id, leader, is_leader))
        }
        GroupState::CompletingRebalance => update_member_and_rebalance(g, member_id, params, now),
        GroupState::Stable if is_leader || !matches => {
            // The leader rejoining is how it asks for a rebalance (e.g. topic metadata changed).
            update_member_and_rebalance(g, member_id, params, now)
        }
        GroupState::Stable => {
            let leader = g.leader.clone().unwrap_or_default();
            Reply::Now(current_generation(g, member_id, leader, false))
        }
        GroupState::Empty | GroupState::Dead => fail(ResponseError::UnknownMemberId),
    }
}

/// A known group.instance.id joining without member id (a restarted static member): it takes over
/// the old member id's place, fencing the old id. A Stable group keeps its generation and assignment
/// when the selected protocol and the subscribed topics stay the same.
fn rejoin_static_member(
    g: &mut Group,
    instance_id: &str,
    old_id: &str,
    new_id: &str,
    params: JoinParams,
    now: Instant,
) -> Reply<JoinOutcome> {
    let current_leader = g.leader.clone().unwrap_or_default();
    let old_topics = g.protocol_name.as_deref().and_then(|p| {
        let m = g.members.get(old_id)?;
        subscription_topics(&m.metadata(p)).map(sorted)
    });
    g.replace_static_member(instance_id, old_id, new_id);
    let Some(m) = g.members.get_mut(new_id) else {
        return Reply::Now(JoinOutcome::error(
            new_id,
            code(ResponseError::UnknownMemberId),
        ));
    };
    update_member(m, params);
    m.touch(now);
    match g.state {
        GroupState::Stable => {
            let new_topics = g.protocol_name.as_deref().and_then(|p| {
                let m = g.members.get(new_id)?;
                subscription_topics(&m.metadata(p)).map(sorted)
            });
            let same_protocol = g.select_protocol() == g.protocol_name;
            if same_protocol && old_topics == new_topics {
                // Answer with the old leader id so that a rejoining leader does not reassign in a
                // Stable group (its SyncGroup would not be broadcast).
                return Reply::Now(current_generation(g, new_id, current_leader, false));
            }
            let rx = park_join(g, new_id);
            g.maybe_prepare_rebalance(now);
            rx
        }
        GroupState::CompletingRebalance => {
            // The leader may be assigning to the old member id: start over.
            let rx = park_join(g, new_id);
            g.prepare_rebalance(now);
            rx
        }
        GroupState::PreparingRebalance => park_join(g, new_id),
        GroupState::Empty | GroupState::Dead => Reply::Now(JoinOutcome::error(
            new_id,
            code(ResponseError::UnknownMemberId),
        )),
    }
}

fn park_join(g: &mut Group, member_id: &str) -> Reply<JoinOutcome> {
    let (tx, rx) = oneshot::channel();
    if let Some(m) = g.members.get_mut(member_id) {
        m.park_join(tx, code(ResponseError::RebalanceInProgress));
    }
    Reply::Later(rx)
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v.dedup();
    v
}

/// Encodes a join outcome for the request's version (nullable protocol fields from v7 only).
fn join_response(o: JoinOutcome, version: i16) -> JoinGroupResponse {
    let mut resp = JoinGroupResponse::default();
    resp.error_code = o.error;
    resp.generation_id = o.generation;
    let ok = o.error == 0;
    if version >= 7 {
        resp.protocol_type = o.protocol_type.filter(|_| ok).map(sb_owned);
        resp.protocol_name = o
            .protocol_name
            .filter(|n| ok && !n.is_empty())
            .map(sb_owned);
    } else {
        resp.protocol_type = None;
        resp.protocol_name = Some(sb_owned(o.protocol_name.filter(|_| ok).unwrap_or_default()));
    }
    resp.leader = sb_owned(o.leader);
    resp.member_id = sb_owned(o.member_id);
    resp.skip_assignment = false;
    resp.members = o
        .members
        .into_iter()
        .map(|m| {
            let mut r = JoinGroupResponseMember::default();
            r.member_id = sb_owned(m.member_id);
            r.group_instance_id = if version >= 5 {
                m.instance_id.map(sb_owned)
            } else {
                None
            };
            r.metadata = m.metadata;
            r
        })
        .collect();
    resp
}

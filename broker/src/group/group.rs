//! The classic group state machine (Empty, PreparingRebalance, CompletingRebalance, Stable, Dead) as
//! Kafka's GroupCoordinator runs it: membership changes, rebalance preparation and completion, protocol
//! selection, and the session / rebalance / pending-sync deadlines. Pure in-memory logic, no I/O.

use std::collections::{BTreeMap, HashMap, HashSet};

use bytes::Bytes;
use kafka_protocol::error::ResponseError;
use tokio::time::{Duration, Instant};

use super::member::{subscription_topics, JoinMemberInfo, JoinOutcome, Member, SyncOutcome};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum GroupState {
    Empty,
    PreparingRebalance,
    CompletingRebalance,
    Stable,
    Dead,
}

impl GroupState {
    /// The exact state names the Kafka admin tools print and filter on.
    pub fn name(self) -> &'static str {
        match self {
            GroupState::Empty => "Empty",
            GroupState::PreparingRebalance => "PreparingRebalance",
            GroupState::CompletingRebalance => "CompletingRebalance",
            GroupState::Stable => "Stable",
            GroupState::Dead => "Dead",
        }
    }
}

/// The pending end of a PreparingRebalance phase.
#[derive(Debug, Clone)]
pub(super) struct RebalanceTimer {
    pub deadline: Instant,
    /// The first rebalance of an empty group: wait the whole delay even when everyone has joined.
    pub initial: bool,
    /// How much more the initial delay may still be extended (bounded by the rebalance timeout).
    pub remaining: Duration,
    pub new_member_added: bool,
}

#[derive(Debug)]
pub(super) struct Group {
    pub id: String,
    pub state: GroupState,
    pub generation: i32,
    pub protocol_type: Option<String>,
    pub protocol_name: Option<String>,
    pub leader: Option<String>,
    pub members: BTreeMap<String, Member>,
    /// group.instance.id -> member id
    pub static_members: HashMap<String, String>,
    /// Member ids handed out with MEMBER_ID_REQUIRED, with the time they expire unless used.
    pub pending_members: HashMap<String, Instant>,
    /// Members that have not sent SyncGroup for the current generation yet.
    pub pending_sync: HashSet<String>,
    pub sync_deadline: Option<Instant>,
    pub rebalance: Option<RebalanceTimer>,
    /// Union of the members' subscriptions for consumer groups; None when unknown.
    pub subscribed_topics: Option<HashSet<String>>,
    pub empty_since: Option<Instant>,
    initial_delay: Duration,
}

fn code(e: ResponseError) -> i16 {
    e.code()
}

impl Group {
    pub fn new(id: String, initial_delay: Duration, now: Instant) -> Group {
        Group {
            id,
            state: GroupState::Empty,
            generation: 0,
            protocol_type: None,
            protocol_name: None,
            leader: None,
            members: BTreeMap::new(),
            static_members: HashMap::new(),
            pending_members: HashMap::new(),
            pending_sync: HashSet::new(),
            sync_deadline: None,
            rebalance: None,
            subscribed_topics: None,
            empty_since: Some(now),
            initial_delay,
        }
    }

    fn set_state(&mut self, state: GroupState, now: Instant) {
        if state != self.state {
            tracing::debug!(group = %self.id, from = self.state.name(), to = state.name(), generation = self.generation, "group state change");
        }
        self.state = state;
        self.empty_since = (state == GroupState::Empty).then_some(now);
    }

    pub fn is(&self, state: GroupState) -> bool {
        self.state == state
    }

    pub fn is_leader(&self, member_id: &str) -> bool {
        self.leader.as_deref() == Some(member_id)
    }

    /// An Empty group with nobody about to join, idle for at least `idle`: safe to forget (its
    /// committed offsets, if any, live on in the store).
    pub fn idle_for(&self, now: Instant, idle: Duration) -> bool {
        self.state == GroupState::Empty
            && self.members.is_empty()
            && self.pending_members.is_empty()
            && self
                .empty_since
                .is_some_and(|t| now.saturating_duration_since(t) >= idle)
    }

    /// The largest rebalance timeout of the members: how long a rebalance waits for rejoins.
    pub fn rebalance_timeout(&self) -> Duration {
        self.members
            .values()
            .map(|m| m.rebalance_timeout)
            .max()
            .unwrap_or_default()
    }

    /// Protocol names every member supports, in the leader's order of preference.
    pub fn candidate_protocols(&self) -> Vec<String> {
        let reference = self
            .leader
            .as_ref()
            .and_then(|l| self.members.get(l))
            .or_else(|| self.members.values().next());
        let Some(reference) = reference else {
            return Vec::new();
        };
        reference
            .protocols
            .iter()
            .map(|(n, _)| n)
            .filter(|n| self.members.values().all(|m| m.supports(n)))
            .cloned()
            .collect()
    }

    /// Whether a member with this protocol type and protocols can be in the group.
    pub fn supports_protocols(&self, protocol_type: &str, protocols: &[(String, Bytes)]) -> bool {
        if self.members.is_empty() {
            return !protocol_type.is_empty() && !protocols.is_empty();
        }
        if self.protocol_type.as_deref() != Some(protocol_type) {
            return false;
        }
        let candidates = self.candidate_protocols();
        protocols.iter().any(|(n, _)| candidates.contains(n))
    }

    /// Kafka's vote: each member votes for its most preferred protocol that all members support;
    /// the most votes wins (ties go to the leader's preference order).
    pub fn select_protocol(&self) -> Option<String> {
        let candidates = self.candidate_protocols();
        let mut votes = vec![0usize; candidates.len()];
        for m in self.members.values() {
            if let Some(i) = m
                .protocols
                .iter()
                .find_map(|(n, _)| candidates.iter().position(|c| c == n))
            {
                votes[i] += 1;
            }
        }
        let mut best: Option<(usize, usize)> = None;
        for (i, v) in votes.iter().enumerate() {
            let better = match best {
                None => true,
                Some((_, bv)) => *v > bv,
            };
            if better {
                best = Some((i, *v));
            }
        }
        best.map(|(i, _)| candidates[i].clone())
    }

    /// Checks a request's member id (and group.instance.id) against the group.
    pub fn validate_member(&self, member_id: &str, instance_id: Option<&str>) -> Option<i16> {
        if let Some(inst) = instance_id {
            return match self.static_members.get(inst) {
                Some(current) if current != member_id => {
                    Some(code(ResponseError::FencedInstanceId))
                }
                Some(_) if self.members.contains_key(member_id) => None,
                _ => Some(code(ResponseError::UnknownMemberId)),
            };
        }
        (!self.members.contains_key(member_id)).then(|| code(ResponseError::UnknownMemberId))
    }

    /// A request naming a known static instance with another member id comes from a fenced member.
    pub fn is_static_member_fenced(&self, member_id: &str, instance_id: Option<&str>) -> bool {
        instance_id
            .and_then(|i| self.static_members.get(i))
            .is_some_and(|current| current != member_id)
    }

    pub fn add_member(&mut self, member: Member) {
        if self.members.is_empty() {
            self.protocol_type = Some(member.protocol_type.clone());
        }
        if self.leader.is_none() {
            self.leader = Some(member.id.clone());
        }
        if let Some(inst) = &member.instance_id {
            self.static_members.insert(inst.clone(), member.id.clone());
        }
        if self.state == GroupState::PreparingRebalance {
            if let Some(t) = self.rebalance.as_mut().filter(|t| t.initial) {
                t.new_member_added = true;
            }
        }
        self.pending_members.remove(&member.id);
        tracing::info!(group = %self.id, member = %member.id, client = %member.client_id, "member joined");
        self.members.insert(member.id.clone(), member);
    }

    /// Removes a member and answers its parked requests with `error`, without touching the state.
    pub fn remove_member(&mut self, member_id: &str, error: i16) -> Option<Member> {
        let mut m = self.members.remove(member_id)?;
        m.finish_join(JoinOutcome::error(member_id, error));
        m.finish_sync(SyncOutcome::error(error));
        if let Some(inst) = &m.instance_id {
            if self.static_members.get(inst).map(String::as_str) == Some(member_id) {
                self.static_members.remove(inst);
            }
        }
        self.pending_sync.remove(member_id);
        if self.is_leader(member_id) {
            self.leader = self.members.keys().next().cloned();
        }
        Some(m)
    }

    /// Removes a member and moves the group on: a rebalance for a settled group, a completion check
    /// for one that is gathering members.
    pub fn remove_member_and_update(&mut self, member_id: &str, reason: &str, now: Instant) {
        if self
            .remove_member(member_id, code(ResponseError::UnknownMemberId))
            .is_none()
        {
            return;
        }
        tracing::info!(group = %self.id, member = member_id, reason, "member removed");
        match self.state {
            GroupState::Stable | GroupState::CompletingRebalance => {
                self.maybe_prepare_rebalance(now)
            }
            GroupState::PreparingRebalance => self.try_complete_join(now),
            GroupState::Empty | GroupState::Dead => {}
        }
    }

    pub fn remove_pending_member(&mut self, member_id: &str, now: Instant) -> bool {
        let removed = self.pending_members.remove(member_id).is_some();
        if removed && self.state == GroupState::PreparingRebalance {
            self.try_complete_join(now);
        }
        removed
    }

    /// Moves a static member to a new member id, fencing whatever the old id still has parked.
    pub fn replace_static_member(&mut self, instance_id: &str, old_id: &str, new_id: &str) {
        let Some(mut m) = self.members.remove(old_id) else {
            return;
        };
        let fenced = code(ResponseError::FencedInstanceId);
        m.finish_join(JoinOutcome::error(old_id, fenced));
        m.finish_sync(SyncOutcome::error(fenced));
        m.id = new_id.to_string();
        if self.is_leader(old_id) {
            self.leader = Some(new_id.to_string());
        }
        if self.pending_sync.remove(old_id) {
            self.pending_sync.insert(new_id.to_string());
        }
        self.static_members
            .insert(instance_id.to_string(), new_id.to_string());
        self.members.insert(new_id.to_string(), m);
        tracing::info!(group = %self.id, instance = instance_id, old = old_id, new = new_id, "static member replaced");
    }

    pub fn maybe_prepare_rebalance(&mut self, now: Instant) {
        if matches!(
            self.state,
            GroupState::Stable | GroupState::CompletingRebalance | GroupState::Empty
        ) {
            self.prepare_rebalance(now);
        }
    }

    pub fn prepare_rebalance(&mut self, now: Instant) {
        if self.state == GroupState::CompletingRebalance {
            // The assignment being computed is for a membership that no longer holds.
            for m in self.members.values_mut() {
                m.assignment = Bytes::new();
                m.finish_sync(SyncOutcome::error(code(ResponseError::RebalanceInProgress)));
            }
        }
        self.pending_sync.clear();
        self.sync_deadline = None;
        let rebalance_timeout = self.rebalance_timeout();
        let initial = self.state == GroupState::Empty && !self.initial_delay.is_zero();
        self.rebalance = Some(if initial {
            RebalanceTimer {
                deadline: now + self.initial_delay,
                initial: true,
                remaining: rebalance_timeout.saturating_sub(self.initial_delay),
                new_member_added: false,
            }
        } else {
            RebalanceTimer {
                deadline: now + rebalance_timeout,
                initial: false,
                remaining: Duration::ZERO,
                new_member_added: false,
            }
        });
        tracing::info!(group = %self.id, generation = self.generation, members = self.members.len(), "preparing to rebalance");
        self.set_state(GroupState::PreparingRebalance, now);
        self.try_complete_join(now);
    }

    fn all_members_joined(&self) -> bool {
        self.pending_members.is_empty() && self.members.values().all(Member::awaiting_join)
    }

    /// Completes the join phase early once every known member has rejoined (never during the initial
    /// delay of a new group, which is there to gather the members starting up together).
    pub fn try_complete_join(&mut self, now: Instant) {
        if self.state != GroupState::PreparingRebalance {
            return;
        }
        if self.rebalance.as_ref().is_some_and(|t| t.initial) {
            return;
        }
        if self.all_members_joined() {
            self.complete_join(now);
        }
    }

    /// Ends PreparingRebalance: drops members that did not rejoin, starts the next generation and
    /// answers every parked JoinGroup (the leader gets the member list).
    pub fn complete_join(&mut self, now: Instant) {
        self.rebalance = None;
        let missing: Vec<String> = self
            .members
            .values()
            .filter(|m| !m.awaiting_join())
            .map(|m| m.id.clone())
            .collect();
        for id in missing {
            tracing::info!(group = %self.id, member = %id, "member did not rejoin in time, removing it");
            self.remove_member(&id, code(ResponseError::UnknownMemberId));
        }
        self.generation = self.generation.checked_add(1).unwrap_or(1);
        if self.members.is_empty() {
            self.protocol_name = None;
            self.leader = None;
            self.subscribed_topics = None;
            self.set_state(GroupState::Empty, now);
            tracing::info!(group = %self.id, generation = self.generation, "group is empty");
            return;
        }
        if !self
            .leader
            .as_ref()
            .is_some_and(|l| self.members.contains_key(l))
        {
            self.leader = self.members.keys().next().cloned();
        }
        self.protocol_name = self.select_protocol().or_else(|| {
            self.leader_member()
                .and_then(|m| m.protocols.first().map(|(n, _)| n.clone()))
        });
        self.subscribed_topics = self.compute_subscribed_topics();
        self.set_state(GroupState::CompletingRebalance, now);
        let leader = self.leader.clone().unwrap_or_default();
        let all = self.current_member_metadata();
        let (protocol_type, protocol_name, generation) = (
            self.protocol_type.clone(),
            self.protocol_name.clone(),
            self.generation,
        );
        for m in self.members.values_mut() {
            let outcome = JoinOutcome {
                error: 0,
                generation,
                protocol_type: protocol_type.clone(),
                protocol_name: protocol_name.clone(),
                leader: leader.clone(),
                member_id: m.id.clone(),
                members: if m.id == leader {
                    all.clone()
                } else {
                    Vec::new()
                },
            };
            m.finish_join(outcome);
            m.is_new = false;
            m.touch(now);
        }
        self.pending_sync = self.members.keys().cloned().collect();
        self.sync_deadline = Some(now + self.rebalance_timeout());
        tracing::info!(group = %self.id, generation, members = self.members.len(), protocol = ?self.protocol_name, %leader, "rebalance completed join phase");
    }

    fn leader_member(&self) -> Option<&Member> {
        self.leader.as_ref().and_then(|l| self.members.get(l))
    }

    /// Every member with its metadata for the selected protocol (what the leader assigns from).
    pub fn current_member_metadata(&self) -> Vec<JoinMemberInfo> {
        let protocol = self.protocol_name.clone().unwrap_or_default();
        self.members
            .values()
            .map(|m| JoinMemberInfo {
                member_id: m.id.clone(),
                instance_id: m.instance_id.clone(),
                metadata: m.metadata(&protocol),
            })
            .collect()
    }

    pub fn compute_subscribed_topics(&self) -> Option<HashSet<String>> {
        if self.protocol_type.as_deref() != Some("consumer") {
            return None;
        }
        let protocol = self.protocol_name.as_deref()?;
        let mut topics = HashSet::new();
        for m in self.members.values() {
            topics.extend(subscription_topics(&m.metadata(protocol))?);
        }
        Some(topics)
    }

    /// The leader's SyncGroup: store every member's assignment (missing ones empty), answer the parked
    /// SyncGroups and settle the group.
    pub fn apply_assignment(&mut self, assignments: HashMap<String, Bytes>, now: Instant) {
        for m in self.members.values_mut() {
            m.assignment = assignments.get(&m.id).cloned().unwrap_or_default();
        }
        let (protocol_type, protocol_name) =
            (self.protocol_type.clone(), self.protocol_name.clone());
        for m in self.members.values_mut() {
            let outcome = SyncOutcome {
                error: 0,
                assignment: m.assignment.clone(),
                protocol_type: protocol_type.clone(),
                protocol_name: protocol_name.clone(),
            };
            m.finish_sync(outcome);
        }
        self.set_state(GroupState::Stable, now);
        tracing::info!(group = %self.id, generation = self.generation, members = self.members.len(), "group is stable");
    }

    /// Answers every parked request with `error` (shutdown, group deletion).
    pub fn fail_all_waiters(&mut self, error: i16) {
        for m in self.members.values_mut() {
            let id = m.id.clone();
            m.finish_join(JoinOutcome::error(&id, error));
            m.finish_sync(SyncOutcome::error(error));
        }
    }

    /// Fires every deadline that has passed: unused pending member ids, silent members, members that
    /// never synced, and the end of the join phase.
    pub fn tick(&mut self, now: Instant) {
        if self.state == GroupState::Dead {
            return;
        }
        let expired_pending: Vec<String> = self
            .pending_members
            .iter()
            .filter(|(_, d)| **d <= now)
            .map(|(id, _)| id.clone())
            .collect();
        for id in expired_pending {
            self.remove_pending_member(&id, now);
        }

        let silent: Vec<String> = self
            .members
            .values()
            .filter(|m| m.heartbeat_deadline <= now && !m.heartbeat_exempt())
            .map(|m| m.id.clone())
            .collect();
        for id in silent {
            self.remove_member_and_update(&id, "session timeout expired", now);
        }

        if self.sync_deadline.is_some_and(|d| d <= now) {
            self.sync_deadline = None;
            if matches!(
                self.state,
                GroupState::CompletingRebalance | GroupState::Stable
            ) {
                let laggards: Vec<String> = self.pending_sync.drain().collect();
                for id in laggards {
                    self.remove_member_and_update(
                        &id,
                        "no SyncGroup within the rebalance timeout",
                        now,
                    );
                }
            }
        }

        if self.state == GroupState::PreparingRebalance {
            let Some(timer) = self.rebalance.as_mut() else {
                // Cannot happen (PreparingRebalance always has a timer), but never wedge a group.
                self.complete_join(now);
                return;
            };
            if timer.deadline > now {
                return;
            }
            if timer.initial && timer.new_member_added && !timer.remaining.is_zero() {
                let step = self.initial_delay.min(timer.remaining);
                timer.remaining -= step;
                timer.new_member_added = false;
                timer.deadline = now + step;
            } else {
                self.complete_join(now);
            }
        }
    }
}

//! Group administration: DescribeGroups, ListGroups, DeleteGroups and ConsumerGroupDescribe. Groups
//! known only through committed offsets (e.g. after a restart) show as Empty "consumer" groups;
//! ConsumerGroupDescribe answers GROUP_ID_NOT_FOUND so admin clients fall back to DescribeGroups.

use std::collections::BTreeMap;
use std::sync::Arc;

use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::consumer_group_describe_response::DescribedGroup as ConsumerDescribedGroup;
use kafka_protocol::messages::delete_groups_response::DeletableGroupResult;
use kafka_protocol::messages::describe_groups_response::{DescribedGroup, DescribedGroupMember};
use kafka_protocol::messages::list_groups_response::ListedGroup;
use kafka_protocol::messages::{
    ConsumerGroupDescribeRequest, ConsumerGroupDescribeResponse, DeleteGroupsRequest,
    DeleteGroupsResponse, DescribeGroupsRequest, DescribeGroupsResponse, GroupId,
    ListGroupsRequest, ListGroupsResponse,
};

use super::group::{Group, GroupState};
use super::{sb, sb_owned, GroupCoordinator};

fn code(e: ResponseError) -> i16 {
    e.code()
}

/// "Not requested / not provided" for authorized_operations.
const NO_AUTHORIZED_OPERATIONS: i32 = i32::MIN;
/// Protocol type shown for groups known only from their committed offsets.
const OFFSETS_ONLY_PROTOCOL_TYPE: &str = "consumer";

impl GroupCoordinator {
    pub async fn describe_groups(
        self: &Arc<Self>,
        req: DescribeGroupsRequest,
        version: i16,
    ) -> DescribeGroupsResponse {
        self.ensure_sweeper();
        let mut resp = DescribeGroupsResponse::default();
        resp.groups = req
            .groups
            .into_iter()
            .map(|id| self.describe_one(id, version))
            .collect();
        resp
    }

    fn describe_one(&self, id: GroupId, version: i16) -> DescribedGroup {
        let mut out = DescribedGroup::default();
        out.authorized_operations = NO_AUTHORIZED_OPERATIONS;
        if self.is_shut_down() {
            out.error_code = code(ResponseError::CoordinatorNotAvailable);
            out.group_id = id;
            return out;
        }
        match self.get_group(id.as_str()) {
            Some(group) => fill_description(&mut out, &group.lock(), version),
            None => {
                let (state, protocol_type) = match self.meta.group_offsets(id.as_str()) {
                    Ok(o) if !o.is_empty() => (GroupState::Empty, OFFSETS_ONLY_PROTOCOL_TYPE),
                    Ok(_) => (GroupState::Dead, ""),
                    Err(e) => {
                        tracing::error!(group = %id.as_str(), error = %e, "could not read committed offsets");
                        out.error_code = code(ResponseError::CoordinatorNotAvailable);
                        (GroupState::Dead, "")
                    }
                };
                out.group_state = sb(state.name());
                out.protocol_type = sb(protocol_type);
                out.protocol_data = sb("");
            }
        }
        out.group_id = id;
        out
    }

    pub async fn list_groups(
        self: &Arc<Self>,
        req: ListGroupsRequest,
        version: i16,
    ) -> ListGroupsResponse {
        self.ensure_sweeper();
        let mut resp = ListGroupsResponse::default();
        if self.is_shut_down() {
            resp.error_code = code(ResponseError::CoordinatorNotAvailable);
            return resp;
        }
        let states: Vec<String> = if version >= 4 {
            req.states_filter
                .iter()
                .map(|s| s.as_str().to_ascii_lowercase())
                .collect()
        } else {
            Vec::new()
        };
        if version >= 5
            && !req.types_filter.is_empty()
            && !req
                .types_filter
                .iter()
                .any(|t| t.as_str().eq_ignore_ascii_case("classic"))
        {
            return resp;
        }
        // group id -> (state, protocol type)
        let mut all: BTreeMap<String, (GroupState, String)> = BTreeMap::new();
        let live: Vec<Arc<parking_lot::Mutex<Group>>> =
            self.groups.lock().values().cloned().collect();
        for g in live {
            let g = g.lock();
            if !g.is(GroupState::Dead) {
                all.insert(
                    g.id.clone(),
                    (g.state, g.protocol_type.clone().unwrap_or_default()),
                );
            }
        }
        match self.meta.offset_groups() {
            Ok(ids) => {
                for id in ids {
                    all.entry(id)
                        .or_insert((GroupState::Empty, OFFSETS_ONLY_PROTOCOL_TYPE.to_string()));
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "could not list the groups with committed offsets");
                resp.error_code = code(ResponseError::CoordinatorNotAvailable);
            }
        }
        resp.groups = all
            .into_iter()
            .filter(|(_, (state, _))| {
                states.is_empty()
                    || states
                        .iter()
                        .any(|s| *s == state.name().to_ascii_lowercase())
            })
            .map(|(id, (state, protocol_type))| {
                let mut l = ListedGroup::default();
                l.group_id = sb_owned(id).into();
                l.protocol_type = sb_owned(protocol_type);
                if version >= 4 {
                    l.group_state = sb(state.name());
                }
                if version >= 5 {
                    l.group_type = sb("classic");
                }
                l
            })
            .collect();
        resp
    }

    pub async fn delete_groups(
        self: &Arc<Self>,
        req: DeleteGroupsRequest,
        _version: i16,
    ) -> DeleteGroupsResponse {
        self.ensure_sweeper();
        let mut resp = DeleteGroupsResponse::default();
        let mut deleted_any = false;
        for id in req.groups_names {
            let error = self.delete_one(id.as_str());
            deleted_any |= error == 0;
            let mut r = DeletableGroupResult::default();
            r.group_id = id;
            r.error_code = error;
            resp.results.push(r);
        }
        if deleted_any {
            if let Err(e) = self.meta.flush_async().await {
                tracing::error!(error = %e, "could not flush group deletions");
            }
        }
        resp
    }

    /// Deletes an Empty group and its offsets: NON_EMPTY_GROUP while it has members or rebalances,
    /// GROUP_ID_NOT_FOUND when neither the group nor offsets exist.
    fn delete_one(&self, id: &str) -> i16 {
        if self.is_shut_down() {
            return code(ResponseError::CoordinatorNotAvailable);
        }
        if id.is_empty() {
            return code(ResponseError::InvalidGroupId);
        }
        let existed_in_memory = {
            let mut map = self.groups.lock();
            match map.get(id).cloned() {
                Some(group) => {
                    let mut g = group.lock();
                    match g.state {
                        GroupState::Empty => {
                            g.state = GroupState::Dead;
                            g.pending_members.clear();
                            drop(g);
                            map.remove(id);
                            true
                        }
                        GroupState::Dead => false,
                        _ => return code(ResponseError::NonEmptyGroup),
                    }
                }
                None => false,
            }
        };
        match self.meta.delete_group_offsets(id) {
            Ok(n) if n > 0 || existed_in_memory => {
                tracing::info!(group = id, offsets = n, "group deleted");
                0
            }
            Ok(_) => code(ResponseError::GroupIdNotFound),
            Err(e) => {
                tracing::error!(group = id, error = %e, "could not delete the group's committed offsets");
                code(ResponseError::CoordinatorNotAvailable)
            }
        }
    }

    /// Every group is classic here, which KIP-848 clients learn from GROUP_ID_NOT_FOUND before falling
    /// back to DescribeGroups.
    pub fn consumer_group_describe(
        &self,
        req: ConsumerGroupDescribeRequest,
        _version: i16,
    ) -> ConsumerGroupDescribeResponse {
        let mut resp = ConsumerGroupDescribeResponse::default();
        resp.groups = req
            .group_ids
            .into_iter()
            .map(|id| {
                let mut g = ConsumerDescribedGroup::default();
                g.error_code = code(ResponseError::GroupIdNotFound);
                g.error_message = Some(sb_owned(format!(
                    "Group {} is not a consumer group.",
                    id.as_str()
                )));
                g.authorized_operations = NO_AUTHORIZED_OPERATIONS;
                g.group_id = id;
                g
            })
            .collect();
        resp
    }
}

/// Kafka's group summary: member metadata and assignments only in Stable, where they are consistent.
fn fill_description(out: &mut DescribedGroup, g: &Group, version: i16) {
    out.group_state = sb(g.state.name());
    out.protocol_type = sb(g.protocol_type.as_deref().unwrap_or(""));
    let stable = g.is(GroupState::Stable);
    let protocol = if stable {
        g.protocol_name.clone().unwrap_or_default()
    } else {
        String::new()
    };
    out.protocol_data = sb(&protocol);
    out.members = g
        .members
        .values()
        .map(|m| {
            let mut d = DescribedGroupMember::default();
            d.member_id = sb(&m.id);
            d.group_instance_id = if version >= 4 {
                m.instance_id.as_deref().map(sb)
            } else {
                None
            };
            d.client_id = sb(&m.client_id);
            d.client_host = sb(&m.client_host);
            if stable {
                d.member_metadata = m.metadata(&protocol);
                d.member_assignment = m.assignment.clone();
            }
            d
        })
        .collect();
}

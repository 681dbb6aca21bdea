//! DescribeGroups, ListGroups, DeleteGroups, ConsumerGroupDescribe, and the subscription parser.

use kafka_protocol::messages::offset_commit_request::{
    OffsetCommitRequestPartition, OffsetCommitRequestTopic,
};
use kafka_protocol::messages::{
    ConsumerGroupDescribeRequest, DeleteGroupsRequest, DescribeGroupsRequest, ListGroupsRequest,
    OffsetCommitRequest, TopicName,
};

use super::super::member::subscription_topics;
use super::*;

async fn admin_commit(c: &Arc<GroupCoordinator>, group: &str) {
    let mut r = OffsetCommitRequest::default();
    r.group_id = gid(group);
    let mut t = OffsetCommitRequestTopic::default();
    t.name = TopicName(s("t1"));
    let mut p = OffsetCommitRequestPartition::default();
    p.committed_offset = 1;
    t.partitions.push(p);
    r.topics.push(t);
    let resp = c.offset_commit(r, 8).await;
    assert_eq!(resp.topics[0].partitions[0].error_code, 0);
}

async fn delete(c: &Arc<GroupCoordinator>, groups: &[&str]) -> Vec<i16> {
    let mut req = DeleteGroupsRequest::default();
    req.groups_names = groups.iter().map(|g| gid(g)).collect();
    let resp = c.delete_groups(req, 2).await;
    assert_encodes(&resp, 2);
    resp.results.iter().map(|r| r.error_code).collect()
}

async fn list(
    c: &Arc<GroupCoordinator>,
    states: &[&str],
    types: &[&str],
    version: i16,
) -> Vec<(String, String, String, String)> {
    let mut req = ListGroupsRequest::default();
    req.states_filter = states.iter().map(|x| s(x)).collect();
    req.types_filter = types.iter().map(|x| s(x)).collect();
    let resp = c.list_groups(req, version).await;
    assert_encodes(&resp, version);
    assert_eq!(resp.error_code, 0);
    resp.groups
        .iter()
        .map(|g| {
            (
                g.group_id.as_str().to_string(),
                g.protocol_type.as_str().to_string(),
                g.group_state.as_str().to_string(),
                g.group_type.as_str().to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn delete_groups_only_removes_empty_groups() {
    let h = harness(config(0));
    admin_commit(&h.c, "idle").await;
    stable_group(&h, "busy", &["a"], &["t1"]).await;
    assert_eq!(
        delete(&h.c, &["idle", "busy", "ghost"]).await,
        vec![0, 68, 69]
    );
    assert!(h.meta.group_offsets("idle").unwrap().is_empty());
    assert_eq!(delete(&h.c, &["idle"]).await, vec![69]);
    let groups: Vec<String> = list(&h.c, &[], &[], 5)
        .await
        .into_iter()
        .map(|g| g.0)
        .collect();
    assert_eq!(groups, vec!["busy".to_string()]);
}

#[tokio::test]
async fn emptied_group_can_be_deleted() {
    let h = harness(config(0));
    let (ids, _, _) = stable_group(&h, "g", &["a"], &["t1"]).await;
    let mut leave = kafka_protocol::messages::LeaveGroupRequest::default();
    leave.group_id = gid("g");
    leave.member_id = s(&ids[0]);
    assert_eq!(h.c.leave_group(leave, 2).await.error_code, 0);
    assert_eq!(delete(&h.c, &["g"]).await, vec![0]);
    let mut d = DescribeGroupsRequest::default();
    d.groups = vec![gid("g")];
    assert_eq!(
        h.c.describe_groups(d, 5).await.groups[0]
            .group_state
            .as_str(),
        "Dead"
    );
}

#[tokio::test]
async fn list_groups_shows_live_and_offsets_only_groups_with_filters() {
    let h = harness(config(0));
    admin_commit(&h.c, "restored").await;
    stable_group(&h, "live", &["a"], &["t1"]).await;
    let all = list(&h.c, &[], &[], 5).await;
    assert_eq!(
        all,
        vec![
            (
                "live".into(),
                "consumer".into(),
                "Stable".into(),
                "classic".into()
            ),
            (
                "restored".into(),
                "consumer".into(),
                "Empty".into(),
                "classic".into()
            ),
        ]
    );
    let empty_only = list(&h.c, &["Empty"], &[], 4).await;
    assert_eq!(empty_only.len(), 1);
    assert_eq!(empty_only[0].0, "restored");
    assert_eq!(list(&h.c, &[], &["consumer"], 5).await.len(), 0);
    assert_eq!(list(&h.c, &[], &["Classic"], 5).await.len(), 2);
    // Old versions: no state, no type.
    let v0 = list(&h.c, &[], &[], 0).await;
    assert_eq!(v0.len(), 2);
    assert_eq!(v0[0].2, "");
}

#[tokio::test]
async fn describe_unknown_and_offsets_only_groups() {
    let h = harness(config(0));
    admin_commit(&h.c, "restored").await;
    for version in [0, 3, 5] {
        let mut req = DescribeGroupsRequest::default();
        req.groups = vec![gid("restored"), gid("ghost")];
        req.include_authorized_operations = version >= 3;
        let resp = h.c.describe_groups(req, version).await;
        assert_encodes(&resp, version);
        let (restored, ghost) = (&resp.groups[0], &resp.groups[1]);
        assert_eq!(restored.error_code, 0);
        assert_eq!(restored.group_state.as_str(), "Empty");
        assert_eq!(restored.protocol_type.as_str(), "consumer");
        assert_eq!(ghost.error_code, 0);
        assert_eq!(ghost.group_state.as_str(), "Dead");
        assert_eq!(ghost.group_id.as_str(), "ghost");
        assert_eq!(ghost.authorized_operations, i32::MIN);
    }
}

#[tokio::test]
async fn consumer_group_describe_sends_clients_to_the_classic_api() {
    let h = harness(config(0));
    stable_group(&h, "g", &["a"], &["t1"]).await;
    let mut req = ConsumerGroupDescribeRequest::default();
    req.group_ids = vec![gid("g"), gid("other")];
    let resp = h.c.consumer_group_describe(req, 0);
    assert_encodes(&resp, 0);
    assert!(resp.groups.iter().all(|g| g.error_code == 69));
    assert_eq!(resp.groups[1].group_id.as_str(), "other");
}

#[test]
fn subscription_parser_matches_the_consumer_protocol_and_survives_garbage() {
    for version in 0..=3 {
        let bytes = subscription(&["orders", "payments"], version);
        assert_eq!(
            subscription_topics(&bytes),
            Some(vec!["orders".to_string(), "payments".to_string()])
        );
    }
    assert_eq!(subscription_topics(&[]), None);
    assert_eq!(
        subscription_topics(&[0, 1, 0x7f, 0xff, 0xff, 0xff]),
        None,
        "huge count, no bytes"
    );
    assert_eq!(
        subscription_topics(&[0, 1, 0, 0, 0, 1, 0x7f, 0xff]),
        None,
        "topic longer than input"
    );
    assert_eq!(
        subscription_topics(&[0, 1, 0, 0, 0, 1, 0, 2, 0xff, 0xfe]),
        None,
        "not UTF-8"
    );
}

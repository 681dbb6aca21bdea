//! Offset commit / fetch / delete: admin commits, member validation, metadata round trip, v8 fetch.

use kafka_protocol::messages::offset_commit_request::{
    OffsetCommitRequestPartition, OffsetCommitRequestTopic,
};
use kafka_protocol::messages::offset_delete_request::{
    OffsetDeleteRequestPartition, OffsetDeleteRequestTopic,
};
use kafka_protocol::messages::offset_fetch_request::{
    OffsetFetchRequestGroup, OffsetFetchRequestTopic, OffsetFetchRequestTopics,
};
use kafka_protocol::messages::{
    OffsetCommitRequest, OffsetDeleteRequest, OffsetFetchRequest, TopicName,
};

use super::*;

fn tname(v: &str) -> TopicName {
    TopicName(s(v))
}

/// (topic, partition, offset, metadata)
type Commit<'a> = (&'a str, i32, i64, Option<&'a str>);

fn commit_req(
    group: &str,
    generation: i32,
    member: &str,
    commits: &[Commit],
) -> OffsetCommitRequest {
    let mut r = OffsetCommitRequest::default();
    r.group_id = gid(group);
    r.generation_id_or_member_epoch = generation;
    r.member_id = s(member);
    for (topic, partition, offset, metadata) in commits {
        let mut p = OffsetCommitRequestPartition::default();
        p.partition_index = *partition;
        p.committed_offset = *offset;
        p.committed_leader_epoch = 7;
        p.committed_metadata = metadata.map(s);
        match r.topics.iter_mut().find(|t| t.name.as_str() == *topic) {
            Some(t) => t.partitions.push(p),
            None => {
                let mut t = OffsetCommitRequestTopic::default();
                t.name = tname(topic);
                t.partitions.push(p);
                r.topics.push(t);
            }
        }
    }
    r
}

/// Commits and returns the per-partition error codes in request order.
async fn commit(c: &Arc<GroupCoordinator>, req: OffsetCommitRequest, version: i16) -> Vec<i16> {
    let resp = c.offset_commit(req, version).await;
    assert_encodes(&resp, version);
    resp.topics
        .iter()
        .flat_map(|t| t.partitions.iter().map(|p| p.error_code))
        .collect()
}

fn fetch_req_v7(group: &str, topics: Option<&[(&str, &[i32])]>) -> OffsetFetchRequest {
    let mut r = OffsetFetchRequest::default();
    r.group_id = gid(group);
    r.topics = topics.map(|ts| {
        ts.iter()
            .map(|(t, ps)| {
                let mut x = OffsetFetchRequestTopic::default();
                x.name = tname(t);
                x.partition_indexes = ps.to_vec();
                x
            })
            .collect()
    });
    r
}

#[tokio::test]
async fn commit_and_fetch_round_trip_with_metadata() {
    let h = harness(config(0));
    let errors = commit(
        &h.c,
        commit_req(
            "g",
            -1,
            "",
            &[
                ("t1", 0, 42, Some("hello wörld")),
                ("t1", 1, 7, None),
                ("t2", 0, 3, Some("")),
            ],
        ),
        8,
    )
    .await;
    assert_eq!(errors, vec![0, 0, 0]);

    let resp =
        h.c.offset_fetch(fetch_req_v7("g", Some(&[("t1", &[0, 1, 2])])), 7)
            .await;
    assert_encodes(&resp, 7);
    assert_eq!(resp.error_code, 0);
    let parts = &resp.topics[0].partitions;
    assert_eq!(resp.topics[0].name.as_str(), "t1");
    assert_eq!(
        (parts[0].committed_offset, parts[0].committed_leader_epoch),
        (42, 7)
    );
    assert_eq!(
        parts[0].metadata.as_ref().map(|m| m.as_str()),
        Some("hello wörld")
    );
    assert_eq!(parts[1].committed_offset, 7);
    assert_eq!(parts[1].metadata.as_ref().map(|m| m.as_str()), Some(""));
    // Never committed: offset -1, metadata "", no error.
    assert_eq!(parts[2].committed_offset, -1);
    assert_eq!(parts[2].metadata.as_ref().map(|m| m.as_str()), Some(""));
    assert_eq!(parts[2].error_code, 0);

    // topics = null: everything the group committed.
    let all = h.c.offset_fetch(fetch_req_v7("g", None), 5).await;
    assert_encodes(&all, 5);
    let got: Vec<(String, i32, i64)> = all
        .topics
        .iter()
        .flat_map(|t| {
            t.partitions.iter().map(move |p| {
                (
                    t.name.as_str().to_string(),
                    p.partition_index,
                    p.committed_offset,
                )
            })
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("t1".into(), 0, 42),
            ("t1".into(), 1, 7),
            ("t2".into(), 0, 3)
        ]
    );

    // Unknown group: -1 for asked partitions, nothing for "all".
    let none =
        h.c.offset_fetch(fetch_req_v7("other", Some(&[("t1", &[0])])), 1)
            .await;
    assert_encodes(&none, 1);
    assert_eq!(none.topics[0].partitions[0].committed_offset, -1);
    assert!(h
        .c
        .offset_fetch(fetch_req_v7("other", None), 3)
        .await
        .topics
        .is_empty());
}

#[tokio::test]
async fn v8_fetch_answers_several_groups() {
    let h = harness(config(0));
    assert_eq!(
        commit(
            &h.c,
            commit_req("a", -1, "", &[("t1", 0, 10, Some("ma"))]),
            8
        )
        .await,
        vec![0]
    );
    assert_eq!(
        commit(&h.c, commit_req("b", -1, "", &[("t2", 1, 20, None)]), 8).await,
        vec![0]
    );
    let mut req = OffsetFetchRequest::default();
    let mut ga = OffsetFetchRequestGroup::default();
    ga.group_id = gid("a");
    let mut t = OffsetFetchRequestTopics::default();
    t.name = tname("t1");
    t.partition_indexes = vec![0, 1];
    ga.topics = Some(vec![t]);
    let mut gb = OffsetFetchRequestGroup::default();
    gb.group_id = gid("b");
    gb.topics = None;
    req.groups = vec![ga, gb];
    let resp = h.c.offset_fetch(req, 8).await;
    assert_encodes(&resp, 8);
    assert_eq!(resp.groups.len(), 2);
    let a = &resp.groups[0];
    assert_eq!(a.group_id.as_str(), "a");
    assert_eq!(a.topics[0].partitions[0].committed_offset, 10);
    assert_eq!(
        a.topics[0].partitions[0]
            .metadata
            .as_ref()
            .map(|m| m.as_str()),
        Some("ma")
    );
    assert_eq!(a.topics[0].partitions[1].committed_offset, -1);
    let b = &resp.groups[1];
    assert_eq!(b.group_id.as_str(), "b");
    assert_eq!(b.topics[0].name.as_str(), "t2");
    assert_eq!(
        (
            b.topics[0].partitions[0].partition_index,
            b.topics[0].partitions[0].committed_offset
        ),
        (1, 20)
    );
}

#[tokio::test]
async fn commit_validation() {
    let h = harness(config(0));
    let too_big = "x".repeat(4097);
    let errors = commit(
        &h.c,
        commit_req(
            "g",
            -1,
            "",
            &[
                ("nope", 0, 1, None),
                ("t1", 9, 1, None),
                ("t1", 0, 1, Some(&too_big)),
            ],
        ),
        8,
    )
    .await;
    assert_eq!(errors, vec![3, 3, 12]);
    // No such group: a generation means a member of a group we do not know.
    assert_eq!(
        commit(&h.c, commit_req("g", 3, "m", &[("t1", 0, 1, None)]), 8).await,
        vec![ILLEGAL_GENERATION]
    );
    assert_eq!(
        commit(&h.c, commit_req("g", -1, "m", &[("t1", 0, 1, None)]), 8).await,
        vec![UNKNOWN_MEMBER_ID]
    );

    let (ids, _, generation) = stable_group(&h, "live", &["a"], &["t1"]).await;
    // While the group has members only they may commit, with the current generation.
    assert_eq!(
        commit(&h.c, commit_req("live", -1, "", &[("t1", 0, 1, None)]), 8).await,
        vec![UNKNOWN_MEMBER_ID]
    );
    assert_eq!(
        commit(
            &h.c,
            commit_req("live", generation + 1, &ids[0], &[("t1", 0, 1, None)]),
            8
        )
        .await,
        vec![ILLEGAL_GENERATION]
    );
    assert_eq!(
        commit(
            &h.c,
            commit_req("live", generation, "stranger", &[("t1", 0, 1, None)]),
            8
        )
        .await,
        vec![UNKNOWN_MEMBER_ID]
    );
    assert_eq!(
        commit(
            &h.c,
            commit_req("live", generation, &ids[0], &[("t1", 0, 5, None)]),
            2
        )
        .await,
        vec![0]
    );
    let stored = h.meta.group_offsets("live").unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].2.offset, 5);
    assert_eq!(stored[0].2.leader_epoch, -1, "v2 carries no leader epoch");
}

#[tokio::test]
async fn commits_are_rejected_while_the_leader_assigns() {
    let h = harness(config(0));
    let r = join(&h.c, &JoinSpec::new("g", &["t1"]), 3).await;
    assert_eq!(r.error_code, 0);
    let id = r.member_id.as_str().to_string();
    assert_eq!(
        commit(
            &h.c,
            commit_req("g", r.generation_id, &id, &[("t1", 0, 1, None)]),
            8
        )
        .await,
        vec![REBALANCE_IN_PROGRESS]
    );
}

fn delete_req(group: &str, parts: &[(&str, i32)]) -> OffsetDeleteRequest {
    let mut r = OffsetDeleteRequest::default();
    r.group_id = gid(group);
    for (topic, partition) in parts {
        let mut p = OffsetDeleteRequestPartition::default();
        p.partition_index = *partition;
        match r.topics.iter_mut().find(|t| t.name.as_str() == *topic) {
            Some(t) => t.partitions.push(p),
            None => {
                let mut t = OffsetDeleteRequestTopic::default();
                t.name = tname(topic);
                t.partitions.push(p);
                r.topics.push(t);
            }
        }
    }
    r
}

#[tokio::test]
async fn offset_delete_refuses_subscribed_topics() {
    let h = harness(config(0));
    let (ids, _, generation) = stable_group(&h, "g", &["a"], &["t1"]).await;
    let errors = commit(
        &h.c,
        commit_req(
            "g",
            generation,
            &ids[0],
            &[("t1", 0, 1, None), ("t2", 0, 2, None), ("t2", 1, 3, None)],
        ),
        8,
    )
    .await;
    assert_eq!(errors, vec![0, 0, 0]);
    let resp =
        h.c.offset_delete(delete_req("g", &[("t1", 0), ("t2", 0), ("zz", 0)]), 0)
            .await;
    assert_encodes(&resp, 0);
    assert_eq!(resp.error_code, 0);
    let errors: Vec<i16> = resp
        .topics
        .iter()
        .flat_map(|t| t.partitions.iter().map(|p| p.error_code))
        .collect();
    assert_eq!(errors, vec![86, 0, 3]);
    let left: Vec<(String, i32)> = h
        .meta
        .group_offsets("g")
        .unwrap()
        .into_iter()
        .map(|(t, p, _)| (t, p))
        .collect();
    assert_eq!(left, vec![("t1".to_string(), 0), ("t2".to_string(), 1)]);

    // Unknown group.
    assert_eq!(
        h.c.offset_delete(delete_req("nope", &[("t1", 0)]), 0)
            .await
            .error_code,
        69
    );
    // An offsets-only group is Empty: everything may go.
    commit(&h.c, commit_req("solo", -1, "", &[("t1", 2, 9, None)]), 8).await;
    let resp = h.c.offset_delete(delete_req("solo", &[("t1", 2)]), 0).await;
    assert_eq!(resp.topics[0].partitions[0].error_code, 0);
    assert!(h.meta.group_offsets("solo").unwrap().is_empty());
}

#[tokio::test]
async fn deleted_topic_offsets_disappear() {
    let h = harness(config(0));
    commit(
        &h.c,
        commit_req("g", -1, "", &[("t1", 0, 1, None), ("t2", 0, 2, None)]),
        8,
    )
    .await;
    h.c.on_topic_deleted("t1");
    let all = h.c.offset_fetch(fetch_req_v7("g", None), 7).await;
    assert_eq!(all.topics.len(), 1);
    assert_eq!(all.topics[0].name.as_str(), "t2");
}

#[tokio::test]
async fn every_version_of_the_offset_apis_encodes() {
    let h = harness(config(0));
    for version in 2..=9i16 {
        let errors = commit(
            &h.c,
            commit_req("g", -1, "", &[("t1", 0, version as i64, Some("m"))]),
            version,
        )
        .await;
        assert_eq!(errors, vec![0], "v{version}");
    }
    for version in 1..=9i16 {
        let resp = if version >= 8 {
            let mut req = OffsetFetchRequest::default();
            let mut g = OffsetFetchRequestGroup::default();
            g.group_id = gid("g");
            g.topics = None;
            req.groups = vec![g];
            h.c.offset_fetch(req, version).await
        } else {
            h.c.offset_fetch(fetch_req_v7("g", Some(&[("t1", &[0])])), version)
                .await
        };
        assert_encodes(&resp, version);
        let offset = if version >= 8 {
            resp.groups[0].topics[0].partitions[0].committed_offset
        } else {
            resp.topics[0].partitions[0].committed_offset
        };
        assert_eq!(offset, 9, "v{version}");
    }
}

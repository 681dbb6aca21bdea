//! Static membership (group.instance.id): restart without rebalance, fencing of the old member id.

use kafka_protocol::messages::leave_group_request::MemberIdentity;
use kafka_protocol::messages::{DescribeGroupsRequest, LeaveGroupRequest};

use super::*;

/// Two static members "ia" and "ib" in a Stable group; returns (ids, leader, generation).
async fn static_group(h: &Harness) -> (Vec<String>, String, i32) {
    let c = &h.c;
    // Static members get their member id on the first join (no MEMBER_ID_REQUIRED).
    let ja = spawn_join(c, &JoinSpec::new("g", &["t1"]).instance("ia"), 9);
    let jb = spawn_join(c, &JoinSpec::new("g", &["t1"]).instance("ib"), 9);
    let (ra, rb) = (h.wait(ja).await, h.wait(jb).await);
    assert_eq!((ra.error_code, rb.error_code), (0, 0));
    let ids = vec![
        ra.member_id.as_str().to_string(),
        rb.member_id.as_str().to_string(),
    ];
    assert!(ids[0].starts_with("ia-"), "{}", ids[0]);
    let leader = ra.leader.as_str().to_string();
    let generation = ra.generation_id;
    let follower = ids.iter().find(|id| **id != leader).unwrap().clone();
    let c2 = c.clone();
    let fs = tokio::spawn(async move {
        c2.sync_group(sync_req("g", generation, &follower, &[]), 5)
            .await
    });
    let assignments: Vec<(&str, &[u8])> =
        ids.iter().map(|id| (id.as_str(), id.as_bytes())).collect();
    assert_eq!(
        sync(c, sync_req("g", generation, &leader, &assignments), 5)
            .await
            .error_code,
        0
    );
    assert_eq!(h.wait(fs).await.error_code, 0);
    (ids, leader, generation)
}

#[tokio::test]
async fn restarted_static_member_keeps_generation_and_assignment() {
    let h = harness(config(3000));
    let (ids, leader, generation) = static_group(&h).await;
    // "ia" restarts: same instance id, no member id, same subscription.
    let r = join(&h.c, &JoinSpec::new("g", &["t1"]).instance("ia"), 9).await;
    assert_eq!(r.error_code, 0);
    assert_eq!(
        r.generation_id, generation,
        "no rebalance for a returning static member"
    );
    let new_id = r.member_id.as_str().to_string();
    assert_ne!(new_id, ids[0]);
    assert!(new_id.starts_with("ia-"));
    // The old leader id is returned so a returning leader does not reassign.
    assert_eq!(r.leader.as_str(), leader);
    assert!(r.members.is_empty());
    // The group stays Stable and the other member is not disturbed.
    assert_eq!(
        heartbeat(&h.c, "g", generation, &ids[1], Some("ib")).await,
        0
    );
    // The old incarnation is fenced; the new one syncs to its previous assignment.
    assert_eq!(
        heartbeat(&h.c, "g", generation, &ids[0], Some("ia")).await,
        FENCED_INSTANCE_ID
    );
    let mut old_sync = sync_req("g", generation, &ids[0], &[]);
    old_sync.group_instance_id = Some(s("ia"));
    assert_eq!(sync(&h.c, old_sync, 5).await.error_code, FENCED_INSTANCE_ID);
    let mut new_sync = sync_req("g", generation, &new_id, &[]);
    new_sync.group_instance_id = Some(s("ia"));
    let sr = sync(&h.c, new_sync, 5).await;
    assert_eq!(sr.error_code, 0);
    assert_eq!(&sr.assignment[..], ids[0].as_bytes());
    assert_eq!(
        heartbeat(&h.c, "g", generation, &new_id, Some("ia")).await,
        0
    );

    let mut d = DescribeGroupsRequest::default();
    d.groups = vec![gid("g")];
    let resp = h.c.describe_groups(d, 5).await;
    let g = &resp.groups[0];
    assert_eq!(g.group_state.as_str(), "Stable");
    let m = g
        .members
        .iter()
        .find(|m| m.member_id.as_str() == new_id)
        .unwrap();
    assert_eq!(m.group_instance_id.as_ref().map(|i| i.as_str()), Some("ia"));
}

#[tokio::test]
async fn static_member_with_changed_subscription_triggers_a_rebalance() {
    let h = harness(config(3000));
    let (ids, _, generation) = static_group(&h).await;
    let j = spawn_join(&h.c, &JoinSpec::new("g", &["t1", "t2"]).instance("ia"), 9);
    h.advance(Duration::from_millis(200)).await;
    assert!(!j.is_finished());
    assert_eq!(
        heartbeat(&h.c, "g", generation, &ids[1], Some("ib")).await,
        REBALANCE_IN_PROGRESS
    );
    let jb = spawn_join(
        &h.c,
        &JoinSpec::new("g", &["t1"]).member(&ids[1]).instance("ib"),
        9,
    );
    let (ra, rb) = (h.wait(j).await, h.wait(jb).await);
    assert_eq!(ra.generation_id, generation + 1);
    assert_eq!(rb.generation_id, generation + 1);
}

#[tokio::test]
async fn static_member_leaves_by_instance_id() {
    let h = harness(config(3000));
    let (ids, _, generation) = static_group(&h).await;
    let mut req = LeaveGroupRequest::default();
    req.group_id = gid("g");
    let mut fenced = MemberIdentity::default();
    fenced.member_id = s("ia-not-the-current-id");
    fenced.group_instance_id = Some(s("ia"));
    let mut by_instance = MemberIdentity::default();
    by_instance.group_instance_id = Some(s("ib"));
    req.members = vec![fenced, by_instance];
    let r = h.c.leave_group(req, 4).await;
    assert_encodes(&r, 4);
    let errors: Vec<i16> = r.members.iter().map(|m| m.error_code).collect();
    assert_eq!(errors, vec![FENCED_INSTANCE_ID, 0]);
    assert_eq!(
        heartbeat(&h.c, "g", generation, &ids[1], Some("ib")).await,
        UNKNOWN_MEMBER_ID
    );
    assert_eq!(
        heartbeat(&h.c, "g", generation, &ids[0], Some("ia")).await,
        REBALANCE_IN_PROGRESS
    );
}

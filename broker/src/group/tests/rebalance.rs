//! Dynamic membership: joins, the initial delay, sync, heartbeats, session expiry, leaving, limits.

use kafka_protocol::messages::leave_group_request::MemberIdentity;
use kafka_protocol::messages::{DescribeGroupsRequest, LeaveGroupRequest};

use super::*;

async fn describe(
    c: &Arc<GroupCoordinator>,
    group: &str,
) -> kafka_protocol::messages::describe_groups_response::DescribedGroup {
    let mut req = DescribeGroupsRequest::default();
    req.groups = vec![gid(group)];
    let resp = c.describe_groups(req, 5).await;
    assert_encodes(&resp, 5);
    resp.groups.into_iter().next().unwrap()
}

#[tokio::test]
async fn two_members_join_same_generation_with_one_leader() {
    let h = harness(config(3000));
    let mut a = JoinSpec::new("g", &["t1"]);
    a.client_id = "a";
    let mut b = JoinSpec::new("g", &["t1", "t2"]);
    b.client_id = "b";
    let (id_a, ja) = start_join(&h, a, 9).await;
    let (id_b, jb) = start_join(&h, b, 9).await;
    let (ra, rb) = (h.wait(ja).await, h.wait(jb).await);
    assert_eq!((ra.error_code, rb.error_code), (0, 0));
    assert_eq!(ra.generation_id, 1);
    assert_eq!(rb.generation_id, 1);
    assert_eq!(ra.leader, rb.leader);
    assert_eq!(ra.protocol_name.as_ref().map(|p| p.as_str()), Some("range"));
    assert_eq!(
        ra.protocol_type.as_ref().map(|p| p.as_str()),
        Some("consumer")
    );
    assert_eq!(ra.member_id.as_str(), id_a);
    assert_eq!(rb.member_id.as_str(), id_b);
    let (leader, follower) = if ra.leader.as_str() == id_a {
        (&ra, &rb)
    } else {
        (&rb, &ra)
    };
    assert_eq!(leader.members.len(), 2, "the leader gets every member");
    assert!(follower.members.is_empty());
    let metadata_of_b = leader
        .members
        .iter()
        .find(|m| m.member_id.as_str() == id_b)
        .unwrap();
    assert_eq!(metadata_of_b.metadata, subscription(&["t1", "t2"], 1));
    assert_eq!(
        describe(&h.c, "g").await.group_state.as_str(),
        "CompletingRebalance"
    );
}

#[tokio::test]
async fn new_group_completes_after_the_initial_delay_not_the_session_timeout() {
    let h = harness(config(3000));
    let mut spec = JoinSpec::new("g", &["t1"]);
    spec.session_ms = 45_000;
    spec.rebalance_ms = 300_000;
    let start = h.now();
    let (_, j) = start_join(&h, spec, 9).await;
    h.advance(Duration::from_millis(2800)).await;
    assert!(
        !j.is_finished(),
        "completed before group.initial.rebalance.delay.ms"
    );
    let r = h.wait(j).await;
    assert_eq!(r.error_code, 0);
    let took = h.now() - start;
    assert!(
        took >= Duration::from_millis(3000) && took <= Duration::from_millis(3300),
        "{took:?}"
    );
}

#[tokio::test]
async fn late_joiner_extends_the_initial_delay_up_to_the_rebalance_timeout() {
    let h = harness(config(3000));
    let start = h.now();
    let mut a = JoinSpec::new("g", &["t1"]);
    a.rebalance_ms = 5000;
    let (_, ja) = start_join(&h, a, 9).await;
    h.advance(Duration::from_millis(2000)).await;
    let mut b = JoinSpec::new("g", &["t1"]);
    b.rebalance_ms = 5000;
    let (_, jb) = start_join(&h, b, 9).await;
    let (ra, rb) = (h.wait(ja).await, h.wait(jb).await);
    assert_eq!((ra.generation_id, rb.generation_id), (1, 1));
    // 3 s delay, then one extension bounded by what is left of the 5 s rebalance timeout (2 s).
    let took = h.now() - start;
    assert!(
        took >= Duration::from_millis(5000) && took <= Duration::from_millis(5300),
        "{took:?}"
    );
}

#[tokio::test]
async fn sync_distributes_the_leaders_assignments() {
    let h = harness(config(3000));
    let (_, ja) = start_join(&h, JoinSpec::new("g", &["t1"]), 9).await;
    let (_, jb) = start_join(&h, JoinSpec::new("g", &["t1"]), 9).await;
    let (ra, rb) = (h.wait(ja).await, h.wait(jb).await);
    let leader = ra.leader.as_str().to_string();
    let (follower, generation) = if ra.member_id.as_str() == leader {
        (rb.member_id.as_str().to_string(), rb.generation_id)
    } else {
        (ra.member_id.as_str().to_string(), ra.generation_id)
    };
    // The follower's SyncGroup waits for the leader's.
    let c = h.c.clone();
    let req = sync_req("g", generation, &follower, &[]);
    let parked = tokio::spawn(async move { c.sync_group(req, 5).await });
    h.advance(Duration::from_millis(500)).await;
    assert!(!parked.is_finished());
    let wrong_gen = sync(&h.c, sync_req("g", generation + 1, &follower, &[]), 5).await;
    assert_eq!(wrong_gen.error_code, ILLEGAL_GENERATION);
    let unknown = sync(&h.c, sync_req("g", generation, "nobody", &[]), 5).await;
    assert_eq!(unknown.error_code, UNKNOWN_MEMBER_ID);

    let assignments: [(&str, &[u8]); 2] = [(&leader, b"for-leader"), (&follower, b"for-follower")];
    let lr = sync(&h.c, sync_req("g", generation, &leader, &assignments), 5).await;
    assert_eq!(lr.error_code, 0);
    assert_eq!(&lr.assignment[..], b"for-leader");
    assert_eq!(
        lr.protocol_type.as_ref().map(|p| p.as_str()),
        Some("consumer")
    );
    assert_eq!(lr.protocol_name.as_ref().map(|p| p.as_str()), Some("range"));
    let fr = h.wait(parked).await;
    assert_encodes(&fr, 5);
    assert_eq!(fr.error_code, 0);
    assert_eq!(&fr.assignment[..], b"for-follower");
    assert_eq!(fr.protocol_name.as_ref().map(|p| p.as_str()), Some("range"));

    let d = describe(&h.c, "g").await;
    assert_eq!(d.group_state.as_str(), "Stable");
    assert_eq!(d.protocol_type.as_str(), "consumer");
    assert_eq!(d.protocol_data.as_str(), "range");
    let fm = d
        .members
        .iter()
        .find(|m| m.member_id.as_str() == follower)
        .unwrap();
    assert_eq!(&fm.member_assignment[..], b"for-follower");
    assert_eq!(fm.member_metadata, subscription(&["t1"], 1));
    assert_eq!(fm.client_id.as_str(), "client");
    assert_eq!(fm.client_host.as_str(), "/127.0.0.1");
    // A Stable group answers a late SyncGroup from its stored assignment.
    let again = sync(&h.c, sync_req("g", generation, &follower, &[]), 5).await;
    assert_eq!(&again.assignment[..], b"for-follower");
}

#[tokio::test]
async fn heartbeat_reports_rebalance_when_a_third_member_joins() {
    let h = harness(config(3000));
    let (ids, _, generation) = stable_group(&h, "g", &["a", "b"], &["t1"]).await;
    assert_eq!(heartbeat(&h.c, "g", generation, &ids[0], None).await, 0);
    assert_eq!(
        heartbeat(&h.c, "g", generation + 5, &ids[0], None).await,
        ILLEGAL_GENERATION
    );
    assert_eq!(
        heartbeat(&h.c, "g", generation, "stranger", None).await,
        UNKNOWN_MEMBER_ID
    );

    let mut third = JoinSpec::new("g", &["t1"]);
    third.client_id = "c";
    let (_, j3) = start_join(&h, third, 9).await;
    settle().await;
    assert_eq!(
        heartbeat(&h.c, "g", generation, &ids[0], None).await,
        REBALANCE_IN_PROGRESS
    );
    assert_eq!(
        heartbeat(&h.c, "g", generation, &ids[1], None).await,
        REBALANCE_IN_PROGRESS
    );
    // The old members rejoin; the rebalance completes as soon as everyone is in.
    let j1 = spawn_join(&h.c, &JoinSpec::new("g", &["t1"]).member(&ids[0]), 9);
    let j2 = spawn_join(&h.c, &JoinSpec::new("g", &["t1"]).member(&ids[1]), 9);
    let (r1, r2, r3) = (h.wait(j1).await, h.wait(j2).await, h.wait(j3).await);
    for r in [&r1, &r2, &r3] {
        assert_eq!(r.error_code, 0);
        assert_eq!(r.generation_id, generation + 1);
    }
    assert_eq!(r1.leader, r3.leader);
}

#[tokio::test]
async fn silent_member_is_expelled_after_its_session_timeout() {
    let h = harness(config(3000));
    let (ids, _, generation) = stable_group(&h, "g", &["a", "b"], &["t1"]).await;
    let start = h.now();
    // Member 0 keeps heartbeating every 3 s; member 1 has crashed.
    let mut expelled_after = None;
    for _ in 0..10 {
        h.advance(Duration::from_secs(3)).await;
        let e = heartbeat(&h.c, "g", generation, &ids[0], None).await;
        if e == REBALANCE_IN_PROGRESS {
            expelled_after = Some(h.now() - start);
            break;
        }
        assert_eq!(e, 0);
    }
    let after = expelled_after.expect("the silent member was never expelled");
    assert!(
        after >= Duration::from_secs(10) && after <= Duration::from_secs(13),
        "{after:?}"
    );
    assert_eq!(
        heartbeat(&h.c, "g", generation, &ids[1], None).await,
        UNKNOWN_MEMBER_ID
    );
    let r = join(&h.c, &JoinSpec::new("g", &["t1"]).member(&ids[0]), 9).await;
    assert_eq!(r.error_code, 0);
    assert_eq!(r.generation_id, generation + 1);
    assert_eq!(r.members.len(), 1);
    assert_eq!(r.leader.as_str(), ids[0]);
}

#[tokio::test]
async fn member_that_does_not_rejoin_is_dropped_at_the_rebalance_timeout() {
    let h = harness(config(3000));
    let (ids, _, generation) = stable_group(&h, "g", &["a", "b"], &["t1"]).await;
    let start = h.now();
    // Member 0 rejoins (forcing a rebalance); member 1 never does but keeps heartbeating.
    let j = spawn_join(&h.c, &JoinSpec::new("g", &["t2"]).member(&ids[0]), 9);
    for _ in 0..5 {
        h.advance(Duration::from_secs(3)).await;
        let e = heartbeat(&h.c, "g", generation, &ids[1], None).await;
        if e != REBALANCE_IN_PROGRESS {
            break;
        }
    }
    let r = h.wait(j).await;
    let took = h.now() - start;
    assert!(
        took >= Duration::from_secs(20) && took <= Duration::from_millis(20_300),
        "{took:?}"
    );
    assert_eq!(r.generation_id, generation + 1);
    assert_eq!(r.members.len(), 1);
}

#[tokio::test]
async fn member_id_required_round_trip() {
    let h = harness(config(0));
    let first = join(&h.c, &JoinSpec::new("g", &["t1"]), 4).await;
    assert_eq!(first.error_code, MEMBER_ID_REQUIRED);
    assert_eq!(first.generation_id, -1);
    let id = first.member_id.as_str().to_string();
    assert!(
        id.starts_with("client-") && id.len() > "client-".len() + 30,
        "{id}"
    );
    // An id the coordinator never handed out is rejected.
    let bogus = join(&h.c, &JoinSpec::new("g", &["t1"]).member("client-bogus"), 4).await;
    assert_eq!(bogus.error_code, UNKNOWN_MEMBER_ID);
    let second = join(&h.c, &JoinSpec::new("g", &["t1"]).member(&id), 4).await;
    assert_eq!(second.error_code, 0);
    assert_eq!(second.member_id.as_str(), id);
    assert_eq!(second.generation_id, 1);
    assert_eq!(second.leader.as_str(), id);
    // Before v4 the member id is assigned directly.
    let old = join(&h.c, &JoinSpec::new("g2", &["t1"]), 3).await;
    assert_eq!(old.error_code, 0);
    assert!(old.member_id.as_str().starts_with("client-"));
    // An unused pending id expires after the session timeout.
    let pending = join(&h.c, &JoinSpec::new("g3", &["t1"]), 9).await;
    h.advance(Duration::from_secs(11)).await;
    let late = join(
        &h.c,
        &JoinSpec::new("g3", &["t1"]).member(pending.member_id.as_str()),
        9,
    )
    .await;
    assert_eq!(late.error_code, UNKNOWN_MEMBER_ID);
}

#[tokio::test]
async fn join_validation_errors() {
    let h = harness(config(0));
    let mut short = JoinSpec::new("g", &["t1"]);
    short.session_ms = 1000;
    assert_eq!(join(&h.c, &short, 9).await.error_code, 26);
    for v in [0, 5, 6, 7] {
        let r = join(&h.c, &JoinSpec::new("", &["t1"]), v).await;
        assert_eq!(r.error_code, 24);
    }
    // A member with another protocol type, or no protocol in common, cannot join.
    let r = join(&h.c, &JoinSpec::new("g", &["t1"]), 3).await;
    assert_eq!(r.error_code, 0);
    let mut other_type = JoinSpec::new("g", &["t1"]).request();
    other_type.protocol_type = s("connect");
    let resp = h.c.join_group(other_type, 3, "x", "h").await;
    assert_eq!(resp.error_code, 23);
    let mut other_protocol = JoinSpec::new("g", &["t1"]);
    other_protocol.protocols = vec![("roundrobin", subscription(&["t1"], 0))];
    assert_eq!(join(&h.c, &other_protocol, 3).await.error_code, 23);
    // Error responses keep the pre-v7 non-null protocol name.
    assert_eq!(resp.protocol_name.as_ref().map(|p| p.as_str()), Some(""));
}

#[tokio::test]
async fn protocol_with_most_votes_is_selected() {
    let h = harness(config(3000));
    let mut specs = Vec::new();
    for (i, prefs) in [
        ["range", "cooperative-sticky"],
        ["cooperative-sticky", "range"],
        ["cooperative-sticky", "range"],
    ]
    .iter()
    .enumerate()
    {
        let mut spec = JoinSpec::new("g", &["t1"]);
        spec.client_id = ["a", "b", "c"][i];
        spec.protocols = prefs
            .iter()
            .map(|p| (*p, subscription(&["t1"], 1)))
            .collect();
        specs.push(start_join(&h, spec, 9).await);
    }
    for (_, j) in specs {
        let r = h.wait(j).await;
        assert_eq!(
            r.protocol_name.as_ref().map(|p| p.as_str()),
            Some("cooperative-sticky")
        );
    }
}

#[tokio::test]
async fn leave_group_batch_and_last_member_leaving_empties_the_group() {
    let h = harness(config(3000));
    let (ids, _, generation) = stable_group(&h, "g", &["a", "b", "c"], &["t1"]).await;
    // v0: a single member, top-level error.
    let mut v0 = LeaveGroupRequest::default();
    v0.group_id = gid("g");
    v0.member_id = s(&ids[0]);
    let r = h.c.leave_group(v0, 0).await;
    assert_encodes(&r, 0);
    assert_eq!(r.error_code, 0);
    assert_eq!(
        heartbeat(&h.c, "g", generation, &ids[1], None).await,
        REBALANCE_IN_PROGRESS
    );
    // v3+: a batch, per-member errors.
    let mut batch = LeaveGroupRequest::default();
    batch.group_id = gid("g");
    batch.members = [ids[1].as_str(), ids[2].as_str(), "ghost"]
        .iter()
        .map(|id| {
            let mut m = MemberIdentity::default();
            m.member_id = s(id);
            m
        })
        .collect();
    let r = h.c.leave_group(batch, 5).await;
    assert_encodes(&r, 5);
    let errors: Vec<i16> = r.members.iter().map(|m| m.error_code).collect();
    assert_eq!(errors, vec![0, 0, UNKNOWN_MEMBER_ID]);
    let d = describe(&h.c, "g").await;
    assert_eq!(d.group_state.as_str(), "Empty");
    assert!(d.members.is_empty());
    let mut unknown = LeaveGroupRequest::default();
    unknown.group_id = gid("nope");
    unknown.member_id = s("x");
    assert_eq!(
        h.c.leave_group(unknown, 1).await.error_code,
        UNKNOWN_MEMBER_ID
    );
}

#[tokio::test]
async fn group_size_is_bounded() {
    let mut cfg = config(3000);
    cfg.max_group_size = 2;
    let h = harness(cfg);
    stable_group(&h, "g", &["a", "b"], &["t1"]).await;
    let r = join(&h.c, &JoinSpec::new("g", &["t1"]), 3).await;
    assert_eq!(r.error_code, 81);
    // Outstanding MEMBER_ID_REQUIRED ids are bounded as well.
    for _ in 0..2 {
        assert_eq!(
            join(&h.c, &JoinSpec::new("h", &["t1"]), 9).await.error_code,
            MEMBER_ID_REQUIRED
        );
    }
    assert_eq!(
        join(&h.c, &JoinSpec::new("h", &["t1"]), 9).await.error_code,
        81
    );
}

#[tokio::test]
async fn shutdown_answers_parked_joins() {
    let h = harness(config(3000));
    let (_, j) = start_join(&h, JoinSpec::new("g", &["t1"]), 9).await;
    settle().await;
    h.c.shutdown();
    assert_eq!(h.wait(j).await.error_code, 15);
    assert_eq!(
        join(&h.c, &JoinSpec::new("g", &["t1"]), 9).await.error_code,
        15
    );
}

#[tokio::test]
async fn every_version_of_the_membership_apis_encodes() {
    let h = harness(config(0));
    for version in 0..=9i16 {
        let group = format!("g{version}");
        let mut spec = JoinSpec::new(&group, &["t1"]);
        if version >= 5 {
            spec = spec.instance("static-1");
        }
        let mut r = join(&h.c, &spec, version).await;
        if r.error_code == MEMBER_ID_REQUIRED {
            r = join(
                &h.c,
                &JoinSpec::new(&group, &["t1"]).member(r.member_id.as_str()),
                version,
            )
            .await;
        }
        assert_eq!(r.error_code, 0, "v{version}");
        assert_eq!(r.members.len(), 1, "v{version}: the only member leads");
        let id = r.member_id.as_str().to_string();
        let sync_version = version.min(5);
        let mut req = sync_req(&group, r.generation_id, &id, &[(&id, b"x")]);
        if sync_version < 5 {
            (req.protocol_type, req.protocol_name) = (None, None);
        }
        let sr = sync(&h.c, req, sync_version).await;
        assert_eq!(
            (sr.error_code, &sr.assignment[..]),
            (0, &b"x"[..]),
            "v{version}"
        );
        let hb_version = version.min(4);
        let mut hb = kafka_protocol::messages::HeartbeatRequest::default();
        hb.group_id = gid(&group);
        hb.generation_id = r.generation_id;
        hb.member_id = s(&id);
        let hr = h.c.heartbeat(hb, hb_version).await;
        assert_encodes(&hr, hb_version);
        assert_eq!(hr.error_code, 0, "v{version}");
        let mut describe = DescribeGroupsRequest::default();
        describe.groups = vec![gid(&group)];
        let dv = version.min(6);
        let d = h.c.describe_groups(describe, dv).await;
        assert_encodes(&d, dv);
        assert_eq!(&d.groups[0].members[0].member_assignment[..], b"x");
        let lv = version.min(5);
        let mut leave = LeaveGroupRequest::default();
        leave.group_id = gid(&group);
        if lv >= 3 {
            let mut m = MemberIdentity::default();
            m.member_id = s(&id);
            leave.members = vec![m];
        } else {
            leave.member_id = s(&id);
        }
        let lr = h.c.leave_group(leave, lv).await;
        assert_encodes(&lr, lv);
        assert_eq!(lr.error_code, 0);
    }
}

#[tokio::test]
async fn real_clock_sweeper_completes_joins_and_expires_sessions() {
    let cfg = GroupConfig {
        initial_rebalance_delay_ms: 200,
        min_session_timeout_ms: 100,
        max_session_timeout_ms: 10_000,
        max_group_size: 10,
    };
    let h = harness_real_clock(cfg);
    let start = std::time::Instant::now();
    let mut spec = JoinSpec::new("g", &["t1"]);
    spec.session_ms = 300;
    spec.rebalance_ms = 2000;
    let first = join(&h.c, &spec, 9).await;
    let id = first.member_id.as_str().to_string();
    let r = join(&h.c, &spec.member(&id), 9).await;
    assert_eq!(r.error_code, 0);
    let took = start.elapsed();
    assert!(
        took >= Duration::from_millis(200) && took < Duration::from_secs(3),
        "{took:?}"
    );
    let s = sync(&h.c, sync_req("g", r.generation_id, &id, &[(&id, b"a")]), 5).await;
    assert_eq!(s.error_code, 0);
    // Silent for well over the 300 ms session: expelled by the sweeper, the group empties.
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(
        heartbeat(&h.c, "g", r.generation_id, &id, None).await,
        UNKNOWN_MEMBER_ID
    );
    h.c.shutdown();
}

//! Every handler's response must encode at every version we advertise: kafka-protocol refuses
//! to encode a field set on a version that lacks it, which would close the client's connection.

use std::collections::BTreeMap;

use bytes::BytesMut;
use kafka_protocol::messages::*;
use kafka_protocol::protocol::StrBytes;
use sluice_broker::api::{dispatch, ClientInfo, SUPPORTED};
use sluice_broker::{Broker, BrokerConfig};

fn broker(dir: &std::path::Path) -> std::sync::Arc<Broker> {
    let mut m = BTreeMap::new();
    m.insert("log.dirs".to_string(), dir.display().to_string());
    m.insert(
        "group.initial.rebalance.delay.ms".to_string(),
        "0".to_string(),
    );
    let (cfg, _) = BrokerConfig::from_map(m).unwrap();
    Broker::open(cfg).unwrap()
}

fn name(s: &str) -> TopicName {
    TopicName(StrBytes::from_string(s.to_string()))
}

fn requests(topic_id: uuid::Uuid) -> Vec<RequestKind> {
    let mut md = MetadataRequest::default();
    let mut mt = metadata_request::MetadataRequestTopic::default();
    mt.name = Some(name("t"));
    md.topics = Some(vec![mt]);
    let mut md_all = MetadataRequest::default();
    md_all.topics = None;

    let mut fetch = FetchRequest::default();
    let mut ft = fetch_request::FetchTopic::default();
    ft.topic = name("t");
    ft.topic_id = topic_id;
    let mut fp = fetch_request::FetchPartition::default();
    fp.partition_max_bytes = 1 << 20;
    ft.partitions = vec![fp.clone(), {
        let mut x = fp.clone();
        x.fetch_offset = 1000;
        x
    }];
    fetch.topics = vec![ft];
    fetch.max_bytes = 1 << 20;

    let mut lo = ListOffsetsRequest::default();
    let mut lt = list_offsets_request::ListOffsetsTopic::default();
    lt.name = name("t");
    lt.partitions = [-1i64, -2, 0, -3]
        .iter()
        .map(|ts| {
            let mut p = list_offsets_request::ListOffsetsPartition::default();
            p.timestamp = *ts;
            p
        })
        .collect();
    lo.topics = vec![lt];

    let mut dc = DescribeConfigsRequest::default();
    let mut r1 = describe_configs_request::DescribeConfigsResource::default();
    r1.resource_type = 2;
    r1.resource_name = StrBytes::from_static_str("t");
    let mut r2 = describe_configs_request::DescribeConfigsResource::default();
    r2.resource_type = 4;
    r2.resource_name = StrBytes::from_static_str("1");
    let mut r3 = r1.clone();
    r3.resource_name = StrBytes::from_static_str("missing");
    dc.resources = vec![r1, r2, r3];
    dc.include_synonyms = true;

    let mut ct = CreateTopicsRequest::default();
    let mut c = create_topics_request::CreatableTopic::default();
    c.name = name("t");
    c.num_partitions = -1;
    c.replication_factor = -1;
    let mut c2 = c.clone();
    c2.name = name("bad/name");
    ct.topics = vec![c, c2];

    let mut fc = FindCoordinatorRequest::default();
    fc.key = StrBytes::from_static_str("g");
    fc.coordinator_keys = vec![StrBytes::from_static_str("g")];

    let mut olep = OffsetForLeaderEpochRequest::default();
    let mut ot = offset_for_leader_epoch_request::OffsetForLeaderTopic::default();
    ot.topic = name("t");
    ot.partitions = vec![offset_for_leader_epoch_request::OffsetForLeaderPartition::default()];
    olep.topics = vec![ot];

    let mut dt = DeleteTopicsRequest::default();
    dt.topic_names = vec![name("missing")];
    let mut dts = delete_topics_request::DeleteTopicState::default();
    dts.name = Some(name("missing"));
    dt.topics = vec![dts];

    vec![
        RequestKind::ApiVersions(ApiVersionsRequest::default()),
        RequestKind::Metadata(md),
        RequestKind::Metadata(md_all),
        RequestKind::Fetch(fetch),
        RequestKind::ListOffsets(lo),
        RequestKind::DescribeConfigs(dc),
        RequestKind::CreateTopics(ct),
        RequestKind::DeleteTopics(dt),
        RequestKind::FindCoordinator(fc),
        RequestKind::OffsetForLeaderEpoch(olep),
        RequestKind::InitProducerId(InitProducerIdRequest::default()),
        RequestKind::DescribeCluster(DescribeClusterRequest::default()),
        RequestKind::DescribeQuorum(DescribeQuorumRequest::default()),
        RequestKind::DescribeTopicPartitions(DescribeTopicPartitionsRequest::default()),
        RequestKind::ListGroups(ListGroupsRequest::default()),
        RequestKind::DescribeGroups({
            let mut d = DescribeGroupsRequest::default();
            d.groups = vec![GroupId(StrBytes::from_static_str("g"))];
            d
        }),
        RequestKind::OffsetFetch({
            let mut o = OffsetFetchRequest::default();
            o.group_id = GroupId(StrBytes::from_static_str("g"));
            o.topics = None;
            let mut g = offset_fetch_request::OffsetFetchRequestGroup::default();
            g.group_id = GroupId(StrBytes::from_static_str("g"));
            o.groups = vec![g];
            o
        }),
    ]
}

fn key_of(r: &RequestKind) -> ApiKey {
    match r {
        RequestKind::ApiVersions(_) => ApiKey::ApiVersions,
        RequestKind::Metadata(_) => ApiKey::Metadata,
        RequestKind::Fetch(_) => ApiKey::Fetch,
        RequestKind::ListOffsets(_) => ApiKey::ListOffsets,
        RequestKind::DescribeConfigs(_) => ApiKey::DescribeConfigs,
        RequestKind::CreateTopics(_) => ApiKey::CreateTopics,
        RequestKind::DeleteTopics(_) => ApiKey::DeleteTopics,
        RequestKind::FindCoordinator(_) => ApiKey::FindCoordinator,
        RequestKind::OffsetForLeaderEpoch(_) => ApiKey::OffsetForLeaderEpoch,
        RequestKind::InitProducerId(_) => ApiKey::InitProducerId,
        RequestKind::DescribeCluster(_) => ApiKey::DescribeCluster,
        RequestKind::DescribeQuorum(_) => ApiKey::DescribeQuorum,
        RequestKind::DescribeTopicPartitions(_) => ApiKey::DescribeTopicPartitions,
        RequestKind::ListGroups(_) => ApiKey::ListGroups,
        RequestKind::DescribeGroups(_) => ApiKey::DescribeGroups,
        RequestKind::OffsetFetch(_) => ApiKey::OffsetFetch,
        _ => unreachable!(),
    }
}

#[tokio::test]
async fn responses_encode_at_every_advertised_version() {
    let dir = tempfile::tempdir().unwrap();
    let b = broker(dir.path());
    let t = b
        .create_topic(
            "t",
            1,
            1,
            BTreeMap::from([("retention.ms".to_string(), "1000".to_string())]),
            false,
        )
        .await
        .unwrap();
    let client = ClientInfo {
        client_id: "test".into(),
        host: "/127.0.0.1".into(),
    };
    let mut checked = 0;
    for req in requests(t.id) {
        let key = key_of(&req);
        let (lo, hi) = SUPPORTED
            .iter()
            .find(|(k, _, _)| *k == key)
            .map(|(_, a, b)| (*a, *b))
            .unwrap();
        for v in lo..=hi {
            // Requests must themselves be encodable at v for the test to be meaningful.
            let mut rb = BytesMut::new();
            if req.encode(&mut rb, v).is_err() {
                continue;
            }
            let resp = dispatch(&b, req.clone(), v, &client)
                .await
                .unwrap()
                .unwrap();
            let mut out = BytesMut::new();
            resp.encode(&mut out, v)
                .unwrap_or_else(|e| panic!("{key:?} v{v}: {e:#}"));
            checked += 1;
        }
    }
    assert!(
        checked > 80,
        "only {checked} request/version pairs were checked"
    );
}

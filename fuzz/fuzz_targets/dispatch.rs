//! Decode + dispatch against a real broker on a temporary data directory: handlers must answer
//! whatever a client sends, and every answer must encode at the request's version.
#![no_main]
use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use kafka_protocol::messages::{ApiKey, RequestKind};
use libfuzzer_sys::fuzz_target;
use sluice_broker::api::{dispatch, ClientInfo};
use sluice_broker::server::{decode_frame, encode_response, Decoded};
use sluice_broker::{Broker, BrokerConfig};

struct Env {
    rt: tokio::runtime::Runtime,
    broker: Arc<Broker>,
    _dir: tempfile::TempDir,
}

fn env() -> &'static Env {
    static ENV: OnceLock<Env> = OnceLock::new();
    ENV.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut m = BTreeMap::new();
        m.insert("log.dirs".to_string(), dir.path().display().to_string());
        m.insert("group.initial.rebalance.delay.ms".to_string(), "0".to_string());
        let (cfg, _) = BrokerConfig::from_map(m).expect("config");
        let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().expect("runtime");
        let broker = rt.block_on(async { Broker::open(cfg) }).expect("broker");
        rt.block_on(broker.create_topic("t", 2, 1, BTreeMap::new(), false)).expect("topic");
        Env { rt, broker, _dir: dir }
    })
}

/// Keeps each input cheap: no thousands of partitions per input.
fn too_costly(r: &RequestKind) -> bool {
    match r {
        RequestKind::CreateTopics(c) => c.topics.len() > 4 || c.topics.iter().any(|t| t.num_partitions > 4),
        RequestKind::CreatePartitions(c) => c.topics.iter().any(|t| t.count > 8),
        _ => false,
    }
}

fuzz_target!(|data: &[u8]| {
    let e = env();
    let Ok(Decoded::Request { header, api, version, body }) = decode_frame(bytes::Bytes::copy_from_slice(data)) else { return };
    if too_costly(&body) || api == ApiKey::DeleteTopics {
        return;
    }
    let client = ClientInfo { client_id: "fuzz".into(), host: "/127.0.0.1".into() };
    e.rt.block_on(async {
        // Long polls (Fetch, JoinGroup, SyncGroup) are cut short; the answer path still runs.
        if let Ok(Ok(Some(resp))) = tokio::time::timeout(Duration::from_millis(20), dispatch(&e.broker, body, version, &client)).await {
            if let Err(err) = encode_response(api, version, header.correlation_id, &resp) {
                panic!("{api:?} v{version}: response does not encode: {err}");
            }
        }
    });
});

//! Fetch: whole batches from the batch containing the fetch offset, byte limits per partition and
//! per response, and long polling (max_wait_ms, min_bytes) woken by appends, never by polling.
//! Sessions (KIP-227) are not kept: session id 0 tells clients to send full fetches.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use kafka_protocol::error::ResponseError as E;
use kafka_protocol::messages::fetch_response::{FetchableTopicResponse, PartitionData};
use kafka_protocol::messages::{BrokerId, FetchRequest, FetchResponse};
use sluice_storage::StorageError;

use crate::state::{Broker, Topic};

/// Bytes read per topic by one pass, counted only for the pass whose answer is sent.
type Sent = Vec<(Arc<Topic>, Bytes)>;

/// Reads everything the request asks for once. Returns the response, the bytes it carries,
/// whether a partition failed, and what each topic sent (for the traffic counters).
fn read_once(b: &Broker, req: &FetchRequest, version: i16) -> (FetchResponse, usize, bool, Sent) {
    let mut sent: Sent = Vec::new();
    let mut resp = FetchResponse::default();
    let mut total = 0usize;
    let mut any_error = false;
    // The client's max_bytes, capped by the broker's fetch.max.bytes (as Kafka does).
    let max_total = if req.max_bytes > 0 {
        (req.max_bytes as usize).min(b.config.fetch_max_bytes)
    } else {
        b.config.fetch_max_bytes
    };
    for ft in &req.topics {
        let topic = if version >= 13 {
            b.topic_by_id(&ft.topic_id)
        } else {
            b.topic(ft.topic.0.as_str())
        };
        let mut tr = FetchableTopicResponse::default();
        if version >= 13 {
            tr.topic_id = ft.topic_id;
        } else {
            tr.topic = ft.topic.clone();
        }
        for fp in &ft.partitions {
            let mut pd = PartitionData::default();
            pd.partition_index = fp.partition;
            pd.high_watermark = -1;
            pd.last_stable_offset = -1;
            pd.log_start_offset = -1;
            pd.preferred_read_replica = BrokerId(-1);
            pd.aborted_transactions = if req.isolation_level == 1 {
                Some(vec![])
            } else {
                None
            };
            let part = topic.as_ref().and_then(|t| t.partition(fp.partition));
            let Some(p) = part else {
                pd.error_code = if topic.is_none() && version >= 13 {
                    E::UnknownTopicId.code()
                } else {
                    E::UnknownTopicOrPartition.code()
                };
                pd.records = Some(Bytes::new());
                any_error = true;
                tr.partitions.push(pd);
                continue;
            };
            let (slice, hw, start) = {
                let log = p.log.lock();
                let remaining = max_total.saturating_sub(total);
                // The first partition with data always gets at least one whole batch (KIP-74).
                let limit = if total == 0 {
                    (fp.partition_max_bytes.max(0) as usize).min(max_total)
                } else {
                    (fp.partition_max_bytes.max(0) as usize).min(remaining)
                };
                let res = if remaining == 0 && total > 0 {
                    Ok(None)
                } else {
                    log.read(fp.fetch_offset, limit as u64)
                };
                (res, log.next_offset(), log.log_start_offset())
            };
            pd.high_watermark = hw;
            pd.last_stable_offset = hw;
            if version >= 5 {
                pd.log_start_offset = start;
            }
            match slice {
                Ok(Some(s)) => match s.read() {
                    Ok(mut bytes) => {
                        s.drop_if_behind(p.drop_behind);
                        sluice_storage::segment::trim_to_batches(&mut bytes);
                        total += bytes.len();
                        let bytes = Bytes::from(bytes);
                        if let Some(t) = &topic {
                            if !bytes.is_empty() {
                                sent.push((t.clone(), bytes.clone()));
                            }
                        }
                        pd.records = Some(bytes);
                    }
                    Err(e) => {
                        tracing::warn!(topic = %p.topic, partition = p.index, error = %e, "read failed");
                        pd.error_code = E::KafkaStorageError.code();
                        any_error = true;
                    }
                },
                Ok(None) => pd.records = Some(Bytes::new()),
                Err(StorageError::OffsetOutOfRange { .. }) => {
                    pd.error_code = E::OffsetOutOfRange.code();
                    pd.records = Some(Bytes::new());
                    any_error = true;
                }
                Err(e) => {
                    tracing::warn!(topic = %p.topic, partition = p.index, error = %e, "read failed");
                    pd.error_code = E::KafkaStorageError.code();
                    any_error = true;
                }
            }
            tr.partitions.push(pd);
        }
        resp.responses.push(tr);
    }
    (resp, total, any_error, sent)
}

pub async fn handle(b: &Arc<Broker>, req: FetchRequest, version: i16) -> FetchResponse {
    // Subscribe before the first read so an append between read and wait is not missed.
    let mut rx = b.subscribe_appends();
    let wait = Duration::from_millis(req.max_wait_ms.clamp(0, 300_000) as u64);
    let deadline = tokio::time::Instant::now() + wait;
    let min_bytes = req.min_bytes.max(0) as usize;
    loop {
        rx.borrow_and_update();
        let (resp, bytes, error, sent) = read_once(b, &req, version);
        if bytes >= min_bytes
            || error
            || tokio::time::Instant::now() >= deadline
            || req.topics.is_empty() && wait.is_zero()
        {
            return finish(resp, sent);
        }
        tokio::select! {
            changed = rx.changed() => { if changed.is_err() { return finish(resp, sent); } }
            _ = tokio::time::sleep_until(deadline) => {
                let (resp, _, _, sent) = read_once(b, &req, version);
                return finish(resp, sent);
            }
        }
    }
}

fn finish(mut resp: FetchResponse, sent: Sent) -> FetchResponse {
    for (t, bytes) in &sent {
        t.metrics.fetched(bytes);
    }
    resp.session_id = 0;
    resp
}

//! `POST /_bulk`: the NDJSON request body and the classification of the answer, item by item
//! (the top-level `errors` flag is only a hint: every item's status is read).

use serde_json::Value as Json;

use super::convert::Action;

/// Error types that mean the document itself is bad (Confluent's malformed-document list, plus
/// the content-parse errors Elasticsearch 8 and emulators report for bad JSON).
pub const MALFORMED: &[&str] = &[
    "strict_dynamic_mapping_exception",
    "mapper_parsing_exception",
    "illegal_argument_exception",
    "action_request_validation_exception",
    "document_parsing_exception",
    "x_content_parse_exception",
];

/// Error types worth retrying whatever their status.
const TRANSIENT: &[&str] = &[
    "es_rejected_execution_exception",
    "circuit_breaking_exception",
    "unavailable_shards_exception",
    "no_shard_available_action_exception",
    "process_cluster_event_timeout_exception",
    "timeout_exception",
    "node_not_connected_exception",
    "node_closed_exception",
];

/// The outcome of one bulk item.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    /// Written (or a delete of a missing document).
    Done,
    /// An externally versioned write older than (or equal to) what the index has: already
    /// superseded, nothing to do.
    Superseded,
    /// The document was rejected as malformed (behavior.on.malformed.documents decides).
    Malformed(String),
    /// A transient failure: retry this item.
    Retry(String),
    /// Anything else: the task fails.
    Fatal(String),
}

/// The NDJSON body for a batch.
pub fn encode<'a>(actions: impl IntoIterator<Item = &'a Action>) -> Vec<u8> {
    let mut out = Vec::new();
    for a in actions {
        a.encode(&mut out);
    }
    out
}

fn describe(err: &Json) -> String {
    let t = err
        .get("type")
        .and_then(|t| t.as_str())
        .unwrap_or("unknown");
    let reason = err.get("reason").and_then(|r| r.as_str()).unwrap_or("");
    let mut s = format!("{t}: {reason}");
    if let Some(c) = err.get("caused_by") {
        s.push_str(&format!(" (caused by {})", describe(c)));
    }
    s
}

/// Classifies one item of a bulk answer for the action that produced it.
pub fn classify_item(item: &Json, action: &Action) -> Item {
    // {"index": {...}} (or create/update/delete): the single value is the result.
    let result = item
        .as_object()
        .and_then(|o| o.values().next())
        .unwrap_or(&Json::Null);
    let status = result.get("status").and_then(|s| s.as_u64()).unwrap_or(0);
    let Some(err) = result.get("error").filter(|e| !e.is_null()) else {
        if (200..300).contains(&status) || status == 404 {
            return Item::Done;
        }
        return if status == 429 || status >= 500 {
            Item::Retry(format!("item status {status}"))
        } else {
            Item::Fatal(format!("item status {status} without an error: {item}"))
        };
    };
    let text = err.to_string();
    let what = describe(err);
    if text.contains("version_conflict_engine_exception") {
        return if action.version.is_some() {
            Item::Superseded
        } else {
            // Concurrent writers on an update: worth another try.
            Item::Retry(what)
        };
    }
    if status == 429 || status >= 500 || TRANSIENT.iter().any(|t| text.contains(t)) {
        return Item::Retry(what);
    }
    if MALFORMED.iter().any(|t| text.contains(t)) {
        return Item::Malformed(what);
    }
    Item::Fatal(what)
}

/// Reads a 200 answer: one Item per action, in order. Err when the answer does not hold one
/// item per action (treated as a failed request).
pub fn classify(body: &[u8], actions: &[&Action]) -> Result<Vec<Item>, String> {
    let json: Json =
        serde_json::from_slice(body).map_err(|e| format!("unreadable bulk response ({e})"))?;
    let items = json
        .get("items")
        .and_then(|i| i.as_array())
        .ok_or_else(|| "bulk response without items".to_string())?;
    if items.len() != actions.len() {
        return Err(format!(
            "bulk response has {} items for {} actions",
            items.len(),
            actions.len()
        ));
    }
    Ok(items
        .iter()
        .zip(actions)
        .map(|(i, a)| classify_item(i, a))
        .collect())
}

/// Which positions of a batch to send again after a partial failure: the retriable items and
/// every later item with the same document key (so a key's writes stay in order).
pub fn retry_set(items: &[Item], actions: &[&Action]) -> Vec<usize> {
    let mut keys = std::collections::HashSet::new();
    let mut out = Vec::new();
    for (i, (item, action)) in items.iter().zip(actions).enumerate() {
        let key = action.doc_key();
        let retry = matches!(item, Item::Retry(_));
        let follows = key.as_ref().is_some_and(|k| keys.contains(k));
        if retry || follows {
            out.push(i);
            if let Some(k) = key {
                keys.insert(k);
            }
        }
    }
    out
}

/// Whether a whole-request HTTP status is worth retrying.
pub fn retriable_status(status: u16) -> bool {
    status == 429 || status == 408 || status >= 500
}

//! Source offsets in Debezium's binlog format (debezium.md §5.1): partition
//! `{"server": <topic.prefix>}`, offset `{ts_sec, file, pos, gtids, event, row, server_id,
//! snapshot}` with only the keys that apply.

use serde_json::{Map as JsonMap, Value as Json};

/// Which snapshot an offset was written during (3.0.2+ writes the enum name).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SnapshotKind {
    Initial,
    Blocking,
    Incremental,
}

impl SnapshotKind {
    fn name(self) -> &'static str {
        match self {
            SnapshotKind::Initial => "INITIAL",
            SnapshotKind::Blocking => "BLOCKING",
            SnapshotKind::Incremental => "INCREMENTAL",
        }
    }
}

/// A restart position.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BinlogOffset {
    pub ts_sec: i64,
    pub file: String,
    /// Restart position: the start of the current transaction while inside one, else the next
    /// event.
    pub pos: u64,
    /// Completed GTID set (before the current transaction).
    pub gtids: Option<String>,
    /// Events after the transaction start already processed.
    pub event: u64,
    /// Rows of the next event already processed.
    pub row: u64,
    /// Source server id (0 = snapshot).
    pub server_id: u32,
    pub snapshot: Option<SnapshotKind>,
}

pub fn partition(prefix: &str) -> JsonMap<String, Json> {
    let mut m = JsonMap::new();
    m.insert("server".into(), Json::String(prefix.to_string()));
    m
}

impl BinlogOffset {
    pub fn to_json(&self) -> JsonMap<String, Json> {
        let mut m = JsonMap::with_capacity(8);
        if self.ts_sec != 0 {
            m.insert("ts_sec".into(), Json::from(self.ts_sec));
        }
        m.insert("file".into(), Json::String(self.file.clone()));
        m.insert("pos".into(), Json::from(self.pos));
        if let Some(g) = self.gtids.as_ref().filter(|g| !g.is_empty()) {
            m.insert("gtids".into(), Json::String(g.clone()));
        }
        if self.event != 0 {
            m.insert("event".into(), Json::from(self.event));
        }
        if self.row != 0 {
            m.insert("row".into(), Json::from(self.row));
        }
        if self.server_id != 0 {
            m.insert("server_id".into(), Json::from(self.server_id));
        }
        if let Some(s) = self.snapshot {
            m.insert("snapshot".into(), Json::String(s.name().into()));
        }
        m
    }

    /// Reads an offset written by Sluice or by Debezium (2.x boolean snapshot flags included).
    pub fn from_json(m: &JsonMap<String, Json>) -> Result<BinlogOffset, String> {
        let file = m
            .get("file")
            .and_then(Json::as_str)
            .ok_or("the stored offset has no 'file'")?
            .to_string();
        let num = |k: &str| -> u64 {
            match m.get(k) {
                Some(Json::Number(n)) => n.as_u64().unwrap_or(0),
                Some(Json::String(s)) => s.parse().unwrap_or(0),
                _ => 0,
            }
        };
        let snapshot = match m.get("snapshot") {
            Some(Json::Bool(true)) => Some(SnapshotKind::Initial),
            Some(Json::String(s)) => match s.to_ascii_uppercase().as_str() {
                "TRUE" | "INITIAL" => Some(SnapshotKind::Initial),
                "BLOCKING" => Some(SnapshotKind::Blocking),
                "INCREMENTAL" => Some(SnapshotKind::Incremental),
                _ => None,
            },
            _ => None,
        };
        Ok(BinlogOffset {
            ts_sec: num("ts_sec") as i64,
            file,
            pos: num("pos"),
            gtids: m
                .get("gtids")
                .and_then(Json::as_str)
                .map(|s| s.replace('\n', "")),
            event: num("event"),
            row: num("row"),
            server_id: num("server_id") as u32,
            snapshot,
        })
    }

    /// True while an initial / blocking snapshot was running (a restart redoes it).
    pub fn snapshot_in_progress(&self) -> bool {
        matches!(
            self.snapshot,
            Some(SnapshotKind::Initial) | Some(SnapshotKind::Blocking)
        )
    }
}

/// Compares binlog file names by base name then numeric extension (`mysql-bin.000010` after
/// `mysql-bin.000009`).
pub fn compare_files(a: &str, b: &str) -> std::cmp::Ordering {
    let split = |f: &str| -> (String, u64) {
        match f.rsplit_once('.') {
            Some((base, ext)) => (base.to_string(), ext.parse().unwrap_or(0)),
            None => (f.to_string(), 0),
        }
    };
    split(a).cmp(&split(b))
}

/// Whether a history record at `recorded` is at or before the restart position `desired`
/// (Debezium's binlog history comparator, file/pos form).
pub fn at_or_before(recorded: &BinlogOffset, desired: &BinlogOffset) -> bool {
    use std::cmp::Ordering::*;
    if recorded.server_id != desired.server_id && recorded.server_id != 0 && desired.server_id != 0
    {
        return recorded.ts_sec <= desired.ts_sec;
    }
    match compare_files(&recorded.file, &desired.file) {
        Less => true,
        Greater => false,
        Equal => match recorded.pos.cmp(&desired.pos) {
            Less => true,
            Greater => false,
            Equal => (recorded.event, recorded.row) <= (desired.event, desired.row),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_present_keys_are_written() {
        let o = BinlogOffset {
            ts_sec: 1705314700,
            file: "mysql-bin.000003".into(),
            pos: 1400,
            gtids: Some("3e11fa47-71ca-11e1-9e33-c80aa9429562:1-22".into()),
            event: 2,
            row: 1,
            server_id: 223344,
            snapshot: None,
        };
        assert_eq!(
            Json::Object(o.to_json()).to_string(),
            r#"{"ts_sec":1705314700,"file":"mysql-bin.000003","pos":1400,"gtids":"3e11fa47-71ca-11e1-9e33-c80aa9429562:1-22","event":2,"row":1,"server_id":223344}"#
        );
        let snap = BinlogOffset {
            ts_sec: 1705314600,
            file: "mysql-bin.000003".into(),
            pos: 157,
            snapshot: Some(SnapshotKind::Initial),
            ..Default::default()
        };
        assert_eq!(
            Json::Object(snap.to_json()).to_string(),
            r#"{"ts_sec":1705314600,"file":"mysql-bin.000003","pos":157,"snapshot":"INITIAL"}"#
        );
        assert_eq!(BinlogOffset::from_json(&o.to_json()).unwrap(), o);
    }

    #[test]
    fn debezium_2_offsets_are_read() {
        let m: JsonMap<String, Json> = serde_json::from_str(
            r#"{"ts_sec":1,"file":"mysql-bin.000003","pos":157,"snapshot":true}"#,
        )
        .unwrap();
        let o = BinlogOffset::from_json(&m).unwrap();
        assert!(o.snapshot_in_progress());
        assert!(BinlogOffset::from_json(&JsonMap::new()).is_err());
    }

    #[test]
    fn history_positions_compare_by_file_then_pos() {
        let at = |f: &str, p: u64| BinlogOffset {
            file: f.into(),
            pos: p,
            ..Default::default()
        };
        assert!(at_or_before(&at("b.000009", 900), &at("b.000010", 4)));
        assert!(!at_or_before(&at("b.000010", 900), &at("b.000010", 4)));
        assert!(at_or_before(&at("b.000010", 4), &at("b.000010", 4)));
    }
}

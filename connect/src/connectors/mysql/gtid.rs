//! GTID sets as the offsets store them: MySQL `uuid:1-100:105-110,uuid2:1-5` and MariaDB
//! `domain-server-seq` lists (`0-1-100,1-2-5`, one entry per replication domain).

use std::collections::BTreeMap;
use std::fmt;

/// A completed-GTID set of either flavour.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GtidSet {
    MySql(BTreeMap<String, Vec<(u64, u64)>>),
    MariaDb(BTreeMap<u32, (u32, u64)>),
}

impl GtidSet {
    pub fn empty(mariadb: bool) -> GtidSet {
        if mariadb {
            GtidSet::MariaDb(BTreeMap::new())
        } else {
            GtidSet::MySql(BTreeMap::new())
        }
    }

    /// Parses a stored set; unreadable parts are dropped (with the set still usable).
    pub fn parse(text: &str, mariadb: bool) -> GtidSet {
        let mut set = GtidSet::empty(mariadb);
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            match &mut set {
                GtidSet::MariaDb(m) => {
                    let nums: Vec<&str> = part.split('-').collect();
                    if let [d, s, q] = nums.as_slice() {
                        if let (Ok(d), Ok(s), Ok(q)) = (d.parse(), s.parse(), q.parse()) {
                            m.insert(d, (s, q));
                        }
                    }
                }
                GtidSet::MySql(m) => {
                    let mut it = part.split(':');
                    let Some(uuid) = it.next() else { continue };
                    let ranges = m.entry(uuid.to_ascii_lowercase()).or_default();
                    for r in it {
                        let (a, b) = match r.split_once('-') {
                            Some((a, b)) => (a.parse().ok(), b.parse().ok()),
                            None => (r.parse().ok(), r.parse().ok()),
                        };
                        if let (Some(a), Some(b)) = (a, b) {
                            ranges.push((a, b));
                        }
                    }
                    normalize(ranges);
                }
            }
        }
        set
    }

    /// Adds a MySQL GTID `uuid:gno`.
    pub fn add_mysql(&mut self, uuid: &str, gno: u64) {
        if let GtidSet::MySql(m) = self {
            let ranges = m.entry(uuid.to_ascii_lowercase()).or_default();
            ranges.push((gno, gno));
            normalize(ranges);
        }
    }

    /// Adds a MariaDB GTID (the newest sequence number per domain wins).
    pub fn add_mariadb(&mut self, domain: u32, server: u32, seq: u64) {
        if let GtidSet::MariaDb(m) = self {
            m.insert(domain, (server, seq));
        }
    }

    pub fn is_empty(&self) -> bool {
        match self {
            GtidSet::MySql(m) => m.is_empty(),
            GtidSet::MariaDb(m) => m.is_empty(),
        }
    }
}

fn normalize(ranges: &mut Vec<(u64, u64)>) {
    ranges.sort_unstable();
    let mut out: Vec<(u64, u64)> = Vec::with_capacity(ranges.len());
    for &(a, b) in ranges.iter() {
        match out.last_mut() {
            Some(last) if a <= last.1.saturating_add(1) => last.1 = last.1.max(b),
            _ => out.push((a, b)),
        }
    }
    *ranges = out;
}

impl fmt::Display for GtidSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GtidSet::MariaDb(m) => {
                let parts: Vec<String> =
                    m.iter().map(|(d, (s, q))| format!("{d}-{s}-{q}")).collect();
                f.write_str(&parts.join(","))
            }
            GtidSet::MySql(m) => {
                let parts: Vec<String> = m
                    .iter()
                    .map(|(uuid, ranges)| {
                        let mut s = uuid.clone();
                        for (a, b) in ranges {
                            if a == b {
                                s.push_str(&format!(":{a}"));
                            } else {
                                s.push_str(&format!(":{a}-{b}"));
                            }
                        }
                        s
                    })
                    .collect();
                f.write_str(&parts.join(","))
            }
        }
    }
}

/// The 16-byte server UUID of a MySQL GTID event as text.
pub fn format_uuid(sid: &[u8; 16]) -> String {
    let h: String = sid.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// A MariaDB GTID event body: sequence number, domain id, flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MariaGtid {
    pub seq: u64,
    pub domain: u32,
    pub flags: u8,
}

impl MariaGtid {
    /// FL_STANDALONE: a single statement outside a transaction (DDL); no XID / COMMIT follows.
    pub fn standalone(&self) -> bool {
        self.flags & 1 != 0
    }

    pub fn parse(data: &[u8]) -> Option<MariaGtid> {
        let seq = u64::from_le_bytes(data.get(0..8)?.try_into().ok()?);
        let domain = u32::from_le_bytes(data.get(8..12)?.try_into().ok()?);
        let flags = *data.get(12)?;
        Some(MariaGtid { seq, domain, flags })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mysql_sets_merge_ranges() {
        let mut s = GtidSet::parse("3E11FA47-71CA-11E1-9E33-C80AA9429562:1-22", false);
        s.add_mysql("3e11fa47-71ca-11e1-9e33-c80aa9429562", 23);
        s.add_mysql("3e11fa47-71ca-11e1-9e33-c80aa9429562", 25);
        s.add_mysql("aaaaaaaa-71ca-11e1-9e33-c80aa9429562", 1);
        assert_eq!(
            s.to_string(),
            "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-23:25,aaaaaaaa-71ca-11e1-9e33-c80aa9429562:1"
        );
    }

    #[test]
    fn mariadb_sets_keep_the_newest_per_domain() {
        let mut s = GtidSet::parse("0-1-100,1-2-5", true);
        s.add_mariadb(0, 1, 101);
        s.add_mariadb(2, 1, 1);
        assert_eq!(s.to_string(), "0-1-101,1-2-5,2-1-1");
        assert!(GtidSet::parse("", true).is_empty());
    }

    #[test]
    fn mariadb_gtid_event_body() {
        let mut body = 42u64.to_le_bytes().to_vec();
        body.extend(0u32.to_le_bytes());
        body.push(1);
        let g = MariaGtid::parse(&body).unwrap();
        assert_eq!((g.seq, g.domain, g.standalone()), (42, 0, true));
        assert!(MariaGtid::parse(&body[..5]).is_none());
        assert_eq!(
            format_uuid(&[
                0x3e, 0x11, 0xfa, 0x47, 0x71, 0xca, 0x11, 0xe1, 0x9e, 0x33, 0xc8, 0x0a, 0xa9, 0x42,
                0x95, 0x62
            ]),
            "3e11fa47-71ca-11e1-9e33-c80aa9429562"
        );
    }
}

//! TransformChain tests: aliases in order, predicates with negate, drops ending the chain, and
//! configuration errors naming the full key.

use super::*;
use crate::data::{Header, Value};

fn config(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn rec(topic: &str, value: Value) -> ConnectRecord {
    ConnectRecord::new(topic, None, Value::Null, None, value)
}

#[test]
fn empty_chain_passes_records_through() {
    let chain = TransformChain::from_config(&config(&[("name", "c")])).unwrap();
    assert!(chain.is_empty());
    let r = rec("t", Value::Int32(1));
    assert_eq!(chain.apply(r.clone()), Ok(Some(r)));
}

#[test]
fn stages_run_in_order() {
    let chain = TransformChain::from_config(&config(&[
        ("transforms", "route, hoist,insert"),
        (
            "transforms.route.type",
            "org.apache.kafka.connect.transforms.RegexRouter",
        ),
        ("transforms.route.regex", r"([^.]+)\.([^.]+)\.([^.]+)"),
        ("transforms.route.replacement", "$3"),
        (
            "transforms.hoist.type",
            "org.apache.kafka.connect.transforms.HoistField$Value",
        ),
        ("transforms.hoist.field", "line"),
        (
            "transforms.insert.type",
            "org.apache.kafka.connect.transforms.InsertField$Value",
        ),
        ("transforms.insert.topic.field", "from"),
    ]))
    .unwrap();
    assert_eq!(
        chain.aliases().collect::<Vec<_>>(),
        ["route", "hoist", "insert"]
    );
    let out = chain
        .apply(rec("db.inv.customers", Value::String("x".into())))
        .unwrap()
        .unwrap();
    assert_eq!(out.topic, "customers");
    assert_eq!(
        out.value,
        Value::Map(vec![
            (Value::String("line".into()), Value::String("x".into())),
            (
                Value::String("from".into()),
                Value::String("customers".into())
            ),
        ])
    );
}

fn filter_chain(negate: Option<&str>) -> TransformChain {
    let mut pairs = vec![
        ("transforms", "dropTemp"),
        (
            "transforms.dropTemp.type",
            "org.apache.kafka.connect.transforms.Filter",
        ),
        ("transforms.dropTemp.predicate", "isTemp"),
        ("predicates", "isTemp"),
        (
            "predicates.isTemp.type",
            "org.apache.kafka.connect.transforms.predicates.TopicNameMatches",
        ),
        ("predicates.isTemp.pattern", "tmp-.*"),
    ];
    if let Some(n) = negate {
        pairs.push(("transforms.dropTemp.negate", n));
    }
    TransformChain::from_config(&config(&pairs)).unwrap()
}

#[test]
fn predicate_and_negate() {
    let chain = filter_chain(None);
    assert_eq!(chain.apply(rec("tmp-1", Value::Int32(1))), Ok(None));
    assert!(chain
        .apply(rec("orders", Value::Int32(1)))
        .unwrap()
        .is_some());
    let chain = filter_chain(Some("true"));
    assert!(chain
        .apply(rec("tmp-1", Value::Int32(1)))
        .unwrap()
        .is_some());
    assert_eq!(chain.apply(rec("orders", Value::Int32(1))), Ok(None));
    let chain = filter_chain(Some("FALSE"));
    assert_eq!(chain.apply(rec("tmp-1", Value::Int32(1))), Ok(None));
}

#[test]
fn tombstone_and_header_predicates() {
    let chain = TransformChain::from_config(&config(&[
        ("transforms", "dropTombstones,tag"),
        ("transforms.dropTombstones.type", "Filter"),
        ("transforms.dropTombstones.predicate", "tomb"),
        ("transforms.tag.type", "InsertHeader"),
        ("transforms.tag.header", "seen"),
        ("transforms.tag.value.literal", "yes"),
        ("transforms.tag.predicate", "hasTrace"),
        ("transforms.tag.negate", "true"),
        ("predicates", "tomb,hasTrace"),
        (
            "predicates.tomb.type",
            "org.apache.kafka.connect.transforms.predicates.RecordIsTombstone",
        ),
        (
            "predicates.hasTrace.type",
            "org.apache.kafka.connect.transforms.predicates.HasHeaderKey",
        ),
        ("predicates.hasTrace.name", "trace"),
    ]))
    .unwrap();
    assert_eq!(chain.apply(rec("t", Value::Null)), Ok(None));
    let out = chain.apply(rec("t", Value::Int32(1))).unwrap().unwrap();
    assert_eq!(out.headers.len(), 1);
    let mut traced = rec("t", Value::Int32(1));
    traced.headers.push(Header {
        key: "trace".into(),
        schema: None,
        value: Value::Null,
    });
    let out = chain.apply(traced).unwrap().unwrap();
    assert_eq!(out.headers.len(), 1);
}

#[test]
fn failures_name_the_alias() {
    let chain = TransformChain::from_config(&config(&[
        ("transforms", "ts"),
        (
            "transforms.ts.type",
            "org.apache.kafka.connect.transforms.TimestampRouter",
        ),
    ]))
    .unwrap();
    let (alias, e) = chain.apply(rec("t", Value::Null)).unwrap_err();
    assert_eq!(alias, "ts");
    assert!(e.to_string().starts_with("Timestamp missing on record"));
}

fn build_err(pairs: &[(&str, &str)]) -> TransformError {
    TransformChain::from_config(&config(pairs)).unwrap_err()
}

#[test]
fn config_errors_name_the_full_key() {
    let e = build_err(&[
        ("transforms", "route"),
        (
            "transforms.route.type",
            "org.apache.kafka.connect.transforms.RegexRouter",
        ),
        ("transforms.route.replacement", "$1"),
    ]);
    assert_eq!(e, TransformError::Missing("transforms.route.regex".into()));
    assert_eq!(
        e.to_string(),
        "Missing required configuration \"transforms.route.regex\" which has no default value."
    );
    let e = build_err(&[
        ("transforms", "route"),
        ("transforms.route.type", "RegexRouter"),
        ("transforms.route.regex", "("),
        ("transforms.route.replacement", "$1"),
    ]);
    assert_eq!(e.key(), Some("transforms.route.regex"));
    assert_eq!(
        build_err(&[("transforms", "a")]),
        TransformError::Missing("transforms.a.type".into())
    );
    let e = build_err(&[
        ("transforms", "a"),
        ("transforms.a.type", "com.example.Nope"),
    ]);
    assert_eq!(
        e.to_string(),
        "Invalid value com.example.Nope for configuration transforms.a.type: Class com.example.Nope could not be found."
    );
    let e = build_err(&[("transforms", "a,a"), ("transforms.a.type", "Filter")]);
    assert_eq!(
        e.to_string(),
        "Invalid value [a, a] for configuration transforms: Duplicate alias provided."
    );
    let e = build_err(&[
        ("transforms", "a"),
        ("transforms.a.type", "Filter"),
        ("transforms.a.negate", "true"),
    ]);
    assert_eq!(
        e.to_string(),
        "Config 'transforms.a.negate' was provided but there is no config 'transforms.a.predicate' defining a predicate to be negated."
    );
    assert_eq!(e.key(), Some("transforms.a.negate"));
    let e = build_err(&[
        ("transforms", "a"),
        ("transforms.a.type", "Filter"),
        ("transforms.a.predicate", "p"),
    ]);
    assert_eq!(e.key(), Some("transforms.a.predicate"));
    let e = build_err(&[
        ("transforms", "a"),
        ("transforms.a.type", "Filter"),
        ("transforms.a.predicate", "p"),
        ("transforms.a.negate", "maybe"),
        ("predicates", "p"),
        ("predicates.p.type", "RecordIsTombstone"),
    ]);
    assert_eq!(e.key(), Some("transforms.a.negate"));
    let e = build_err(&[
        ("predicates", "p"),
        ("predicates.p.type", "TopicNameMatches"),
    ]);
    assert_eq!(e, TransformError::Missing("predicates.p.pattern".into()));
    let e = build_err(&[
        ("transforms", "i"),
        (
            "transforms.i.type",
            "org.apache.kafka.connect.transforms.InsertField$Value",
        ),
    ]);
    assert_eq!(e.to_string(), "No field insertion configured");
    assert_eq!(e.key(), Some("transforms.i.topic.field"));
}

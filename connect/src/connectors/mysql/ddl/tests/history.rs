//! Schema history JSON and the Connect Change struct.

use serde_json::json;

use super::*;
use crate::connectors::mysql::history_json::parse_table_id;

#[test]
fn change_schema_shape() {
    let s = change_schema();
    assert_eq!(
        s.name.as_deref(),
        Some("io.debezium.connector.schema.Change")
    );
    assert_eq!(s.version, Some(1));
    let f: Vec<&str> = s.fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(f, ["type", "id", "table"]);
    let table = &s.fields[2].schema;
    assert!(table.optional);
    assert_eq!(
        table.name.as_deref(),
        Some("io.debezium.connector.schema.Table")
    );
    let f: Vec<&str> = table.fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        f,
        [
            "defaultCharsetName",
            "primaryKeyColumnNames",
            "columns",
            "comment"
        ]
    );
    let column = table.fields[2].schema.items.clone().unwrap();
    assert_eq!(
        column.name.as_deref(),
        Some("io.debezium.connector.schema.Column")
    );
    assert_eq!(column.fields.len(), 15);
}

#[test]
fn history_json_round_trip() {
    let mut t = Tables::default();
    let mut changes = Vec::new();
    for sql in [
        "CREATE DATABASE inventory CHARACTER SET utf8mb4",
        MARIADB_ALL_TYPES,
        MARIADB_T2,
        CUSTOMERS,
        "ALTER TABLE customers ADD middle_name varchar(255) AFTER first_name",
        "RENAME TABLE t2 TO t3",
        "CREATE TABLE gone (id INT)",
        "DROP TABLE gone",
    ] {
        for (_, _, event) in apply(&mut t, sql, Some("inventory")) {
            if let DdlEvent::TableChanges(c) = event {
                changes.extend(c);
            }
        }
    }
    let mut restored = Tables::default();
    for change in &changes {
        let doc = table_change_to_history_json(change);
        // Through text, as the history topic stores it.
        let text = serde_json::to_string_pretty(&doc).unwrap();
        let back: serde_json::Value = serde_json::from_str(&text).unwrap();
        apply_history_table_change(&mut restored, &back).unwrap();
    }
    assert_eq!(restored.tables, t.tables);
}

#[test]
fn reads_debezium_written_history() {
    let doc = json!({
      "type" : "CREATE",
      "id" : "\"inventory\".\"products\"",
      "table" : {
        "defaultCharsetName" : "utf8mb4",
        "primaryKeyColumnNames" : [ "id" ],
        "columns" : [ {
          "name" : "id", "jdbcType" : 4, "nativeType" : 4, "typeName" : "INT", "typeExpression" : "INT",
          "charsetName" : null, "position" : 1, "optional" : false, "autoIncremented" : true,
          "generated" : true, "comment" : null, "hasDefaultValue" : false, "enumValues" : [ ]
        }, {
          "name" : "kind", "jdbcType" : 1, "typeName" : "ENUM", "typeExpression" : "ENUM",
          "charsetName" : "utf8mb4", "length" : 1, "position" : 2, "optional" : true,
          "autoIncremented" : false, "generated" : false, "comment" : null, "hasDefaultValue" : true,
          "defaultValueExpression" : "a", "enumValues" : [ "'a'", "'it''s'", "'b\\'c'" ]
        }, {
          "name" : "n", "jdbcType" : 3, "typeName" : "DECIMAL", "typeExpression" : "DECIMAL",
          "charsetName" : null, "length" : 10, "scale" : 2, "position" : 3, "optional" : true,
          "autoIncremented" : false, "generated" : false, "comment" : null, "hasDefaultValue" : false
        } ],
        "attributes" : [ ]
      },
      "comment" : null
    });
    let mut t = Tables::default();
    apply_history_table_change(&mut t, &doc).unwrap();
    let p = table(&t, "inventory", "products");
    assert_eq!(p.primary_key, ["id"]);
    let kind = p.column("kind").unwrap();
    assert_eq!(kind.enum_values, ["a", "it's", "b'c"]);
    assert_eq!(kind.default_expression.as_deref(), Some("a"));
    let n = p.column("n").unwrap();
    assert_eq!((n.length, n.scale), (Some(10), Some(2)));
    // A nullable column always has (an implicit NULL) default once read back.
    assert!(n.has_default);

    let rename = json!({"type": "ALTER", "id": "\"inventory\".\"items\"", "previousId": "\"inventory\".\"products\"",
                        "table": doc["table"].clone(), "comment": null});
    apply_history_table_change(&mut t, &rename).unwrap();
    assert!(t.get(&TableId::new("inventory", "products")).is_none());
    assert_eq!(table(&t, "inventory", "items").columns.len(), 3);
    apply_history_table_change(
        &mut t,
        &json!({"type": "DROP", "id": "\"inventory\".\"items\""}),
    )
    .unwrap();
    assert!(t.tables.is_empty());

    assert!(
        apply_history_table_change(&mut t, &json!({"type": "ALTER", "id": "\"a\".\"b\""})).is_err()
    );
    assert!(
        apply_history_table_change(&mut t, &json!({"type": "MERGE", "id": "\"a\".\"b\""})).is_err()
    );
    assert!(apply_history_table_change(&mut t, &json!([1])).is_err());
    assert_eq!(
        parse_table_id("\"a.b\".\"c\"\"d\"").unwrap(),
        TableId::new("a.b", "c\"d")
    );
}

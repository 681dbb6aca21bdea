//! ALTER TABLE forms, RENAME, DROP, TRUNCATE, CREATE TABLE LIKE.

use serde_json::json;

use super::*;
use crate::data::Value;

fn alter_base() -> Tables {
    let mut t = Tables::default();
    apply(
        &mut t,
        "CREATE TABLE `db`.`t` (`id` int(11) NOT NULL, `a` varchar(10) DEFAULT 'x', `b` int(11) NOT NULL, PRIMARY KEY (`id`)) DEFAULT CHARSET=latin1",
        None,
    );
    t
}

#[test]
fn alter_example_from_reference_schema_change() {
    let mut t = inventory();
    let sql = "ALTER TABLE customers ADD middle_name varchar(255) AFTER first_name";
    let events = apply(&mut t, sql, Some("inventory"));
    assert_eq!(events[0].0, "inventory");
    assert_eq!(events[0].1, sql);
    let change = single_change(&events);
    assert_eq!(change.kind, TableChangeKind::Alter);
    assert_eq!(change.previous_id, None);
    assert_eq!(
        names(&change.table),
        [
            "id",
            "first_name",
            "middle_name",
            "balance",
            "size",
            "updated_at"
        ]
    );
    check(
        change.table.column("middle_name").unwrap(),
        (
            "VARCHAR",
            12,
            Some(255),
            None,
            Some("utf8mb4"),
            true,
            true,
            None,
        ),
    );
    assert_eq!(change.table.column("balance").unwrap().position, 4);

    let Value::Struct(s) = change_struct(change) else {
        panic!("not a struct")
    };
    assert!(s.validate().is_ok());
    assert_eq!(s.get("type"), Some(&Value::String("ALTER".into())));
    assert_eq!(
        s.get("id"),
        Some(&Value::String("\"inventory\".\"customers\"".into()))
    );
    let Some(Value::Struct(table)) = s.get("table") else {
        panic!("no table")
    };
    assert_eq!(
        table.get("defaultCharsetName"),
        Some(&Value::String("utf8mb4".into()))
    );
    assert_eq!(
        table.get("primaryKeyColumnNames"),
        Some(&Value::Array(vec![Value::String("id".into())]))
    );
    let Some(Value::Array(columns)) = table.get("columns") else {
        panic!("no columns")
    };
    let Value::Struct(id) = &columns[0] else {
        panic!("column not a struct")
    };
    let fields: Vec<(&str, &Value)> = id
        .schema
        .fields
        .iter()
        .map(|f| (f.name.as_str(), &id.values[f.index]))
        .collect();
    assert_eq!(
        fields,
        [
            ("name", &Value::String("id".into())),
            ("jdbcType", &Value::Int32(4)),
            ("nativeType", &Value::Null),
            ("typeName", &Value::String("INT".into())),
            ("typeExpression", &Value::String("INT".into())),
            ("charsetName", &Value::Null),
            ("length", &Value::Null),
            ("scale", &Value::Null),
            ("position", &Value::Int32(1)),
            ("optional", &Value::Boolean(false)),
            ("autoIncremented", &Value::Boolean(true)),
            ("generated", &Value::Boolean(true)),
            ("comment", &Value::Null),
            ("defaultValueExpression", &Value::Null),
            ("enumValues", &Value::Null),
        ]
    );
    let Value::Struct(size) = &columns[4] else {
        panic!("column not a struct")
    };
    assert_eq!(
        size.get("enumValues"),
        Some(&Value::Array(vec![
            Value::String("'S'".into()),
            Value::String("'M'".into()),
            Value::String("'L'".into())
        ]))
    );
}

#[test]
fn alter_add_drop_modify_change_rename_columns() {
    let mut t = alter_base();
    let events = apply(&mut t, "ALTER TABLE t ADD COLUMN c INT FIRST, ADD d TEXT AFTER a, ADD COLUMN (e INT, f INT NOT NULL)", Some("db"));
    let change = single_change(&events);
    assert_eq!(change.kind, TableChangeKind::Alter);
    assert_eq!(
        names(table(&t, "db", "t")),
        ["c", "id", "a", "d", "b", "e", "f"]
    );
    assert_eq!(col(&t, "db", "t", "d").charset.as_deref(), Some("latin1"));
    assert_eq!(col(&t, "db", "t", "f").position, 7);

    apply(
        &mut t,
        "ALTER TABLE t DROP COLUMN c, DROP e, DROP COLUMN f",
        Some("db"),
    );
    assert_eq!(names(table(&t, "db", "t")), ["id", "a", "d", "b"]);

    // MODIFY: a new definition (the old default is gone).
    apply(
        &mut t,
        "ALTER TABLE t MODIFY a VARCHAR(20) NOT NULL AFTER b",
        Some("db"),
    );
    assert_eq!(names(table(&t, "db", "t")), ["id", "d", "b", "a"]);
    check(
        col(&t, "db", "t", "a"),
        (
            "VARCHAR",
            12,
            Some(20),
            None,
            Some("latin1"),
            false,
            false,
            None,
        ),
    );

    // CHANGE renames (also in the key) and moves.
    apply(
        &mut t,
        "ALTER TABLE t CHANGE COLUMN id pk BIGINT UNSIGNED NOT NULL AUTO_INCREMENT FIRST",
        Some("db"),
    );
    let tt = table(&t, "db", "t");
    assert_eq!(names(tt), ["pk", "d", "b", "a"]);
    assert_eq!(tt.primary_key, ["pk"]);
    check(
        col(&t, "db", "t", "pk"),
        ("BIGINT UNSIGNED", -5, None, None, None, false, false, None),
    );
    apply(
        &mut t,
        "ALTER TABLE t CHANGE d d2 MEDIUMTEXT AFTER a",
        Some("db"),
    );
    assert_eq!(names(table(&t, "db", "t")), ["pk", "b", "a", "d2"]);

    apply(&mut t, "ALTER TABLE t RENAME COLUMN b TO b2", Some("db"));
    assert_eq!(names(table(&t, "db", "t")), ["pk", "b2", "a", "d2"]);
    check(
        col(&t, "db", "t", "b2"),
        ("INT", 4, Some(11), None, None, false, false, None),
    );

    // Dropping a key column removes it from the key.
    apply(&mut t, "ALTER TABLE t DROP COLUMN pk", Some("db"));
    assert!(table(&t, "db", "t").primary_key.is_empty());

    // Errors: changing unknown columns.
    assert!(matches!(
        t.apply_ddl("ALTER TABLE t CHANGE nope x INT", Some("db")),
        Err(DdlError::Apply { .. })
    ));
    assert!(matches!(
        t.apply_ddl("ALTER TABLE t MODIFY nope INT", Some("db")),
        Err(DdlError::Apply { .. })
    ));
}

#[test]
fn alter_keys_defaults_charset_and_rename_table() {
    let mut t = alter_base();
    apply(&mut t, "ALTER TABLE t DROP PRIMARY KEY", Some("db"));
    assert!(table(&t, "db", "t").primary_key.is_empty());
    // A unique index over a nullable column does not become the key, over NOT NULL ones it does.
    apply(&mut t, "ALTER TABLE t ADD UNIQUE KEY ua (a)", Some("db"));
    assert!(table(&t, "db", "t").primary_key.is_empty());
    apply(
        &mut t,
        "ALTER TABLE t ADD CONSTRAINT ub UNIQUE (b)",
        Some("db"),
    );
    assert_eq!(table(&t, "db", "t").primary_key, ["b"]);
    // ADD PRIMARY KEY replaces it and makes its columns NOT NULL.
    apply(&mut t, "ALTER TABLE t ADD PRIMARY KEY (id, a)", Some("db"));
    assert_eq!(table(&t, "db", "t").primary_key, ["id", "a"]);
    let a = col(&t, "db", "t", "a");
    assert!(!a.optional);
    assert_eq!(
        (a.has_default, a.default_expression.as_deref()),
        (true, Some("x"))
    );

    apply(
        &mut t,
        "ALTER TABLE t ALTER COLUMN b SET DEFAULT 5",
        Some("db"),
    );
    assert_eq!(
        col(&t, "db", "t", "b").default_expression.as_deref(),
        Some("5")
    );
    apply(&mut t, "ALTER TABLE t ALTER b DROP DEFAULT", Some("db"));
    let b = col(&t, "db", "t", "b");
    assert_eq!(
        (b.has_default, b.default_expression.as_deref()),
        (false, None)
    );

    apply(&mut t, "ALTER TABLE t CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_bin, ALGORITHM=INPLACE, LOCK=NONE", Some("db"));
    let tt = table(&t, "db", "t");
    assert_eq!(tt.default_charset.as_deref(), Some("utf8mb4"));
    assert_eq!(tt.column("a").unwrap().charset.as_deref(), Some("utf8mb4"));
    assert_eq!(tt.column("b").unwrap().charset, None);

    // ALTER ... RENAME TO is reported as Debezium does: an ALTER of the new id.
    let events = apply(
        &mut t,
        "ALTER TABLE t RENAME TO t_new, ENGINE=InnoDB",
        Some("db"),
    );
    let change = single_change(&events);
    assert_eq!(change.id, TableId::new("db", "t_new"));
    assert_eq!(change.previous_id, None);
    assert!(t.get(&TableId::new("db", "t")).is_none());
    assert_eq!(table(&t, "db", "t_new").id, TableId::new("db", "t_new"));

    // Clauses Debezium ignores still parse.
    apply(
        &mut t,
        "ALTER TABLE t_new ADD INDEX ix (a), ADD FULLTEXT KEY ft (a), DROP INDEX ix, \
         ADD CONSTRAINT fk FOREIGN KEY (b) REFERENCES other (id) ON DELETE SET NULL, \
         DROP FOREIGN KEY fk, RENAME INDEX ft TO ft2, ORDER BY a, b, COMMENT 'c', \
         ROW_FORMAT=DYNAMIC AUTO_INCREMENT=5, FORCE",
        Some("db"),
    );
    apply(
        &mut t,
        "ALTER TABLE t_new PARTITION BY HASH(b) PARTITIONS 4",
        Some("db"),
    );
    assert_eq!(names(table(&t, "db", "t_new")), ["id", "a", "b"]);
}

#[test]
fn rename_drop_truncate_and_like() {
    let mut t = Tables::default();
    apply(
        &mut t,
        "CREATE TABLE a (id INT PRIMARY KEY); CREATE TABLE c (id INT)",
        Some("db"),
    );
    let events = apply(&mut t, "RENAME TABLE a TO b, db.c TO other.d", Some("db"));
    assert_eq!(events.len(), 2);
    assert_eq!(events[0].0, "db");
    assert_eq!(events[0].1, "RENAME TABLE a TO b");
    assert_eq!(events[1].0, "other");
    assert_eq!(events[1].1, "RENAME TABLE db.c TO other.d");
    let change = single_change(&events[..1]);
    assert_eq!(change.kind, TableChangeKind::Alter);
    assert_eq!(change.id, TableId::new("db", "b"));
    assert_eq!(change.previous_id, Some(TableId::new("db", "a")));
    assert_eq!(change.table.id, TableId::new("db", "b"));
    assert_eq!(table(&t, "other", "d").id, TableId::new("other", "d"));
    assert!(t.get(&TableId::new("db", "a")).is_none());
    let doc = table_change_to_history_json(change);
    assert_eq!(doc["previousId"], json!("\"db\".\"a\""));
    let keys: Vec<&str> = doc
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["type", "id", "previousId", "table", "comment"]);

    let events = apply(&mut t, "CREATE TABLE b_copy LIKE b", Some("db"));
    assert_eq!(single_change(&events).kind, TableChangeKind::Create);
    assert_eq!(table(&t, "db", "b_copy").primary_key, ["id"]);

    let events = apply(&mut t, "TRUNCATE TABLE b", Some("db"));
    assert_eq!(
        events,
        vec![(
            "db".to_string(),
            "TRUNCATE TABLE b".to_string(),
            DdlEvent::Truncate(vec![TableId::new("db", "b")])
        )]
    );
    let events = apply(&mut t, "TRUNCATE `b_copy`", Some("db"));
    assert!(
        matches!(&events[0].2, DdlEvent::Truncate(ids) if ids == &[TableId::new("db", "b_copy")])
    );

    let events = apply(
        &mut t,
        "DROP TABLE IF EXISTS b, other.d, missing CASCADE",
        Some("db"),
    );
    let stmts: Vec<&str> = events.iter().map(|e| e.1.as_str()).collect();
    assert_eq!(
        stmts,
        [
            "DROP TABLE IF EXISTS `db`.`b` CASCADE",
            "DROP TABLE IF EXISTS `other`.`d` CASCADE",
            "DROP TABLE IF EXISTS `db`.`missing` CASCADE"
        ]
    );
    assert_eq!(events[1].0, "other");
    let change = single_change(&events[..1]);
    assert_eq!(change.kind, TableChangeKind::Drop);
    assert_eq!(
        change.table.primary_key,
        ["id"],
        "DROP carries the table as it was"
    );
    assert_eq!(
        table_change_to_history_json(change),
        json!({"type": "DROP", "id": "\"db\".\"b\""})
    );
    let Value::Struct(s) = change_struct(change) else {
        panic!("not a struct")
    };
    assert_eq!(s.get("table"), Some(&Value::Null));
    assert!(t.get(&TableId::new("db", "b")).is_none());
    assert!(t.get(&TableId::new("db", "b_copy")).is_some());
}

#[test]
fn alter_quirks_kept_from_debezium() {
    let opts = DdlOptions {
        include_comments: true,
    };
    let mut t = Tables::default();
    t.apply_ddl_with(
        "CREATE TABLE q (id INT NOT NULL AUTO_INCREMENT COMMENT 'key', e ENUM('a','b'), PRIMARY KEY (id))",
        Some("db"),
        &opts,
    )
    .unwrap();
    // CHANGE edits the existing column: comment, auto-increment and enum values survive.
    t.apply_ddl_with(
        "ALTER TABLE q CHANGE id id BIGINT NOT NULL, CHANGE e e VARCHAR(3)",
        Some("db"),
        &opts,
    )
    .unwrap();
    let id = col(&t, "db", "q", "id");
    assert_eq!(id.comment.as_deref(), Some("key"));
    assert!(id.auto_incremented);
    assert_eq!(col(&t, "db", "q", "e").enum_values, ["a", "b"]);
    // MODIFY starts from scratch.
    t.apply_ddl_with("ALTER TABLE q MODIFY id BIGINT NOT NULL", Some("db"), &opts)
        .unwrap();
    assert!(!col(&t, "db", "q", "id").auto_incremented);
    // AFTER an unknown column moves the column first.
    t.apply_ddl_with("ALTER TABLE q MODIFY e INT AFTER nope", Some("db"), &opts)
        .unwrap();
    assert_eq!(names(table(&t, "db", "q")), ["e", "id"]);
    // ALTER TABLE ... COMMENT with comments included; SET DEFAULT NULL leaves the default.
    t.apply_ddl_with(
        "ALTER TABLE q COMMENT = 'the q', ALTER COLUMN e SET DEFAULT 3",
        Some("db"),
        &opts,
    )
    .unwrap();
    t.apply_ddl_with(
        "ALTER TABLE q ALTER COLUMN e SET DEFAULT NULL",
        Some("db"),
        &opts,
    )
    .unwrap();
    assert_eq!(table(&t, "db", "q").comment.as_deref(), Some("the q"));
    assert_eq!(
        col(&t, "db", "q", "e").default_expression.as_deref(),
        Some("3")
    );
    // ALTER ... DEFAULT CHARSET does not change the table charset (only CONVERT TO does).
    let before = table(&t, "db", "q").default_charset.clone();
    t.apply_ddl_with("ALTER TABLE q DEFAULT CHARSET=latin1", Some("db"), &opts)
        .unwrap();
    assert_eq!(table(&t, "db", "q").default_charset, before);
}

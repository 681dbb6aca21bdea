//! CREATE TABLE / DATABASE, type resolution, defaults, filters and error handling.

use serde_json::json;

use super::*;

#[test]
fn customers_example_from_reference() {
    let t = inventory();
    let c = table(&t, "inventory", "customers");
    assert_eq!(c.primary_key, vec!["id"]);
    assert_eq!(c.default_charset.as_deref(), Some("utf8mb4"));
    assert_eq!(
        names(c),
        ["id", "first_name", "balance", "size", "updated_at"]
    );
    let id = c.column("id").unwrap();
    check(id, ("INT", 4, None, None, None, false, false, None));
    assert!(id.auto_incremented && id.generated);
    check(
        c.column("first_name").unwrap(),
        (
            "VARCHAR",
            12,
            Some(255),
            None,
            Some("utf8mb4"),
            false,
            false,
            None,
        ),
    );
    check(
        c.column("balance").unwrap(),
        (
            "DECIMAL",
            3,
            Some(10),
            Some(2),
            None,
            true,
            true,
            Some("0.00"),
        ),
    );
    let size = c.column("size").unwrap();
    check(
        size,
        ("ENUM", 1, Some(1), None, Some("utf8mb4"), true, true, None),
    );
    assert_eq!(size.enum_values, ["S", "M", "L"]);
    check(
        c.column("updated_at").unwrap(),
        (
            "TIMESTAMP",
            2014,
            None,
            None,
            None,
            false,
            true,
            Some("1970-01-01 00:00:00"),
        ),
    );
    assert_eq!(
        c.columns.iter().map(|c| c.position).collect::<Vec<_>>(),
        [1, 2, 3, 4, 5]
    );

    // The id column as the §4.2 history record shows it.
    let change = TableChange {
        kind: TableChangeKind::Create,
        id: c.id.clone(),
        previous_id: None,
        table: c.clone(),
    };
    let doc = table_change_to_history_json(&change);
    assert_eq!(
        serde_json::to_string(&doc["table"]["columns"][0]).unwrap(),
        r#"{"name":"id","jdbcType":4,"typeName":"INT","typeExpression":"INT","charsetName":null,"position":1,"optional":false,"autoIncremented":true,"generated":true,"comment":null,"hasDefaultValue":false,"enumValues":[]}"#
    );
    assert_eq!(
        doc["table"]["columns"][3]["enumValues"],
        json!(["'S'", "'M'", "'L'"])
    );
    let keys: Vec<&str> = doc
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["type", "id", "table", "comment"]);
    let table_keys: Vec<&str> = doc["table"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        table_keys,
        [
            "defaultCharsetName",
            "primaryKeyColumnNames",
            "columns",
            "attributes"
        ]
    );
    assert_eq!(doc["id"], json!("\"inventory\".\"customers\""));
}

#[test]
fn type_names_follow_debezium() {
    let mut t = Tables::default();
    apply(
        &mut t,
        "CREATE TABLE ty (a SERIAL, b BOOLEAN, c DOUBLE PRECISION, d REAL, e NUMERIC, f DEC(5), \
         g FLOAT(7,4), h FLOAT(4), i INT ZEROFILL, j INTEGER SIGNED, k CHAR, l NCHAR, m NVARCHAR(5), \
         n TINYINT(1) UNSIGNED, o MEDIUMBLOB, p GEOMETRY, q BINARY(4), r VARCHAR(3) BINARY, \
         s DECIMAL, t SET('x'), u LONG VARCHAR, v CHAR VARYING(4), w FLOAT(7.4), x BIT, \
         y VARCHAR(4) COLLATE utf8mb4_bin, z DATETIME)",
        Some("db"),
    );
    let c = |name: &str| col(&t, "db", "ty", name);
    check(
        c("a"),
        ("BIGINT UNSIGNED", -5, None, None, None, false, false, None),
    );
    assert!(c("a").auto_incremented && c("a").generated);
    assert_eq!(
        table(&t, "db", "ty").primary_key,
        ["a"],
        "SERIAL implies UNIQUE"
    );
    check(c("b"), ("BOOLEAN", 16, None, None, None, true, true, None));
    check(
        c("c"),
        ("DOUBLE PRECISION", 8, None, None, None, true, true, None),
    );
    check(c("d"), ("REAL", 7, None, None, None, true, true, None));
    check(
        c("e"),
        ("NUMERIC", 2, Some(10), Some(0), None, true, true, None),
    );
    check(c("f"), ("DEC", 3, Some(5), Some(0), None, true, true, None));
    check(
        c("g"),
        ("FLOAT", 6, Some(7), Some(4), None, true, true, None),
    );
    check(c("h"), ("FLOAT", 6, Some(4), None, None, true, true, None));
    check(
        c("i"),
        (
            "INT UNSIGNED ZEROFILL",
            4,
            None,
            None,
            None,
            true,
            true,
            None,
        ),
    );
    check(
        c("j"),
        ("INTEGER SIGNED", 4, None, None, None, true, true, None),
    );
    check(c("k"), ("CHAR", 1, None, None, None, true, true, None));
    check(
        c("l"),
        ("NCHAR", -15, Some(1), None, Some("utf8"), true, true, None),
    );
    check(
        c("m"),
        (
            "NVARCHAR",
            -9,
            Some(5),
            None,
            Some("utf8"),
            true,
            true,
            None,
        ),
    );
    check(
        c("n"),
        ("TINYINT UNSIGNED", 5, Some(1), None, None, true, true, None),
    );
    check(
        c("o"),
        ("MEDIUMBLOB", 2004, None, None, None, true, true, None),
    );
    check(
        c("p"),
        ("GEOMETRY", 1111, None, None, None, true, true, None),
    );
    check(
        c("q"),
        ("BINARY", -2, Some(4), None, None, true, true, None),
    );
    check(
        c("r"),
        ("VARCHAR BINARY", 12, Some(3), None, None, true, true, None),
    );
    check(
        c("s"),
        ("DECIMAL", 3, Some(10), Some(0), None, true, true, None),
    );
    check(c("t"), ("SET", 1, Some(1), None, None, true, true, None));
    check(
        c("u"),
        ("LONG VARCHAR", 12, None, None, None, true, true, None),
    );
    check(
        c("v"),
        ("CHAR VARYING", 12, Some(4), None, None, true, true, None),
    );
    check(c("w"), ("FLOAT", 6, Some(7), None, None, true, true, None));
    check(c("x"), ("BIT", -7, Some(1), None, None, true, true, None));
    check(
        c("y"),
        (
            "VARCHAR",
            12,
            Some(4),
            None,
            Some("utf8mb4"),
            true,
            true,
            None,
        ),
    );
    check(c("z"), ("DATETIME", 93, None, None, None, true, true, None));
    apply(&mut t, "CREATE TABLE b2 (flag BOOL)", Some("db"));
    assert_eq!(col(&t, "db", "b2", "flag").type_name, "BOOL");
}

#[test]
fn defaults_as_debezium_records_them() {
    let mut t = Tables::default();
    apply(
        &mut t,
        "CREATE TABLE d (a INT NOT NULL DEFAULT -1, b VARCHAR(5) DEFAULT 'x', c INT DEFAULT NULL, \
         d DATETIME DEFAULT NOW(), e DATE DEFAULT CURDATE(), f BOOLEAN DEFAULT TRUE, \
         g VARCHAR(5) DEFAULT _utf8mb4'x', h INT DEFAULT (1 + 1), i BINARY(1) DEFAULT X'00', \
         j INT NOT NULL, k TIMESTAMP NULL DEFAULT NULL ON UPDATE CURRENT_TIMESTAMP, l DOUBLE DEFAULT .5)",
        Some("db"),
    );
    let c = |name: &str| col(&t, "db", "d", name);
    let dv = |name: &str| (c(name).has_default, c(name).default_expression.clone());
    assert_eq!(dv("a"), (true, Some("-1".into())));
    assert_eq!(dv("b"), (true, Some("x".into())));
    assert_eq!(dv("c"), (true, None));
    assert_eq!(dv("d"), (true, Some("1970-01-01 00:00:00".into())));
    assert_eq!(dv("e"), (true, Some("CURDATE()".into())));
    assert_eq!(dv("f"), (true, Some("TRUE".into())));
    assert_eq!(dv("g"), (true, Some("_utf8mb4'x'".into())));
    assert_eq!(dv("h"), (true, None));
    assert_eq!(dv("i"), (true, None));
    assert_eq!(dv("j"), (false, None));
    assert_eq!(dv("k"), (true, None));
    assert!(c("k").auto_incremented);
    assert_eq!(dv("l"), (true, Some(".5".into())));
}

#[test]
fn databases_use_set_and_multi_statement_text() {
    let mut t = Tables::default();
    let events = apply(
        &mut t,
        "SET character_set_server=utf8mb4, collation_server=utf8mb4_unicode_ci",
        None,
    );
    assert_eq!(
        events,
        vec![(
            "".to_string(),
            "SET character_set_server=utf8mb4, collation_server=utf8mb4_unicode_ci".to_string(),
            DdlEvent::Database {
                database: "".into()
            }
        )]
    );
    let sql = "CREATE DATABASE shop CHARACTER SET latin1;\nUSE `shop`;\n\
               CREATE TABLE orders (id INT PRIMARY KEY, note VARCHAR(10)) ENGINE=InnoDB;\n\
               CREATE DATABASE plain; CREATE TABLE plain.x (s VARCHAR(3))";
    let events = apply(&mut t, sql, None);
    let summary: Vec<(&str, &str)> = events
        .iter()
        .map(|e| (e.0.as_str(), e.1.as_str()))
        .collect();
    assert_eq!(
        summary,
        [
            ("shop", "CREATE DATABASE shop CHARACTER SET latin1"),
            ("shop", "USE `shop`"),
            (
                "shop",
                "CREATE TABLE orders (id INT PRIMARY KEY, note VARCHAR(10)) ENGINE=InnoDB"
            ),
            ("plain", "CREATE DATABASE plain"),
            ("plain", "CREATE TABLE plain.x (s VARCHAR(3))"),
        ]
    );
    assert_eq!(
        events[1].2,
        DdlEvent::Database {
            database: "shop".into()
        }
    );
    assert_eq!(
        col(&t, "shop", "orders", "note").charset.as_deref(),
        Some("latin1")
    );
    assert_eq!(
        table(&t, "shop", "orders").default_charset.as_deref(),
        Some("latin1")
    );
    // `plain` has no charset: the current database's (shop), as character_set_database.
    assert_eq!(
        table(&t, "plain", "x").default_charset.as_deref(),
        Some("latin1")
    );

    let events = apply(&mut t, "DROP DATABASE shop", None);
    assert_eq!(
        events[0].2,
        DdlEvent::Database {
            database: "shop".into()
        }
    );
    assert!(t.get(&TableId::new("shop", "orders")).is_none());
    assert!(!t.db_charsets.contains_key("shop"));

    // A table in a database without charset, no current database: the server charset.
    apply(&mut t, "CREATE TABLE other.y (s TEXT)", None);
    assert_eq!(
        col(&t, "other", "y", "s").charset.as_deref(),
        Some("utf8mb4")
    );
}

#[test]
fn statements_without_effect_and_filtered_ones() {
    let mut t = inventory();
    // No table changed: one database-level event with the whole text (as Debezium emits it).
    for sql in [
        "CREATE INDEX ix ON customers (first_name)",
        "ALTER TABLE unknown ADD COLUMN x INT",
        "ALTER DATABASE inventory CHARACTER SET latin1",
        "CREATE TABLE IF NOT EXISTS customers (id INT)",
        "CREATE EVENT e ON SCHEDULE EVERY 1 DAY DO BEGIN DELETE FROM t; DELETE FROM u; END",
    ] {
        let events = apply(&mut t, sql, Some("inventory"));
        assert_eq!(
            events,
            vec![(
                "inventory".to_string(),
                sql.to_string(),
                DdlEvent::Database {
                    database: "inventory".into()
                }
            )],
            "{sql}"
        );
    }
    assert_eq!(
        t.db_charsets.get("inventory").map(String::as_str),
        Some("latin1")
    );
    // A unique index that becomes the key is an ALTER.
    apply(
        &mut t,
        "CREATE TABLE nk (a INT NOT NULL, b INT)",
        Some("inventory"),
    );
    let events = apply(
        &mut t,
        "CREATE UNIQUE INDEX ua ON nk (a)",
        Some("inventory"),
    );
    assert_eq!(single_change(&events).kind, TableChangeKind::Alter);
    assert_eq!(table(&t, "inventory", "nk").primary_key, ["a"]);

    for sql in [
        "GRANT SELECT ON *.* TO 'cdc'@'%'",
        "CREATE USER 'x'@'%' IDENTIFIED BY 'y'",
        "CREATE OR REPLACE VIEW v AS SELECT 1",
        "CREATE DEFINER=`root`@`%` TRIGGER tr BEFORE INSERT ON customers FOR EACH ROW BEGIN SET NEW.id = 1; END",
        "DROP TEMPORARY TABLE IF EXISTS `tmp` /* generated by server */",
        "SAVEPOINT sp1",
        "BEGIN",
        "FLUSH PRIVILEGES",
        "INSERT INTO customers VALUES (1)",
        "# Dummy event replacing event type 160 that slave cannot handle.",
    ] {
        let events = apply(&mut t, sql, Some("inventory"));
        assert_eq!(events.len(), 1, "{sql}");
        assert_eq!(events[0].2, DdlEvent::Ignored, "{sql}");
    }
    // Mixed texts: the no-op statements are reported as ignored.
    let events = apply(
        &mut t,
        "CREATE INDEX i2 ON customers (balance); ALTER TABLE customers DROP COLUMN size",
        Some("inventory"),
    );
    assert_eq!(events.len(), 2);
    assert_eq!(events[0].2, DdlEvent::Ignored);
    assert_eq!(single_change(&events[1..]).kind, TableChangeKind::Alter);
}

#[test]
fn ddl_filter_list() {
    assert!(ddl_ignored("GRANT ALL ON db.* TO 'u'@'%'"));
    assert!(ddl_ignored(
        "SET STATEMENT max_statement_time=1 FOR REVOKE ALL ON db.* FROM 'u'"
    ));
    assert!(ddl_ignored("DROP USER IF EXISTS 'u'@'%'"));
    assert!(ddl_ignored(
        "CREATE ALGORITHM=UNDEFINED DEFINER=`root`@`%` SQL SECURITY DEFINER VIEW v AS SELECT 1"
    ));
    assert!(ddl_ignored("create procedure p()\nbegin\nselect 1;\nend"));
    assert!(ddl_ignored("INSERT INTO mysql.rds_heartbeat2(id, value) values (1,1) ON DUPLICATE KEY UPDATE value = 1"));
    assert!(ddl_ignored("FLUSH RELAY LOGS"));
    assert!(ddl_ignored("ANALYZE NO_WRITE_TO_BINLOG TABLE t"));
    assert!(ddl_ignored("REPLACE INTO t VALUES (1)"));
    assert!(ddl_ignored("TRUNCATE TABLE t"));
    assert!(!ddl_ignored("CREATE TABLE t (id INT)"));
    assert!(!ddl_ignored("ALTER TABLE users ADD COLUMN role INT"));
    assert!(!ddl_ignored("DROP TABLE t"));
}

#[test]
fn unparseable_ddl_is_an_error_and_changes_nothing() {
    let mut t = inventory();
    let before = t.tables.clone();
    for sql in [
        "CREATE TABLE x (id INT,",
        "CREATE TABLE x (id FANCYTYPE)",
        "CREATE TABLE x (id INT WHATEVER)",
        "ALTER TABLE customers FROBNICATE x",
        "FOO BAR",
        "CREATE TABLE x (s VARCHAR(3) DEFAULT 'abc)",
        "CREATE TABLE y (id INT); CREATE TABLE x (id INT) garbage here",
        "ALTER TABLE customers ADD COLUMN z INT, CHANGE missing q INT",
        "CREATE TABLE z (a INT, PRIMARY KEY (b))",
        "/* unterminated",
    ] {
        let err = t.apply_ddl(sql, Some("inventory")).expect_err(sql);
        let msg = err.to_string();
        assert!(msg.contains("DDL statement `"), "{msg}");
        assert_eq!(t.tables, before, "{sql} changed the model");
    }
    let err = t
        .apply_ddl("ALTER TABLE customers FROBNICATE x", Some("inventory"))
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("ALTER TABLE customers FROBNICATE x"),
        "{err}"
    );
}

#[test]
fn never_panics_on_truncated_or_odd_input() {
    let texts = [MARIADB_T2, MARIADB_ALL_TYPES, KIT_ALL_TYPES, CUSTOMERS];
    for text in texts {
        let mut cut = 0;
        while cut <= text.len() {
            if text.is_char_boundary(cut) {
                let mut t = inventory();
                let _ = t.apply_ddl(&text[..cut], Some("inventory"));
                let _ = t.apply_ddl(&text[cut..], Some("inventory"));
            }
            cut += 7;
        }
    }
    let mut t = Tables::default();
    for sql in [
        "(((",
        ")))",
        "`",
        "'",
        "\"",
        ";;;",
        "CREATE",
        "ALTER TABLE",
        "DROP TABLE",
        "SET @@",
        "SET x",
        "ENUM(",
        "é",
        "\u{0}",
        "CREATE TABLE t (a ENUM())",
    ] {
        let _ = t.apply_ddl(sql, None);
    }
}

#[test]
fn statement_forms_around_the_edges() {
    let mut t = Tables::default();
    // Leading comments are not part of the statement text; a comment-only text changes nothing.
    let events = apply(&mut t, "/* app */ CREATE TABLE a (id INT)", Some("db"));
    assert_eq!(events[0].1, "CREATE TABLE a (id INT)");
    let events = apply(&mut t, "/*!40101 SET NAMES utf8mb4 */", Some("db"));
    assert_eq!(
        events[0].2,
        DdlEvent::Database {
            database: "db".into()
        }
    );
    // MariaDB SET STATEMENT ... FOR <ddl>.
    apply(
        &mut t,
        "SET STATEMENT max_statement_time=60 FOR ALTER TABLE a ADD COLUMN b INT",
        Some("db"),
    );
    assert_eq!(names(table(&t, "db", "a")), ["id", "b"]);
    // CREATE TABLE of a known table is ignored (as in Debezium), CREATE OR REPLACE replaces it.
    apply(&mut t, "CREATE TABLE a (x INT)", Some("db"));
    assert_eq!(names(table(&t, "db", "a")), ["id", "b"]);
    apply(&mut t, "CREATE OR REPLACE TABLE a (x INT)", Some("db"));
    assert_eq!(names(table(&t, "db", "a")), ["x"]);
    // National types, SERIAL DEFAULT VALUE.
    apply(
        &mut t,
        "CREATE TABLE n (a NATIONAL VARCHAR(3), b NATIONAL CHAR, c SMALLINT SERIAL DEFAULT VALUE)",
        Some("db"),
    );
    check(
        col(&t, "db", "n", "a"),
        (
            "NATIONAL VARCHAR",
            -9,
            Some(3),
            None,
            Some("utf8"),
            true,
            true,
            None,
        ),
    );
    check(
        col(&t, "db", "n", "b"),
        (
            "NATIONAL CHAR",
            -15,
            Some(1),
            None,
            Some("utf8"),
            true,
            true,
            None,
        ),
    );
    check(
        col(&t, "db", "n", "c"),
        ("SMALLINT", 5, None, None, None, false, false, None),
    );
    assert_eq!(table(&t, "db", "n").primary_key, ["c"]);
    // Routine bodies hold `;` and stay one statement.
    let sql = "CREATE EVENT ev ON SCHEDULE EVERY 1 HOUR DO BEGIN DELETE FROM a; DELETE FROM n; END";
    let events = apply(&mut t, sql, Some("db"));
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].1, sql);
}

//! `SHOW CREATE TABLE` output of MariaDB 10.11 (captured from a real server) and MySQL 8, and
//! the kit's all-types DDL.

use super::*;

#[test]
fn mariadb_show_create_all_types() {
    let mut t = Tables::default();
    let events = apply(&mut t, MARIADB_ALL_TYPES, Some("inventory"));
    assert_eq!(events[0].0, "inventory");
    assert_eq!(single_change(&events).kind, TableChangeKind::Create);
    let c = |name: &str| col(&t, "inventory", "all_types", name);
    let u = Some("utf8mb4");
    let n = (true, true, None);
    let with = |ty: &'static str, jdbc, len, scale, cs| -> Expect<'static> {
        (ty, jdbc, len, scale, cs, n.0, n.1, n.2)
    };
    check(
        c("id"),
        ("INT", 4, Some(11), None, None, false, false, None),
    );
    check(c("c_tinyint"), with("TINYINT", 5, Some(4), None, None));
    check(c("c_smallint"), with("SMALLINT", 5, Some(6), None, None));
    check(c("c_mediumint"), with("MEDIUMINT", 4, Some(9), None, None));
    check(c("c_int"), with("INT", 4, Some(11), None, None));
    check(c("c_int_u"), with("INT UNSIGNED", 4, Some(10), None, None));
    check(c("c_bigint"), with("BIGINT", -5, Some(20), None, None));
    check(
        c("c_bigint_u"),
        with("BIGINT UNSIGNED", -5, Some(20), None, None),
    );
    check(c("c_decimal"), with("DECIMAL", 3, Some(10), Some(2), None));
    check(c("c_float"), with("FLOAT", 6, None, None, None));
    check(c("c_double"), with("DOUBLE", 8, None, None, None));
    check(c("c_varchar"), with("VARCHAR", 12, Some(255), None, u));
    check(c("c_char"), with("CHAR", 1, Some(10), None, u));
    check(c("c_text"), with("TEXT", 12, None, None, u));
    check(c("c_blob"), with("BLOB", 2004, None, None, None));
    check(
        c("c_varbinary"),
        with("VARBINARY", -3, Some(16), None, None),
    );
    check(c("c_date"), with("DATE", 91, None, None, None));
    check(c("c_time"), with("TIME", 92, Some(6), None, None));
    check(c("c_datetime"), with("DATETIME", 93, Some(6), None, None));
    check(
        c("c_timestamp"),
        with("TIMESTAMP", 2014, Some(3), None, None),
    );
    check(c("c_year"), with("YEAR", 4, Some(4), None, None));
    check(c("c_enum"), with("ENUM", 1, Some(1), None, u));
    assert_eq!(c("c_enum").enum_values, ["small", "medium", "large"]);
    check(c("c_set"), with("SET", 1, Some(7), None, u));
    assert_eq!(c("c_set").enum_values, ["a", "b", "c", "d"]);
    check(c("c_bit"), with("BIT", -7, Some(5), None, None));
    check(c("c_json"), with("LONGTEXT", 12, None, None, u));
    check(c("c_bool"), with("TINYINT", 5, Some(1), None, None));
    let all = table(&t, "inventory", "all_types");
    assert_eq!(all.primary_key, ["id"]);
    assert_eq!(all.default_charset.as_deref(), Some("utf8mb4"));
    assert_eq!(all.columns.len(), 26);
    assert!(all
        .columns
        .iter()
        .skip(1)
        .all(|c| !c.auto_incremented && !c.generated));
}

#[test]
fn kit_all_types_ddl() {
    let mut t = Tables::default();
    let events = apply(&mut t, KIT_ALL_TYPES, Some("inventory"));
    assert_eq!(events.len(), 1);
    let c = |name: &str| col(&t, "inventory", "all_types", name);
    check(
        c("c_tinyint"),
        ("TINYINT", 5, None, None, None, true, true, None),
    );
    check(
        c("c_int_u"),
        ("INT UNSIGNED", 4, None, None, None, true, true, None),
    );
    check(
        c("c_bigint_u"),
        ("BIGINT UNSIGNED", -5, None, None, None, true, true, None),
    );
    check(
        c("c_varchar"),
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
    check(c("c_year"), ("YEAR", 4, None, None, None, true, true, None));
    check(
        c("c_json"),
        ("JSON", 1111, None, None, None, true, true, None),
    );
    check(
        c("c_bool"),
        ("BOOL", 16, None, None, None, true, true, None),
    );
    check(
        c("c_timestamp"),
        ("TIMESTAMP", 2014, Some(3), None, None, true, true, None),
    );
    check(
        c("c_bit"),
        ("BIT", -7, Some(5), None, None, true, true, None),
    );
    check(c("id"), ("INT", 4, None, None, None, false, false, None));
}

#[test]
fn mariadb_show_create_defaults_keys_and_options() {
    let mut t = Tables::default();
    apply(&mut t, MARIADB_T2, Some("inventory"));
    let c = |name: &str| col(&t, "inventory", "t2", name);
    let l = Some("latin1");
    check(
        c("id"),
        (
            "BIGINT UNSIGNED",
            -5,
            Some(20),
            None,
            None,
            false,
            false,
            None,
        ),
    );
    check(
        c("code"),
        ("VARCHAR", 12, Some(10), None, l, false, true, Some("x''y")),
    );
    check(
        c("amount"),
        (
            "DECIMAL",
            3,
            Some(12),
            Some(3),
            None,
            false,
            true,
            Some("-1.500"),
        ),
    );
    check(
        c("c"),
        ("CHAR", 1, Some(3), None, l, true, true, Some("ab")),
    );
    check(
        c("ts"),
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
    assert!(
        !c("ts").auto_incremented,
        "ON UPDATE inside DEFAULT is not auto-increment"
    );
    check(
        c("ts2"),
        (
            "DATETIME",
            93,
            Some(3),
            None,
            None,
            true,
            true,
            Some("1970-01-01 00:00:00"),
        ),
    );
    check(c("u"), ("VARCHAR", 12, Some(36), None, l, true, true, None));
    check(c("note"), ("TEXT", 12, None, None, l, true, true, None));
    assert_eq!(c("note").comment, None, "comments are dropped by default");
    check(
        c("f"),
        (
            "FLOAT UNSIGNED ZEROFILL",
            6,
            Some(7),
            Some(3),
            None,
            true,
            true,
            None,
        ),
    );
    check(
        c("d"),
        ("DATE", 91, None, None, None, true, true, Some("2020-01-01")),
    );
    check(
        c("b"),
        ("BIT", -7, Some(3), None, None, true, true, Some("101")),
    );
    check(
        c("s"),
        (
            "BIGINT UNSIGNED",
            -5,
            Some(20),
            None,
            None,
            false,
            false,
            None,
        ),
    );
    assert!(c("s").auto_incremented && c("s").generated);
    check(c("g"), ("POINT", 1111, None, None, None, true, true, None));
    check(
        c("j"),
        (
            "LONGTEXT",
            12,
            None,
            None,
            Some("utf8mb4"),
            true,
            true,
            Some("{}"),
        ),
    );
    check(
        c("e"),
        (
            "ENUM",
            1,
            Some(1),
            None,
            Some("utf8mb4"),
            false,
            true,
            Some("b"),
        ),
    );
    assert_eq!(c("e").enum_values, ["it's", "b"]);
    check(
        c("ut"),
        (
            "VARCHAR",
            12,
            Some(5),
            None,
            Some("utf8mb4"),
            true,
            true,
            None,
        ),
    );
    // Debezium's grammar files a bare `ON UPDATE CURRENT_TIMESTAMP` under AUTO_INCREMENT.
    assert!(c("g2").auto_incremented && c("g2").generated);
    let t2 = table(&t, "inventory", "t2");
    assert_eq!(t2.primary_key, ["id", "code"]);
    assert_eq!(t2.default_charset.as_deref(), Some("latin1"));
    assert_eq!(t2.comment, None);

    let mut with_comments = Tables::default();
    let opts = DdlOptions {
        include_comments: true,
    };
    with_comments
        .apply_ddl_with(MARIADB_T2, Some("inventory"), &opts)
        .unwrap();
    let t2 = table(&with_comments, "inventory", "t2");
    assert_eq!(t2.comment.as_deref(), Some("table ''c''"));
    assert_eq!(
        t2.column("note").unwrap().comment.as_deref(),
        Some("it''s a \"note\"")
    );
}

#[test]
fn mariadb_partitioned_table_unique_key_becomes_key() {
    let sql = "CREATE TABLE `p` (
  `id` int(11) NOT NULL,
  `k` int(11) NOT NULL,
  `v` varchar(3) DEFAULT NULL,
  UNIQUE KEY `k` (`k`,`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
 PARTITION BY RANGE (`id`)
(PARTITION `p0` VALUES LESS THAN (10) ENGINE = InnoDB,
 PARTITION `p1` VALUES LESS THAN MAXVALUE ENGINE = InnoDB)";
    let mut t = Tables::default();
    apply(&mut t, sql, Some("db"));
    assert_eq!(table(&t, "db", "p").primary_key, ["k", "id"]);

    // A unique index over a nullable column is not a key; an inline UNIQUE is (Debezium quirk).
    apply(
        &mut t,
        "CREATE TABLE q (a INT, b INT NOT NULL, UNIQUE KEY (a))",
        Some("db"),
    );
    assert!(table(&t, "db", "q").primary_key.is_empty());
    apply(&mut t, "CREATE TABLE r (a INT UNIQUE, b INT)", Some("db"));
    assert_eq!(table(&t, "db", "r").primary_key, ["a"]);
}

const MYSQL8_SHOW_CREATE: &str = "CREATE TABLE `orders` (
  `id` int NOT NULL AUTO_INCREMENT,
  `first_name` varchar(255) COLLATE utf8mb4_unicode_ci NOT NULL,
  `email` varchar(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_0900_ai_ci DEFAULT NULL,
  `created` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  `uuid` binary(16) DEFAULT (uuid_to_bin(uuid())),
  `geo` point NOT NULL /*!80003 SRID 4326 */,
  `v` int GENERATED ALWAYS AS ((`id` + 1)) VIRTUAL,
  `j` json DEFAULT NULL,
  `price` decimal(8,2) unsigned NOT NULL DEFAULT '0.00',
  PRIMARY KEY (`id`),
  UNIQUE KEY `email` (`email`),
  KEY `idx` (`first_name`(10)) USING BTREE COMMENT 'x',
  SPATIAL KEY `g` (`geo`),
  KEY `fx` ((lower(`email`))),
  CONSTRAINT `c1` CHECK ((`id` > 0))
) ENGINE=InnoDB AUTO_INCREMENT=5 DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_0900_ai_ci ROW_FORMAT=DYNAMIC COMMENT='x' /*!80016 DEFAULT ENCRYPTION='N' */
/*!50100 PARTITION BY RANGE (`id`)
(PARTITION p0 VALUES LESS THAN (10) ENGINE = InnoDB) */";

#[test]
fn mysql8_show_create_table() {
    let mut t = Tables::default();
    apply(&mut t, MYSQL8_SHOW_CREATE, Some("shop"));
    let c = |name: &str| col(&t, "shop", "orders", name);
    let u = Some("utf8mb4");
    check(c("id"), ("INT", 4, None, None, None, false, false, None));
    check(
        c("first_name"),
        ("VARCHAR", 12, Some(255), None, u, false, false, None),
    );
    check(
        c("email"),
        ("VARCHAR", 12, Some(255), None, u, true, true, None),
    );
    check(
        c("created"),
        (
            "DATETIME",
            93,
            Some(3),
            None,
            None,
            false,
            true,
            Some("1970-01-01 00:00:00"),
        ),
    );
    assert!(!c("created").auto_incremented);
    check(
        c("uuid"),
        ("BINARY", -2, Some(16), None, None, true, true, None),
    );
    check(
        c("geo"),
        ("POINT", 1111, None, None, None, false, false, None),
    );
    check(c("v"), ("INT", 4, None, None, None, true, true, None));
    assert!(
        !c("v").generated,
        "Debezium does not flag generated columns"
    );
    check(c("j"), ("JSON", 1111, None, None, None, true, true, None));
    check(
        c("price"),
        (
            "DECIMAL UNSIGNED",
            3,
            Some(8),
            Some(2),
            None,
            false,
            true,
            Some("0.00"),
        ),
    );
    let orders = table(&t, "shop", "orders");
    assert_eq!(orders.primary_key, ["id"]);
    assert_eq!(orders.columns.len(), 9);
}

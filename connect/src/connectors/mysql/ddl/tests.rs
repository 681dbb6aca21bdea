//! Tests for the DDL parser and the table model it maintains. Expected values follow Debezium
//! 3.4's MySQL/MariaDB parser; the MariaDB texts are real `SHOW CREATE TABLE` output of
//! MariaDB 10.11.

use super::*;

mod alter;
mod create;
mod history;
mod show_create;

fn apply(t: &mut Tables, sql: &str, db: Option<&str>) -> Vec<(String, String, DdlEvent)> {
    match t.apply_ddl(sql, db) {
        Ok(events) => events,
        Err(e) => panic!("{e}"),
    }
}

fn table<'t>(t: &'t Tables, db: &str, name: &str) -> &'t Table {
    t.get(&TableId::new(db, name))
        .unwrap_or_else(|| panic!("no table {db}.{name}"))
}

fn col<'t>(t: &'t Tables, db: &str, name: &str, column: &str) -> &'t Column {
    table(t, db, name)
        .column(column)
        .unwrap_or_else(|| panic!("no column {column}"))
}

fn names(t: &Table) -> Vec<&str> {
    t.columns.iter().map(|c| c.name.as_str()).collect()
}

/// (type_name, jdbc_type, length, scale, charset, optional, has_default, default_expression)
type Expect<'a> = (
    &'a str,
    i32,
    Option<i32>,
    Option<i32>,
    Option<&'a str>,
    bool,
    bool,
    Option<&'a str>,
);

fn check(c: &Column, e: Expect) {
    let got: Expect = (
        c.type_name.as_str(),
        c.jdbc_type,
        c.length,
        c.scale,
        c.charset.as_deref(),
        c.optional,
        c.has_default,
        c.default_expression.as_deref(),
    );
    assert_eq!(got, e, "column {}", c.name);
    assert_eq!(c.type_expression, c.type_name, "column {}", c.name);
}

fn single_change(events: &[(String, String, DdlEvent)]) -> &TableChange {
    assert_eq!(events.len(), 1, "{events:?}");
    match &events[0].2 {
        DdlEvent::TableChanges(changes) if changes.len() == 1 => &changes[0],
        other => panic!("expected one table change, got {other:?}"),
    }
}

const CUSTOMERS: &str = "CREATE TABLE inventory.customers (
  id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  first_name VARCHAR(255) NOT NULL,
  balance DECIMAL(10,2) DEFAULT 0.00,
  size ENUM('S','M','L'),
  updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)";

fn inventory() -> Tables {
    let mut t = Tables::default();
    apply(
        &mut t,
        "CREATE DATABASE inventory CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci",
        None,
    );
    apply(&mut t, CUSTOMERS, Some("inventory"));
    t
}

const MARIADB_ALL_TYPES: &str = "CREATE TABLE `all_types` (
  `id` int(11) NOT NULL AUTO_INCREMENT,
  `c_tinyint` tinyint(4) DEFAULT NULL,
  `c_smallint` smallint(6) DEFAULT NULL,
  `c_mediumint` mediumint(9) DEFAULT NULL,
  `c_int` int(11) DEFAULT NULL,
  `c_int_u` int(10) unsigned DEFAULT NULL,
  `c_bigint` bigint(20) DEFAULT NULL,
  `c_bigint_u` bigint(20) unsigned DEFAULT NULL,
  `c_decimal` decimal(10,2) DEFAULT NULL,
  `c_float` float DEFAULT NULL,
  `c_double` double DEFAULT NULL,
  `c_varchar` varchar(255) DEFAULT NULL,
  `c_char` char(10) DEFAULT NULL,
  `c_text` text DEFAULT NULL,
  `c_blob` blob DEFAULT NULL,
  `c_varbinary` varbinary(16) DEFAULT NULL,
  `c_date` date DEFAULT NULL,
  `c_time` time(6) DEFAULT NULL,
  `c_datetime` datetime(6) DEFAULT NULL,
  `c_timestamp` timestamp(3) NULL DEFAULT NULL,
  `c_year` year(4) DEFAULT NULL,
  `c_enum` enum('small','medium','large') DEFAULT NULL,
  `c_set` set('a','b','c','d') DEFAULT NULL,
  `c_bit` bit(5) DEFAULT NULL,
  `c_json` longtext CHARACTER SET utf8mb4 COLLATE utf8mb4_bin DEFAULT NULL CHECK (json_valid(`c_json`)),
  `c_bool` tinyint(1) DEFAULT NULL,
  PRIMARY KEY (`id`)
) ENGINE=InnoDB AUTO_INCREMENT=4 DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci";

const KIT_ALL_TYPES: &str = "CREATE TABLE all_types (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, c_tinyint TINYINT, c_smallint SMALLINT, c_mediumint MEDIUMINT, c_int INT, c_int_u INT UNSIGNED, c_bigint BIGINT, c_bigint_u BIGINT UNSIGNED, c_decimal DECIMAL(10,2), c_float FLOAT, c_double DOUBLE, c_varchar VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci, c_char CHAR(10), c_text TEXT, c_blob BLOB, c_varbinary VARBINARY(16), c_date DATE, c_time TIME(6), c_datetime DATETIME(6), c_timestamp TIMESTAMP(3) NULL DEFAULT NULL, c_year YEAR, c_enum ENUM('small','medium','large'), c_set SET('a','b','c','d'), c_bit BIT(5), c_json JSON, c_bool BOOL) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;";

const MARIADB_T2: &str = "CREATE TABLE `t2` (
  `id` bigint(20) unsigned NOT NULL,
  `code` varchar(10) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL DEFAULT 'x''y',
  `amount` decimal(12,3) NOT NULL DEFAULT -1.500,
  `c` char(3) DEFAULT 'ab',
  `ts` timestamp NOT NULL DEFAULT current_timestamp() ON UPDATE current_timestamp(),
  `ts2` datetime(3) DEFAULT current_timestamp(3),
  `u` varchar(36) DEFAULT uuid(),
  `note` text DEFAULT NULL COMMENT 'it''s a \"note\"',
  `f` float(7,3) unsigned zerofill DEFAULT NULL,
  `d` date DEFAULT '2020-01-01',
  `b` bit(3) DEFAULT b'101',
  `s` bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  `g` point DEFAULT NULL,
  `j` longtext CHARACTER SET utf8mb4 COLLATE utf8mb4_bin DEFAULT '{}' CHECK (json_valid(`j`)),
  `e` enum('it''s','b') CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci NOT NULL DEFAULT 'b',
  `ut` varchar(5) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin DEFAULT NULL,
  `g2` datetime DEFAULT NULL ON UPDATE current_timestamp(),
  PRIMARY KEY (`id`,`code`),
  UNIQUE KEY `s` (`s`),
  UNIQUE KEY `uk` (`code`),
  KEY `idx_amount` (`amount`),
  FULLTEXT KEY `ft` (`note`),
  CONSTRAINT `fk` FOREIGN KEY (`id`) REFERENCES `parent` (`pid`) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=latin1 COLLATE=latin1_swedish_ci COMMENT='table ''c'''";

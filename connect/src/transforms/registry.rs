//! The plugin registry: Kafka's (and Debezium's) fully qualified class names, `$Key`/`$Value`
//! included, mapped to fresh, unconfigured instances. The lists feed `GET /connector-plugins`.

use crate::transforms::predicates::{has_header_key, record_is_tombstone, topic_name_matches};
use crate::transforms::{
    cast, debezium, drop_headers, extract_field, filter, flatten, header_from, hoist_field,
    insert_field, insert_header, mask_field, regex_router, replace_field, set_schema_metadata,
    timestamp_converter, timestamp_router, value_to_key,
};
use crate::transforms::{
    ByLogicalTableRouter, Cast, DropHeaders, ExtractField, ExtractNewRecordState, Filter, Flatten,
    HasHeaderKey, HeaderFrom, HoistField, InsertField, InsertHeader, MaskField, Predicate,
    RecordIsTombstone, RegexRouter, ReplaceField, SetSchemaMetadata, TimestampConverter,
    TimestampRouter, TopicNameMatches, Transformation, ValueToKey,
};

/// Every transformation class we provide, in the order Kafka lists its plugins (by name).
pub const TRANSFORMATION_CLASSES: &[&str] = &[
    cast::KEY_CLASS,
    cast::VALUE_CLASS,
    drop_headers::CLASS,
    extract_field::KEY_CLASS,
    extract_field::VALUE_CLASS,
    filter::CLASS,
    flatten::KEY_CLASS,
    flatten::VALUE_CLASS,
    header_from::KEY_CLASS,
    header_from::VALUE_CLASS,
    hoist_field::KEY_CLASS,
    hoist_field::VALUE_CLASS,
    insert_field::KEY_CLASS,
    insert_field::VALUE_CLASS,
    insert_header::CLASS,
    mask_field::KEY_CLASS,
    mask_field::VALUE_CLASS,
    regex_router::CLASS,
    replace_field::KEY_CLASS,
    replace_field::VALUE_CLASS,
    set_schema_metadata::KEY_CLASS,
    set_schema_metadata::VALUE_CLASS,
    timestamp_converter::KEY_CLASS,
    timestamp_converter::VALUE_CLASS,
    timestamp_router::CLASS,
    value_to_key::CLASS,
    debezium::by_logical_table_router::CLASS,
    debezium::extract_new_record_state::CLASS,
];

pub const PREDICATE_CLASSES: &[&str] = &[
    has_header_key::CLASS,
    record_is_tombstone::CLASS,
    topic_name_matches::CLASS,
];

/// Kafka also accepts a plugin's simple class name as an alias when it is unambiguous.
fn canonical(class: &str, all: &[&'static str]) -> Option<&'static str> {
    let class = class.trim();
    if let Some(found) = all.iter().find(|c| **c == class) {
        return Some(found);
    }
    if class.contains('.') {
        return None;
    }
    let mut matches = all.iter().filter(|c| c.rsplit('.').next() == Some(class));
    match (matches.next(), matches.next()) {
        (Some(one), None) => Some(one),
        _ => None,
    }
}

/// The full class name a transformation `class` setting resolves to, if we provide it.
pub fn transformation_class(class: &str) -> Option<&'static str> {
    canonical(class, TRANSFORMATION_CLASSES)
}

/// The full class name a predicate `class` setting resolves to, if we provide it.
pub fn predicate_class(class: &str) -> Option<&'static str> {
    canonical(class, PREDICATE_CLASSES)
}

/// A new, unconfigured transformation for a class name (or unambiguous simple name).
pub fn create_transformation(class: &str) -> Option<Box<dyn Transformation>> {
    let class = canonical(class, TRANSFORMATION_CLASSES)?;
    Some(match class {
        cast::KEY_CLASS => Box::new(Cast::key()),
        cast::VALUE_CLASS => Box::new(Cast::value()),
        drop_headers::CLASS => Box::new(DropHeaders::new()),
        extract_field::KEY_CLASS => Box::new(ExtractField::key()),
        extract_field::VALUE_CLASS => Box::new(ExtractField::value()),
        filter::CLASS => Box::new(Filter::new()),
        flatten::KEY_CLASS => Box::new(Flatten::key()),
        flatten::VALUE_CLASS => Box::new(Flatten::value()),
        header_from::KEY_CLASS => Box::new(HeaderFrom::key()),
        header_from::VALUE_CLASS => Box::new(HeaderFrom::value()),
        hoist_field::KEY_CLASS => Box::new(HoistField::key()),
        hoist_field::VALUE_CLASS => Box::new(HoistField::value()),
        insert_field::KEY_CLASS => Box::new(InsertField::key()),
        insert_field::VALUE_CLASS => Box::new(InsertField::value()),
        insert_header::CLASS => Box::new(InsertHeader::new()),
        mask_field::KEY_CLASS => Box::new(MaskField::key()),
        mask_field::VALUE_CLASS => Box::new(MaskField::value()),
        regex_router::CLASS => Box::new(RegexRouter::new()),
        replace_field::KEY_CLASS => Box::new(ReplaceField::key()),
        replace_field::VALUE_CLASS => Box::new(ReplaceField::value()),
        set_schema_metadata::KEY_CLASS => Box::new(SetSchemaMetadata::key()),
        set_schema_metadata::VALUE_CLASS => Box::new(SetSchemaMetadata::value()),
        timestamp_converter::KEY_CLASS => Box::new(TimestampConverter::key()),
        timestamp_converter::VALUE_CLASS => Box::new(TimestampConverter::value()),
        timestamp_router::CLASS => Box::new(TimestampRouter::new()),
        value_to_key::CLASS => Box::new(ValueToKey::new()),
        debezium::by_logical_table_router::CLASS => Box::new(ByLogicalTableRouter::new()),
        debezium::extract_new_record_state::CLASS => Box::new(ExtractNewRecordState::new()),
        _ => return None,
    })
}

/// A new, unconfigured predicate for a class name (or unambiguous simple name).
pub fn create_predicate(class: &str) -> Option<Box<dyn Predicate>> {
    let class = canonical(class, PREDICATE_CLASSES)?;
    Some(match class {
        has_header_key::CLASS => Box::new(HasHeaderKey::new()),
        record_is_tombstone::CLASS => Box::new(RecordIsTombstone::new()),
        topic_name_matches::CLASS => Box::new(TopicNameMatches::new()),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_class_can_be_created() {
        for class in TRANSFORMATION_CLASSES {
            assert!(create_transformation(class).is_some(), "{class}");
        }
        for class in PREDICATE_CLASSES {
            assert!(create_predicate(class).is_some(), "{class}");
        }
    }

    #[test]
    fn aliases_and_unknowns() {
        assert!(create_transformation("RegexRouter").is_some());
        assert!(create_transformation(" org.apache.kafka.connect.transforms.Filter ").is_some());
        assert!(create_transformation("ExtractNewRecordState").is_some());
        // `InsertField$Value` is not a simple name of anything; `Value` would be ambiguous.
        assert!(create_transformation("Value").is_none());
        assert!(create_transformation("org.apache.kafka.connect.transforms.InsertField").is_none());
        assert!(create_transformation("com.example.Nope").is_none());
        assert!(create_predicate("TopicNameMatches").is_some());
        assert_eq!(
            transformation_class("RegexRouter"),
            Some(regex_router::CLASS)
        );
        assert_eq!(predicate_class("RegexRouter"), None);
        assert!(create_predicate("org.apache.kafka.connect.transforms.RegexRouter").is_none());
    }
}

//! Registry tests, a no-panic sweep feeding mutated bytes to every converter, and a check that
//! the deepest accepted input converts on half a default thread stack.

use super::*;
use crate::data::{Schema, Type};

#[test]
fn registry_resolves_names_and_aliases() {
    for class in CONVERTER_CLASSES {
        assert!(create_converter(class).is_some(), "{class}");
    }
    for class in HEADER_CONVERTER_CLASSES {
        assert!(create_header_converter(class).is_some(), "{class}");
    }
    let mut sorted = HEADER_CONVERTER_CLASSES.to_vec();
    sorted.sort_unstable();
    assert_eq!(sorted, HEADER_CONVERTER_CLASSES);
    for alias in [
        "JsonConverter",
        "Json",
        "StringConverter",
        "ByteArray",
        "IntegerConverter",
        "Long",
        " org.apache.kafka.connect.json.JsonConverter ",
    ] {
        assert!(create_converter(alias).is_some(), "{alias}");
    }
    assert_eq!(resolve_class("Simple"), Some(SIMPLE_HEADER_CONVERTER));
    assert_eq!(
        resolve_class("SimpleHeaderConverter"),
        Some(SIMPLE_HEADER_CONVERTER)
    );
    assert!(create_converter("SimpleHeaderConverter").is_none());
    assert!(create_header_converter("SimpleHeaderConverter").is_some());
    assert!(create_converter("io.confluent.connect.avro.AvroConverter").is_none());
    assert!(create_converter("json").is_none());
    assert!(create_header_converter("Nope").is_none());
}

#[test]
fn registry_instances_behave() {
    let mut c = create_converter("org.apache.kafka.connect.converters.IntegerConverter").unwrap();
    c.configure(&HashMap::new(), true).unwrap();
    assert_eq!(
        c.from_connect("t", None, &Value::Int32(1)).unwrap(),
        Some(vec![0, 0, 0, 1])
    );
    let mut j = create_converter("Json").unwrap();
    let cfg = HashMap::from([("schemas.enable".to_string(), "false".to_string())]);
    j.configure(&cfg, false).unwrap();
    let schema = Schema::new(Type::Float64).build();
    assert_eq!(
        j.from_connect("t", Some(&schema), &Value::Float64(1e7))
            .unwrap(),
        Some(b"1.0E7".to_vec())
    );
}

/// xorshift64*: deterministic pseudo-random input without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

#[test]
fn no_panics_on_arbitrary_input() {
    let seeds: &[&[u8]] = &[
        br#"{"schema":{"type":"struct","fields":[{"type":"map","keys":{"type":"int8"},"values":{"type":"bytes","name":"org.apache.kafka.connect.data.Decimal","parameters":{"scale":"2"}},"field":"m"},{"type":"array","items":{"type":"int32","name":"org.apache.kafka.connect.data.Time"},"optional":true,"default":[1],"field":"a"}]},"payload":{"m":[[1,"AJw="]],"a":null}}"#,
        br#"{"schema":{"type":"double","default":1e999},"payload":-0.0e-999999999}"#,
        br#"{"schema":null,"payload":[1,2.5e308,"x\ud800",{"a":[[]]},99999999999999999999999]}"#,
        br#"[1,"2023-11-14",{"a":"12:30:00.000Z"},[true,null]]"#,
        br#"{"a":[1,,2],"b":{1:2}}"#,
    ];
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let converters: Vec<Box<dyn Converter>> = CONVERTER_CLASSES
        .iter()
        .filter_map(|c| create_converter(c))
        .collect();
    let mut plain_json = JsonConverter::default();
    let cfg = HashMap::from([("schemas.enable".to_string(), "false".to_string())]);
    Converter::configure(&mut plain_json, &cfg, false).unwrap();
    let header = SimpleHeaderConverter;
    for round in 0..3000 {
        let seed = seeds[round % seeds.len()];
        let mut input = seed.to_vec();
        for _ in 0..(rng.next() % 6) {
            let pos = (rng.next() as usize) % (input.len() + 1);
            match rng.next() % 3 {
                0 if pos < input.len() => {
                    input.remove(pos);
                }
                1 if pos < input.len() => input[pos] = rng.next() as u8,
                _ => {
                    let alphabet = b"{}[],:\"\\0e-.9 ";
                    input.insert(pos, alphabet[(rng.next() as usize) % alphabet.len()]);
                }
            }
        }
        if round % 7 == 0 {
            input.truncate((rng.next() as usize) % (input.len() + 1));
        }
        for c in &converters {
            if let Ok((schema, value)) = c.to_connect("t", Some(&input)) {
                let _ = c.from_connect("t", schema.as_ref(), &value);
            }
        }
        if let Ok((schema, value)) = plain_json.to_connect("t", Some(&input)) {
            let _ = plain_json.from_connect("t", schema.as_ref(), &value);
        }
        if let Ok((schema, value)) = header.to_connect_header("t", "h", Some(&input)) {
            let _ = header.from_connect_header("t", "h", schema.as_ref(), &value);
        }
    }
}

/// The deepest accepted input (256 levels) goes through every recursive pass on a 1 MiB
/// stack, half of a default thread's, in whatever profile the tests run.
#[test]
fn deepest_inputs_fit_half_a_thread_stack() {
    let run = || {
        let n = 256;
        let mut plain = JsonConverter::default();
        let cfg = HashMap::from([("schemas.enable".to_string(), "false".to_string())]);
        Converter::configure(&mut plain, &cfg, false).unwrap();
        for json in [
            "[".repeat(n) + &"]".repeat(n),
            "{\"a\":".repeat(n - 1) + "1" + &"}".repeat(n - 1),
        ] {
            let (schema, value) = plain.to_connect("t", Some(json.as_bytes())).unwrap();
            let bytes = plain
                .from_connect("t", schema.as_ref(), &value)
                .unwrap()
                .unwrap();
            assert_eq!(bytes, json.as_bytes());
        }
        let too_deep = "[".repeat(n + 1) + &"]".repeat(n + 1);
        assert!(plain.to_connect("t", Some(too_deep.as_bytes())).is_err());
        // A schema nested as deep as the envelope allows, with a payload.
        let levels = n - 2;
        let schema = "{\"type\":\"array\",\"items\":".repeat(levels)
            + "{\"type\":\"int8\"}"
            + &"}".repeat(levels);
        let env = format!("{{\"schema\":{schema},\"payload\":null}}");
        let c = JsonConverter::default();
        let err = c.to_connect("t", Some(env.as_bytes())).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Invalid null value for required ARRAY field"
        );
        let schema = c.schema_from_json(schema.as_bytes()).unwrap().unwrap();
        let value = (0..levels).fold(Value::Int8(1), |v, _| Value::Array(vec![v]));
        let bytes = c.from_connect("t", Some(&schema), &value).unwrap().unwrap();
        let (back_schema, back) = c.to_connect("t", Some(&bytes)).unwrap();
        assert!(back_schema.is_some());
        assert_eq!(back, value);
        let header = SimpleHeaderConverter;
        let text = "[".repeat(n) + &"]".repeat(n);
        let (schema, _) = header
            .to_connect_header("t", "h", Some(text.as_bytes()))
            .unwrap();
        assert_eq!(schema.map(|s| s.kind), Some(Type::Array));
        let (schema, value) = header
            .to_connect_header("t", "h", Some(&[b'['; 100_000]))
            .unwrap();
        assert_eq!(schema.map(|s| s.kind), Some(Type::Bytes));
        assert_eq!(value, Value::Bytes(vec![b'['; 100_000]));
    };
    std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(run)
        .unwrap()
        .join()
        .unwrap();
}

//! Property tests: canonical write then parse gives an equal value, and writing is
//! deterministic. `PROPTEST_CASES` raises the case count for longer runs.

mod common;

use proptest::prelude::*;
use sdn_codec::{Column, ColumnType, Map, ScalarKind, Table, Value};

fn tricky_string() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("true".to_owned()),
        Just("nil".to_owned()),
        Just("table".to_owned()),
        Just("007".to_owned()),
        Just("1.10".to_owned()),
        Just("-5".to_owned()),
        Just("1e5".to_owned()),
        Just("- item".to_owned()),
        Just("a # b".to_owned()),
        Just("#tag".to_owned()),
        Just("x: y".to_owned()),
        Just("|".to_owned()),
        Just("[a]".to_owned()),
        Just("say \"hi\"\\n".to_owned()),
        Just("line\nbreak\r\n\ttab".to_owned()),
        Just("  padded  ".to_owned()),
        Just("日本語 😀 é".to_owned()),
        Just("/dev/ttyUSB0".to_owned()),
        Just("./src/a.spl".to_owned()),
        "[a-zA-Z_][a-zA-Z0-9_./#-]{0,12}",
        "\\PC{0,16}",
        any::<String>(),
    ]
}

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        4 => common::non_text_scalar(),
        1 => prop_oneof![Just(0.1), Just(1e16), Just(1e-7), Just(-0.0), Just(3.0)].prop_map(Value::from),
        1 => tricky_string().prop_map(Value::from),
    ]
}

fn inline_value() -> impl Strategy<Value = Value> {
    scalar().prop_recursive(2, 8, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((tricky_string(), inner), 0..3)
                .prop_map(|kv| Value::Dict(kv.into_iter().collect())),
        ]
    })
}

fn named_table() -> impl Strategy<Value = Value> {
    (1usize..4, 0usize..4)
        .prop_flat_map(|(ncols, nrows)| {
            (
                prop::collection::hash_set(tricky_string(), ncols..=ncols),
                prop::collection::vec(
                    prop::collection::vec(inline_value(), ncols..=ncols),
                    nrows..=nrows,
                ),
            )
        })
        .prop_map(|(names, rows)| {
            let mut t = Table::with_columns(names);
            t.rows = rows;
            Value::Table(t)
        })
}

fn typed_table() -> impl Strategy<Value = Value> {
    prop::collection::vec(
        prop_oneof![
            Just(ColumnType::I64),
            Just(ColumnType::F64),
            Just(ColumnType::Str),
            Just(ColumnType::Bool)
        ],
        1..4,
    )
    .prop_flat_map(|types| {
        let cell = |ty: ColumnType| -> BoxedStrategy<Value> {
            match ty {
                ColumnType::I64 => any::<i64>().prop_map(Value::from).boxed(),
                ColumnType::F64 => (-1e9f64..1e9).prop_map(Value::from).boxed(),
                ColumnType::Str => tricky_string().prop_map(Value::from).boxed(),
                ColumnType::Bool => any::<bool>().prop_map(Value::from).boxed(),
            }
        };
        let row: Vec<BoxedStrategy<Value>> = types.iter().map(|&t| cell(t)).collect();
        (Just(types), prop::collection::vec(row, 0..3))
    })
    .prop_map(|(types, rows)| {
        let mut t = Table::with_types(types);
        t.rows = rows;
        Value::Table(t)
    })
}

fn block_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![4 => inline_value(), 1 => named_table(), 1 => typed_table()];
    leaf.prop_recursive(3, 24, 5, |inner| {
        let no_table = inner
            .clone()
            .prop_filter("tables only under keys", |v| !matches!(v, Value::Table(_)));
        prop_oneof![
            prop::collection::vec(no_table, 0..5).prop_map(Value::Array),
            prop::collection::vec((tricky_string(), inner), 0..5)
                .prop_map(|kv| Value::Dict(kv.into_iter().collect())),
        ]
    })
}

fn document() -> impl Strategy<Value = Value> {
    prop::collection::vec((tricky_string(), block_value()), 0..6)
        .prop_map(|kv| Value::Dict(kv.into_iter().collect::<Map>()))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn canonical_write_reads_back_equal(doc in document()) {
        let text = sdn_codec::to_canonical_string(&doc).unwrap();
        let back = sdn_codec::parse(&text).unwrap_or_else(|e| panic!("{e}\n--- text ---\n{text}"));
        prop_assert_eq!(&back, &doc, "text:\n{}", text);
        // Deterministic, and stable through a second round.
        prop_assert_eq!(sdn_codec::to_canonical_string(&doc).unwrap(), text.clone());
        prop_assert_eq!(sdn_codec::to_canonical_string(&back).unwrap(), text);
    }

    #[test]
    fn scalar_text_round_trips(s in tricky_string()) {
        let text = sdn_codec::write::format_string(&s);
        let back = sdn_codec::parse_value_text(&text).unwrap();
        prop_assert_eq!(back.scalar_kind(), Some(&ScalarKind::String(s)));
    }
}

#[test]
fn non_finite_floats_are_an_error() {
    for f in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let mut m = Map::new();
        m.insert("x", vec![Value::from(f)]);
        let err = sdn_codec::to_canonical_string(&Value::Dict(m)).unwrap_err();
        assert_eq!(err.kind(), &sdn_codec::ErrorKind::NonFiniteFloat);
        assert!(err.message().contains("at `x`"), "{}", err.message());
    }
}

#[test]
fn mixed_columns_and_misshapen_rows_are_unwritable() {
    let mut t = Table::with_columns(["a"]);
    t.columns.push(Column::typed(ColumnType::I64));
    let mut m = Map::new();
    m.insert("t", t);
    assert!(sdn_codec::to_canonical_string(&Value::Dict(m)).is_err());
    let mut t = Table::with_columns(["a", "b"]);
    t.rows.push(vec![Value::from(1)]);
    let mut m = Map::new();
    m.insert("t", t);
    let err = sdn_codec::to_canonical_string(&Value::Dict(m)).unwrap_err();
    assert_eq!(
        err.kind(),
        &sdn_codec::ErrorKind::WrongCellCount {
            expected: 2,
            found: 1
        }
    );
}

use super::map::SMALL_MAP;
use super::*;

#[test]
fn source_text_is_exact_whether_kept_inline_or_on_the_heap() {
    // 21, 22 and 23 bytes: around the inline limit.
    let texts = [
        "007",
        "-0",
        "1.10",
        "nil",
        "true",
        "\"\"",
        "\"é✓ \\t\"",
        "1.0000000000000000001",
        "1.00000000000000000001",
        "1.000000000000000000001",
        "\"a quoted string longer than the inline room\"",
        "-9223372036854775808",
    ];
    for text in texts {
        let doc = crate::parse(&format!("v: {text}\n")).expect("parses");
        let scalar = doc["v"].as_scalar().expect("scalar");
        assert_eq!(scalar.source_text(), Some(text), "{text}");
        assert_eq!(scalar.is_quoted(), text.starts_with('"'), "{text}");
        if !matches!(scalar.kind(), ScalarKind::String(_)) {
            assert_eq!(scalar.text(), text, "{text}");
        }
    }
    let cloned = crate::parse("v: 42\n").expect("parses")["v"].clone();
    assert_eq!(cloned.source_text(), Some("42"));
    let mut scalar = Scalar::with_source(ScalarKind::Int(5), "0005");
    scalar.kind_mut();
    assert_eq!(scalar.source_text(), None);
}

/// Insertions, positional insertions and removals across the size where the map
/// starts to keep an index, checked against a plain list of entries.
#[test]
fn map_lookups_match_a_list_model_across_the_index_threshold() {
    let mut map = Map::new();
    let mut model: Vec<(String, i64)> = Vec::new();
    let check = |map: &Map, model: &[(String, i64)]| {
        assert_eq!(map.len(), model.len());
        for (i, (k, v)) in model.iter().enumerate() {
            assert_eq!(map.position(k), Some(i), "{k}");
            assert_eq!(map.get(k).and_then(Value::as_i64), Some(*v), "{k}");
            assert_eq!(map.get_index(i).map(|(k, _)| k), Some(k.as_str()));
        }
        assert!(!map.contains_key("absent"));
    };
    for i in 0..(SMALL_MAP as i64 * 3) {
        let key = format!("k{i}");
        assert!(map.insert(key.clone(), i).is_none());
        model.push((key, i));
        check(&map, &model);
    }
    // Replacing keeps the position.
    assert_eq!(map.insert("k3", 100).and_then(|v| v.as_i64()), Some(3));
    model[3].1 = 100;
    check(&map, &model);
    for key in ["k0", "k10", "k23", "k5"] {
        let at = model.iter().position(|(k, _)| k == key).expect("present");
        let (_, value) = model.remove(at);
        assert_eq!(map.remove(key).and_then(|v| v.as_i64()), Some(value));
        assert!(map.remove(key).is_none());
        check(&map, &model);
    }
    map.insert_at(2, "new", -1);
    model.insert(2, ("new".to_owned(), -1));
    check(&map, &model);
    // Small maps (no index) behave the same.
    let mut small = Map::new();
    let mut small_model = Vec::new();
    for (i, key) in ["b", "a", "c"].into_iter().enumerate() {
        small.insert_at(0, key, i as i64);
        small_model.insert(0, (key.to_owned(), i as i64));
        check(&small, &small_model);
    }
    small.remove("a");
    small_model.retain(|(k, _)| k != "a");
    check(&small, &small_model);
}

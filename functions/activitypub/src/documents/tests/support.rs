//! Test helpers: reading the shared samples, and comparing documents with key order.

use serde_json::Value;
use std::path::PathBuf;

/// `/work/shared` as seen from this crate.
pub fn shared(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared").join(path)
}

/// The bytes of a shared file.
pub fn bytes(path: &str) -> Vec<u8> {
    let path = shared(path);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A shared JSON file.
pub fn json(path: &str) -> Value {
    serde_json::from_slice(&bytes(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The sorted file names of a shared directory.
pub fn files(dir: &str) -> Vec<String> {
    let dir = shared(dir);
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// `document` without its `signature` (what we build; the signatures module adds it).
pub fn unsigned(mut document: Value) -> Value {
    if let Value::Object(map) = &mut document {
        map.shift_remove("signature");
    }
    document
}

/// Asserts that `ours` equals `expected` including the order of every object's keys, naming the
/// first difference by its path.
pub fn assert_same(ours: &Value, expected: &Value, what: &str) {
    if let Some(difference) = first_difference(ours, expected, "") {
        panic!("{what}: {difference}");
    }
}

fn first_difference(ours: &Value, expected: &Value, path: &str) -> Option<String> {
    match (ours, expected) {
        (Value::Object(a), Value::Object(b)) => {
            let keys_a: Vec<&String> = a.keys().collect();
            let keys_b: Vec<&String> = b.keys().collect();
            if keys_a != keys_b {
                return Some(format!("at {path:?}: keys {keys_a:?}\n  expected {keys_b:?}"));
            }
            a.iter().find_map(|(key, value)| first_difference(value, &b[key], &format!("{path}.{key}")))
        }
        (Value::Array(a), Value::Array(b)) => {
            if a.len() != b.len() {
                return Some(format!("at {path:?}: {} items, expected {}", a.len(), b.len()));
            }
            a.iter()
                .zip(b)
                .enumerate()
                .find_map(|(i, (x, y))| first_difference(x, y, &format!("{path}[{i}]")))
        }
        (a, b) if a == b => None,
        (a, b) => Some(format!("at {path:?}: {a} expected {b}")),
    }
}

#[test]
#[should_panic(expected = "keys")]
fn assert_same_sees_key_order() {
    let a: Value = serde_json::from_str(r#"{"a": 1, "b": 2}"#).unwrap();
    let b: Value = serde_json::from_str(r#"{"b": 2, "a": 1}"#).unwrap();
    assert_same(&a, &b, "order");
}

#[test]
#[should_panic(expected = "at \".x[1]\"")]
fn assert_same_names_the_difference() {
    let a: Value = serde_json::from_str(r#"{"x": [1, 2]}"#).unwrap();
    let b: Value = serde_json::from_str(r#"{"x": [1, 3]}"#).unwrap();
    assert_same(&a, &b, "value");
}

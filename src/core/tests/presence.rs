//! Presence key order (`core::presence::KeyOrder`) against a naive model of JavaScript's
//! `OrdinaryOwnPropertyKeys`: array indices ascending, then strings by creation.
use proptest::prelude::*;

use crate::core::presence::{array_index, KeyOrder};

/// The naive model: keys in creation order, listed the way `Object.getOwnPropertyNames` does.
#[derive(Default)]
struct Model {
    created: Vec<String>,
}

impl Model {
    fn insert(&mut self, k: &str) -> bool {
        if self.created.iter().any(|c| c == k) {
            return false;
        }
        self.created.push(k.to_owned());
        true
    }

    fn remove(&mut self, k: &str) -> bool {
        let before = self.created.len();
        self.created.retain(|c| c != k);
        before != self.created.len()
    }

    fn list(&self) -> Vec<String> {
        let mut ints: Vec<(u32, String)> = self
            .created
            .iter()
            .filter_map(|k| array_index(k).map(|i| (i, k.clone())))
            .collect();
        ints.sort();
        let strs = self
            .created
            .iter()
            .filter(|k| array_index(k).is_none())
            .cloned();
        ints.into_iter().map(|(_, k)| k).chain(strs).collect()
    }
}

#[test]
fn integer_like_keys_come_first_in_ascending_order() {
    let mut o = KeyOrder::new();
    for k in ["b", "10", "2", "a"] {
        o.insert(k);
    }
    let order: Vec<usize> = ["2", "10", "b", "a"]
        .iter()
        .map(|k| o.position(k).unwrap())
        .collect();
    assert_eq!(order, [0, 1, 2, 3]);
    // Deleting a string key and adding it again moves it to the end.
    o.remove("b");
    o.insert("b");
    assert_eq!(o.position("a"), Some(2));
    assert_eq!(o.position("b"), Some(3));
}

#[test]
fn what_counts_as_an_array_index() {
    for (k, want) in [
        ("0", Some(0)),
        ("7", Some(7)),
        ("4294967294", Some(4294967294)),
        ("4294967295", None),
        ("01", None),
        ("-1", None),
        ("+1", None),
        ("1.0", None),
        ("", None),
        (" 1", None),
        ("99999999999", None),
    ] {
        assert_eq!(array_index(k), want, "{k:?}");
    }
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        (0u32..20).prop_map(|n| n.to_string()),
        Just("4294967294".to_owned()),
        Just("4294967295".to_owned()),
        Just("01".to_owned()),
        "[a-d]{1,2}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn key_order_matches_the_model(ops in prop::collection::vec((any::<bool>(), key()), 0..60)) {
        let mut o = KeyOrder::new();
        let mut m = Model::default();
        for (insert, k) in &ops {
            if *insert {
                let (pos, new) = o.insert(k);
                prop_assert_eq!(new, m.insert(k));
                prop_assert_eq!(Some(pos), m.list().iter().position(|c| c == k));
            } else {
                let had = m.list().iter().position(|c| c == k);
                prop_assert_eq!(o.remove(k), had);
                m.remove(k);
            }
            let list = m.list();
            prop_assert_eq!(o.len(), list.len());
            for (i, k) in list.iter().enumerate() {
                prop_assert_eq!(o.position(k), Some(i));
            }
        }
    }
}

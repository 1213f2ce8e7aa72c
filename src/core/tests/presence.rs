//! Presence's decisions against naive models: key order (`KeyOrder`, `Tracker`) against
//! JavaScript's `OrdinaryOwnPropertyKeys` (array indices ascending, then strings by
//! creation), and the metas filters against `Array.prototype.filter` + `indexOf`.
//!
//! [`Facade`] plays `js/presence.js`: it keeps a state object (the model) and, beside it, the
//! keys and values in property order, patched only where the tracker says. `list()` reads those
//! arrays; phoenix.js walks the object. They must agree, including after the app changes the
//! object behind the facade's back (through the state proxy's traps, which call the tracker
//! exactly as the facade's own writes do).
use proptest::prelude::*;

use crate::core::presence::{
    array_index, sync_state_metas, unmatched, KeyOrder, Placement, Removal, Tracker, Trackers,
};

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

/// A JavaScript object as phoenix.js sees it: keys in creation order with their values.
#[derive(Default)]
struct Object {
    model: Model,
    values: std::collections::HashMap<String, u32>,
}

impl Object {
    fn set(&mut self, k: &str, v: u32) {
        self.model.insert(k);
        self.values.insert(k.to_owned(), v);
    }

    fn delete(&mut self, k: &str) {
        self.model.remove(k);
        self.values.remove(k);
    }

    /// phoenix.js's `list()`: `Object.getOwnPropertyNames(obj).map(key => obj[key])`.
    fn walk(&self) -> Vec<(String, u32)> {
        self.model
            .list()
            .into_iter()
            .map(|k| {
                let v = self.values[&k];
                (k, v)
            })
            .collect()
    }
}

/// What `js/presence.js` does with a tracked state: the object, its tracker and the two arrays.
#[derive(Default)]
struct Facade {
    obj: Object,
    tracker: Tracker,
    keys: Vec<String>,
    vals: Vec<u32>,
}

impl Facade {
    /// `state[k] = v`, from `syncDiff` or from the app through the proxy's `defineProperty` trap.
    fn set(&mut self, k: &str, v: u32) {
        self.obj.set(k, v);
        match self.tracker.set(k) {
            Placement::Insert(p) => {
                self.keys.insert(p, k.to_owned());
                self.vals.insert(p, v);
            }
            Placement::Replace(p) => self.vals[p] = v,
            Placement::Lost => {}
        }
    }

    /// `delete state[k]`, from `syncDiff` or through the `deleteProperty` trap.
    fn delete(&mut self, k: &str) {
        self.obj.delete(k);
        if let Removal::At(p) = self.tracker.delete(k) {
            self.keys.remove(p);
            self.vals.remove(p);
        }
    }

    /// `list()` with the keys: the arrays, or a walk once the tracker is lost.
    fn list(&self) -> Vec<(String, u32)> {
        if self.tracker.is_lost() {
            return self.obj.walk();
        }
        self.keys
            .iter()
            .cloned()
            .zip(self.vals.iter().copied())
            .collect()
    }
}

#[test]
fn an_outside_change_between_two_lists_shows_in_the_second() {
    // const s = p.state; p.list(); s.c = ...; delete s.a; p.list()
    let mut f = Facade::default();
    for (k, v) in [("a", 1), ("b", 2), ("10", 3)] {
        f.set(k, v);
    }
    assert_eq!(f.list(), f.obj.walk());
    let names = |l: Vec<(String, u32)>| l.into_iter().map(|(k, _)| k).collect::<Vec<_>>();
    assert_eq!(names(f.list()), ["10", "a", "b"]);
    // The app, behind the facade's back (through the proxy).
    f.set("c", 4);
    f.delete("a");
    f.set("b", 5);
    f.set("2", 6);
    assert_eq!(f.list(), f.obj.walk());
    assert_eq!(
        f.list(),
        [
            ("2".to_owned(), 6),
            ("10".to_owned(), 3),
            ("b".to_owned(), 5),
            ("c".to_owned(), 4)
        ]
    );
    // `a` comes back last; a deleted missing key changes nothing.
    f.set("a", 7);
    f.delete("nope");
    assert_eq!(f.list(), f.obj.walk());
    assert_eq!(names(f.list()), ["2", "10", "b", "c", "a"]);
}

#[test]
fn a_key_the_boundary_cannot_carry_loses_the_tracker_and_list_walks() {
    let mut f = Facade::default();
    f.set("a", 1);
    // "\u{FFFD}" is what a lone surrogate becomes on the way to Rust.
    f.set("x\u{FFFD}", 2);
    assert!(f.tracker.is_lost());
    assert_eq!(f.tracker.set("b"), Placement::Lost);
    assert_eq!(f.tracker.delete("a"), Removal::Lost);
    f.set("c", 3);
    assert_eq!(f.list(), f.obj.walk());
}

#[test]
fn placements_cross_the_boundary_as_one_integer() {
    assert_eq!(Placement::Insert(0).code(), 1);
    assert_eq!(Placement::Insert(5).code(), 11);
    assert_eq!(Placement::Replace(5).code(), 10);
    assert_eq!(Placement::Lost.code(), -1);
    assert_eq!(Placement::Insert(usize::MAX).code(), -1);
    assert_eq!(Removal::At(3).code(), 3);
    assert_eq!(Removal::Absent.code(), -1);
    assert_eq!(Removal::Lost.code(), -2);
}

#[test]
fn trackers_by_handle() {
    let mut ts = Trackers::new();
    let a = ts.add(Tracker::new());
    let b = ts.add(Tracker::new());
    assert_ne!(a, b);
    assert_eq!(
        ts.get_mut(a).map(|t| t.set("k")),
        Some(Placement::Insert(0))
    );
    let c = ts.copy(a).expect("a exists");
    assert_eq!(
        ts.get_mut(c).map(|t| t.set("k")),
        Some(Placement::Replace(0))
    );
    assert_eq!(
        ts.get_mut(c).map(|t| t.set("j")),
        Some(Placement::Insert(1))
    );
    assert_eq!(ts.get_mut(a).map(|t| t.len()), Some(1));
    ts.free(a);
    ts.free(a);
    ts.free(99);
    assert!(ts.get_mut(a).is_none());
    assert_eq!(ts.copy(a), None);
    assert_eq!(ts.live(), 2);
    // The freed handle is reused, for an empty tracker.
    assert_eq!(ts.add(Tracker::new()), a);
    assert_eq!(ts.get_mut(a).map(|t| t.is_empty()), Some(true));
}

/// `refs.filter(r => drop.indexOf(r) < 0)` as indices.
fn filter_model(refs: &[u32], drop: &[u32]) -> Vec<u32> {
    (0..refs.len() as u32)
        .filter(|&i| !drop.contains(&refs[i as usize]))
        .collect()
}

#[test]
fn metas_filters() {
    assert_eq!(unmatched(&[1, 2, 3], &[2]), [0, 2]);
    assert_eq!(unmatched(&[1, 1, 2], &[1]), [2]);
    assert_eq!(unmatched(&[], &[1]), Vec::<u32>::new());
    let many: Vec<u32> = (0..20).collect();
    assert_eq!(unmatched(&[5, 30, 19, 20], &many), [1, 3]);
    // syncState: key 1 keeps its ref and gains one; key 2 changes its only ref.
    let desc = [2, 7, 8, 1, 7, 1, 9, 1, 10];
    assert_eq!(sync_state_metas(&desc), Some(vec![1, 1, 0, 1, 0, 1, 0]));
    assert_eq!(sync_state_metas(&[]), Some(vec![]));
    for bad in [&[3, 1][..], &[1, 1], &[1, 1, 2, 5], &[u32::MAX]] {
        assert_eq!(sync_state_metas(bad), None, "{bad:?}");
    }
}

fn op() -> impl Strategy<Value = (u8, String, u32)> {
    (0u8..3, key(), 0u32..100)
}

proptest! {
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn facade_lists_match_a_walk_whoever_changes_the_object(ops in prop::collection::vec(op(), 0..80)) {
        let mut f = Facade::default();
        for (what, k, v) in &ops {
            // 0: set, 1: delete, 2: list (whether the change came from syncDiff or from the app
            // makes no difference to the tracker: both go through set/delete).
            match what {
                0 => f.set(k, *v),
                1 => f.delete(k),
                _ => {}
            }
            prop_assert_eq!(f.list(), f.obj.walk());
        }
    }

    #[test]
    fn filters_match_index_of(refs in prop::collection::vec(0u32..12, 0..16), drop in prop::collection::vec(0u32..12, 0..16)) {
        prop_assert_eq!(unmatched(&refs, &drop), filter_model(&refs, &drop));
        let mut desc = vec![refs.len() as u32];
        desc.extend(&refs);
        desc.push(drop.len() as u32);
        desc.extend(&drop);
        let joined = filter_model(&refs, &drop);
        let left = filter_model(&drop, &refs);
        let mut want = vec![joined.len() as u32];
        want.extend(joined);
        want.push(left.len() as u32);
        want.extend(left);
        prop_assert_eq!(sync_state_metas(&desc), Some(want));
    }
}

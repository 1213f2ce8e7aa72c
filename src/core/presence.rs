//! Presence's decisions (phoenix.js 1.8.16 `presence.js`), with no JavaScript: the order of the
//! keys of a state object, which metas joined and which left.
//!
//! The facade (`js/presence.js`) owns the JavaScript objects (states, presences, metas, the
//! callbacks) and does the object plumbing; it hands this module compact descriptions (property
//! keys, `phx_ref`s numbered per operation) and applies the answers:
//!
//! - **Key order.** phoenix.js keeps presence state in null-prototype objects and walks them with
//!   `Object.getOwnPropertyNames`, so every observable order (the `list()` result, the order of
//!   `onJoin`/`onLeave` calls) is the ordinary-object property order of ECMAScript
//!   (`OrdinaryOwnPropertyKeys`): first the keys that are *array indices* (canonical decimal
//!   strings of integers `0 ..= 2^32 - 2`) in ascending numeric order, then the other string keys
//!   in the order they were created. Deleting a string key and creating it again moves it to the
//!   end. [`KeyOrder`] mirrors that order, and a [`Tracker`] per state object tells the facade
//!   where each assignment or `delete` lands, so `list()` is a copy of an array kept in order
//!   instead of a walk of a 10,000-key dictionary object.
//! - **Metas.** `syncDiff` keeps the current metas whose `phx_ref` is not among the joined ones
//!   and drops the left ones; `syncState` finds the joined and the left metas of every presence
//!   in both states: [`unmatched`] and [`sync_state_metas`].
//!
//! Changes the app makes to a state object (`const s = p.state; s.c = x; delete s.a`) reach the
//! tracker through the facade's proxy traps, exactly like the facade's own changes, so `list()`
//! stays exact (tested in `core::tests::presence`).
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// A small, fast hasher for property keys (FxHash's multiply-rotate): keys come from the server,
/// but a collision only costs time, and the table of one state object is rebuilt when the object
/// is replaced. SipHash, the default, is several times slower in wasm.
#[derive(Clone, Copy, Default)]
pub struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;
        let mut h = self.0;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            h = (h.rotate_left(5) ^ u64::from_le_bytes(w)).wrapping_mul(K);
        }
        for &b in chunks.remainder() {
            h = (h.rotate_left(5) ^ u64::from(b)).wrapping_mul(K);
        }
        self.0 = h;
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// The array index a property key denotes, if any: `"0"`, `"7"`, `"4294967294"`; not `"01"`,
/// `"-1"`, `"+1"`, `"1.0"` or `"4294967295"` (2^32 - 1 is not an array index).
pub fn array_index(key: &str) -> Option<u32> {
    let b = key.as_bytes();
    if b.is_empty() || b.len() > 10 {
        return None;
    }
    if b.len() > 1 && b.first() == Some(&b'0') {
        return None;
    }
    let mut n: u64 = 0;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        n = n * 10 + u64::from(c - b'0');
    }
    if n >= u64::from(u32::MAX) {
        return None;
    }
    u32::try_from(n).ok()
}

/// Where a key sits in property order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Slot {
    Index(u32),
    /// A string key, by creation sequence number.
    Str(u64),
}

/// The own-property order of an ordinary JavaScript object, as a set of keys.
///
/// Positions are 0-based indices into the list `Object.getOwnPropertyNames` would return.
/// All operations are `O(log n)` searches plus an `O(n)` `memmove` at worst (a few
/// microseconds for 10,000 keys).
#[derive(Clone, Debug, Default)]
pub struct KeyOrder {
    /// Array-index keys, ascending.
    ints: Vec<u32>,
    /// Creation sequence numbers of the live string keys, ascending.
    strs: Vec<u64>,
    /// String key -> its creation sequence number.
    seq_of: HashMap<Box<str>, u64, BuildHasherDefault<KeyHasher>>,
    next_seq: u64,
}

impl KeyOrder {
    /// No keys.
    pub fn new() -> Self {
        Self::default()
    }

    /// The number of keys.
    pub fn len(&self) -> usize {
        self.ints.len() + self.strs.len()
    }

    /// Whether there are no keys.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn slot(&self, key: &str) -> Option<Slot> {
        match array_index(key) {
            Some(i) => Some(Slot::Index(i)),
            None => self.seq_of.get(key).map(|&s| Slot::Str(s)),
        }
    }

    /// The position of `key`, if it is present.
    pub fn position(&self, key: &str) -> Option<usize> {
        match self.slot(key)? {
            Slot::Index(i) => self.ints.binary_search(&i).ok(),
            Slot::Str(s) => self
                .strs
                .binary_search(&s)
                .ok()
                .map(|p| self.ints.len() + p),
        }
    }

    /// Whether `key` is present.
    pub fn contains(&self, key: &str) -> bool {
        self.position(key).is_some()
    }

    /// Adds `key` as an assignment to a missing property would. Returns its position and whether
    /// it is new (an existing key keeps its place, as assigning to an existing property does).
    pub fn insert(&mut self, key: &str) -> (usize, bool) {
        match array_index(key) {
            Some(i) => match self.ints.binary_search(&i) {
                Ok(p) => (p, false),
                Err(p) => {
                    self.ints.insert(p, i);
                    (p, true)
                }
            },
            None => {
                if let Some(&s) = self.seq_of.get(key) {
                    if let Ok(p) = self.strs.binary_search(&s) {
                        return (self.ints.len() + p, false);
                    }
                }
                let s = self.next_seq;
                self.next_seq += 1;
                self.seq_of.insert(key.into(), s);
                // Sequence numbers only grow, so a new key always goes last.
                self.strs.push(s);
                (self.ints.len() + self.strs.len() - 1, true)
            }
        }
    }

    /// Removes `key` as `delete` would. Returns the position it had.
    pub fn remove(&mut self, key: &str) -> Option<usize> {
        match array_index(key) {
            Some(i) => {
                let p = self.ints.binary_search(&i).ok()?;
                self.ints.remove(p);
                Some(p)
            }
            None => {
                let s = self.seq_of.remove(key)?;
                let p = self.strs.binary_search(&s).ok()?;
                self.strs.remove(p);
                Some(self.ints.len() + p)
            }
        }
    }
}

/// What happened to a key on `state[key] = value`, in property order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placement {
    /// A new key, now at this position (the facade inserts there).
    Insert(usize),
    /// An existing key at this position (the facade replaces the value there).
    Replace(usize),
    /// The tracker no longer follows the object: the facade must walk the object itself.
    Lost,
}

impl Placement {
    /// The placement as one integer for the wasm boundary: `2 * pos + 1` for an insert,
    /// `2 * pos` for a replace, `-1` when lost.
    pub fn code(self) -> i32 {
        let enc = |pos: usize, new: bool| {
            i32::try_from(pos)
                .ok()
                .and_then(|p| p.checked_mul(2))
                .map_or(-1, |p| p + i32::from(new))
        };
        match self {
            Placement::Insert(p) => enc(p, true),
            Placement::Replace(p) => enc(p, false),
            Placement::Lost => -1,
        }
    }
}

/// What happened to a key on `delete state[key]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Removal {
    /// The key was at this position (the facade removes it there).
    At(usize),
    /// There was no such key: nothing changes.
    Absent,
    /// The tracker no longer follows the object.
    Lost,
}

impl Removal {
    /// The removal as one integer for the wasm boundary: the position, `-1` absent, `-2` lost.
    pub fn code(self) -> i32 {
        match self {
            Removal::At(p) => i32::try_from(p).unwrap_or(-2),
            Removal::Absent => -1,
            Removal::Lost => -2,
        }
    }
}

/// The keys of one presence state object, in `Object.getOwnPropertyNames` order.
///
/// The facade keeps, next to each state object it creates, the keys and presences as two arrays
/// in property order, so that `list()` needs no walk of the object. Every change to the object —
/// by `syncDiff`, or by the app through the state proxy's traps — is told to the tracker first,
/// and the tracker says where the facade's arrays change ([`Placement`], [`Removal`]). Once the
/// tracker cannot follow a key exactly (a key that did not survive the trip to a Rust string, or
/// anything the facade reports with [`Tracker::lose`]), it stays lost, and the facade walks the
/// object on every `list()` as phoenix.js does.
#[derive(Clone, Debug, Default)]
pub struct Tracker {
    order: KeyOrder,
    lost: bool,
}

impl Tracker {
    /// A tracker for an empty object.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether the tracker has stopped following its object.
    pub fn is_lost(&self) -> bool {
        self.lost
    }

    /// Stops following the object for good (an accessor property, a new prototype...).
    pub fn lose(&mut self) {
        self.lost = true;
        self.order = KeyOrder::new();
    }

    /// The number of keys followed.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// Whether no key is followed.
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// `state[key] = value`, or `Object.defineProperty` of a data property.
    ///
    /// A key holding U+FFFD may stand for a JavaScript string with lone surrogates (the boundary
    /// replaces them), which would make distinct keys equal here: the tracker is lost.
    pub fn set(&mut self, key: &str) -> Placement {
        if self.lost {
            return Placement::Lost;
        }
        if key.contains('\u{FFFD}') {
            self.lose();
            return Placement::Lost;
        }
        match self.order.insert(key) {
            (p, true) => Placement::Insert(p),
            (p, false) => Placement::Replace(p),
        }
    }

    /// `delete state[key]`.
    pub fn delete(&mut self, key: &str) -> Removal {
        if self.lost {
            return Removal::Lost;
        }
        if key.contains('\u{FFFD}') {
            self.lose();
            return Removal::Lost;
        }
        self.order.remove(key).map_or(Removal::Absent, Removal::At)
    }
}

/// Trackers by integer handle (the facade names a tracker by its handle; handles are reused
/// after [`Trackers::free`]).
#[derive(Debug, Default)]
pub struct Trackers {
    slots: Vec<Option<Tracker>>,
    free: Vec<u32>,
}

impl Trackers {
    /// No trackers.
    pub fn new() -> Self {
        Self::default()
    }

    /// Stores `t` and returns its handle.
    pub fn add(&mut self, t: Tracker) -> u32 {
        if let Some(h) = self.free.pop() {
            if let Some(slot) = self.slots.get_mut(h as usize) {
                *slot = Some(t);
                return h;
            }
        }
        self.slots.push(Some(t));
        u32::try_from(self.slots.len() - 1).unwrap_or(u32::MAX)
    }

    /// The tracker of handle `h`, if it exists.
    pub fn get_mut(&mut self, h: u32) -> Option<&mut Tracker> {
        self.slots.get_mut(h as usize)?.as_mut()
    }

    /// A new handle for a copy of tracker `h` (an object created with the same keys in the same
    /// order), if `h` exists.
    pub fn copy(&mut self, h: u32) -> Option<u32> {
        let t = self.slots.get(h as usize)?.as_ref()?.clone();
        Some(self.add(t))
    }

    /// Forgets tracker `h` (its object was collected). Unknown handles are ignored.
    pub fn free(&mut self, h: u32) {
        if let Some(slot) = self.slots.get_mut(h as usize) {
            if slot.take().is_some() {
                self.free.push(h);
            }
        }
    }

    /// How many trackers exist.
    pub fn live(&self) -> usize {
        self.slots.iter().filter(|s| s.is_some()).count()
    }
}

/// `metas.filter(m => drop.indexOf(m.phx_ref) < 0)`, as the indices of the metas kept.
///
/// `phx_ref`s arrive as small integers: the facade numbers the distinct values of one operation
/// so that equal numbers mean `===` values (every `NaN` gets a number of its own, as
/// `NaN !== NaN`). Linear for the usual one or two metas, hashed for long lists.
pub fn unmatched(refs: &[u32], drop: &[u32]) -> Vec<u32> {
    let mut out = Vec::with_capacity(refs.len());
    push_unmatched(&mut out, refs, drop);
    out
}

/// [`unmatched`], appended to `out`.
fn push_unmatched(out: &mut Vec<u32>, refs: &[u32], drop: &[u32]) {
    if drop.len() <= 16 {
        out.extend(
            (0u32..)
                .zip(refs)
                .filter(|(_, r)| !drop.contains(r))
                .map(|(i, _)| i),
        );
        return;
    }
    let set: std::collections::HashSet<u32> = drop.iter().copied().collect();
    out.extend(
        (0u32..)
            .zip(refs)
            .filter(|(_, r)| !set.contains(r))
            .map(|(i, _)| i),
    );
}

/// `syncState`'s comparison of the presences present in both the current and the new state.
///
/// `desc` holds, for each such key in `newState` order: the number of new metas, their ref
/// numbers (see [`unmatched`]), the number of current metas, their ref numbers. The answer holds,
/// for each key in the same order: the number of joined metas (new metas whose ref is not among
/// the current ones) and their indices in the new metas, then the number of left metas (current
/// metas whose ref is not among the new ones) and their indices in the current metas. `None` when
/// `desc` is malformed.
pub fn sync_state_metas(desc: &[u32]) -> Option<Vec<u32>> {
    fn take<'a>(rest: &mut &'a [u32]) -> Option<&'a [u32]> {
        let (&n, tail) = rest.split_first()?;
        let n = n as usize;
        if tail.len() < n {
            return None;
        }
        let (refs, tail) = tail.split_at(n);
        *rest = tail;
        Some(refs)
    }
    let mut out = Vec::with_capacity(desc.len() / 2 + 4);
    let mut rest = desc;
    while !rest.is_empty() {
        let new_refs = take(&mut rest)?;
        let cur_refs = take(&mut rest)?;
        for (refs, other) in [(new_refs, cur_refs), (cur_refs, new_refs)] {
            let at = out.len();
            out.push(0);
            push_unmatched(&mut out, refs, other);
            let n = u32::try_from(out.len() - at - 1).ok()?;
            if let Some(slot) = out.get_mut(at) {
                *slot = n;
            }
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn array_indices() {
        assert_eq!(array_index("0"), Some(0));
        assert_eq!(array_index("10"), Some(10));
        assert_eq!(array_index("4294967294"), Some(4294967294));
        for k in [
            "",
            "01",
            "-1",
            "+1",
            "1.0",
            "4294967295",
            "99999999999",
            "1e3",
            " 1",
            "a",
            "__proto__",
        ] {
            assert_eq!(array_index(k), None, "{k:?}");
        }
    }

    #[test]
    fn order_like_javascript() {
        // keys b,10,2,a -> 2,10,b,a (diff scenario PR13)
        let mut o = KeyOrder::new();
        for k in ["b", "10", "2", "a"] {
            o.insert(k);
        }
        let mut pos: Vec<_> = ["b", "10", "2", "a"]
            .iter()
            .map(|k| (o.position(k).unwrap(), *k))
            .collect();
        pos.sort();
        assert_eq!(
            pos.iter().map(|p| p.1).collect::<Vec<_>>(),
            ["2", "10", "b", "a"]
        );
        // Re-creating a string key moves it last; an existing key keeps its place.
        assert_eq!(o.insert("b"), (2, false));
        assert_eq!(o.remove("b"), Some(2));
        assert_eq!(o.insert("b"), (3, true));
        assert_eq!(o.remove("nope"), None);
        assert_eq!(o.len(), 4);
    }

    /// A straightforward model: a list in creation order, sorted on demand.
    fn model_order(created: &[String]) -> Vec<String> {
        let mut ints: Vec<(u32, String)> = created
            .iter()
            .filter_map(|k| array_index(k).map(|i| (i, k.clone())))
            .collect();
        ints.sort();
        let mut out: Vec<String> = ints.into_iter().map(|x| x.1).collect();
        out.extend(created.iter().filter(|k| array_index(k).is_none()).cloned());
        out
    }

    proptest! {
        #[test]
        fn matches_model(ops in proptest::collection::vec((any::<bool>(), prop_oneof![
            (0u32..40).prop_map(|i| i.to_string()),
            "[a-e]{1,2}",
            Just("__proto__".to_string()),
            Just("4294967295".to_string()),
            Just("4294967294".to_string()),
            Just("01".to_string()),
        ]), 0..200)) {
            let mut o = KeyOrder::new();
            let mut created: Vec<String> = Vec::new();
            for (add, k) in ops {
                if add {
                    let existed = created.contains(&k);
                    let (p, new) = o.insert(&k);
                    prop_assert_eq!(new, !existed);
                    if !existed { created.push(k.clone()); }
                    prop_assert_eq!(model_order(&created).iter().position(|x| *x == k), Some(p));
                } else {
                    let before = model_order(&created).iter().position(|x| *x == k);
                    prop_assert_eq!(o.remove(&k), before);
                    created.retain(|x| *x != k);
                }
                let model = model_order(&created);
                prop_assert_eq!(o.len(), model.len());
                for (i, key) in model.iter().enumerate() {
                    prop_assert_eq!(o.position(key), Some(i));
                }
            }
        }
    }
}

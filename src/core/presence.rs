//! Presence helpers that need no JavaScript: JavaScript's own-property order, kept as an index.
//!
//! phoenix.js keeps presence state in null-prototype objects and walks them with
//! `Object.getOwnPropertyNames`, so every observable order (the `list()` result, the order of
//! `onJoin`/`onLeave` calls) is the ordinary-object property order of ECMAScript
//! (`OrdinaryOwnPropertyKeys`): first the keys that are *array indices* (canonical decimal strings
//! of integers `0 ..= 2^32 - 2`) in ascending numeric order, then the other string keys in the
//! order they were created. Deleting a string key and creating it again moves it to the end.
//!
//! [`KeyOrder`] mirrors that order for a set of keys, so the shell can keep the presences of a
//! state object in an array in exactly the order JavaScript would list them, and update that
//! array by position on each join and leave instead of listing the whole object again.
use std::collections::HashMap;

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
    seq_of: HashMap<Box<str>, u64>,
    next_seq: u64,
}

impl KeyOrder {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        self.ints.len() + self.strs.len()
    }

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

/// Strict equality of `phx_ref` values, for the parts that Rust can decide alone.
/// `indexOf` compares with `===`: strings by content, numbers by value (`NaN` never matches,
/// `0 === -0`), everything else by identity (which only the host can decide).
#[derive(Clone, Debug, PartialEq)]
pub enum RefKind {
    Str(String),
    Num(f64),
    /// Anything else (and strings that did not convert losslessly): ask the host.
    Other,
}

/// `Some(answer)` when Rust can decide `a === b`, `None` when the host must.
pub fn strict_eq(a: &RefKind, b: &RefKind) -> Option<bool> {
    match (a, b) {
        (RefKind::Str(x), RefKind::Str(y)) => Some(x == y),
        (RefKind::Num(x), RefKind::Num(y)) => Some(x == y),
        (RefKind::Str(_), RefKind::Num(_)) | (RefKind::Num(_), RefKind::Str(_)) => Some(false),
        _ => None,
    }
}

/// Parses the output of `JSON.stringify` for an array of strings (`["a","b\"c"]`), so that many
/// property names cross from JavaScript as one string. `None` for anything else, and for names
/// with lone surrogates (a Rust string cannot hold them; the caller then stops mirroring).
pub fn parse_json_string_array(text: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    let mut it = text.chars().peekable();
    if it.next()? != '[' {
        return None;
    }
    if it.peek() == Some(&']') {
        it.next();
        return if it.next().is_none() { Some(out) } else { None };
    }
    loop {
        if it.next()? != '"' {
            return None;
        }
        let mut s = String::new();
        loop {
            match it.next()? {
                '"' => break,
                '\\' => match it.next()? {
                    '"' => s.push('"'),
                    '\\' => s.push('\\'),
                    '/' => s.push('/'),
                    'b' => s.push('\u{8}'),
                    'f' => s.push('\u{c}'),
                    'n' => s.push('\n'),
                    'r' => s.push('\r'),
                    't' => s.push('\t'),
                    'u' => {
                        let hi = hex4(&mut it)?;
                        let c = if (0xD800..0xDC00).contains(&hi) {
                            if it.next()? != '\\' || it.next()? != 'u' {
                                return None;
                            }
                            let lo = hex4(&mut it)?;
                            if !(0xDC00..0xE000).contains(&lo) {
                                return None;
                            }
                            char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00))?
                        } else {
                            char::from_u32(hi)?
                        };
                        s.push(c);
                    }
                    _ => return None,
                },
                c => s.push(c),
            }
        }
        out.push(s);
        match it.next()? {
            ',' => continue,
            ']' => return if it.next().is_none() { Some(out) } else { None },
            _ => return None,
        }
    }
}

fn hex4(it: &mut impl Iterator<Item = char>) -> Option<u32> {
    let mut v = 0;
    for _ in 0..4 {
        v = v * 16 + it.next()?.to_digit(16)?;
    }
    Some(v)
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
        // keys b,10,2,a -> 2,10,b,a (API.md PR13)
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

    #[test]
    fn json_string_arrays() {
        assert_eq!(parse_json_string_array("[]"), Some(vec![]));
        assert_eq!(parse_json_string_array(r#"["a","b\"c","",  "x"]"#), None);
        assert_eq!(
            parse_json_string_array(r#"["a","b\"c","","\\\/\n\u0001","\ud83d\ude00","ü"]"#),
            Some(vec![
                "a".into(),
                "b\"c".into(),
                "".into(),
                "\\/\n\u{1}".into(),
                "\u{1F600}".into(),
                "ü".into()
            ])
        );
        for bad in [
            r#"["\ud800"]"#,
            r#"["\udc00"]"#,
            r#"["\ud800\u0041"]"#,
            "[",
            r#"["a""#,
            r#"["a"]x"#,
            "",
            "[1]",
            r#"["a",]"#,
        ] {
            assert_eq!(parse_json_string_array(bad), None, "{bad}");
        }
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

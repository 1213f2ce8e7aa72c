//! `Presence`: phoenix.js 1.8.16's `presence.js`, step for step, over real JavaScript objects.
//!
//! The state, the presences and their metas stay JavaScript objects, so identity, mutation and
//! key order are exactly those of phoenix.js (PITFALLS 21); the algorithm runs here and reaches
//! them through `Reflect`. Where phoenix.js deep-clones (`JSON.parse(JSON.stringify(x))`), so do we.
//! Works with any channel-like object: `on` and `joinRef` are looked up and called from JS.
//!
//! What makes it fast is `list()`. phoenix.js walks the whole state object on every call
//! (`Object.getOwnPropertyNames` on a 10,000-key dictionary object costs milliseconds). Here each
//! state object this code creates carries a [`Mirror`]: where each key sits in JavaScript property
//! order ([`KeyOrder`]) and a JS array of the presences in that order, patched (one `splice` or
//! element write) in the same step as every assignment and `delete` this code makes on the
//! object. `list()` is then one `slice()` of that array, and `list(chooser)` one
//! `Array.prototype.map` over `[key, presence]` pairs with `Reflect.apply.bind(undefined,
//! chooser, undefined)`: the loop runs in JavaScript, with no call back into wasm per presence.
//! The first `presence_state` into an empty state is done in bulk ([`sync_state_from_empty`]).
//!
//! The mirror is only trusted while no other code can have changed the object:
//! - state objects are reachable from JavaScript only through the `state` getter. Reading it marks
//!   the mirror suspect, and the next `list()` rebuilds it from the object (the cost of one
//!   phoenix.js `list()`), so `presence.state[k] = v; presence.list()` is exact;
//! - an object that `state` is set to is never mirrored (we did not create it);
//! - the static `syncDiff` on an object we do not know bumps a global epoch, which sends every
//!   mirror to be rebuilt before its next use;
//! - a key that does not survive the trip to a Rust string (lone surrogates) turns the mirror off;
//! - if the state changes while `list(chooser)` walks it, the rest of the walk reads the object
//!   live, as phoenix.js does ([`go_live`]).
//!
//! The one case left out: keeping the object from the `state` getter and changing it later, after
//! a `list()` call, directly in JavaScript. `list()` would not see that change.
use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::{Array, Function, Object, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::globals::js_string;
use crate::core::presence::{parse_json_string_array, strict_eq, KeyOrder, RefKind};

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(catch, js_namespace = Object, js_name = getOwnPropertyNames)]
    fn own_names(o: &JsValue) -> Result<Array, JsValue>;
    #[wasm_bindgen(catch, js_namespace = Object, js_name = getPrototypeOf)]
    fn get_prototype_of(o: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_namespace = Object, js_name = create)]
    fn object_create(proto: &JsValue) -> JsValue;
    #[wasm_bindgen(catch, js_namespace = JSON, js_name = stringify)]
    fn json_stringify(v: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_namespace = JSON, js_name = parse)]
    fn json_parse(v: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_namespace = Array, js_name = isArray)]
    fn is_array(v: &JsValue) -> bool;
    /// An array, for methods `js_sys::Array` has no binding for.
    type ArrayExt;
    #[wasm_bindgen(method, js_name = splice)]
    fn splice_out(this: &ArrayExt, start: u32, count: u32);
    #[wasm_bindgen(js_name = Object)]
    fn to_object(v: &JsValue) -> JsValue;
    #[wasm_bindgen(catch, js_namespace = Object, js_name = keys)]
    fn object_keys(o: &JsValue) -> Result<Array, JsValue>;
    #[wasm_bindgen(catch, js_namespace = Object, js_name = values)]
    fn object_values(o: &JsValue) -> Result<Array, JsValue>;
    #[wasm_bindgen(catch, js_namespace = Object, js_name = setPrototypeOf)]
    fn set_prototype_of(o: &JsValue, proto: &JsValue) -> Result<JsValue, JsValue>;
}

/// The elements of an array, read one by one (`Vec<JsValue>` across the boundary goes through
/// the externref table from JavaScript, which is much slower).
fn items(a: &Array) -> impl Iterator<Item = JsValue> + '_ {
    (0..a.length()).map(move |i| a.get(i))
}

/// Property names used on every event, made once.
struct Names {
    metas: JsValue,
    phx_ref: JsValue,
    length: JsValue,
    joins: JsValue,
    leaves: JsValue,
    on_join: JsValue,
    on_leave: JsValue,
    on_sync: JsValue,
}

thread_local! {
    static NAMES: Names = Names {
        metas: JsValue::from_str("metas"),
        phx_ref: JsValue::from_str("phx_ref"),
        length: JsValue::from_str("length"),
        joins: JsValue::from_str("joins"),
        leaves: JsValue::from_str("leaves"),
        on_join: JsValue::from_str("onJoin"),
        on_leave: JsValue::from_str("onLeave"),
        on_sync: JsValue::from_str("onSync"),
    };
    /// Bumped when code we cannot follow may have changed a state object (see the module docs).
    static EPOCH: Cell<u64> = const { Cell::new(0) };
}

fn name(f: impl FnOnce(&Names) -> &JsValue) -> JsValue {
    NAMES.with(|n| f(n).clone())
}

fn epoch() -> u64 {
    EPOCH.with(|e| e.get())
}

fn bump_epoch() {
    EPOCH.with(|e| e.set(e.get().wrapping_add(1)));
    go_live();
}

// ---------------------------------------------------------------------------------------------
// JavaScript semantics for the few operations presence.js uses.

fn type_error(msg: &str) -> JsValue {
    js_sys::TypeError::new(msg).into()
}

fn nullish(v: &JsValue) -> bool {
    v.is_undefined() || v.is_null()
}

fn nullish_name(v: &JsValue) -> &'static str {
    if v.is_null() {
        "null"
    } else {
        "undefined"
    }
}

fn is_objectish(v: &JsValue) -> bool {
    v.is_object() || v.is_function()
}

/// `obj[key]`: throws on `null`/`undefined`, reads primitives through their wrapper.
fn get(obj: &JsValue, key: &JsValue) -> Result<JsValue, JsValue> {
    // One call in the usual case: `Reflect.get` throws only for a non-object target (handled
    // below) or when a getter or proxy trap throws (that exception is the one to propagate).
    match Reflect::get(obj, key) {
        Ok(v) => Ok(v),
        Err(e) if is_objectish(obj) => Err(e),
        Err(_) if nullish(obj) => Err(type_error(&format!(
            "Cannot read properties of {} (reading '{}')",
            nullish_name(obj),
            js_string(key)
        ))),
        Err(_) => Reflect::get(&to_object(obj), key),
    }
}

fn get_str(obj: &JsValue, key: &str) -> Result<JsValue, JsValue> {
    get(obj, &JsValue::from_str(key))
}

/// `obj[key] = val` in strict mode (presence.js is a module): failures throw `TypeError`.
fn set(obj: &JsValue, key: &JsValue, val: &JsValue) -> Result<(), JsValue> {
    match Reflect::set(obj, key, val) {
        Ok(true) => Ok(()),
        Ok(false) => Err(type_error(&format!(
            "Cannot assign to read only property '{}' of object",
            js_string(key)
        ))),
        Err(e) if is_objectish(obj) => Err(e),
        Err(_) if nullish(obj) => Err(type_error(&format!(
            "Cannot set properties of {} (setting '{}')",
            nullish_name(obj),
            js_string(key)
        ))),
        Err(_) => Err(type_error(&format!(
            "Cannot create property '{}' on {} '{}'",
            js_string(key),
            obj.js_typeof().as_string().unwrap_or_default(),
            js_string(obj)
        ))),
    }
}

/// `f(args...)` with `this` undefined; `what` names `f` in the `TypeError` when it is not callable.
fn call(f: &JsValue, what: &str, args: &[&JsValue]) -> Result<JsValue, JsValue> {
    if !f.is_function() {
        return Err(type_error(&format!("{what} is not a function")));
    }
    let f: &Function = f.unchecked_ref();
    let u = JsValue::UNDEFINED;
    match args {
        [] => f.call0(&u),
        [a] => f.call1(&u, a),
        [a, b] => f.call2(&u, a, b),
        [a, b, c] => f.call3(&u, a, b, c),
        _ => f.apply(&u, &args.iter().map(|a| (*a).clone()).collect::<Array>()),
    }
}

/// `obj.method(...args)`.
fn call_method(obj: &JsValue, method: &str, args: &Array) -> Result<JsValue, JsValue> {
    let f = get_str(obj, method)?;
    if !f.is_function() {
        return Err(type_error(&format!(
            "{}.{method} is not a function",
            short(obj)
        )));
    }
    Reflect::apply(f.unchecked_ref::<Function>(), obj, args)
}

fn short(v: &JsValue) -> String {
    if is_array(v) {
        "array".into()
    } else if is_objectish(v) {
        "object".into()
    } else {
        js_string(v)
    }
}

/// `JSON.parse(JSON.stringify(v))` (`Presence.clone`).
fn clone(v: &JsValue) -> Result<JsValue, JsValue> {
    json_parse(&json_stringify(v)?)
}

fn metas_of(p: &JsValue) -> Result<JsValue, JsValue> {
    get(p, &name(|n| &n.metas))
}

/// `m.phx_ref`.
fn phx_ref(m: &JsValue) -> Result<JsValue, JsValue> {
    get(m, &name(|n| &n.phx_ref))
}

fn length_of(v: &JsValue) -> Result<JsValue, JsValue> {
    get(v, &name(|n| &n.length))
}

/// A callback for a method that takes one (e.g. `map(m => m.phx_ref)`) on a metas value that is
/// not a plain array (never the case for JSON data, but phoenix.js would call it).
fn call_with_callback(
    obj: &JsValue,
    method: &str,
    f: impl FnMut(JsValue) -> Result<JsValue, JsValue> + 'static,
) -> Result<JsValue, JsValue> {
    let cb = Closure::<dyn FnMut(JsValue) -> Result<JsValue, JsValue>>::new(f);
    let args = Array::of1(cb.as_ref());
    call_method(obj, method, &args)
}

/// A `phx_ref` value, with what Rust can compare without asking JavaScript.
struct RefVal {
    js: JsValue,
    kind: RefKind,
}

impl RefVal {
    fn new(js: JsValue) -> Self {
        let kind = if let Some(s) = js.as_string() {
            // U+FFFD may stand for a lone surrogate, which would make distinct strings equal here.
            if s.contains('\u{FFFD}') {
                RefKind::Other
            } else {
                RefKind::Str(s)
            }
        } else if let Some(n) = js.as_f64() {
            RefKind::Num(n)
        } else {
            RefKind::Other
        };
        RefVal { js, kind }
    }

    /// `a === b`.
    fn same(&self, other: &RefVal) -> bool {
        strict_eq(&self.kind, &other.kind).unwrap_or_else(|| self.js == other.js)
    }
}

/// The result of `metas.map(m => m.phx_ref)`.
enum Refs {
    Fast(Vec<RefVal>),
    /// Whatever an unusual `map` returned: asked with its own `indexOf`.
    Js(JsValue),
}

impl Refs {
    /// `metas.map(m => m.phx_ref)`.
    fn of(metas: &JsValue) -> Result<Refs, JsValue> {
        if is_array(metas) {
            let mut out = Vec::new();
            for m in items(metas.unchecked_ref()) {
                out.push(RefVal::new(phx_ref(&m)?));
            }
            return Ok(Refs::Fast(out));
        }
        Ok(Refs::Js(call_with_callback(metas, "map", |m| phx_ref(&m))?))
    }

    /// `refs.indexOf(r) < 0`.
    fn lacks(&self, r: &RefVal) -> Result<bool, JsValue> {
        match self {
            Refs::Fast(v) => Ok(!v.iter().any(|x| x.same(r))),
            Refs::Js(arr) => {
                let i = call_method(arr, "indexOf", &Array::of1(&r.js))?;
                Ok(i.lt(&JsValue::from_f64(0.0)))
            }
        }
    }
}

/// `metas.filter(m => refs.indexOf(m.phx_ref) < 0)`.
fn filter_out(metas: &JsValue, refs: Refs) -> Result<JsValue, JsValue> {
    if is_array(metas) {
        let out = Array::new();
        for m in items(metas.unchecked_ref()) {
            if refs.lacks(&RefVal::new(phx_ref(&m)?))? {
                out.push(&m);
            }
        }
        return Ok(out.into());
    }
    call_with_callback(metas, "filter", move |m| {
        Ok(JsValue::from_bool(refs.lacks(&RefVal::new(phx_ref(&m)?))?))
    })
}

/// `x.length > 0`.
fn non_empty(x: &JsValue) -> Result<bool, JsValue> {
    if is_array(x) {
        return Ok(x.unchecked_ref::<Array>().length() > 0);
    }
    Ok(length_of(x)?.gt(&JsValue::from_f64(0.0)))
}

// ---------------------------------------------------------------------------------------------
// State objects and their mirrors.

/// The keys and presences of a state object in JavaScript property order.
struct Mirror {
    order: KeyOrder,
    /// The presences in order, patched along: `list()` is `vals_js.slice()`.
    vals_js: Array,
    /// `[[key, presence], ...]` in order, for `list(chooser)`; made on first use.
    pairs_js: Option<Array>,
    /// A key could not be represented exactly, or the mirror lost track: never trusted.
    broken: bool,
    /// The object was handed to JavaScript: rebuild before the next use.
    suspect: bool,
    epoch: u64,
}

type MirrorRef = Rc<RefCell<Mirror>>;

impl Mirror {
    fn new() -> Self {
        Mirror {
            order: KeyOrder::new(),
            vals_js: Array::new(),
            pairs_js: None,
            broken: false,
            suspect: false,
            epoch: epoch(),
        }
    }

    /// A mirror of an object whose own property names are `names` and values `vals`, in order.
    /// The names cross as one JSON string.
    fn from_parts(names: &Array, vals: Array) -> Self {
        let mut m = Mirror::new();
        let keys = json_stringify(names)
            .ok()
            .and_then(|t| t.as_string())
            .and_then(|t| parse_json_string_array(&t));
        match keys {
            Some(keys) if keys.len() == vals.length() as usize => {
                for k in &keys {
                    m.order.insert(k);
                }
                m.broken = m.order.len() != keys.len();
            }
            _ => m.broken = true,
        }
        m.vals_js = vals;
        m
    }

    /// A mirror to be built from the object when first needed.
    fn later() -> Self {
        Mirror {
            suspect: true,
            ..Mirror::new()
        }
    }

    fn set(&mut self, key: &JsValue, val: &JsValue) {
        go_live();
        if self.broken || self.suspect {
            return;
        }
        let Some(s) = key.as_string().filter(|s| !s.contains('\u{FFFD}')) else {
            self.broken = true;
            return;
        };
        let before = self.order.len();
        let (pos, new) = self.order.insert(&s);
        let pair = || -> JsValue { Array::of2(key, val).into() };
        if new && pos == before {
            self.vals_js.push(val);
            if let Some(p) = &self.pairs_js {
                p.push(&pair());
            }
        } else if new && pos < before {
            self.vals_js.splice(pos as u32, 0, val);
            if let Some(p) = &self.pairs_js {
                p.splice(pos as u32, 0, &pair());
            }
        } else if !new && pos < before {
            self.vals_js.set(pos as u32, val.clone());
            if let Some(p) = &self.pairs_js {
                p.set(pos as u32, pair());
            }
        } else {
            self.broken = true;
        }
    }

    fn delete(&mut self, key: &JsValue) {
        go_live();
        if self.broken || self.suspect {
            return;
        }
        let Some(s) = key.as_string() else {
            self.broken = true;
            return;
        };
        let before = self.order.len();
        if let Some(pos) = self.order.remove(&s) {
            if pos < before {
                self.vals_js
                    .unchecked_ref::<ArrayExt>()
                    .splice_out(pos as u32, 1);
                if let Some(p) = &self.pairs_js {
                    p.unchecked_ref::<ArrayExt>().splice_out(pos as u32, 1);
                }
            } else {
                self.broken = true;
            }
        }
    }
}

thread_local! {
    /// `list(chooser)` calls under way: (the `[key, presence]` array `map` is walking, the state).
    static IN_FLIGHT: RefCell<Vec<(Array, JsValue, bool)>> = const { RefCell::new(Vec::new()) };
    static REFLECT_GET: JsValue = Reflect::get(&js_sys::global(), &JsValue::from_str("Reflect"))
        .and_then(|r| Reflect::get(&r, &JsValue::from_str("get")))
        .unwrap_or(JsValue::UNDEFINED);
    static REFLECT_APPLY: JsValue = Reflect::get(&js_sys::global(), &JsValue::from_str("Reflect"))
        .and_then(|r| Reflect::get(&r, &JsValue::from_str("apply")))
        .unwrap_or(JsValue::UNDEFINED);
}

/// A state may change while `list(chooser)` walks it (a chooser that triggers a presence event,
/// or writes to `presence.state`). phoenix.js reads `state[key]` just before each chooser call,
/// so from here on every `[key, presence]` entry still to come is replaced by an array-like whose
/// `1` is a getter bound to `Reflect.get(state, key)`: the same live read, at the same moment.
fn go_live() {
    let pending: Vec<(Array, JsValue)> = IN_FLIGHT.with(|f| {
        f.borrow_mut()
            .iter_mut()
            .filter(|e| !e.2)
            .map(|e| {
                e.2 = true;
                (e.0.clone(), e.1.clone())
            })
            .collect()
    });
    if pending.is_empty() {
        return;
    }
    let getter = REFLECT_GET.with(|g| g.clone());
    let getter: &Function = getter.unchecked_ref();
    let (zero, one, length, get_name, enumerable) = (
        JsValue::from_f64(0.0),
        JsValue::from_str("1"),
        JsValue::from_str("length"),
        JsValue::from_str("get"),
        JsValue::from_str("enumerable"),
    );
    for (snapshot, state) in pending {
        for j in 0..snapshot.length() {
            let key = Reflect::get(&snapshot.get(j), &zero).unwrap_or(JsValue::UNDEFINED);
            let live = Object::new();
            let _ = Reflect::set(&live, &zero, &key);
            let _ = Reflect::set(&live, &length, &JsValue::from_f64(2.0));
            let desc = Object::new();
            let _ = Reflect::set(
                &desc,
                &get_name,
                &getter.bind2(&JsValue::UNDEFINED, &state, &key),
            );
            let _ = Reflect::set(&desc, &enumerable, &JsValue::TRUE);
            let _ = Reflect::define_property(&live, &one, &desc);
            snapshot.set(j, live.into());
        }
    }
}

/// A state object and, when this code created it for a `Presence`, its mirror.
#[derive(Clone)]
struct State {
    obj: JsValue,
    mirror: Option<MirrorRef>,
}

impl State {
    fn untracked(obj: JsValue) -> Self {
        State { obj, mirror: None }
    }

    fn get(&self, key: &JsValue) -> Result<JsValue, JsValue> {
        get(&self.obj, key)
    }

    /// `state[key] = val`.
    fn set(&self, key: &JsValue, val: &JsValue) -> Result<(), JsValue> {
        set(&self.obj, key, val)?;
        if let Some(m) = &self.mirror {
            match m.try_borrow_mut() {
                Ok(mut m) => m.set(key, val),
                // Only if JavaScript re-entered us from inside the mirror (a patched
                // `Array.prototype`): lose every mirror rather than trap.
                Err(_) => bump_epoch(),
            }
        }
        Ok(())
    }

    /// `delete state[key]` (strict mode).
    fn delete(&self, key: &JsValue) -> Result<(), JsValue> {
        if !is_objectish(&self.obj) {
            return Ok(());
        }
        // Not `dyn_ref`: that is an `instanceof Object` test, false for null-prototype objects.
        let obj: &Object = self.obj.unchecked_ref();
        if !Reflect::delete_property(obj, key)? {
            return Err(type_error(&format!(
                "Cannot delete property '{}' of [object Object]",
                js_string(key)
            )));
        }
        if let Some(m) = &self.mirror {
            match m.try_borrow_mut() {
                Ok(mut m) => m.delete(key),
                Err(_) => bump_epoch(),
            }
        }
        Ok(())
    }

    /// The mirror, rebuilt first if it cannot be trusted as it is; `None` when there is none
    /// or it is broken (then the object itself must be walked).
    fn fresh_mirror(&self) -> Result<Option<MirrorRef>, JsValue> {
        let Some(m) = &self.mirror else {
            return Ok(None);
        };
        let Ok((stale, broken)) = m
            .try_borrow()
            .map(|b| (b.suspect || b.epoch != epoch(), b.broken))
        else {
            return Ok(None);
        };
        if stale {
            // Read the object outside any borrow: getters and proxies run JavaScript.
            let names = own_names(&self.obj)?;
            let vals = if object_keys(&self.obj)?.length() == names.length() {
                object_values(&self.obj)?
            } else {
                let vals = Array::new();
                for k in items(&names) {
                    vals.push(&get(&self.obj, &k)?);
                }
                vals
            };
            let fresh = Mirror::from_parts(&names, vals);
            match m.try_borrow_mut() {
                Ok(mut b) => *b = fresh,
                Err(_) => return Ok(None),
            }
        } else if broken {
            return Ok(None);
        }
        Ok(match m.try_borrow() {
            Ok(b) if !b.broken => Some(m.clone()),
            _ => None,
        })
    }

    /// `list(chooser)` from the mirror: `[[key, presence], ...].map(Reflect.apply.bind(undefined,
    /// chooser, undefined))`, so the chooser runs from JavaScript's own `map` (see [`go_live`]).
    fn list_by(&self, m: &MirrorRef, chooser: &JsValue) -> Result<JsValue, JsValue> {
        let Ok((pairs, vals)) = m
            .try_borrow()
            .map(|b| (b.pairs_js.clone(), b.vals_js.clone()))
        else {
            return Ok(map_generic(&self.obj, Some(chooser), "chooser")?.into());
        };
        let pairs = match pairs {
            Some(p) => p,
            None => {
                let names = own_names(&self.obj)?;
                let p = Array::new();
                for (i, k) in items(&names).enumerate() {
                    p.push(&Array::of2(&k, &vals.get(i as u32)));
                }
                if let Ok(mut b) = m.try_borrow_mut() {
                    b.pairs_js = Some(p.clone());
                }
                p
            }
        };
        if pairs.length() == 0 {
            return Ok(Array::new().into());
        }
        if !chooser.is_function() {
            return Err(type_error("chooser is not a function"));
        }
        let snapshot = pairs.slice(0, u32::MAX);
        let apply = REFLECT_APPLY.with(|a| a.clone());
        let mapper = apply.unchecked_ref::<Function>().bind2(
            &JsValue::UNDEFINED,
            chooser,
            &JsValue::UNDEFINED,
        );
        IN_FLIGHT.with(|f| {
            f.borrow_mut()
                .push((snapshot.clone(), self.obj.clone(), false))
        });
        let r = call_method(&snapshot, "map", &Array::of1(&mapper));
        IN_FLIGHT.with(|f| {
            let mut f = f.borrow_mut();
            if let Some(i) = f
                .iter()
                .rposition(|e| JsValue::from(e.0.clone()) == JsValue::from(snapshot.clone()))
            {
                f.remove(i);
            }
        });
        r
    }
}

/// `toNullProtoObj(obj)` when it makes a new object (`None`: `obj` has a null prototype).
fn to_null_proto_new(obj: &JsValue, track: bool) -> Result<Option<State>, JsValue> {
    if get_prototype_of(obj)?.is_null() {
        return Ok(None);
    }
    let st = State {
        obj: object_create(&JsValue::NULL),
        mirror: track.then(|| Rc::new(RefCell::new(Mirror::new()))),
    };
    for key in items(&own_names(obj)?) {
        let v = get(obj, &key)?;
        st.set(&key, &v)?;
    }
    Ok(Some(st))
}

/// `Presence.toNullProtoObj(obj)`.
fn to_null_proto(obj: &JsValue) -> Result<JsValue, JsValue> {
    Ok(match to_null_proto_new(obj, false)? {
        Some(st) => st.obj,
        None => obj.clone(),
    })
}

/// `Presence.syncState(currentState, newState, onJoin, onLeave)`.
fn sync_state(
    current: &JsValue,
    new_state: &JsValue,
    on_join: &JsValue,
    on_leave: &JsValue,
    track: bool,
) -> Result<State, JsValue> {
    let cloned = clone(current)?;
    let state = if cloned.is_object() && !is_array(&cloned) {
        // `toNullProtoObj` of a fresh `JSON.parse` object: a copy with the same own properties in
        // the same order. Nobody else holds the clone, so it can become that copy itself.
        set_prototype_of(&cloned, &JsValue::NULL)?;
        State {
            obj: cloned,
            mirror: track.then(|| Rc::new(RefCell::new(Mirror::later()))),
        }
    } else {
        match to_null_proto_new(&cloned, track)? {
            Some(st) => st,
            None => State::untracked(cloned),
        }
    };
    let state_names = own_names(&state.obj)?;
    if state_names.length() == 0 {
        if let Some(st) = sync_state_from_empty(new_state, on_join, track)? {
            return Ok(st);
        }
    }
    let new_state = to_null_proto(new_state)?;
    let joins = object_create(&JsValue::NULL);
    let leaves = object_create(&JsValue::NULL);
    let metas = name(|n| &n.metas);

    // (No JavaScript ran since `state_names` was taken: still `getOwnPropertyNames(state)`.)
    for key in items(&state_names) {
        let presence = state.get(&key)?;
        if get(&new_state, &key)?.is_falsy() {
            set(&leaves, &key, &presence)?;
        }
    }
    for key in items(&own_names(&new_state)?) {
        let new_presence = get(&new_state, &key)?;
        let current_presence = state.get(&key)?;
        if current_presence.is_truthy() {
            let new_refs = Refs::of(&metas_of(&new_presence)?)?;
            let cur_refs = Refs::of(&metas_of(&current_presence)?)?;
            let joined_metas = filter_out(&metas_of(&new_presence)?, cur_refs)?;
            let left_metas = filter_out(&metas_of(&current_presence)?, new_refs)?;
            if non_empty(&joined_metas)? {
                set(&joins, &key, &new_presence)?;
                set(&get(&joins, &key)?, &metas, &joined_metas)?;
            }
            if non_empty(&left_metas)? {
                set(&leaves, &key, &clone(&current_presence)?)?;
                set(&get(&leaves, &key)?, &metas, &left_metas)?;
            }
        } else {
            set(&joins, &key, &new_presence)?;
        }
    }
    let diff: JsValue = Object::new().into();
    set(&diff, &name(|n| &n.joins), &joins)?;
    set(&diff, &name(|n| &n.leaves), &leaves)?;
    sync_diff(state, &diff, on_join, on_leave, track)
}

thread_local! {
    static OBJECT_PROTOTYPE: JsValue = get_prototype_of(&Object::new().into()).unwrap_or(JsValue::NULL);
}

/// `syncState` into an empty state (a first join, the big one), in bulk.
///
/// phoenix.js would copy `newState`, make every key a join (nothing to compare with), deep-clone
/// `{joins, leaves: {}}` and then set `state[key] = clone(joins[key])` key by key, calling `onJoin`
/// after each. With nothing in the state, the result is exactly a second deep clone of the same
/// diff, so: one `JSON.stringify` of `{joins: newState, leaves: {}}`, one `JSON.parse` whose `joins`
/// becomes the state (its prototype set to null), and one more (only when there is an `onJoin`)
/// for the `newPresence` arguments. Callbacks cannot reach the new state before it is returned,
/// so building it before the `onJoin` calls is not observable.
///
/// Taken only when that JSON text is the one phoenix.js would produce: `newState` is an ordinary
/// object (prototype `Object.prototype` or null, not an array) whose own properties are all
/// enumerable and with no `toJSON` method. Otherwise (`None`) the step-by-step path runs.
fn sync_state_from_empty(
    new_state: &JsValue,
    on_join: &JsValue,
    track: bool,
) -> Result<Option<State>, JsValue> {
    // toNullProtoObj(newState) throws here for null/undefined, as in phoenix.js.
    let proto = get_prototype_of(new_state)?;
    if !new_state.is_object()
        || is_array(new_state)
        || !(proto.is_null() || OBJECT_PROTOTYPE.with(|p| *p == proto))
    {
        return Ok(None);
    }
    if own_names(new_state)?.length() != object_keys(new_state)?.length()
        || get_str(new_state, "toJSON")?.is_function()
    {
        return Ok(None);
    }
    let diff: JsValue = Object::new().into();
    set(&diff, &name(|n| &n.joins), new_state)?;
    set(&diff, &name(|n| &n.leaves), &Object::new())?;
    let text = json_stringify(&diff)?;
    let joins = get(&json_parse(&text)?, &name(|n| &n.joins))?;
    set_prototype_of(&joins, &JsValue::NULL)?;
    let mirror = if track {
        let names = own_names(&joins)?;
        Some(Rc::new(RefCell::new(Mirror::from_parts(
            &names,
            object_values(&joins)?,
        ))))
    } else {
        None
    };
    if on_join.is_truthy() {
        let new_presences = get(&json_parse(&text)?, &name(|n| &n.joins))?;
        for key in items(&own_names(&new_presences)?) {
            let p = get(&new_presences, &key)?;
            call(on_join, "onJoin", &[&key, &JsValue::UNDEFINED, &p])?;
        }
    }
    Ok(Some(State { obj: joins, mirror }))
}

/// `Presence.syncDiff(state, diff, onJoin, onLeave)`.
fn sync_diff(
    state: State,
    diff: &JsValue,
    on_join: &JsValue,
    on_leave: &JsValue,
    track: bool,
) -> Result<State, JsValue> {
    let state = match to_null_proto_new(&state.obj, track)? {
        Some(st) => st,
        None => {
            if state.mirror.is_none() {
                // Changed in place, and it may be an object someone's mirror follows.
                bump_epoch();
            }
            state
        }
    };
    let cloned = clone(diff)?;
    if nullish(&cloned) {
        return Err(type_error(&format!(
            "Cannot destructure property 'joins' of 'this.clone(...)' as it is {}.",
            nullish_name(&cloned)
        )));
    }
    let joins = get(&cloned, &name(|n| &n.joins))?;
    let leaves = get(&cloned, &name(|n| &n.leaves))?;

    for key in items(&own_names(&joins)?) {
        let new_presence = get(&joins, &key)?;
        let current_presence = state.get(&key)?;
        let copy = clone(&new_presence)?;
        state.set(&key, &copy)?;
        if current_presence.is_truthy() {
            let joined_refs = Refs::of(&metas_of(&copy)?)?;
            let cur_metas = filter_out(&metas_of(&current_presence)?, joined_refs)?;
            // `state[key].metas.unshift(...curMetas)`
            let spread: Array = if is_array(&cur_metas) {
                cur_metas.unchecked_into()
            } else {
                Array::from(&cur_metas)
            };
            call_method(&metas_of(&copy)?, "unshift", &spread)?;
        }
        if on_join.is_truthy() {
            call(on_join, "onJoin", &[&key, &current_presence, &new_presence])?;
        }
    }
    for key in items(&own_names(&leaves)?) {
        let left_presence = get(&leaves, &key)?;
        let current_presence = state.get(&key)?;
        if current_presence.is_falsy() {
            continue;
        }
        let refs_to_remove = Refs::of(&metas_of(&left_presence)?)?;
        let kept = filter_out(&metas_of(&current_presence)?, refs_to_remove)?;
        set(&current_presence, &name(|n| &n.metas), &kept)?;
        if on_leave.is_truthy() {
            call(
                on_leave,
                "onLeave",
                &[&key, &current_presence, &left_presence],
            )?;
        }
        if length_of(&metas_of(&current_presence)?)?.as_f64() == Some(0.0) {
            state.delete(&key)?;
        }
    }
    Ok(state)
}

/// `Presence.map(obj, func)` with `what` naming `func` in errors.
fn map_generic(obj: &JsValue, func: Option<&JsValue>, what: &str) -> Result<Array, JsValue> {
    let names = own_names(obj)?;
    let out = Array::new();
    for key in items(&names) {
        let v = get(obj, &key)?;
        out.push(&match func {
            Some(f) => call(f, what, &[&key, &v])?,
            None => v,
        });
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// The class.

struct Fields {
    state: State,
    pending_diffs: JsValue,
    channel: JsValue,
    join_ref: JsValue,
    caller: JsValue,
}

struct Inner {
    f: RefCell<Fields>,
    /// The default no-op callbacks of this instance: not worth a call each.
    noop_join: JsValue,
    noop_leave: JsValue,
}

/// `Presence`.
#[wasm_bindgen(js_name = Presence)]
pub struct JsPresence {
    inner: Rc<Inner>,
}

thread_local! {
    static STATIC_LIST: JsValue = Closure::<dyn Fn(JsValue, JsValue) -> Result<Array, JsValue>>::new(
        |presences: JsValue, chooser: JsValue| map_generic(&presences, chooser.is_truthy().then_some(&chooser), "chooser"),
    )
    .into_js_value();
}

/// A fresh function that does nothing and returns `undefined`, as phoenix.js's defaults.
fn noop() -> JsValue {
    Closure::<dyn Fn()>::new(|| {}).into_js_value()
}

impl Inner {
    fn state(&self) -> State {
        self.f.borrow().state.clone()
    }

    fn set_state(&self, st: State) {
        self.f.borrow_mut().state = st;
    }

    /// `let {onJoin, onLeave, onSync} = this.caller`, with our own no-ops left out.
    fn callbacks(&self) -> Result<(JsValue, JsValue, JsValue), JsValue> {
        let caller = self.f.borrow().caller.clone();
        if nullish(&caller) {
            return Err(type_error(&format!(
                "Cannot destructure property 'onJoin' of 'this.caller' as it is {}.",
                nullish_name(&caller)
            )));
        }
        let on_join = get(&caller, &name(|n| &n.on_join))?;
        let on_leave = get(&caller, &name(|n| &n.on_leave))?;
        let on_sync = get(&caller, &name(|n| &n.on_sync))?;
        let on_join = if on_join == self.noop_join {
            JsValue::UNDEFINED
        } else {
            on_join
        };
        let on_leave = if on_leave == self.noop_leave {
            JsValue::UNDEFINED
        } else {
            on_leave
        };
        Ok((on_join, on_leave, on_sync))
    }

    /// `this.channel.joinRef()`.
    fn channel_join_ref(&self) -> Result<JsValue, JsValue> {
        let channel = self.f.borrow().channel.clone();
        call_method(&channel, "joinRef", &Array::new())
    }

    fn in_pending_sync_state(&self) -> Result<bool, JsValue> {
        let join_ref = self.f.borrow().join_ref.clone();
        if join_ref.is_falsy() {
            return Ok(true);
        }
        Ok(join_ref != self.channel_join_ref()?)
    }

    fn apply_diff(
        &self,
        diff: &JsValue,
        on_join: &JsValue,
        on_leave: &JsValue,
    ) -> Result<(), JsValue> {
        let st = sync_diff(self.state(), diff, on_join, on_leave, true)?;
        self.set_state(st);
        Ok(())
    }

    fn on_state(self: &Rc<Self>, new_state: JsValue) -> Result<(), JsValue> {
        let (on_join, on_leave, on_sync) = self.callbacks()?;
        let join_ref = self.channel_join_ref()?;
        self.f.borrow_mut().join_ref = join_ref;
        let current = self.state().obj;
        let st = sync_state(&current, &new_state, &on_join, &on_leave, true)?;
        self.set_state(st);
        // this.pendingDiffs.forEach(diff => { this.state = Presence.syncDiff(this.state, diff, ...) })
        let pending = self.f.borrow().pending_diffs.clone();
        if is_array(&pending) {
            let len = length_of(&pending)?.as_f64().unwrap_or(0.0);
            let mut i = 0.0;
            while i < len {
                let idx = JsValue::from_f64(i);
                if Reflect::has(&pending, &idx)? {
                    let diff = Reflect::get(&pending, &idx)?;
                    self.apply_diff(&diff, &on_join, &on_leave)?;
                }
                i += 1.0;
            }
        } else {
            let me = self.clone();
            let (j, l) = (on_join.clone(), on_leave.clone());
            call_with_callback(&pending, "forEach", move |diff| {
                me.apply_diff(&diff, &j, &l)?;
                Ok(JsValue::UNDEFINED)
            })?;
        }
        self.f.borrow_mut().pending_diffs = Array::new().into();
        call(&on_sync, "onSync", &[])?;
        Ok(())
    }

    fn on_diff(&self, diff: JsValue) -> Result<(), JsValue> {
        let (on_join, on_leave, on_sync) = self.callbacks()?;
        if self.in_pending_sync_state()? {
            let pending = self.f.borrow().pending_diffs.clone();
            call_method(&pending, "push", &Array::of1(&diff))?;
        } else {
            self.apply_diff(&diff, &on_join, &on_leave)?;
            call(&on_sync, "onSync", &[])?;
        }
        Ok(())
    }

    /// `this.channel.on(event, handler)`.
    fn bind(self: &Rc<Self>, event: &JsValue, diff: bool) -> Result<(), JsValue> {
        let me = self.clone();
        let handler =
            Closure::<dyn FnMut(JsValue) -> Result<(), JsValue>>::new(move |payload: JsValue| {
                if diff {
                    me.on_diff(payload)
                } else {
                    me.on_state(payload)
                }
            })
            .into_js_value();
        let channel = self.f.borrow().channel.clone();
        call_method(&channel, "on", &Array::of2(event, &handler))?;
        Ok(())
    }
}

#[wasm_bindgen(js_class = Presence)]
impl JsPresence {
    /// `new Presence(channel, opts = {})`.
    #[wasm_bindgen(constructor)]
    pub fn new(channel: JsValue, opts: JsValue) -> Result<JsPresence, JsValue> {
        let opts = if opts.is_undefined() {
            Object::new().into()
        } else {
            opts
        };
        let mut events = get_str(&opts, "events")?;
        if events.is_falsy() {
            events = Object::new().into();
            set(
                &events,
                &JsValue::from_str("state"),
                &JsValue::from_str("presence_state"),
            )?;
            set(
                &events,
                &JsValue::from_str("diff"),
                &JsValue::from_str("presence_diff"),
            )?;
        }
        let caller: JsValue = Object::new().into();
        let (noop_join, noop_leave) = (noop(), noop());
        set(&caller, &name(|n| &n.on_join), &noop_join)?;
        set(&caller, &name(|n| &n.on_leave), &noop_leave)?;
        set(&caller, &name(|n| &n.on_sync), &noop())?;
        let inner = Rc::new(Inner {
            f: RefCell::new(Fields {
                state: State {
                    obj: object_create(&JsValue::NULL),
                    mirror: Some(Rc::new(RefCell::new(Mirror::new()))),
                },
                pending_diffs: Array::new().into(),
                channel,
                join_ref: JsValue::NULL,
                caller,
            }),
            noop_join,
            noop_leave,
        });
        inner.bind(&get_str(&events, "state")?, false)?;
        inner.bind(&get_str(&events, "diff")?, true)?;
        Ok(JsPresence { inner })
    }

    /// `onJoin(callback)`: `this.caller.onJoin = callback`.
    #[wasm_bindgen(js_name = onJoin)]
    pub fn on_join(&self, callback: JsValue) -> Result<(), JsValue> {
        let caller = self.inner.f.borrow().caller.clone();
        set(&caller, &name(|n| &n.on_join), &callback)
    }

    #[wasm_bindgen(js_name = onLeave)]
    pub fn on_leave(&self, callback: JsValue) -> Result<(), JsValue> {
        let caller = self.inner.f.borrow().caller.clone();
        set(&caller, &name(|n| &n.on_leave), &callback)
    }

    #[wasm_bindgen(js_name = onSync)]
    pub fn on_sync(&self, callback: JsValue) -> Result<(), JsValue> {
        let caller = self.inner.f.borrow().caller.clone();
        set(&caller, &name(|n| &n.on_sync), &callback)
    }

    /// `list(by)`: `Presence.list(this.state, by)`.
    #[wasm_bindgen(unchecked_return_type = "any[]")]
    pub fn list(&self, by: JsValue) -> Result<JsValue, JsValue> {
        let st = self.inner.state();
        let Some(m) = st.fresh_mirror()? else {
            return Ok(map_generic(&st.obj, by.is_truthy().then_some(&by), "chooser")?.into());
        };
        if by.is_falsy() {
            let vals = m.try_borrow().map(|b| b.vals_js.clone());
            return match vals {
                Ok(vals) => Ok(vals.slice(0, u32::MAX).into()),
                Err(_) => Ok(map_generic(&st.obj, None, "chooser")?.into()),
            };
        }
        st.list_by(&m, &by)
    }

    /// `inPendingSyncState()`.
    #[wasm_bindgen(js_name = inPendingSyncState)]
    pub fn in_pending_sync_state(&self) -> Result<bool, JsValue> {
        self.inner.in_pending_sync_state()
    }

    /// `state`: a null-prototype object. Handing it out means JavaScript may change it.
    #[wasm_bindgen(getter)]
    pub fn state(&self) -> JsValue {
        let st = self.inner.state();
        if let Some(m) = &st.mirror {
            match m.try_borrow_mut() {
                Ok(mut b) => b.suspect = true,
                Err(_) => bump_epoch(),
            }
        }
        go_live();
        st.obj
    }

    #[wasm_bindgen(setter)]
    pub fn set_state(&self, v: JsValue) {
        self.inner.set_state(State::untracked(v));
    }

    #[wasm_bindgen(getter, js_name = pendingDiffs)]
    pub fn pending_diffs(&self) -> JsValue {
        self.inner.f.borrow().pending_diffs.clone()
    }

    #[wasm_bindgen(setter, js_name = pendingDiffs)]
    pub fn set_pending_diffs(&self, v: JsValue) {
        self.inner.f.borrow_mut().pending_diffs = v;
    }

    #[wasm_bindgen(getter)]
    pub fn channel(&self) -> JsValue {
        self.inner.f.borrow().channel.clone()
    }

    #[wasm_bindgen(setter)]
    pub fn set_channel(&self, v: JsValue) {
        self.inner.f.borrow_mut().channel = v;
    }

    #[wasm_bindgen(getter, js_name = joinRef)]
    pub fn join_ref(&self) -> JsValue {
        self.inner.f.borrow().join_ref.clone()
    }

    #[wasm_bindgen(setter, js_name = joinRef)]
    pub fn set_join_ref(&self, v: JsValue) {
        self.inner.f.borrow_mut().join_ref = v;
    }

    #[wasm_bindgen(getter)]
    pub fn caller(&self) -> JsValue {
        self.inner.f.borrow().caller.clone()
    }

    #[wasm_bindgen(setter)]
    pub fn set_caller(&self, v: JsValue) {
        self.inner.f.borrow_mut().caller = v;
    }

    /// `Presence.syncState(currentState, newState, onJoin, onLeave)`.
    #[wasm_bindgen(js_name = syncState)]
    pub fn sync_state_static(
        current: JsValue,
        new_state: JsValue,
        on_join: JsValue,
        on_leave: JsValue,
    ) -> Result<JsValue, JsValue> {
        Ok(sync_state(&current, &new_state, &on_join, &on_leave, false)?.obj)
    }

    /// `Presence.syncDiff(state, diff, onJoin, onLeave)`.
    #[wasm_bindgen(js_name = syncDiff)]
    pub fn sync_diff_static(
        state: JsValue,
        diff: JsValue,
        on_join: JsValue,
        on_leave: JsValue,
    ) -> Result<JsValue, JsValue> {
        Ok(sync_diff(State::untracked(state), &diff, &on_join, &on_leave, false)?.obj)
    }

    /// `Presence.list(presences, chooser)`: a static getter returning one function, because a
    /// static method named like the instance method `list` would clash in wasm-bindgen's exports.
    #[wasm_bindgen(getter = list)]
    pub fn list_static() -> JsValue {
        STATIC_LIST.with(|f| f.clone())
    }

    /// `Presence.map(obj, func)` (private in phoenix.js, but reachable).
    #[wasm_bindgen(unchecked_return_type = "any[]")]
    pub fn map(obj: JsValue, func: JsValue) -> Result<Array, JsValue> {
        map_generic(&obj, Some(&func), "func")
    }

    /// `Presence.toNullProtoObj(obj)`.
    #[wasm_bindgen(js_name = toNullProtoObj)]
    pub fn to_null_proto_obj(obj: JsValue) -> Result<JsValue, JsValue> {
        to_null_proto(&obj)
    }

    /// `Presence.clone(obj)`.
    #[wasm_bindgen(js_name = clone)]
    pub fn clone_static(obj: JsValue) -> Result<JsValue, JsValue> {
        clone(&obj)
    }
}

//! `Presence`: phoenix.js 1.8.16's `presence.js`, step for step, over real JavaScript objects.
//!
//! The state, the presences and their metas stay JavaScript objects, so identity, mutation and
//! key order are exactly those of phoenix.js (PITFALLS 21); the algorithm runs here and reaches
//! them through `Reflect`. Where phoenix.js deep-clones (`JSON.parse(JSON.stringify(x))`), so do we.
//!
//! What makes it fast is `list()`. phoenix.js walks the whole state object on every call
//! (`Object.getOwnPropertyNames` on a 10,000-key dictionary object costs milliseconds). Here each
//! state object this code creates carries a [`Mirror`]: its keys and presences in JavaScript
//! property order ([`KeyOrder`]), updated in the same step as every assignment and `delete` this
//! code makes on the object. `list()` then returns that array as it is, and `list(chooser)` calls
//! the chooser straight from it.
//!
//! The mirror is only trusted while no other code can have changed the object:
//! - state objects are reachable from JavaScript only through the `state` getter. Reading it marks
//!   the mirror suspect, and the next `list()` rebuilds it from the object (the cost of one
//!   phoenix.js `list()`), so `presence.state[k] = v; presence.list()` is exact;
//! - an object that `state` is set to is never mirrored (we did not create it);
//! - the static `syncDiff` on an object we do not know bumps a global epoch, which sends every
//!   mirror to be rebuilt before its next use;
//! - a key that does not survive the trip to a Rust string (lone surrogates) turns the mirror off.
//!
//! The one case left out: keeping the object from the `state` getter and changing it later, after
//! a `list()` call, directly in JavaScript. `list()` would not see that change.
use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::{Array, Function, Object, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::globals::js_string;
use crate::core::presence::{strict_eq, KeyOrder, RefKind};

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(catch, js_namespace = Object, js_name = getOwnPropertyNames)]
    fn own_names(o: &JsValue) -> Result<Vec<JsValue>, JsValue>;
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
    #[wasm_bindgen(catch, js_namespace = Array, js_name = from)]
    fn array_elems(v: &JsValue) -> Result<Vec<JsValue>, JsValue>;
    #[wasm_bindgen(js_name = Object)]
    fn to_object(v: &JsValue) -> JsValue;
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
    if nullish(obj) {
        return Err(type_error(&format!(
            "Cannot read properties of {} (reading '{}')",
            nullish_name(obj),
            js_string(key)
        )));
    }
    if is_objectish(obj) {
        Reflect::get(obj, key)
    } else {
        Reflect::get(&to_object(obj), key)
    }
}

fn get_str(obj: &JsValue, key: &str) -> Result<JsValue, JsValue> {
    get(obj, &JsValue::from_str(key))
}

/// `obj[key] = val` in strict mode (presence.js is a module): failures throw `TypeError`.
fn set(obj: &JsValue, key: &JsValue, val: &JsValue) -> Result<(), JsValue> {
    if nullish(obj) {
        return Err(type_error(&format!(
            "Cannot set properties of {} (setting '{}')",
            nullish_name(obj),
            js_string(key)
        )));
    }
    if !is_objectish(obj) {
        return Err(type_error(&format!(
            "Cannot create property '{}' on {} '{}'",
            js_string(key),
            obj.js_typeof().as_string().unwrap_or_default(),
            js_string(obj)
        )));
    }
    if Reflect::set(obj, key, val)? {
        Ok(())
    } else {
        Err(type_error(&format!("Cannot assign to read only property '{}' of object", js_string(key))))
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
        return Err(type_error(&format!("{}.{method} is not a function", short(obj))));
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
            for m in array_elems(metas)? {
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
        for m in array_elems(metas)? {
            if refs.lacks(&RefVal::new(phx_ref(&m)?))? {
                out.push(&m);
            }
        }
        return Ok(out.into());
    }
    call_with_callback(metas, "filter", move |m| Ok(JsValue::from_bool(refs.lacks(&RefVal::new(phx_ref(&m)?))?)))
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
    keys: Vec<JsValue>,
    vals: Vec<JsValue>,
    /// A key could not be represented exactly, or the mirror lost track: never trusted.
    broken: bool,
    /// The object was handed to JavaScript: rebuild before the next use.
    suspect: bool,
    epoch: u64,
    /// Bumped on every change (lets `list(chooser)` notice changes made by the chooser).
    version: u64,
}

type MirrorRef = Rc<RefCell<Mirror>>;

impl Mirror {
    fn new(version: u64) -> Self {
        Mirror {
            order: KeyOrder::new(),
            keys: Vec::new(),
            vals: Vec::new(),
            broken: false,
            suspect: false,
            epoch: epoch(),
            version,
        }
    }

    fn set(&mut self, key: &JsValue, val: &JsValue) {
        self.version = self.version.wrapping_add(1);
        if self.broken {
            return;
        }
        let Some(s) = key.as_string().filter(|s| !s.contains('\u{FFFD}')) else {
            self.broken = true;
            return;
        };
        let (pos, new) = self.order.insert(&s);
        if new {
            if pos <= self.vals.len() {
                self.keys.insert(pos, key.clone());
                self.vals.insert(pos, val.clone());
            } else {
                self.broken = true;
            }
        } else {
            match self.vals.get_mut(pos) {
                Some(v) => *v = val.clone(),
                None => self.broken = true,
            }
        }
    }

    fn delete(&mut self, key: &JsValue) {
        self.version = self.version.wrapping_add(1);
        if self.broken {
            return;
        }
        let Some(s) = key.as_string() else {
            self.broken = true;
            return;
        };
        if let Some(pos) = self.order.remove(&s) {
            if pos < self.vals.len() {
                self.keys.remove(pos);
                self.vals.remove(pos);
            } else {
                self.broken = true;
            }
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
            m.borrow_mut().set(key, val);
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
            return Err(type_error(&format!("Cannot delete property '{}' of [object Object]", js_string(key))));
        }
        if let Some(m) = &self.mirror {
            m.borrow_mut().delete(key);
        }
        Ok(())
    }

    /// The mirror, rebuilt first if it cannot be trusted as it is; `None` when there is none
    /// or it is broken (then the object itself must be walked).
    fn fresh_mirror(&self) -> Result<Option<MirrorRef>, JsValue> {
        let Some(m) = &self.mirror else { return Ok(None) };
        let (stale, broken, version) = {
            let b = m.borrow();
            (b.suspect || b.epoch != epoch(), b.broken, b.version)
        };
        if stale {
            // Read the object outside any borrow: getters and proxies run JavaScript.
            let names = own_names(&self.obj)?;
            let mut vals = Vec::with_capacity(names.len());
            for k in &names {
                vals.push(get(&self.obj, k)?);
            }
            let mut fresh = Mirror::new(version.wrapping_add(1));
            for (k, v) in names.iter().zip(vals.iter()) {
                fresh.set(k, v);
            }
            *m.borrow_mut() = fresh;
        } else if broken {
            return Ok(None);
        }
        Ok(if m.borrow().broken { None } else { Some(m.clone()) })
    }
}

/// `toNullProtoObj(obj)` when it makes a new object (`None`: `obj` has a null prototype).
fn to_null_proto_new(obj: &JsValue, track: bool) -> Result<Option<State>, JsValue> {
    if get_prototype_of(obj)?.is_null() {
        return Ok(None);
    }
    let st = State {
        obj: object_create(&JsValue::NULL),
        mirror: track.then(|| Rc::new(RefCell::new(Mirror::new(0)))),
    };
    for key in own_names(obj)? {
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
fn sync_state(current: &JsValue, new_state: &JsValue, on_join: &JsValue, on_leave: &JsValue, track: bool) -> Result<State, JsValue> {
    let cloned = clone(current)?;
    let state = match to_null_proto_new(&cloned, track)? {
        Some(st) => st,
        None => State::untracked(cloned),
    };
    let new_state = to_null_proto(new_state)?;
    let joins = object_create(&JsValue::NULL);
    let leaves = object_create(&JsValue::NULL);
    let metas = name(|n| &n.metas);

    for key in own_names(&state.obj)? {
        let presence = state.get(&key)?;
        if get(&new_state, &key)?.is_falsy() {
            set(&leaves, &key, &presence)?;
        }
    }
    for key in own_names(&new_state)? {
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

/// `Presence.syncDiff(state, diff, onJoin, onLeave)`.
fn sync_diff(state: State, diff: &JsValue, on_join: &JsValue, on_leave: &JsValue, track: bool) -> Result<State, JsValue> {
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

    for key in own_names(&joins)? {
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
    for key in own_names(&leaves)? {
        let left_presence = get(&leaves, &key)?;
        let current_presence = state.get(&key)?;
        if current_presence.is_falsy() {
            continue;
        }
        let refs_to_remove = Refs::of(&metas_of(&left_presence)?)?;
        let kept = filter_out(&metas_of(&current_presence)?, refs_to_remove)?;
        set(&current_presence, &name(|n| &n.metas), &kept)?;
        if on_leave.is_truthy() {
            call(on_leave, "onLeave", &[&key, &current_presence, &left_presence])?;
        }
        if length_of(&metas_of(&current_presence)?)?.as_f64() == Some(0.0) {
            state.delete(&key)?;
        }
    }
    Ok(state)
}

/// `Presence.map(obj, func)` with `what` naming `func` in errors.
fn map_generic(obj: &JsValue, func: Option<&JsValue>, what: &str) -> Result<Vec<JsValue>, JsValue> {
    let names = own_names(obj)?;
    let mut out = Vec::with_capacity(names.len());
    for key in &names {
        let v = get(obj, key)?;
        out.push(match func {
            Some(f) => call(f, what, &[key, &v])?,
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
    static STATIC_LIST: JsValue = Closure::<dyn Fn(JsValue, JsValue) -> Result<Vec<JsValue>, JsValue>>::new(
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
        let on_join = if on_join == self.noop_join { JsValue::UNDEFINED } else { on_join };
        let on_leave = if on_leave == self.noop_leave { JsValue::UNDEFINED } else { on_leave };
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

    fn apply_diff(&self, diff: &JsValue, on_join: &JsValue, on_leave: &JsValue) -> Result<(), JsValue> {
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
        let handler = Closure::<dyn FnMut(JsValue) -> Result<(), JsValue>>::new(move |payload: JsValue| {
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
        let opts = if opts.is_undefined() { Object::new().into() } else { opts };
        let mut events = get_str(&opts, "events")?;
        if events.is_falsy() {
            events = Object::new().into();
            set(&events, &JsValue::from_str("state"), &JsValue::from_str("presence_state"))?;
            set(&events, &JsValue::from_str("diff"), &JsValue::from_str("presence_diff"))?;
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
                    mirror: Some(Rc::new(RefCell::new(Mirror::new(0)))),
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
    pub fn list(&self, by: JsValue) -> Result<Vec<JsValue>, JsValue> {
        let st = self.inner.state();
        let Some(m) = st.fresh_mirror()? else {
            return map_generic(&st.obj, by.is_truthy().then_some(&by), "chooser");
        };
        if by.is_falsy() {
            return Ok(m.borrow().vals.clone());
        }
        let (keys, vals, version) = {
            let b = m.borrow();
            (b.keys.clone(), b.vals.clone(), b.version)
        };
        let mut out = Vec::with_capacity(keys.len());
        // phoenix.js lists the keys first and reads each value just before its chooser call:
        // once a chooser changes the state, read the object itself.
        let mut live = false;
        for (k, v) in keys.iter().zip(vals.iter()) {
            let r = if live {
                call(&by, "chooser", &[k, &get(&st.obj, k)?])?
            } else {
                call(&by, "chooser", &[k, v])?
            };
            out.push(r);
            if !live {
                let b = m.borrow();
                live = b.version != version || b.suspect || b.epoch != epoch();
            }
        }
        Ok(out)
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
            m.borrow_mut().suspect = true;
        }
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
    pub fn sync_state_static(current: JsValue, new_state: JsValue, on_join: JsValue, on_leave: JsValue) -> Result<JsValue, JsValue> {
        Ok(sync_state(&current, &new_state, &on_join, &on_leave, false)?.obj)
    }

    /// `Presence.syncDiff(state, diff, onJoin, onLeave)`.
    #[wasm_bindgen(js_name = syncDiff)]
    pub fn sync_diff_static(state: JsValue, diff: JsValue, on_join: JsValue, on_leave: JsValue) -> Result<JsValue, JsValue> {
        Ok(sync_diff(State::untracked(state), &diff, &on_join, &on_leave, false)?.obj)
    }

    /// `Presence.list(presences, chooser)`: a static getter returning one function, because a
    /// static method named like the instance method `list` would clash in wasm-bindgen's exports.
    #[wasm_bindgen(getter = list)]
    pub fn list_static() -> JsValue {
        STATIC_LIST.with(|f| f.clone())
    }

    /// `Presence.map(obj, func)` (private in phoenix.js, but reachable).
    pub fn map(obj: JsValue, func: JsValue) -> Result<Vec<JsValue>, JsValue> {
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

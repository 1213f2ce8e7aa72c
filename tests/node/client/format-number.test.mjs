// Property test: the core's `format_number` (it renders numeric refs into `chan_reply_{ref}`
// event names and sizes into error messages) prints every f64 exactly as JavaScript's
// `String(number)` does. The Rust side runs as `examples/format_number.rs`, fed the numbers'
// bit patterns on stdin; this engine's `String(n)` is the reference.
//
// Numbers: special values, uniformly random bit patterns (every exponent), integers, short
// decimals m × 10^e, short binary fractions (halfway cases), and the neighbours (±1 ulp) of each power of ten, where the layout switches
// between plain and exponent notation. The seed is printed on failure; set FORMAT_NUMBER_SEED to
// replay it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../..", import.meta.url));
const seed = Number(process.env.FORMAT_NUMBER_SEED ?? Math.floor(Math.random() * 2 ** 32));

// xorshift128+ over BigInt: 64 random bits per call, reproducible from the seed.
function rng(seed) {
  const mask = (1n << 64n) - 1n;
  let s0 = BigInt(seed) ^ 0x9e3779b97f4a7c15n;
  let s1 = (BigInt(seed) * 0xbf58476d1ce4e5b9n + 1n) & mask;
  return () => {
    let x = s0;
    const y = s1;
    s0 = y;
    x ^= (x << 23n) & mask;
    s1 = x ^ y ^ (x >> 17n) ^ (y >> 26n);
    return (s1 + y) & mask;
  };
}

const view = new DataView(new ArrayBuffer(8));
const toBits = (x) => (view.setFloat64(0, x), view.getBigUint64(0));
const fromBits = (b) => (view.setBigUint64(0, b), view.getFloat64(0));
const neighbours = (x) => [fromBits(toBits(x) - 1n), x, fromBits(toBits(x) + 1n)];

function numbers() {
  const next = rng(seed);
  const unit = () => Number(next() >> 11n) / 2 ** 53;
  const out = [0, -0, NaN, Infinity, -Infinity, 0.9999999, 1e-7, 1e21, 5e-324, -5e-324];
  out.push(Number.MAX_VALUE, -Number.MAX_VALUE, Number.MIN_VALUE, Number.EPSILON);
  out.push(Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 2 ** 53 + 2, 2 ** 64, 0.1 + 0.2);
  for (let e = -1074; e <= 1023; e++) out.push(2 ** e); // narrower interval below each
  for (let e = -325; e <= 309; e++) {
    const p = Number(`1e${e}`);
    if (p > 0 && Number.isFinite(p)) out.push(...neighbours(p), ...neighbours(-p));
  }
  for (let i = 0; i < 100_000; i++) out.push(fromBits(next())); // every exponent, NaN payloads
  for (let i = 0; i < 30_000; i++) out.push(Math.floor((unit() - 0.5) * 2 ** (1 + (i % 70))));
  for (let i = 0; i < 30_000; i++) {
    const digits = Math.floor(unit() * 10 ** (1 + (i % 17)));
    out.push(Number(`${i % 2 ? "-" : ""}${digits}e${Math.floor(unit() * 60) - 30}`));
  }
  for (let i = 0; i < 10_000; i++) out.push(unit(), unit() * 1e-6, unit() * 1e22);
  // Short binary fractions m / 2^j: the only numbers that can lie halfway between two shortest
  // decimal strings (JavaScript then takes the even digit).
  for (let i = 0; i < 30_000; i++) out.push(Math.floor(unit() * 2 ** 53) / 2 ** (1 + (i % 25)));
  return out;
}

test("format_number matches String(number) for every kind of f64", () => {
  const xs = numbers();
  const input = xs.map((x) => toBits(x).toString(16).padStart(16, "0")).join("\n") + "\n";
  const run = spawnSync("cargo", ["run", "--quiet", "--example", "format_number"], {
    cwd: root,
    input,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  assert.equal(run.status, 0, `cargo run --example format_number failed:\n${run.stderr}`);
  const got = run.stdout.split("\n");
  assert.equal(got.length, xs.length + 1, "one line out per number in");
  const wrong = [];
  xs.forEach((x, i) => {
    if (got[i] !== String(x)) wrong.push(`${toBits(x).toString(16)}: ${got[i]} != ${String(x)}`);
  });
  assert.deepEqual(wrong.slice(0, 20), [], `seed ${seed}: ${wrong.length} of ${xs.length} differ`);
});

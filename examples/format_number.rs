//! Prints `core::socket::format_number` for numbers read from stdin, one per line as the 16 hex
//! digits of the `f64`'s bits, so that `tests/node/client/format-number.test.mjs` can compare
//! each with JavaScript's `String(number)`.
//!
//!     printf '3ff0000000000000\n' | cargo run -q --example format_number   # prints 1
use std::io::{BufRead, BufWriter, Write};

fn main() -> std::io::Result<()> {
    let stdin = std::io::stdin();
    let mut out = BufWriter::new(std::io::stdout().lock());
    for line in stdin.lock().lines() {
        let line = line?;
        let text = match u64::from_str_radix(line.trim(), 16) {
            Ok(bits) => phoenix_wasm::core::socket::format_number(f64::from_bits(bits)),
            Err(e) => format!("bad input {line:?}: {e}"),
        };
        writeln!(out, "{text}")?;
    }
    out.flush()
}

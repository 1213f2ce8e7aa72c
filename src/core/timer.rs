//! phoenix.js `timer.js`: a timer with backoff `tries`, and the default backoff tables.

/// Default `reconnectAfterMs(tries)`, tries 1-based.
pub fn default_reconnect_after_ms(tries: u32) -> f64 {
    const TABLE: [f64; 9] = [
        10.0, 50.0, 100.0, 150.0, 200.0, 250.0, 500.0, 1000.0, 2000.0,
    ];
    backoff(&TABLE, tries, 5000.0)
}

/// Default `rejoinAfterMs(tries)`, tries 1-based.
pub fn default_rejoin_after_ms(tries: u32) -> f64 {
    const TABLE: [f64; 3] = [1000.0, 2000.0, 5000.0];
    backoff(&TABLE, tries, 10000.0)
}

/// A backoff delay with `reconnectJitter` applied (a phoenix-wasm extension): `delay` times a
/// factor in `(1 - jitter, 1]`, from `random` in `[0, 1)`. `jitter` is clamped to `[0, 1]`;
/// with `0` (the default) the delay is phoenix.js's, exactly.
pub fn jittered(delay: f64, jitter: f64, random: f64) -> f64 {
    delay * (1.0 - jitter.clamp(0.0, 1.0) * random.clamp(0.0, 1.0))
}

/// `reconnectJitter` as given: a number in `[0, 1]`; anything else (NaN, not a number) is `0`.
pub fn normalize_jitter(j: f64) -> f64 {
    if j.is_finite() {
        j.clamp(0.0, 1.0)
    } else {
        0.0
    }
}

// `[...][tries - 1] || fallback`: index 0 and anything past the table give the fallback.
fn backoff(table: &[f64], tries: u32, fallback: f64) -> f64 {
    tries
        .checked_sub(1)
        .and_then(|i| table.get(i as usize))
        .copied()
        .unwrap_or(fallback)
}

/// The state of a phoenix.js `Timer`: how often it fired since the last reset, and its
/// pending timeout. The core owns the deadline logic; the host owns the JS timer.
pub struct Backoff<T> {
    /// How many times it fired since the last reset.
    pub tries: u32,
    /// The pending timeout, if any.
    pub timer: Option<T>,
}

impl<T> Default for Backoff<T> {
    fn default() -> Self {
        Backoff {
            tries: 0,
            timer: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reconnect_table_matches_phoenix() {
        let got: Vec<f64> = (0..=11).map(default_reconnect_after_ms).collect();
        assert_eq!(
            got,
            [
                5000.0, 10.0, 50.0, 100.0, 150.0, 200.0, 250.0, 500.0, 1000.0, 2000.0, 5000.0,
                5000.0
            ]
        );
    }

    #[test]
    fn jitter_bounds() {
        assert_eq!(jittered(1000.0, 0.0, 0.7), 1000.0);
        assert_eq!(jittered(1000.0, 0.5, 0.0), 1000.0);
        assert_eq!(jittered(1000.0, 0.5, 0.999), 1000.0 * (1.0 - 0.5 * 0.999));
        assert_eq!(jittered(1000.0, 2.0, 0.5), 500.0);
        assert_eq!(normalize_jitter(f64::NAN), 0.0);
        assert_eq!(normalize_jitter(-1.0), 0.0);
        assert_eq!(normalize_jitter(1.5), 1.0);
        assert_eq!(normalize_jitter(0.25), 0.25);
    }

    #[test]
    fn rejoin_table_matches_phoenix() {
        let got: Vec<f64> = (1..=5).map(default_rejoin_after_ms).collect();
        assert_eq!(got, [1000.0, 2000.0, 5000.0, 10000.0, 10000.0]);
    }
}

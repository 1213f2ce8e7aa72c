//! `format_number` against JavaScript's `String(number)`: fixed cases here (values checked in
//! Node), a round-trip property, and a comparison with the JS engine itself in
//! `tests/node/client/format-number.test.mjs` (through `examples/format_number.rs`).
use crate::core::socket::format_number;
use proptest::prelude::*;

#[test]
fn special_values() {
    assert_eq!(format_number(f64::NAN), "NaN");
    assert_eq!(format_number(-f64::NAN), "NaN");
    assert_eq!(format_number(f64::INFINITY), "Infinity");
    assert_eq!(format_number(f64::NEG_INFINITY), "-Infinity");
    assert_eq!(format_number(0.0), "0");
    assert_eq!(format_number(-0.0), "0");
}

#[test]
fn integers() {
    assert_eq!(format_number(1.0), "1");
    assert_eq!(format_number(-1.0), "-1");
    assert_eq!(format_number(42.0), "42");
    assert_eq!(format_number(100.0), "100");
    assert_eq!(format_number(9007199254740991.0), "9007199254740991");
    assert_eq!(format_number(9007199254740993.0), "9007199254740992");
    assert_eq!(format_number(1e20), "100000000000000000000");
    assert_eq!(
        format_number(123456789012345680000.0),
        "123456789012345680000"
    );
    assert_eq!(format_number(1e21), "1e+21");
    assert_eq!(format_number(-1e21), "-1e+21");
    assert_eq!(format_number(1.5e21), "1.5e+21");
    assert_eq!(format_number(2f64.powi(64)), "18446744073709552000");
    assert_eq!(format_number(2f64.powi(70)), "1.1805916207174113e+21");
}

#[test]
fn fractions() {
    assert_eq!(format_number(0.5), "0.5");
    assert_eq!(format_number(-0.5), "-0.5");
    assert_eq!(format_number(0.1), "0.1");
    assert_eq!(format_number(0.1 + 0.2), "0.30000000000000004");
    assert_eq!(format_number(0.9999999), "0.9999999");
    assert_eq!(format_number(1.0000001), "1.0000001");
    assert_eq!(format_number(123.456), "123.456");
    assert_eq!(format_number(-1.25), "-1.25");
    assert_eq!(format_number(1.0 / 3.0), "0.3333333333333333");
    assert_eq!(format_number(2.5e-5), "0.000025");
}

#[test]
fn small_numbers_switch_to_exponent_below_1e_minus_6() {
    assert_eq!(format_number(0.000001), "0.000001");
    assert_eq!(format_number(0.0000015), "0.0000015");
    assert_eq!(format_number(1e-7), "1e-7");
    assert_eq!(format_number(-1e-7), "-1e-7");
    assert_eq!(format_number(1.5e-7), "1.5e-7");
    assert_eq!(format_number(1.2345e-10), "1.2345e-10");
}

#[test]
fn extremes() {
    assert_eq!(format_number(f64::MAX), "1.7976931348623157e+308");
    assert_eq!(format_number(f64::MIN), "-1.7976931348623157e+308");
    assert_eq!(format_number(f64::MIN_POSITIVE), "2.2250738585072014e-308");
    assert_eq!(format_number(5e-324), "5e-324");
    assert_eq!(format_number(-5e-324), "-5e-324");
    assert_eq!(format_number(f64::EPSILON), "2.220446049250313e-16");
}

/// What JavaScript's layout rules leave possible: the text reads back as the same number, and
/// uses an exponent exactly when |x| is outside [1e-6, 1e21).
fn check_layout(x: f64) -> Result<(), TestCaseError> {
    let s = format_number(x);
    let back: f64 = s
        .parse()
        .map_err(|_| TestCaseError::fail(format!("{s} does not parse")))?;
    prop_assert_eq!(back, x, "{} reads back as {}", s, back);
    let abs = x.abs();
    let exponent = s.contains('e');
    prop_assert_eq!(
        exponent,
        !(abs == 0.0 || (1e-6..1e21).contains(&abs)),
        "{}",
        s
    );
    prop_assert!(!s.contains("e+0") && !s.contains("e-0"), "{}", s);
    prop_assert!(
        !s.contains('.') || !s.split('e').next().unwrap().ends_with('0'),
        "{}",
        s
    );
    Ok(())
}

proptest! {
    #[test]
    fn any_finite_bits_round_trip(bits in any::<u64>()) {
        let x = f64::from_bits(bits);
        prop_assume!(x.is_finite());
        check_layout(x)?;
    }

    #[test]
    fn short_decimals_round_trip(m in -1_000_000i64..1_000_000, e in -30i32..30) {
        check_layout(m as f64 * 10f64.powi(e))?;
    }
}

#[test]
fn halfway_values_take_the_even_digit_as_javascript_does() {
    // Exactly halfway (…8.25, …7.125; written as sums, the literals would round): both neighbours read back, JavaScript picks the even last digit.
    assert_eq!(
        format_number(1095944209129418.0 + 0.25),
        "1095944209129418.2"
    );
    assert_eq!(
        format_number(-(1391773889384248.0 + 0.25)),
        "-1391773889384248.2"
    );
    assert_eq!(
        format_number(-(77742813679347.0 + 0.125)),
        "-77742813679347.12"
    );
    assert_eq!(
        format_number(-(33329080595033.0 + 0.3125)),
        "-33329080595033.312"
    );
}

#[test]
fn halfway_below_a_power_of_two_takes_the_lower_digit_only_when_it_reads_back() {
    // 2^-25 = 2.98023223876953125e-8: …312 reads back, so the even one wins.
    assert_eq!(format_number(2f64.powi(-25)), "2.9802322387695312e-8");
    // 2^-24 = 5.9604644775390625e-8: …062 lies outside the narrower interval below 2^-24.
    assert_eq!(format_number(2f64.powi(-24)), "5.960464477539063e-8");
}

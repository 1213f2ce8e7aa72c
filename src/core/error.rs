//! Errors of the core, in the style of h2's `UserError`: small enums whose `Display` writes a
//! static string, so the wasm build carries no formatting machinery on the hot path.
//!
//! The one exception is [`EncodeError::message`], which rebuilds phoenix.js's exact `Error`
//! text (it includes a byte count). It runs only when an app pushes an oversized field.

use std::fmt;

/// Why a binary frame could not be decoded ([`crate::core::serializer`]).
///
/// phoenix.js's `binaryDecode` clamps out-of-range slices silently and returns `undefined` for
/// an unknown kind (which then throws in `onConnMessage`). We reject such frames instead; the
/// shell logs [`DecodeError::as_str`] and drops the frame, so the outcome (frame lost) matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DecodeError {
    /// The frame has no bytes at all, so not even a kind byte.
    Empty,
    /// The kind byte is not 0 (push), 1 (reply) or 2 (broadcast).
    UnknownKind,
    /// The kind byte is known but not one this side accepts: a client push frame
    /// (`decode_client_push`) must be kind 0.
    UnexpectedKind,
    /// The frame ends inside the length bytes that follow the kind byte.
    TruncatedHeader,
    /// A field's length byte points past the end of the frame.
    Truncated,
}

impl DecodeError {
    /// A static description, for logs.
    pub fn as_str(&self) -> &'static str {
        match self {
            DecodeError::Empty => "empty binary frame",
            DecodeError::UnknownKind => "unknown binary frame kind",
            DecodeError::UnexpectedKind => "unexpected binary frame kind",
            DecodeError::TruncatedHeader => "binary frame too short for its header",
            DecodeError::Truncated => "binary frame field length exceeds the frame",
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::error::Error for DecodeError {}

/// A length-prefixed string field of a binary frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    /// `join_ref`
    JoinRef,
    /// `ref`
    Ref,
    /// `topic`
    Topic,
    /// `event`
    Event,
    /// `status` (replies only; sits where a push has its event).
    Status,
}

impl Field {
    /// The field's name as phoenix.js spells it in its error messages.
    pub fn as_str(&self) -> &'static str {
        match self {
            Field::JoinRef => "join_ref",
            Field::Ref => "ref",
            Field::Topic => "topic",
            Field::Event => "event",
            Field::Status => "status",
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a binary frame could not be encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EncodeError {
    /// A string field is longer than its one length byte can say (255 bytes).
    /// serializer.js `assertFieldSize` throws for this.
    FieldTooLong {
        /// The first field, in encoding order, that is too long.
        field: Field,
        /// Its length in bytes.
        len: usize,
    },
}

impl EncodeError {
    /// A static description, for logs. See [`EncodeError::message`] for phoenix.js's text.
    pub fn as_str(&self) -> &'static str {
        match self {
            EncodeError::FieldTooLong { .. } => "binary field longer than 255 bytes",
        }
    }

    /// Exactly the message of the `Error` that serializer.js `assertFieldSize` throws:
    /// `unable to convert join_ref to binary: must be less than or equal to 255 bytes, but is N bytes`.
    pub fn message(&self) -> String {
        match self {
            EncodeError::FieldTooLong { field, len } => {
                let mut s = String::with_capacity(96);
                s.push_str("unable to convert ");
                s.push_str(field.as_str());
                s.push_str(" to binary: must be less than or equal to 255 bytes, but is ");
                push_decimal(&mut s, *len);
                s.push_str(" bytes");
                s
            }
        }
    }
}

/// Appends `n` in decimal without going through `core::fmt`.
fn push_decimal(s: &mut String, mut n: usize) {
    // usize::MAX has at most 20 decimal digits.
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    for slot in digits.iter_mut().rev() {
        // `n % 10` is below 10, so the cast cannot truncate.
        *slot = b'0' + (n % 10) as u8;
        start -= 1;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for &d in digits.get(start..).unwrap_or_default() {
        s.push(char::from(d));
    }
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

impl std::error::Error for EncodeError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_error_message_matches_phoenix_js() {
        let e = EncodeError::FieldTooLong {
            field: Field::JoinRef,
            len: 256,
        };
        assert_eq!(
            e.message(),
            "unable to convert join_ref to binary: must be less than or equal to 255 bytes, but is 256 bytes"
        );
        assert_eq!(e.to_string(), e.message());
        let e = EncodeError::FieldTooLong {
            field: Field::Event,
            len: 0,
        };
        assert!(e.message().ends_with("but is 0 bytes"));
        let e = EncodeError::FieldTooLong {
            field: Field::Topic,
            len: usize::MAX,
        };
        assert_eq!(
            e.message(),
            "unable to convert topic to binary: must be less than or equal to 255 bytes, but is 18446744073709551615 bytes"
                .replace("18446744073709551615", &usize::MAX.to_string())
        );
    }

    #[test]
    fn names_and_static_strings() {
        let names: Vec<&str> = [
            Field::JoinRef,
            Field::Ref,
            Field::Topic,
            Field::Event,
            Field::Status,
        ]
        .iter()
        .map(Field::as_str)
        .collect();
        assert_eq!(names, ["join_ref", "ref", "topic", "event", "status"]);
        for e in [
            DecodeError::Empty,
            DecodeError::UnknownKind,
            DecodeError::UnexpectedKind,
            DecodeError::TruncatedHeader,
            DecodeError::Truncated,
        ] {
            assert_eq!(e.to_string(), e.as_str());
            assert!(!e.as_str().is_empty());
        }
    }
}

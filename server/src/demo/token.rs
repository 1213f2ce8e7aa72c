//! Signed, expiring user tokens, like `Phoenix.Token.sign/verify` (HMAC-SHA256).
//!
//! Format: `base64url({"n":name,"t":issued_ms}) "." base64url(hmac(secret, first part))`.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

/// Tokens older than this are refused (one day, docs/protocol.md#demo-contract).
pub const MAX_AGE_MS: u64 = 24 * 60 * 60 * 1000;

/// Signs and verifies tokens with one secret.
#[derive(Clone)]
pub struct Signer {
    secret: Vec<u8>,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Signer(..)")
    }
}

/// Why a token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Not of the right form.
    #[error("malformed token")]
    Malformed,
    /// Bad signature.
    #[error("invalid signature")]
    Forged,
    /// Too old (or from the future).
    #[error("expired")]
    Expired,
}

/// 1–32 letters, digits, `_` or `-` (user and room names).
pub fn valid_name(name: &str) -> bool {
    (1..=32).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

impl Signer {
    /// A signer with this secret.
    pub fn new(secret: Vec<u8>) -> Self {
        Signer { secret }
    }

    /// A signer with a random secret (tokens do not survive a restart).
    pub fn random() -> Self {
        let mut secret = vec![0u8; 32];
        if getrandom::fill(&mut secret).is_err() {
            // Extremely unlikely; fall back to something process-specific.
            let t = crate::demo::now_ms().to_le_bytes();
            secret.iter_mut().zip(t).for_each(|(s, b)| *s = b);
        }
        Signer { secret }
    }

    fn mac(&self, data: &[u8]) -> Hmac<Sha256> {
        // HMAC accepts keys of any length, so the fallback is unreachable.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.secret)
            .unwrap_or_else(|_| <Hmac<Sha256> as hmac::digest::KeyInit>::new(&Default::default()));
        mac.update(data);
        mac
    }

    /// Signs `name` issued at `now_ms`.
    pub fn sign(&self, name: &str, now_ms: u64) -> String {
        let body = URL_SAFE_NO_PAD.encode(json!({"n": name, "t": now_ms}).to_string());
        let sig = URL_SAFE_NO_PAD.encode(self.mac(body.as_bytes()).finalize().into_bytes());
        format!("{body}.{sig}")
    }

    /// Checks signature and age; returns the user name.
    pub fn verify(&self, token: &str, now_ms: u64) -> Result<String, TokenError> {
        let (body, sig) = token.split_once('.').ok_or(TokenError::Malformed)?;
        let sig = URL_SAFE_NO_PAD
            .decode(sig)
            .map_err(|_| TokenError::Malformed)?;
        self.mac(body.as_bytes())
            .verify_slice(&sig)
            .map_err(|_| TokenError::Forged)?;
        let raw = URL_SAFE_NO_PAD
            .decode(body)
            .map_err(|_| TokenError::Malformed)?;
        let v: Value = serde_json::from_slice(&raw).map_err(|_| TokenError::Malformed)?;
        let name = v
            .get("n")
            .and_then(Value::as_str)
            .ok_or(TokenError::Malformed)?;
        let issued = v
            .get("t")
            .and_then(Value::as_u64)
            .ok_or(TokenError::Malformed)?;
        // Allow a minute of clock skew into the future.
        if issued > now_ms + 60_000 || now_ms.saturating_sub(issued) > MAX_AGE_MS {
            return Err(TokenError::Expired);
        }
        Ok(name.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_verify_forge_expire() {
        let s = Signer::new(b"k".to_vec());
        let t = s.sign("alice", 1_000);
        assert_eq!(s.verify(&t, 2_000).as_deref(), Ok("alice"));
        assert_eq!(
            Signer::new(b"other".to_vec()).verify(&t, 2_000),
            Err(TokenError::Forged)
        );
        assert_eq!(
            s.verify(&t, 1_000 + MAX_AGE_MS + 1),
            Err(TokenError::Expired)
        );
        assert_eq!(s.verify("garbage", 0), Err(TokenError::Malformed));
        let mut forged = t.clone();
        forged.insert(0, 'x');
        assert!(s.verify(&forged, 2_000).is_err());
    }

    #[test]
    fn names() {
        assert!(valid_name("alice_1-x"));
        assert!(!valid_name(""));
        assert!(!valid_name("a b"));
        assert!(!valid_name(&"a".repeat(33)));
        assert!(!valid_name("é"));
    }
}

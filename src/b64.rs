//! Base64 through `base64ct` (RustCrypto; constant-time, strict: canonical padding and trailing
//! bits), the one `jwt-compact` uses too (natively, in the tests): one base64 in the Wasm.
//! The two alphabets this server uses, with an `encode`/`decode` pair each.
use base64ct::{Base64, Base64UrlUnpadded, Encoding};

/// base64url without padding (tokens, ids, PKCE, JWT segments, sealed values).
pub const URL_SAFE_NO_PAD: Alphabet<Base64UrlUnpadded> = Alphabet(std::marker::PhantomData);
/// Standard base64 with padding (HTTP Basic credentials, image data).
pub const STANDARD: Alphabet<Base64> = Alphabet(std::marker::PhantomData);

/// One of the alphabets above.
pub struct Alphabet<E>(std::marker::PhantomData<E>);

/// Input that is not canonical base64 of the alphabet (or not ASCII at all).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeError;

impl<E: Encoding> Alphabet<E> {
    pub fn encode(&self, bytes: impl AsRef<[u8]>) -> String {
        E::encode_string(bytes.as_ref())
    }

    pub fn decode(&self, text: impl AsRef<[u8]>) -> Result<Vec<u8>, DecodeError> {
        let text = std::str::from_utf8(text.as_ref()).map_err(|_| DecodeError)?;
        E::decode_vec(text).map_err(|_| DecodeError)
    }
}

/// Whether `text` has `len` characters, all of the base64url alphabet (the shape of this
/// server's random tokens and ids).
pub fn is_url_safe(text: &str, len: usize) -> bool {
    text.len() == len && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;

    #[test]
    fn url_safe_shapes() {
        assert!(is_url_safe("aZ09-_", 6));
        assert!(!is_url_safe("aZ09-_", 5), "the length counts");
        for bad in ["aZ09-=", "aZ09-/", "aZ09+_", "aZ0é", "aZ 9-_"] {
            assert!(!is_url_safe(bad, bad.len()), "{bad}");
        }
    }

    #[test]
    fn both_alphabets_agree_with_the_base64_crate() {
        for bytes in [&b""[..], b"f", b"fo", b"foo", b"\xfb\xff\xfe", &[0u8; 33][..]] {
            let url = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
            let std = base64::engine::general_purpose::STANDARD.encode(bytes);
            assert_eq!(URL_SAFE_NO_PAD.encode(bytes), url);
            assert_eq!(STANDARD.encode(bytes), std);
            assert_eq!(URL_SAFE_NO_PAD.decode(&url).unwrap(), bytes);
            assert_eq!(STANDARD.decode(&std).unwrap(), bytes);
        }
    }

    #[test]
    fn non_canonical_input_is_refused() {
        assert_eq!(URL_SAFE_NO_PAD.decode("Zm9v="), Err(DecodeError), "padding");
        assert_eq!(URL_SAFE_NO_PAD.decode("+/8"), Err(DecodeError), "the standard alphabet");
        assert_eq!(URL_SAFE_NO_PAD.decode("Zh"), Err(DecodeError), "trailing bits");
        assert_eq!(STANDARD.decode("Zm8"), Err(DecodeError), "missing padding");
        assert_eq!(STANDARD.decode("-_8="), Err(DecodeError), "the URL alphabet");
        assert_eq!(URL_SAFE_NO_PAD.decode(b"\xff\xfe"), Err(DecodeError), "not ASCII");
    }
}

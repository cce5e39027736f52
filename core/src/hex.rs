//! Lowercase hexadecimal, the form keys, ids and hashes take in JSON and JS.
use alloc::string::String;

const DIGITS: &[u8; 16] = b"0123456789abcdef";

/// Lowercase hex of `bytes`.
pub fn encode(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        for nib in [b >> 4, b & 0x0f] {
            s.push(char::from(DIGITS.get(usize::from(nib)).copied().unwrap_or(b'0')));
        }
    }
    s
}

fn nibble(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    }
}

/// Decodes lowercase hex of any even length. Uppercase, an odd length and
/// other characters are rejected.
pub fn decode(s: &str) -> Option<alloc::vec::Vec<u8>> {
    let b = s.as_bytes();
    if !b.len().is_multiple_of(2) {
        return None;
    }
    b.chunks_exact(2)
        .map(|pair| match pair {
            [h, l] => Some((nibble(*h)? << 4) | nibble(*l)?),
            _ => None,
        })
        .collect()
}

/// Decodes exactly `N` bytes from `2 * N` lowercase hex characters.
/// Uppercase, odd lengths, other lengths and other characters are rejected.
pub fn decode_array<const N: usize>(s: &str) -> Option<[u8; N]> {
    let b = s.as_bytes();
    if b.len() != 2 * N {
        return None;
    }
    let mut out = [0u8; N];
    for (o, pair) in out.iter_mut().zip(b.chunks_exact(2)) {
        let (hi, lo) = match pair {
            [h, l] => (nibble(*h)?, nibble(*l)?),
            _ => return None,
        };
        *o = (hi << 4) | lo;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn roundtrip_and_strictness() {
        assert_eq!(encode(&[0x00, 0xab, 0xff]), "00abff");
        assert_eq!(decode_array::<3>("00abff"), Some([0, 0xab, 0xff]));
        assert_eq!(decode_array::<3>("00ABff"), None);
        assert_eq!(decode_array::<3>("00abf"), None);
        assert_eq!(decode_array::<2>("00abff"), None);
        assert_eq!(decode_array::<1>("zz"), None);
        assert_eq!(decode("00abff"), Some(alloc::vec![0, 0xab, 0xff]));
        assert_eq!(decode(""), Some(alloc::vec![]));
        assert_eq!(decode("00abf"), None);
        assert_eq!(decode("0A"), None);
        assert_eq!(decode("0g"), None);
    }
}

//! Short incident ids, derived from the random tail of the incident's UUID v7.
//!
//! The head of a v7 UUID is a timestamp, so incidents declared the same hour share it;
//! the tail is random and makes a short id people can read out on a call.

use uuid::Uuid;

/// Lower-case letters and digits without the look-alikes i, l, o, u.
const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";

/// Six characters (30 random bits), e.g. `k7m2qx`.
pub fn short_id(id: &Uuid) -> String {
    let b = id.as_bytes();
    let tail = u64::from_be_bytes([0, 0, 0, b[11], b[12], b[13], b[14], b[15]]);
    (0..6)
        .rev()
        .map(|i| ALPHABET[((tail >> (i * 5)) & 31) as usize] as char)
        .collect()
}

/// Whether `input` names this incident: its short id, its UUID, or a prefix of either.
pub fn matches_reference(id: &Uuid, short: &str, input: &str) -> bool {
    let input = input.trim().to_ascii_lowercase();
    if input.is_empty() {
        return false;
    }
    let hyphenated = id.hyphenated().to_string();
    let simple = id.simple().to_string();
    short.starts_with(&input) || hyphenated.starts_with(&input) || simple.starts_with(&input)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_ids_are_six_readable_characters_and_differ() {
        let a = Uuid::now_v7();
        let b = Uuid::now_v7();
        let (sa, sb) = (short_id(&a), short_id(&b));
        assert_eq!(sa.len(), 6);
        assert!(sa.bytes().all(|c| ALPHABET.contains(&c)));
        assert_ne!(sa, sb);
        assert_eq!(sa, short_id(&a));
    }

    #[test]
    fn references_match_short_id_uuid_and_prefixes() {
        let id = Uuid::now_v7();
        let s = short_id(&id);
        assert!(matches_reference(&id, &s, &s));
        assert!(matches_reference(&id, &s, &s[..3]));
        assert!(matches_reference(&id, &s, &id.to_string()));
        assert!(matches_reference(
            &id,
            &s,
            &id.to_string()[..8].to_uppercase()
        ));
        assert!(!matches_reference(&id, &s, ""));
        assert!(!matches_reference(&id, &s, "zzzzzzzzzz"));
    }
}

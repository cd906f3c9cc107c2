//! Schedule names. EventBridge Scheduler allows `[0-9a-zA-Z-_.]`, at most 64
//! characters, unique in the group. A name is `{subject hash}-{connection
//! id}`: the same connection always gets the same name (a log batch run
//! again conflicts instead of scheduling twice), and `ListSchedules` with
//! the subject's prefix finds that subject's connections.

use sha2::{Digest, Sha256};

/// Hex digits of SHA-256 kept in the prefix: 64 bits. Two subjects sharing a
/// prefix cost one extra `GetSchedule` at revoke time, never a wrong
/// disconnect: revoke checks the subject stored in each schedule's input.
const HASH_HEX: usize = 16;

/// The longest name EventBridge Scheduler accepts.
pub const MAX_NAME: usize = 64;

/// Why a connection cannot have a schedule.
#[derive(Debug, PartialEq, Eq)]
pub enum NameError {
    /// A character outside the base64 alphabet API Gateway uses for ids.
    Character(char),
    /// The name would exceed [`MAX_NAME`].
    TooLong(usize),
}

/// `ListSchedules` prefix of every schedule of `subject`. The subject
/// itself never appears in a name (names show in consoles and CloudTrail).
pub fn subject_prefix(subject: &str) -> String {
    let digest = Sha256::digest(subject.as_bytes());
    let mut prefix: String = digest
        .iter()
        .take(HASH_HEX / 2)
        .map(|byte| format!("{byte:02x}"))
        .collect();
    prefix.push('-');
    prefix
}

/// The prefix of the schedules of connections without a subject (a token
/// without `sub` whose principal API Gateway logged as `-` too). Its
/// letters are not hex digits, so no subject's prefix can ever match it:
/// revoke never finds these, and they still end their connection at `exp`.
pub const UNATTRIBUTED_PREFIX: &str = "nosubject-";

/// The name of the schedule that ends `connection_id` of `subject`.
/// Connection ids are standard base64 (`Dzl8bdcnDoECJZQ=`): `+`, `/` and `=`
/// map one-to-one onto `-`, `_` and `.`, so distinct ids keep distinct names.
pub fn schedule_name(subject: &str, connection_id: &str) -> Result<String, NameError> {
    name_with(subject_prefix(subject), connection_id)
}

/// The name of the schedule that ends `connection_id`, which has no subject.
pub fn unattributed_schedule_name(connection_id: &str) -> Result<String, NameError> {
    name_with(UNATTRIBUTED_PREFIX.to_owned(), connection_id)
}

fn name_with(mut name: String, connection_id: &str) -> Result<String, NameError> {
    for character in connection_id.chars() {
        name.push(match character {
            'a'..='z' | 'A'..='Z' | '0'..='9' => character,
            '+' => '-',
            '/' => '_',
            '=' => '.',
            other => return Err(NameError::Character(other)),
        });
    }
    if name.len() > MAX_NAME {
        return Err(NameError::TooLong(name.len()));
    }
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed(name: &str) -> bool {
        name.len() <= MAX_NAME
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    }

    #[test]
    fn names_are_the_subject_hash_then_the_encoded_id() {
        // SHA-256("alice") begins 2bd806c97f0e00af.
        assert_eq!(subject_prefix("alice"), "2bd806c97f0e00af-");
        assert_eq!(
            schedule_name("alice", "Dzl8+dc/DoECJZQ=").unwrap(),
            "2bd806c97f0e00af-Dzl8-dc_DoECJZQ."
        );
        assert!(allowed(
            &schedule_name("alice", "Dzl8+dc/DoECJZQ=").unwrap()
        ));
    }

    #[test]
    fn a_connection_without_subject_has_a_prefix_no_subject_can_have() {
        assert_eq!(
            unattributed_schedule_name("Dzl8+dc/DoECJZQ=").unwrap(),
            "nosubject-Dzl8-dc_DoECJZQ."
        );
        // A subject's prefix is 16 hex digits and a dash.
        assert!(!UNATTRIBUTED_PREFIX[..UNATTRIBUTED_PREFIX.len() - 1]
            .chars()
            .all(|c| c.is_ascii_hexdigit()));
        for subject in ["", "-", "nosubject", "alice"] {
            assert!(!UNATTRIBUTED_PREFIX.starts_with(&subject_prefix(subject)));
            assert!(!subject_prefix(subject).starts_with(UNATTRIBUTED_PREFIX));
        }
    }

    #[test]
    fn the_same_connection_always_gets_the_same_name() {
        assert_eq!(schedule_name("bob", "abc="), schedule_name("bob", "abc="));
        assert_ne!(schedule_name("bob", "abc="), schedule_name("alice", "abc="));
    }

    #[test]
    fn distinct_ids_keep_distinct_names() {
        let ids = ["a+b", "a-b", "a/b", "a_b", "a=b", "a.b"];
        let names: Vec<_> = ids.iter().map(|id| schedule_name("s", id)).collect();
        // `-`, `_` and `.` are not in the base64 alphabet: refused rather
        // than colliding with the encodings of `+`, `/` and `=`.
        assert_eq!(names[1], Err(NameError::Character('-')));
        assert_eq!(names[3], Err(NameError::Character('_')));
        assert_eq!(names[5], Err(NameError::Character('.')));
        let accepted: std::collections::HashSet<_> =
            names.iter().filter_map(|name| name.as_ref().ok()).collect();
        assert_eq!(accepted.len(), 3);
    }

    #[test]
    fn subjects_of_any_text_fit_and_long_ids_are_refused() {
        let subject = "ü".repeat(500);
        assert!(allowed(
            &schedule_name(&subject, "Dzl8bdcnDoECJZQ=").unwrap()
        ));
        let longest = "A".repeat(MAX_NAME - 17);
        assert!(schedule_name("s", &longest).is_ok());
        assert_eq!(
            schedule_name("s", &format!("{longest}A")),
            Err(NameError::TooLong(MAX_NAME + 1))
        );
        assert_eq!(schedule_name("s", "a b"), Err(NameError::Character(' ')));
    }
}

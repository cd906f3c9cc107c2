//! Execute-api ARN patterns as IAM matches them: `AUTHORIZED_APIS`, and
//! whether an answer's resource reaches a request.

/// An execute-api ARN pattern from `AUTHORIZED_APIS`, where `*` matches any run
/// of characters (IAM's rule), so `…:abc/prod/*` covers `…:abc/prod/$connect`
/// while `…:abc/prod/*/*` does not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArnPattern(String);

impl ArnPattern {
    /// Accepts `*` alone or a pattern that starts like an ARN.
    pub fn parse(pattern: &str) -> Result<Self, String> {
        if pattern == "*" || pattern.starts_with("arn:") {
            Ok(ArnPattern(pattern.to_owned()))
        } else {
            Err(format!(
                "{pattern:?} is not an execute-api ARN pattern (arn:aws:execute-api:REGION:ACCOUNT:API_ID/STAGE/ROUTE, * as wildcard)"
            ))
        }
    }

    /// Whether `arn` matches the pattern.
    pub fn matches(&self, arn: &str) -> bool {
        glob_match(self.0.as_bytes(), arn.as_bytes())
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Matches `*` greedily with single-point backtracking: linear for patterns
/// whose stars are separated by literals, and never recursive.
fn glob_match(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut backtrack: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && pattern[p] == b'*' {
            backtrack = Some((p, t));
            p += 1;
        } else if p < pattern.len() && pattern[p] == text[t] {
            p += 1;
            t += 1;
        } else if let Some((star, matched)) = backtrack {
            p = star + 1;
            t = matched + 1;
            backtrack = Some((star, matched + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&byte| byte == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONNECT: &str = "arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/prod/$connect";

    fn pattern(text: &str) -> ArnPattern {
        ArnPattern::parse(text).unwrap()
    }

    #[test]
    fn wildcards_follow_iam_rules() {
        assert!(pattern("*").matches(CONNECT));
        assert!(pattern(CONNECT).matches(CONNECT));
        assert!(
            pattern("arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/*").matches(CONNECT)
        );
        assert!(
            pattern("arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/prod/*")
                .matches(CONNECT)
        );
        assert!(pattern("arn:aws:execute-api:*:123456789012:*/prod/$connect").matches(CONNECT));
        assert!(
            pattern("arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/*/$connect")
                .matches(CONNECT)
        );
        assert!(
            !pattern("arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/prod/*/*")
                .matches(CONNECT)
        );
        assert!(!pattern("arn:aws:execute-api:eu-west-1:123456789012:other/*").matches(CONNECT));
        assert!(
            !pattern("arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/dev/*")
                .matches(CONNECT)
        );
        assert!(!pattern("arn:aws:execute-api:eu-west-1:123456789012:abcdef123").matches(CONNECT));
    }

    #[test]
    fn many_stars_stay_fast() {
        let text = "a".repeat(10_000);
        let mut pattern_text = "arn:".to_owned();
        pattern_text.push_str(&"*a".repeat(50));
        pattern_text.push('b');
        assert!(!pattern(&pattern_text).matches(&text));
    }

    #[test]
    fn parse_refuses_what_cannot_be_an_arn() {
        assert!(ArnPattern::parse("abcdef/prod").is_err());
        assert!(ArnPattern::parse("").is_err());
    }
}

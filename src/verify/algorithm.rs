//! The JWS signature algorithms this authorizer can verify.

use std::fmt;
use std::str::FromStr;

/// An asymmetric JWS algorithm. HMAC and `none` are deliberately absent: a
/// public key set can never verify them safely.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Algorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    Rs256,
    /// RSASSA-PKCS1-v1_5 with SHA-384.
    Rs384,
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    Rs512,
    /// RSASSA-PSS with SHA-256.
    Ps256,
    /// RSASSA-PSS with SHA-384.
    Ps384,
    /// RSASSA-PSS with SHA-512.
    Ps512,
    /// ECDSA on P-256 with SHA-256.
    Es256,
    /// ECDSA on P-384 with SHA-384.
    Es384,
    /// ECDSA on P-521 with SHA-512.
    Es512,
    /// EdDSA (Ed25519 or Ed448).
    EdDsa,
}

/// The kind of public key an algorithm needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyFamily {
    /// `kty: RSA`.
    Rsa,
    /// `kty: EC` on the given curve name.
    Ec(&'static str),
    /// `kty: OKP` (Ed25519, Ed448).
    Okp,
}

impl Algorithm {
    /// Every supported algorithm, in a stable order.
    pub const ALL: [Algorithm; 10] = [
        Algorithm::Rs256,
        Algorithm::Rs384,
        Algorithm::Rs512,
        Algorithm::Ps256,
        Algorithm::Ps384,
        Algorithm::Ps512,
        Algorithm::Es256,
        Algorithm::Es384,
        Algorithm::Es512,
        Algorithm::EdDsa,
    ];

    /// The registered JWS name (`RS256`, …).
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Rs256 => "RS256",
            Algorithm::Rs384 => "RS384",
            Algorithm::Rs512 => "RS512",
            Algorithm::Ps256 => "PS256",
            Algorithm::Ps384 => "PS384",
            Algorithm::Ps512 => "PS512",
            Algorithm::Es256 => "ES256",
            Algorithm::Es384 => "ES384",
            Algorithm::Es512 => "ES512",
            Algorithm::EdDsa => "EdDSA",
        }
    }

    /// The key type (and curve) this algorithm verifies with.
    pub fn key_family(self) -> KeyFamily {
        match self {
            Algorithm::Rs256
            | Algorithm::Rs384
            | Algorithm::Rs512
            | Algorithm::Ps256
            | Algorithm::Ps384
            | Algorithm::Ps512 => KeyFamily::Rsa,
            Algorithm::Es256 => KeyFamily::Ec("P-256"),
            Algorithm::Es384 => KeyFamily::Ec("P-384"),
            Algorithm::Es512 => KeyFamily::Ec("P-521"),
            Algorithm::EdDsa => KeyFamily::Okp,
        }
    }

    /// The position of this algorithm in [`Algorithm::ALL`], for compact tables.
    pub fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The name is not one of the supported asymmetric algorithms.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unsupported algorithm {0:?}")]
pub struct UnsupportedAlgorithm(pub String);

impl FromStr for Algorithm {
    type Err = UnsupportedAlgorithm;

    /// Parses a registered name exactly: `rs256` or `none` are not algorithms.
    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Algorithm::ALL
            .into_iter()
            .find(|alg| alg.name() == name)
            .ok_or_else(|| UnsupportedAlgorithm(name.to_owned()))
    }
}

/// A set of algorithms, as a bit mask: checking membership on every request
/// costs one AND.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AlgorithmSet(u16);

impl AlgorithmSet {
    /// Every supported algorithm.
    pub fn all() -> Self {
        Algorithm::ALL.into_iter().collect()
    }

    /// Whether `alg` is in the set.
    pub fn contains(self, alg: Algorithm) -> bool {
        self.0 & (1 << alg.index()) != 0
    }

    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The members, in the order of [`Algorithm::ALL`].
    pub fn iter(self) -> impl Iterator<Item = Algorithm> {
        Algorithm::ALL
            .into_iter()
            .filter(move |alg| self.contains(*alg))
    }
}

/// The members as `JWT_ALGORITHMS` lists them: `RS256,ES256`.
impl fmt::Display for AlgorithmSet {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (position, alg) in self.iter().enumerate() {
            if position > 0 {
                formatter.write_str(",")?;
            }
            formatter.write_str(alg.name())?;
        }
        Ok(())
    }
}

impl FromIterator<Algorithm> for AlgorithmSet {
    fn from_iter<I: IntoIterator<Item = Algorithm>>(iter: I) -> Self {
        AlgorithmSet(
            iter.into_iter()
                .fold(0, |bits, alg| bits | 1 << alg.index()),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for alg in Algorithm::ALL {
            assert_eq!(alg.name().parse::<Algorithm>(), Ok(alg));
        }
    }

    #[test]
    fn none_hmac_and_wrong_case_are_not_algorithms() {
        for name in [
            "none", "None", "NONE", "HS256", "HS512", "rs256", "ES256K", "",
        ] {
            assert!(name.parse::<Algorithm>().is_err(), "{name}");
        }
    }

    #[test]
    fn set_membership() {
        let set: AlgorithmSet = [Algorithm::Rs256, Algorithm::EdDsa].into_iter().collect();
        assert!(set.contains(Algorithm::Rs256));
        assert!(set.contains(Algorithm::EdDsa));
        assert!(!set.contains(Algorithm::Ps256));
        assert_eq!(
            set.iter().collect::<Vec<_>>(),
            vec![Algorithm::Rs256, Algorithm::EdDsa]
        );
        assert_eq!(AlgorithmSet::all().iter().count(), 10);
    }
}

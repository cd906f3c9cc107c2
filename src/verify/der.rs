//! A strict reader of the little DER the key sources need: X.509
//! certificates (Firebase's key sets) down to their SubjectPublicKeyInfo,
//! and SubjectPublicKeyInfo (certificates, KMS `GetPublicKey`) down to the
//! key's bytes.
//!
//! It reads only what it is asked for, one element at a time, never
//! recursing on input: definite lengths in their shortest form, single-byte
//! tags, no trailing bytes where a structure ends. Anything else is an
//! error, never a guess (BER's indefinite lengths, a long-form length that
//! fits the short form, a length past the input). AWS-LC parses the key
//! itself once this reader has picked it out and checked its type.

/// Why the DER could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DerError(&'static str);

impl std::fmt::Display for DerError {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(self.0)
    }
}

/// The universal tags this reader names.
pub mod tag {
    pub const INTEGER: u8 = 0x02;
    pub const BIT_STRING: u8 = 0x03;
    pub const NULL: u8 = 0x05;
    pub const OID: u8 = 0x06;
    pub const SEQUENCE: u8 = 0x30;
    /// `[0]`, constructed: a certificate's explicit version.
    pub const CONTEXT_0: u8 = 0xa0;
}

/// The elements of one DER value, read in order.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    /// A reader over `input`.
    pub fn new(input: &'a [u8]) -> Self {
        Reader { rest: input }
    }

    /// Whether every element has been read.
    pub fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    /// The tag of the next element, without reading it.
    pub fn peek_tag(&self) -> Option<u8> {
        self.rest.first().copied()
    }

    /// The next element: its tag, its content, and the whole element as it
    /// was encoded.
    pub fn element(&mut self) -> Result<(u8, &'a [u8], &'a [u8]), DerError> {
        let input = self.rest;
        let (&tag, after_tag) = input.split_first().ok_or(DerError("truncated"))?;
        if tag & 0x1f == 0x1f {
            return Err(DerError("multi-byte tag"));
        }
        let (&first, after_first) = after_tag.split_first().ok_or(DerError("truncated"))?;
        let (length, after_length) = match first {
            0x80 => return Err(DerError("indefinite length")),
            short if short < 0x80 => (usize::from(short), after_first),
            long => {
                let count = usize::from(long & 0x7f);
                if count > 4 || after_first.len() < count {
                    return Err(DerError("length too long"));
                }
                let (bytes, after) = after_first.split_at(count);
                if bytes[0] == 0 {
                    return Err(DerError("length not in its shortest form"));
                }
                let length = bytes
                    .iter()
                    .fold(0usize, |length, byte| length << 8 | usize::from(*byte));
                if length < 0x80 {
                    return Err(DerError("length not in its shortest form"));
                }
                (length, after)
            }
        };
        if after_length.len() < length {
            return Err(DerError("truncated"));
        }
        let (content, rest) = after_length.split_at(length);
        let encoded_len = input.len() - rest.len();
        self.rest = rest;
        Ok((tag, content, &input[..encoded_len]))
    }

    /// The content of the next element, which must have `expected` as tag.
    pub fn expect(&mut self, expected: u8) -> Result<&'a [u8], DerError> {
        match self.element()? {
            (tag, content, _) if tag == expected => Ok(content),
            _ => Err(DerError("unexpected element")),
        }
    }

    /// Skips the next element, which must have `expected` as tag.
    pub fn skip(&mut self, expected: u8) -> Result<(), DerError> {
        self.expect(expected).map(|_| ())
    }

    /// Fails unless every element has been read.
    pub fn finish(&self) -> Result<(), DerError> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(DerError("trailing data"))
        }
    }
}

/// The magnitude of a DER INTEGER that must be positive, its leading zero
/// (written when the high bit is set) removed.
pub fn positive_integer(content: &[u8]) -> Result<&[u8], DerError> {
    match content {
        [] => Err(DerError("empty integer")),
        [first, ..] if first & 0x80 != 0 => Err(DerError("negative integer")),
        [0] => Err(DerError("zero")),
        [0, second, ..] if second & 0x80 == 0 => Err(DerError("integer not in its shortest form")),
        [0, magnitude @ ..] => Ok(magnitude),
        magnitude => Ok(magnitude),
    }
}

/// The bytes of a BIT STRING of whole bytes (no unused bits), as keys are.
pub fn whole_bytes(content: &[u8]) -> Result<&[u8], DerError> {
    match content.split_first() {
        Some((0, bytes)) => Ok(bytes),
        _ => Err(DerError("bit string with unused bits")),
    }
}

/// The SubjectPublicKeyInfo of a DER X.509 certificate, as encoded in it
/// (RFC 5280 §4.1). The certificate's signature and dates are not read:
/// the key set's server is what vouches for its keys.
pub fn certificate_public_key_info(certificate: &[u8]) -> Result<&[u8], DerError> {
    let mut outer = Reader::new(certificate);
    let mut parts = Reader::new(outer.expect(tag::SEQUENCE)?);
    outer.finish()?;
    let mut tbs = Reader::new(parts.expect(tag::SEQUENCE)?);
    if tbs.peek_tag() == Some(tag::CONTEXT_0) {
        tbs.skip(tag::CONTEXT_0)?;
    }
    tbs.skip(tag::INTEGER)?; // serialNumber
    tbs.skip(tag::SEQUENCE)?; // signature
    tbs.skip(tag::SEQUENCE)?; // issuer
    tbs.skip(tag::SEQUENCE)?; // validity
    tbs.skip(tag::SEQUENCE)?; // subject
    match tbs.element()? {
        (tag::SEQUENCE, _, encoded) => Ok(encoded),
        _ => Err(DerError("no subjectPublicKeyInfo")),
    }
}

/// DER and PEM for tests: elements, and a certificate around any key.
#[cfg(test)]
pub mod write {
    use base64::engine::general_purpose::STANDARD;
    use base64::Engine;

    use super::tag;

    /// One element (lengths up to 65 535 bytes).
    pub fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
        let mut out = vec![tag];
        match content.len() {
            short @ 0..=0x7f => out.push(short as u8),
            long @ 0x80..=0xff => out.extend([0x81, long as u8]),
            long => out.extend([0x82, (long >> 8) as u8, long as u8]),
        }
        out.extend_from_slice(content);
        out
    }

    /// A certificate of the SubjectPublicKeyInfo `spki`, its other members
    /// empty: this reader looks at nothing else.
    pub fn certificate(spki: &[u8], version: bool) -> Vec<u8> {
        let mut tbs = Vec::new();
        if version {
            tbs.extend(tlv(tag::CONTEXT_0, &tlv(tag::INTEGER, &[2])));
        }
        tbs.extend(tlv(tag::INTEGER, &[9]));
        for _ in 0..4 {
            tbs.extend(tlv(tag::SEQUENCE, &[]));
        }
        tbs.extend_from_slice(spki);
        let mut certificate = tlv(tag::SEQUENCE, &tbs);
        certificate.extend(tlv(tag::SEQUENCE, &[]));
        certificate.extend(tlv(tag::BIT_STRING, &[0]));
        tlv(tag::SEQUENCE, &certificate)
    }

    /// `der` as a PEM certificate, in lines of 64 characters.
    pub fn pem(der: &[u8]) -> String {
        let encoded = STANDARD.encode(der);
        let lines: Vec<&str> = encoded
            .as_bytes()
            .chunks(64)
            .map(|line| std::str::from_utf8(line).unwrap_or_default())
            .collect();
        format!(
            "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
            lines.join("\n")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_are_read_in_their_shortest_form_only() {
        let mut reader = Reader::new(&[0x04, 0x02, 0xaa, 0xbb, 0x05, 0x00]);
        assert_eq!(
            reader.element(),
            Ok((0x04, &[0xaa, 0xbb][..], &[0x04, 0x02, 0xaa, 0xbb][..]))
        );
        assert_eq!(reader.expect(tag::NULL), Ok(&[][..]));
        assert!(reader.finish().is_ok());

        let mut long = vec![0x04, 0x81, 0x80];
        long.extend([7; 0x80]);
        assert_eq!(Reader::new(&long).expect(0x04).map(<[u8]>::len), Ok(0x80));
        for bad in [
            &[0x04, 0x81, 0x01, 0xaa][..],    // fits the short form
            &[0x04, 0x82, 0x00, 0x81][..],    // a leading zero
            &[0x04, 0x80, 0x00, 0x00][..],    // indefinite
            &[0x04, 0x85, 1, 0, 0, 0, 0][..], // five length bytes
            &[0x04, 0x03, 0xaa][..],          // past the input
            &[0x04][..],
            &[][..],
            &[0x1f, 0x01, 0x00][..], // a multi-byte tag
        ] {
            assert!(Reader::new(bad).element().is_err(), "{bad:02x?}");
        }
    }

    #[test]
    fn integers_must_be_positive_and_minimal() {
        assert_eq!(positive_integer(&[0x01, 0x00, 0x01]), Ok(&[1, 0, 1][..]));
        assert_eq!(positive_integer(&[0x00, 0x80]), Ok(&[0x80][..]));
        for bad in [&[][..], &[0x80][..], &[0x00][..], &[0x00, 0x7f][..]] {
            assert!(positive_integer(bad).is_err(), "{bad:02x?}");
        }
        assert_eq!(whole_bytes(&[0, 4, 5]), Ok(&[4, 5][..]));
        assert!(whole_bytes(&[1, 4]).is_err() && whole_bytes(&[]).is_err());
    }

    #[test]
    fn the_public_key_info_is_found_with_or_without_a_version() {
        let spki = [0x30, 0x03, 0x02, 0x01, 0x07];
        for version in [true, false] {
            let certificate = write::certificate(&spki, version);
            assert_eq!(certificate_public_key_info(&certificate), Ok(&spki[..]));
            let mut trailing = certificate.clone();
            trailing.push(0);
            assert!(certificate_public_key_info(&trailing).is_err());
            let truncated = &certificate[..certificate.len() - 1];
            assert!(certificate_public_key_info(truncated).is_err());
        }
    }
}

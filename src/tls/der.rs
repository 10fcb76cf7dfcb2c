//! Just enough DER to tell whether a certificate is self-issued (issuer == subject), which
//! decides between OpenSSL's verdict names for an unknown issuer, and whether a CERTIFICATE PEM
//! block holds an X.509 certificate at all (so that listen / connect refuse it at once).

/// One TLV: (tag, content, rest). None on malformed input.
fn tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (first as usize, rest)
    } else {
        let n = (first & 0x7f) as usize;
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n].iter().fold(0usize, |acc, b| (acc << 8) | *b as usize);
        (len, &rest[n..])
    };
    if rest.len() < len {
        return None;
    }
    Some((tag, &rest[..len], &rest[len..]))
}

const SEQUENCE: u8 = 0x30;
const VERSION: u8 = 0xa0;
const BIT_STRING: u8 = 0x03;

/// Whether `der` has the shape of an X.509 certificate: SEQUENCE { tbsCertificate SEQUENCE
/// (with serial, algorithm, issuer, validity, subject), signatureAlgorithm SEQUENCE,
/// signatureValue BIT STRING }, nothing before or after. The contents are judged later, by the
/// verifier; this only tells a certificate from other bytes that happen to be valid base64.
pub fn is_certificate(der: &[u8]) -> bool {
    let Some((SEQUENCE, certificate, [])) = tlv(der) else { return false };
    let Some((SEQUENCE, _, rest)) = tlv(certificate) else { return false };
    let Some((SEQUENCE, _, rest)) = tlv(rest) else { return false };
    let Some((BIT_STRING, _, [])) = tlv(rest) else { return false };
    issuer_and_subject(der).is_some()
}

/// The (issuer, subject) Name encodings of an X.509 certificate.
fn issuer_and_subject(cert: &[u8]) -> Option<(&[u8], &[u8])> {
    let (tag, certificate, _) = tlv(cert)?;
    if tag != SEQUENCE {
        return None;
    }
    let (tag, tbs, _) = tlv(certificate)?;
    if tag != SEQUENCE {
        return None;
    }
    let mut rest = tbs;
    let (tag, _, after) = tlv(rest)?;
    if tag == VERSION {
        rest = after;
    }
    let (_, _, rest) = tlv(rest)?; // serialNumber
    let (_, _, rest) = tlv(rest)?; // signature algorithm
    let (_, issuer, rest) = tlv(rest)?;
    let (_, _, rest) = tlv(rest)?; // validity
    let (_, subject, _) = tlv(rest)?;
    Some((issuer, subject))
}

/// Whether the certificate names itself as its issuer.
pub fn is_self_issued(cert: &[u8]) -> bool {
    issuer_and_subject(cert).is_some_and(|(issuer, subject)| issuer == subject)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_input_is_not_self_issued() {
        assert!(!is_self_issued(&[]));
        assert!(!is_self_issued(&[0x30, 0x85, 1, 2, 3, 4, 5]));
        assert!(!is_self_issued(&[0x30, 0x03, 0x30, 0x01]));
    }

    #[test]
    fn only_the_shape_of_a_certificate_is_a_certificate() {
        assert!(!is_certificate(b"hello world, this is not DER"));
        assert!(!is_certificate(&[]));
        // SEQUENCE { SEQUENCE { [0]{}, INT 1, SEQ{}, SEQ{}, SEQ{}, SEQ{} }, SEQ{}, BIT STRING {0} }
        let tbs = [0xa0, 0x00, 0x02, 0x01, 0x01, 0x30, 0x00, 0x30, 0x00, 0x30, 0x00, 0x30, 0x00];
        let mut inner = vec![0x30, tbs.len() as u8];
        inner.extend_from_slice(&tbs);
        inner.extend_from_slice(&[0x30, 0x00, 0x03, 0x01, 0x00]);
        let mut cert = vec![0x30, inner.len() as u8];
        cert.extend_from_slice(&inner);
        assert!(is_certificate(&cert));
        let mut trailing = cert.clone();
        trailing.push(0);
        assert!(!is_certificate(&trailing), "bytes after the certificate");
        let mut truncated = cert.clone();
        truncated.pop();
        assert!(!is_certificate(&truncated));
    }

    #[test]
    fn names_are_compared() {
        // SEQUENCE { SEQUENCE { [0]{}, INT 1, SEQ{}, issuer SEQ{0x31}, SEQ{}, subject SEQ{0x31} } }
        let tbs = [0xa0, 0x00, 0x02, 0x01, 0x01, 0x30, 0x00, 0x30, 0x01, 0x31, 0x30, 0x00, 0x30, 0x01, 0x31];
        let mut inner = vec![0x30, tbs.len() as u8];
        inner.extend_from_slice(&tbs);
        let mut cert = vec![0x30, inner.len() as u8];
        cert.extend_from_slice(&inner);
        assert!(is_self_issued(&cert));
        let last = cert.len() - 1;
        cert[last] = 0x32;
        assert!(!is_self_issued(&cert));
    }
}

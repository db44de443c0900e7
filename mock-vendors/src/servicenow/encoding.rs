//! The two small decoders the API needs, kept here to spare the crate a
//! dependency: base64 (Basic credentials) and `application/x-www-form-urlencoded`
//! (the OAuth token endpoint).

/// Decodes standard base64 (`+/`, padding optional); `None` on any other
/// character or an impossible length.
pub(crate) fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let text = text.trim().trim_end_matches('=');
    if text.len() % 4 == 1 {
        return None;
    }
    let mut bytes = Vec::with_capacity(text.len() * 3 / 4);
    let mut buffer: u32 = 0;
    let mut bits = 0;
    for c in text.bytes() {
        let sextet = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        buffer = (buffer << 6) | u32::from(sextet);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            // The mask keeps exactly the eight bits being emitted.
            bytes.push(((buffer >> bits) & 0xFF) as u8);
        }
    }
    Some(bytes)
}

/// Decodes a form body into (name, value) pairs: `+` is a space, `%XX`
/// an escaped byte; text that is not UTF-8 is decoded lossily.
pub(crate) fn form_decode(body: &[u8]) -> Vec<(String, String)> {
    body.split(|&b| b == b'&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let mut halves = pair.splitn(2, |&b| b == b'=');
            let name = halves.next().unwrap_or_default();
            let value = halves.next().unwrap_or_default();
            (form_text(name), form_text(value))
        })
        .collect()
}

fn form_text(text: &[u8]) -> String {
    String::from_utf8_lossy(&crate::kit::request::percent_decode(text, true)).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trips_known_values() {
        let cases: [(&str, &[u8]); 6] = [
            ("", b""),
            ("Zg==", b"f"),
            ("Zm8=", b"fo"),
            ("Zm9v", b"foo"),
            (
                "aGFybmVzczpoYXJuZXNzLXBhc3N3b3Jk",
                b"harness:harness-password",
            ),
            ("Zm9vYg", b"foob"),
        ];
        for (encoded, decoded) in cases {
            assert_eq!(
                base64_decode(encoded).as_deref(),
                Some(decoded),
                "{encoded}"
            );
        }
        assert_eq!(base64_decode("Zm9v!"), None);
        assert_eq!(base64_decode("Z"), None);
    }

    #[test]
    fn form_bodies() {
        assert_eq!(
            form_decode(b"grant_type=password&username=ada%40x.io&password=a+b%2Bc&empty=&flag"),
            vec![
                ("grant_type".to_owned(), "password".to_owned()),
                ("username".to_owned(), "ada@x.io".to_owned()),
                ("password".to_owned(), "a b+c".to_owned()),
                ("empty".to_owned(), String::new()),
                ("flag".to_owned(), String::new()),
            ]
        );
        assert_eq!(
            form_decode(b"a=100%&b=%zz"),
            vec![
                ("a".to_owned(), "100%".to_owned()),
                ("b".to_owned(), "%zz".to_owned()),
            ]
        );
    }
}

//! A small `multipart/form-data` reader (RFC 7578) for
//! file uploads (ServiceNow's attachment upload, XSOAR's entry upload): enough for what HTTP clients send
//! (CRLF line ends, `Content-Disposition` with `name` and `filename`, an
//! optional `Content-Type` per part).

/// One part of a form.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Part {
    pub(crate) name: String,
    /// Present on file parts.
    pub(crate) filename: Option<String>,
    pub(crate) content_type: Option<String>,
    pub(crate) body: Vec<u8>,
}

impl Part {
    /// The body as text (form fields).
    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).trim().to_owned()
    }
}

/// Why a body is not a readable form.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum MultipartError {
    #[error("the Content-Type is not multipart/form-data with a boundary")]
    NoBoundary,
    #[error("the body does not start with the boundary")]
    NoOpeningBoundary,
    #[error("a part is not terminated by the boundary")]
    Unterminated,
    #[error("a part has no header end (an empty line)")]
    NoHeaderEnd,
    #[error("a part has no Content-Disposition name")]
    NoName,
}

/// The boundary of a `multipart/form-data` Content-Type.
pub(crate) fn boundary(content_type: &str) -> Result<String, MultipartError> {
    let mut parameters = content_type.split(';');
    let media_type = parameters.next().unwrap_or_default().trim();
    if !media_type.eq_ignore_ascii_case("multipart/form-data") {
        return Err(MultipartError::NoBoundary);
    }
    parameters
        .filter_map(|parameter| parameter.split_once('='))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("boundary"))
        .map(|(_, value)| value.trim().trim_matches('"').to_owned())
        .filter(|boundary| !boundary.is_empty())
        .ok_or(MultipartError::NoBoundary)
}

/// Splits a body into its parts.
pub(crate) fn parse(body: &[u8], boundary: &str) -> Result<Vec<Part>, MultipartError> {
    let opening = format!("--{boundary}");
    let delimiter = format!("\r\n--{boundary}");
    let start = find(body, opening.as_bytes(), 0).ok_or(MultipartError::NoOpeningBoundary)?;
    let mut position = start + opening.len();
    let mut parts = Vec::new();
    loop {
        // After a boundary: `--` ends the form, a line end starts a part.
        if body[position..].starts_with(b"--") {
            return Ok(parts);
        }
        position = skip_line_end(body, position).ok_or(MultipartError::Unterminated)?;
        let header_end = find(body, b"\r\n\r\n", position).ok_or(MultipartError::NoHeaderEnd)?;
        let headers = String::from_utf8_lossy(&body[position..header_end]).into_owned();
        let content_start = header_end + 4;
        let content_end =
            find(body, delimiter.as_bytes(), content_start).ok_or(MultipartError::Unterminated)?;
        let mut part = part_from_headers(&headers)?;
        part.body = body[content_start..content_end].to_vec();
        parts.push(part);
        position = content_end + delimiter.len();
    }
}

/// Skips transport padding and one CRLF after a boundary.
fn skip_line_end(body: &[u8], mut position: usize) -> Option<usize> {
    while matches!(body.get(position), Some(b' ' | b'\t')) {
        position += 1;
    }
    body[position..]
        .starts_with(b"\r\n")
        .then_some(position + 2)
}

fn part_from_headers(headers: &str) -> Result<Part, MultipartError> {
    let mut part = Part::default();
    let mut named = false;
    for line in headers.split("\r\n") {
        let Some((header, value)) = line.split_once(':') else {
            continue;
        };
        if header.trim().eq_ignore_ascii_case("content-type") {
            part.content_type = Some(value.trim().to_owned());
        } else if header.trim().eq_ignore_ascii_case("content-disposition") {
            for (name, value) in disposition_parameters(value) {
                match name.as_str() {
                    "name" => {
                        part.name = value;
                        named = true;
                    }
                    "filename" if part.filename.is_none() => part.filename = Some(value),
                    "filename*" => part.filename = Some(extended_value(&value)),
                    _ => {}
                }
            }
        }
    }
    if named {
        Ok(part)
    } else {
        Err(MultipartError::NoName)
    }
}

/// `form-data; name="file"; filename="a b.txt"` -> [(name, file), (filename, a b.txt)].
fn disposition_parameters(value: &str) -> Vec<(String, String)> {
    let mut parameters = Vec::new();
    let mut rest = value;
    // The first item is the disposition type.
    if let Some(index) = rest.find(';') {
        rest = &rest[index + 1..];
    } else {
        return parameters;
    }
    loop {
        rest = rest.trim_start_matches([' ', '\t', ';']);
        let Some(equals) = rest.find('=') else {
            return parameters;
        };
        let name = rest[..equals].trim().to_ascii_lowercase();
        rest = &rest[equals + 1..];
        let value;
        if let Some(quoted) = rest.strip_prefix('"') {
            let mut text = String::new();
            let mut chars = quoted.char_indices();
            let mut end = quoted.len();
            while let Some((index, c)) = chars.next() {
                match c {
                    '\\' => {
                        if let Some((_, escaped)) = chars.next() {
                            text.push(escaped);
                        }
                    }
                    '"' => {
                        end = index + 1;
                        break;
                    }
                    c => text.push(c),
                }
            }
            value = text;
            rest = &quoted[end.min(quoted.len())..];
        } else {
            let end = rest.find(';').unwrap_or(rest.len());
            value = rest[..end].trim().to_owned();
            rest = &rest[end..];
        }
        parameters.push((name, value));
    }
}

/// RFC 5987 `UTF-8''a%20b.txt` -> `a b.txt`.
fn extended_value(value: &str) -> String {
    let encoded = value.splitn(3, '\'').nth(2).unwrap_or(value);
    String::from_utf8_lossy(&crate::kit::request::percent_decode(
        encoded.as_bytes(),
        false,
    ))
    .into_owned()
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() || from > haystack.len() {
        return None;
    }
    haystack[from..]
        .windows(needle.len())
        .position(|window| window == needle)
        .map(|index| index + from)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &[u8] = b"--XyZ\r\n\
        Content-Disposition: form-data; name=\"table_name\"\r\n\r\n\
        incident\r\n\
        --XyZ\r\n\
        Content-Disposition: form-data; name=\"record_sys_id\"\r\n\r\n\
        abc\r\n\
        --XyZ\r\n\
        Content-Disposition: form-data; name=\"file\"; filename=\"evil \\\"name\\\".txt\"\r\n\
        Content-Type: text/plain\r\n\r\n\
        line one\r\n--not the boundary\r\n\
        --XyZ--\r\n";

    #[test]
    fn reads_fields_and_a_file() -> Result<(), MultipartError> {
        let parts = parse(BODY, &boundary("multipart/form-data; boundary=XyZ")?)?;
        assert_eq!(parts.len(), 3);
        assert_eq!(
            (parts[0].name.as_str(), parts[0].text()),
            ("table_name", "incident".to_owned())
        );
        assert_eq!(parts[1].text(), "abc");
        assert_eq!(parts[2].filename.as_deref(), Some("evil \"name\".txt"));
        assert_eq!(parts[2].content_type.as_deref(), Some("text/plain"));
        assert_eq!(parts[2].body, b"line one\r\n--not the boundary");
        Ok(())
    }

    #[test]
    fn boundaries() {
        assert_eq!(
            boundary("multipart/form-data; boundary=\"a b\""),
            Ok("a b".to_owned())
        );
        assert_eq!(
            boundary("Multipart/Form-Data;charset=x;BOUNDARY=q"),
            Ok("q".to_owned())
        );
        assert_eq!(
            boundary("application/json"),
            Err(MultipartError::NoBoundary)
        );
        assert_eq!(
            boundary("multipart/form-data"),
            Err(MultipartError::NoBoundary)
        );
    }

    #[test]
    fn broken_bodies_are_errors_not_panics() {
        let cases: [&[u8]; 6] = [
            b"",
            b"--XyZ",
            b"--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nno end",
            b"--XyZ\r\nContent-Disposition: form-data; name=\"a\"",
            b"--XyZ\r\nContent-Type: text/plain\r\n\r\nx\r\n--XyZ--",
            b"--XyZjunk",
        ];
        for body in cases {
            assert!(
                parse(body, "XyZ").is_err(),
                "{:?}",
                String::from_utf8_lossy(body)
            );
        }
        assert_eq!(parse(b"--XyZ--\r\n", "XyZ"), Ok(Vec::new()));
    }

    #[test]
    fn extended_filenames() {
        let headers = "Content-Disposition: form-data; name=file; filename*=UTF-8''na%C3%AFve.txt";
        assert_eq!(
            part_from_headers(headers).map(|part| part.filename),
            Ok(Some("naïve.txt".to_owned()))
        );
    }
}

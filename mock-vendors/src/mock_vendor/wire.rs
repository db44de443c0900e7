//! HTTP/1.1 request framing without I/O: the request head, the body's
//! framing, and an incremental decoder for chunked bodies. Every way a
//! request can be broken ends in a [`Rejection`], never a panic.

use wiremock::http::{HeaderMap, HeaderName, HeaderValue, Method, Url};

use crate::rejection::Rejection;

/// The longest chunk-size line (size, extensions, CRLF) accepted.
const MAX_CHUNK_LINE: usize = 4 * 1024;
/// The most trailer bytes accepted after the last chunk.
const MAX_TRAILERS: usize = 16 * 1024;

/// A parsed request line and headers.
#[derive(Debug)]
pub(crate) struct Head {
    pub(crate) method: Method,
    pub(crate) url: Url,
    pub(crate) headers: HeaderMap,
    /// HTTP/1.0 (keep-alive only when asked for).
    pub(crate) http10: bool,
    /// How many bytes of the buffer the head took (leading blank lines
    /// included).
    pub(crate) len: usize,
}

impl Head {
    /// Whether the client asked for `100 Continue` before sending the body.
    pub(crate) fn expects_continue(&self) -> bool {
        !self.http10
            && self
                .headers
                .get("expect")
                .and_then(|value| value.to_str().ok())
                .is_some_and(|value| value.trim().eq_ignore_ascii_case("100-continue"))
    }

    /// Whether the connection may serve another request after this one.
    pub(crate) fn keep_alive(&self) -> bool {
        let tokens = connection_tokens(&self.headers);
        if self.http10 {
            tokens.iter().any(|token| token == "keep-alive")
        } else {
            !tokens.iter().any(|token| token == "close")
        }
    }

    /// How the body is framed.
    pub(crate) fn framing(&self, max_body: usize) -> Result<Framing, Rejection> {
        let encodings: Vec<String> = self
            .headers
            .get_all("transfer-encoding")
            .iter()
            .flat_map(|value| {
                String::from_utf8_lossy(value.as_bytes())
                    .split(',')
                    .map(|part| part.trim().to_ascii_lowercase())
                    .collect::<Vec<_>>()
            })
            .filter(|part| !part.is_empty())
            .collect();
        let lengths: Vec<&HeaderValue> = self.headers.get_all("content-length").iter().collect();
        if !encodings.is_empty() {
            if !lengths.is_empty() {
                return Err(Rejection::ConflictingFraming);
            }
            return match encodings.as_slice() {
                [only] if only == "chunked" => Ok(Framing::Chunked),
                _ => Err(Rejection::UnsupportedTransferEncoding(encodings.join(", "))),
            };
        }
        let mut length: Option<u64> = None;
        for value in lengths {
            for part in String::from_utf8_lossy(value.as_bytes()).split(',') {
                let part = part.trim();
                let parsed = (!part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()))
                    .then(|| part.parse::<u64>().ok())
                    .flatten()
                    .ok_or_else(|| {
                        Rejection::BadContentLength(format!("{part:?} is not a length"))
                    })?;
                match length {
                    Some(seen) if seen != parsed => {
                        return Err(Rejection::BadContentLength(format!(
                            "two different lengths, {seen} and {parsed}"
                        )));
                    }
                    _ => length = Some(parsed),
                }
            }
        }
        match length {
            None | Some(0) => Ok(Framing::Empty),
            Some(length) if length > max_body as u64 => {
                Err(Rejection::BodyTooLarge { limit: max_body })
            }
            Some(length) => Ok(Framing::Length(length)),
        }
    }
}

fn connection_tokens(headers: &HeaderMap) -> Vec<String> {
    headers
        .get_all("connection")
        .iter()
        .flat_map(|value| {
            String::from_utf8_lossy(value.as_bytes())
                .split(',')
                .map(|token| token.trim().to_ascii_lowercase())
                .collect::<Vec<_>>()
        })
        .collect()
}

/// How a request body is delimited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Framing {
    /// No body.
    Empty,
    /// Exactly this many bytes.
    Length(u64),
    /// `Transfer-Encoding: chunked`.
    Chunked,
}

/// Parses a request head at the start of `buffer`: `Ok(None)` while it is
/// incomplete (the caller reads more, within `max_head` bytes).
pub(crate) fn parse_head(
    buffer: &[u8],
    max_head: usize,
    max_headers: usize,
) -> Result<Option<Head>, Rejection> {
    // Blank lines before a request line are to be ignored (RFC 9112 2.2).
    let skipped = buffer
        .iter()
        .take_while(|byte| matches!(byte, b'\r' | b'\n'))
        .count();
    let rest = &buffer[skipped..];
    let mut slots = vec![httparse::EMPTY_HEADER; max_headers];
    let mut request = httparse::Request::new(&mut slots);
    let parsed = match request.parse(rest) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => {
            return if rest.len() > max_head {
                Err(Rejection::HeadTooLarge { limit: max_head })
            } else {
                Ok(None)
            };
        }
        Err(httparse::Error::TooManyHeaders) => {
            return Err(Rejection::TooManyHeaders { limit: max_headers });
        }
        Err(httparse::Error::Version) => return Err(Rejection::UnsupportedVersion),
        Err(error) => return Err(Rejection::MalformedHead(error.to_string())),
    };
    if parsed > max_head {
        return Err(Rejection::HeadTooLarge { limit: max_head });
    }
    let malformed = |what: &str| Rejection::MalformedHead(what.to_owned());
    let method = request
        .method
        .and_then(|method| Method::from_bytes(method.as_bytes()).ok())
        .ok_or_else(|| malformed("the method is not a token"))?;
    let target = request.path.ok_or_else(|| malformed("no request target"))?;
    let url = if target.starts_with('/') {
        Url::parse(&format!("http://localhost{target}"))
    } else if target.starts_with("http://") || target.starts_with("https://") {
        Url::parse(target)
    } else {
        return Err(Rejection::MalformedHead(format!(
            "the request target {target:?} is neither a path nor an absolute URL"
        )));
    }
    .map_err(|error| Rejection::MalformedHead(format!("the request target {target:?}: {error}")))?;
    let mut headers = HeaderMap::with_capacity(request.headers.len());
    for header in request.headers.iter() {
        let name = HeaderName::from_bytes(header.name.as_bytes())
            .map_err(|_| malformed("a header name is not a token"))?;
        let value = HeaderValue::from_bytes(header.value).map_err(|_| {
            Rejection::MalformedHead(format!("the value of {name} has control characters"))
        })?;
        headers.append(name, value);
    }
    Ok(Some(Head {
        method,
        url,
        headers,
        http10: request.version == Some(0),
        len: skipped + parsed,
    }))
}

/// Where a [`ChunkedDecoder`] is in the body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Reading a chunk-size line.
    Size,
    /// Reading this many more data bytes of a chunk.
    Data(u64),
    /// Reading the line end after a chunk's data.
    DataEnd,
    /// Reading trailer lines after the last chunk.
    Trailers,
    /// The body is complete.
    Done,
}

/// Decodes a chunked body fed to it in pieces, bounding its size, its
/// chunk-size lines and its trailers.
#[derive(Debug)]
pub(crate) struct ChunkedDecoder {
    state: State,
    line: Vec<u8>,
    trailer_bytes: usize,
    body: Vec<u8>,
    max_body: usize,
}

impl ChunkedDecoder {
    pub(crate) fn new(max_body: usize) -> Self {
        Self {
            state: State::Size,
            line: Vec::new(),
            trailer_bytes: 0,
            body: Vec::new(),
            max_body,
        }
    }

    /// Whether the last chunk and the trailers have been read.
    pub(crate) fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// The body bytes decoded so far.
    pub(crate) fn received(&self) -> u64 {
        self.body.len() as u64
    }

    /// The decoded body.
    pub(crate) fn into_body(self) -> Vec<u8> {
        self.body
    }

    /// Consumes what it can of `input` and says how many bytes it took:
    /// all of them unless the body ended inside `input` (the rest belongs
    /// to the next request).
    pub(crate) fn feed(&mut self, input: &[u8]) -> Result<usize, Rejection> {
        let mut at = 0;
        while at < input.len() && self.state != State::Done {
            match self.state {
                State::Size | State::DataEnd | State::Trailers => {
                    let Some(line) = self.take_line(input, &mut at)? else {
                        break;
                    };
                    self.end_line(&line)?;
                }
                State::Data(remaining) => {
                    let available = input.len() - at;
                    let take = usize::try_from(remaining).map_or(available, |r| r.min(available));
                    self.body.extend_from_slice(&input[at..at + take]);
                    at += take;
                    let left = remaining - take as u64;
                    self.state = if left == 0 {
                        State::DataEnd
                    } else {
                        State::Data(left)
                    };
                }
                State::Done => {}
            }
        }
        Ok(at)
    }

    /// Collects a line up to its LF; `None` while it goes on past `input`.
    fn take_line(&mut self, input: &[u8], at: &mut usize) -> Result<Option<Vec<u8>>, Rejection> {
        let rest = &input[*at..];
        let (piece, complete) = match rest.iter().position(|&byte| byte == b'\n') {
            Some(end) => (&rest[..=end], true),
            None => (rest, false),
        };
        *at += piece.len();
        self.line.extend_from_slice(piece);
        let limit = match self.state {
            State::Trailers => MAX_TRAILERS,
            State::DataEnd => 2,
            _ => MAX_CHUNK_LINE,
        };
        if self.line.len() > limit {
            return Err(match self.state {
                State::DataEnd => not_followed_by_crlf(),
                State::Trailers => Rejection::MalformedChunk(format!(
                    "the trailers are longer than {MAX_TRAILERS} bytes"
                )),
                _ => Rejection::MalformedChunk(format!(
                    "a chunk-size line is longer than {MAX_CHUNK_LINE} bytes"
                )),
            });
        }
        if !complete {
            return Ok(None);
        }
        let mut line = std::mem::take(&mut self.line);
        line.pop();
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        Ok(Some(line))
    }

    fn end_line(&mut self, line: &[u8]) -> Result<(), Rejection> {
        match self.state {
            State::Size => {
                let size = chunk_size(line)?;
                if self.body.len() as u64 + size > self.max_body as u64 {
                    return Err(Rejection::BodyTooLarge {
                        limit: self.max_body,
                    });
                }
                self.state = if size == 0 {
                    State::Trailers
                } else {
                    State::Data(size)
                };
            }
            State::DataEnd if line.is_empty() => self.state = State::Size,
            State::DataEnd => return Err(not_followed_by_crlf()),
            State::Trailers if line.is_empty() => self.state = State::Done,
            State::Trailers => {
                self.trailer_bytes += line.len();
                if self.trailer_bytes > MAX_TRAILERS {
                    return Err(Rejection::MalformedChunk(format!(
                        "the trailers are longer than {MAX_TRAILERS} bytes"
                    )));
                }
            }
            State::Data(_) | State::Done => {}
        }
        Ok(())
    }
}

fn not_followed_by_crlf() -> Rejection {
    Rejection::MalformedChunk(
        "a chunk's data is not followed by CRLF (more data than its size said?)".to_owned(),
    )
}

/// The size of a chunk-size line: hex digits, then optional `;extensions`.
fn chunk_size(line: &[u8]) -> Result<u64, Rejection> {
    let size = line.split(|&byte| byte == b';').next().unwrap_or_default();
    let size = size.trim_ascii();
    let shown = || String::from_utf8_lossy(&line[..line.len().min(40)]).into_owned();
    if size.is_empty() || !size.iter().all(u8::is_ascii_hexdigit) {
        return Err(Rejection::MalformedChunk(format!(
            "the chunk size {:?} is not hexadecimal",
            shown()
        )));
    }
    let digits = std::str::from_utf8(size).unwrap_or_default();
    u64::from_str_radix(digits, 16).map_err(|_| {
        Rejection::MalformedChunk(format!("the chunk size {:?} is too large", shown()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(input: &[u8], max: usize) -> Result<(Vec<u8>, usize), Rejection> {
        let mut decoder = ChunkedDecoder::new(max);
        let used = decoder.feed(input)?;
        assert!(decoder.is_done(), "not done after {used} bytes");
        Ok((decoder.into_body(), used))
    }

    #[test]
    fn chunked_bodies_decode_in_any_pieces() -> Result<(), Rejection> {
        let wire = b"4;ext=1\r\nWiki\r\n5\r\npedia\r\n0\r\nX-Trailer: y\r\n\r\nGET /next";
        let end = wire.len() - b"GET /next".len();
        assert_eq!(decode(wire, 100)?, (b"Wikipedia".to_vec(), end));
        for split in 0..=end {
            let mut decoder = ChunkedDecoder::new(100);
            let first = decoder.feed(&wire[..split])?;
            assert_eq!(first, split);
            let second = decoder.feed(&wire[split..])?;
            assert!(decoder.is_done());
            assert_eq!(split + second, end);
            assert_eq!(decoder.into_body(), b"Wikipedia");
        }
        assert_eq!(decode(b"3\nabc\n0\n\n", 10)?.0, b"abc");
        Ok(())
    }

    #[test]
    fn broken_chunked_bodies_are_rejected() {
        let reject = |wire: &[u8]| ChunkedDecoder::new(100).feed(wire).err();
        assert!(
            matches!(reject(b"zz\r\nab\r\n"), Some(Rejection::MalformedChunk(m)) if m.contains("not hexadecimal"))
        );
        assert!(matches!(
            reject(b"\r\n"),
            Some(Rejection::MalformedChunk(_))
        ));
        assert!(
            matches!(reject(b"2\r\nabc\r\n"), Some(Rejection::MalformedChunk(m)) if m.contains("CRLF"))
        );
        assert!(
            matches!(reject(b"fffffffffffffffffff\r\n"), Some(Rejection::MalformedChunk(m)) if m.contains("too large"))
        );
        assert_eq!(
            reject(b"65\r\n"),
            Some(Rejection::BodyTooLarge { limit: 100 })
        );
        assert_eq!(reject(b"60\r\n"), None);
        let long_line = vec![b'1'; MAX_CHUNK_LINE + 1];
        assert!(matches!(
            reject(&long_line),
            Some(Rejection::MalformedChunk(_))
        ));
    }

    #[test]
    fn heads_parse_or_say_what_is_wrong() -> Result<(), Rejection> {
        let wire = b"\r\nPOST /api/v1/users?activate=false HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}";
        let head = parse_head(wire, 1024, 10)?.ok_or(Rejection::UnsupportedVersion)?;
        assert_eq!(
            (head.method.as_str(), head.url.path()),
            ("POST", "/api/v1/users")
        );
        assert_eq!(head.url.query(), Some("activate=false"));
        assert_eq!(head.len, wire.len() - 2);
        assert_eq!(head.framing(10)?, Framing::Length(2));
        assert_eq!(head.framing(1), Err(Rejection::BodyTooLarge { limit: 1 }));
        assert!(head.keep_alive());

        assert!(parse_head(b"GET / HTTP/1.1\r\nHost", 1024, 10)?.is_none());
        assert_eq!(
            parse_head(
                b"GET / HTTP/1.1\r\nHost: aaaaaaaaaaaaaaaaaaaaaaaaaaa",
                20,
                10
            )
            .err(),
            Some(Rejection::HeadTooLarge { limit: 20 })
        );
        assert_eq!(
            parse_head(b"GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\n\r\n", 1024, 1).err(),
            Some(Rejection::TooManyHeaders { limit: 1 })
        );
        assert_eq!(
            parse_head(b"PRI * HTTP/2.0\r\n\r\n", 1024, 10).err(),
            Some(Rejection::UnsupportedVersion)
        );
        assert!(matches!(
            parse_head(b"GET /\x01 HTTP/1.1\r\n\r\n", 1024, 10),
            Err(Rejection::MalformedHead(_))
        ));
        assert!(matches!(
            parse_head(b"GET foo HTTP/1.1\r\n\r\n", 1024, 10),
            Err(Rejection::MalformedHead(_))
        ));
        Ok(())
    }

    #[test]
    fn framing_rejects_ambiguous_lengths() -> Result<(), Rejection> {
        let framing = |headers: &str| -> Result<Framing, Rejection> {
            let wire = format!("POST / HTTP/1.1\r\n{headers}\r\n");
            parse_head(wire.as_bytes(), 4096, 10)?
                .ok_or(Rejection::UnsupportedVersion)?
                .framing(100)
        };
        assert_eq!(framing("Transfer-Encoding: chunked\r\n")?, Framing::Chunked);
        assert_eq!(framing("")?, Framing::Empty);
        assert_eq!(
            framing("Content-Length: 5\r\nContent-Length: 5\r\n")?,
            Framing::Length(5)
        );
        assert!(matches!(
            framing("Content-Length: 5\r\nContent-Length: 6\r\n"),
            Err(Rejection::BadContentLength(_))
        ));
        assert!(matches!(
            framing("Content-Length: -1\r\n"),
            Err(Rejection::BadContentLength(_))
        ));
        assert!(matches!(
            framing("Content-Length: 99999999999999999999999\r\n"),
            Err(Rejection::BadContentLength(_))
        ));
        assert_eq!(
            framing("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n"),
            Err(Rejection::ConflictingFraming)
        );
        assert!(matches!(
            framing("Transfer-Encoding: gzip, chunked\r\n"),
            Err(Rejection::UnsupportedTransferEncoding(_))
        ));
        Ok(())
    }
}

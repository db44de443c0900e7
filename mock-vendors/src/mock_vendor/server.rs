//! The HTTP/1.1 front: accepts connections, reads each request whole
//! within the [`Limits`](super::Limits), hands it to the [`App`] and writes
//! the answer. Runs on a thread of its own (a current-thread tokio
//! runtime), so a caller that blocks its own runtime cannot stall it.

use std::io;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, oneshot};
use wiremock::Request;
use wiremock::http::Method;

use super::wire::{self, ChunkedDecoder, Framing, Head};
use super::{App, Outcome};
use crate::clock::format_http_date;
use crate::rejection::Rejection;
use crate::response::Response;

/// How long a closing connection keeps reading (and discarding) what the
/// client still sends, so that the answer is not lost to a reset.
const LINGER: Duration = Duration::from_secs(2);
/// The most bytes read while lingering.
const LINGER_BYTES: usize = 64 * 1024 * 1024;
/// How much is read from a socket at a time.
const READ_CHUNK: usize = 16 * 1024;
/// The header names the server writes itself.
const FRAMING_HEADERS: [&str; 3] = ["content-length", "transfer-encoding", "connection"];

/// The running server; dropping it stops the server and closes its
/// connections.
pub(crate) struct Running {
    _stop: oneshot::Sender<()>,
}

/// Starts serving `listener` on a thread of its own.
pub(crate) fn spawn(listener: std::net::TcpListener, app: Arc<App>) -> io::Result<Running> {
    listener.set_nonblocking(true)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let (stop, stopped) = oneshot::channel::<()>();
    // Registered with the runtime's reactor here, so an unusable listener
    // is an error for the caller rather than a dead thread.
    let listener = {
        let _entered = runtime.enter();
        TcpListener::from_std(listener)?
    };
    std::thread::Builder::new()
        .name(format!("mock-vendor-{}", app.vendor.kind()))
        .spawn(move || {
            runtime.block_on(async move {
                tokio::select! {
                    () = accept_loop(listener, app) => {}
                    _ = stopped => {}
                }
            });
            // Dropping the runtime cancels every connection task.
        })?;
    Ok(Running { _stop: stop })
}

async fn accept_loop(listener: TcpListener, app: Arc<App>) {
    let slots = Arc::new(Semaphore::new(app.limits().max_connections));
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            // Out of file descriptors and the like: wait, then go on.
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let app = Arc::clone(&app);
        match Arc::clone(&slots).try_acquire_owned() {
            Ok(slot) => {
                tokio::spawn(async move {
                    serve(stream, &app).await;
                    drop(slot);
                });
            }
            Err(_) => {
                let limit = app.limits().max_connections;
                tokio::spawn(async move {
                    let mut stream = stream;
                    reject(&mut stream, &app, &Rejection::TooManyConnections { limit }).await;
                });
            }
        }
    }
}

/// Why reading stopped.
enum ReadStop {
    /// The client closed its side (or reset the connection).
    Closed,
    /// Nothing arrived within the timeout.
    TimedOut,
}

/// Reads what is there into `buffer`: the bytes read, never 0.
async fn fill(
    stream: &mut TcpStream,
    buffer: &mut Vec<u8>,
    timeout: Duration,
) -> Result<usize, ReadStop> {
    buffer.reserve(READ_CHUNK);
    match tokio::time::timeout(timeout, stream.read_buf(buffer)).await {
        Err(_) => Err(ReadStop::TimedOut),
        Ok(Ok(0) | Err(_)) => Err(ReadStop::Closed),
        Ok(Ok(read)) => Ok(read),
    }
}

/// Serves one connection until it closes, fails, or must close.
async fn serve(mut stream: TcpStream, app: &App) {
    let limits = app.limits().clone();
    let mut buffer = Vec::with_capacity(READ_CHUNK);
    loop {
        let head = match read_head(&mut stream, &mut buffer, app).await {
            Ok(Some(head)) => head,
            Ok(None) => return,
            Err(rejection) => return reject(&mut stream, app, &rejection).await,
        };
        buffer.drain(..head.len);
        let framing = match head.framing(limits.max_body_bytes) {
            Ok(framing) => framing,
            Err(rejection) => return reject(&mut stream, app, &rejection).await,
        };
        if framing != Framing::Empty && head.expects_continue() && buffer.is_empty() {
            let sent = write(
                &mut stream,
                b"HTTP/1.1 100 Continue\r\n\r\n",
                limits.read_timeout,
            )
            .await;
            if sent.is_err() {
                return;
            }
        }
        let body = match read_body(&mut stream, &mut buffer, framing, &limits).await {
            Ok(body) => body,
            Err(Some(rejection)) => return reject(&mut stream, app, &rejection).await,
            Err(None) => return,
        };
        let keep_alive = head.keep_alive();
        let is_head = head.method == Method::HEAD;
        let request = Request {
            url: head.url,
            method: head.method,
            headers: head.headers,
            body,
        };
        let answer = match app.answer(&request) {
            Outcome::Drop => return,
            Outcome::Answer(answer) => answer,
        };
        drop(request);
        if let Some(delay) = answer.delay() {
            tokio::time::sleep(delay).await;
        }
        let bytes = encode(&answer, is_head, keep_alive);
        if write(&mut stream, &bytes, limits.read_timeout)
            .await
            .is_err()
        {
            return;
        }
        if !keep_alive {
            return linger(stream).await;
        }
        // A long request's buffer is not kept for the next one.
        if buffer.capacity() > 4 * READ_CHUNK && buffer.len() < READ_CHUNK {
            buffer.shrink_to(READ_CHUNK);
        }
    }
}

/// Reads the next request head: `None` when the client closes or idles
/// out between requests.
async fn read_head(
    stream: &mut TcpStream,
    buffer: &mut Vec<u8>,
    app: &App,
) -> Result<Option<Head>, Rejection> {
    let limits = app.limits();
    loop {
        if !buffer.is_empty()
            && let Some(head) = wire::parse_head(buffer, limits.max_head_bytes, limits.max_headers)?
        {
            return Ok(Some(head));
        }
        let between_requests = buffer.iter().all(|byte| matches!(byte, b'\r' | b'\n'));
        let timeout = if between_requests {
            limits.idle_timeout
        } else {
            limits.read_timeout
        };
        match fill(stream, buffer, timeout).await {
            Ok(_) => {}
            Err(_) if between_requests => return Ok(None),
            Err(ReadStop::TimedOut) => return Err(Rejection::Timeout(timeout)),
            Err(ReadStop::Closed) => {
                return Err(Rejection::MalformedHead(
                    "the client closed the connection before the request head ended".to_owned(),
                ));
            }
        }
    }
}

/// Reads a body framed as `framing`: `Err(None)` when the connection
/// broke so that no answer can be written.
async fn read_body(
    stream: &mut TcpStream,
    buffer: &mut Vec<u8>,
    framing: Framing,
    limits: &super::Limits,
) -> Result<Vec<u8>, Option<Rejection>> {
    let timeout = limits.read_timeout;
    match framing {
        Framing::Empty => Ok(Vec::new()),
        Framing::Length(length) => {
            // `framing` already refused lengths over the body limit.
            let length = usize::try_from(length).unwrap_or(usize::MAX);
            while buffer.len() < length {
                match fill(stream, buffer, timeout).await {
                    Ok(_) => {}
                    Err(ReadStop::TimedOut) => return Err(Some(Rejection::Timeout(timeout))),
                    Err(ReadStop::Closed) => {
                        return Err(Some(Rejection::TruncatedBody {
                            expected: Some(length as u64),
                            received: buffer.len() as u64,
                        }));
                    }
                }
            }
            let rest = buffer.split_off(length);
            Ok(std::mem::replace(buffer, rest))
        }
        Framing::Chunked => {
            let mut decoder = ChunkedDecoder::new(limits.max_body_bytes);
            loop {
                let used = decoder.feed(buffer).map_err(Some)?;
                buffer.drain(..used);
                if decoder.is_done() {
                    return Ok(decoder.into_body());
                }
                match fill(stream, buffer, timeout).await {
                    Ok(_) => {}
                    Err(ReadStop::TimedOut) => return Err(Some(Rejection::Timeout(timeout))),
                    Err(ReadStop::Closed) => {
                        return Err(Some(Rejection::TruncatedBody {
                            expected: None,
                            received: decoder.received(),
                        }));
                    }
                }
            }
        }
    }
}

/// Answers a request that could not be read, then closes the connection.
async fn reject(stream: &mut TcpStream, app: &App, rejection: &Rejection) {
    let answer = app.reject(rejection);
    let bytes = encode(&answer, false, false);
    if write(stream, &bytes, app.limits().read_timeout)
        .await
        .is_ok()
    {
        let _ = stream.shutdown().await;
        discard(stream).await;
    }
}

/// Closes after an answer: no more writes, and what the client still
/// sends is read and thrown away for a moment, so the answer is not lost
/// to a reset.
async fn linger(mut stream: TcpStream) {
    let _ = stream.shutdown().await;
    discard(&mut stream).await;
}

async fn discard(stream: &mut TcpStream) {
    let mut sink = vec![0; READ_CHUNK];
    let mut total = 0;
    let _ = tokio::time::timeout(LINGER, async {
        while total < LINGER_BYTES {
            match stream.read(&mut sink).await {
                Ok(0) | Err(_) => break,
                Ok(read) => total += read,
            }
        }
    })
    .await;
}

async fn write(stream: &mut TcpStream, bytes: &[u8], timeout: Duration) -> Result<(), ()> {
    match tokio::time::timeout(timeout, stream.write_all(bytes)).await {
        Ok(Ok(())) => Ok(()),
        _ => Err(()),
    }
}

/// The answer as HTTP/1.1 bytes, with `Content-Length`, `Date` and, when
/// the connection closes after it, `Connection: close`.
fn encode(answer: &Response, is_head: bool, keep_alive: bool) -> Vec<u8> {
    let status = answer.status();
    let reason = StatusCode::from_u16(status)
        .ok()
        .and_then(|status| status.canonical_reason())
        .unwrap_or("Unknown");
    let body = answer.body();
    let mut out = Vec::with_capacity(256 + body.len());
    out.extend_from_slice(format!("HTTP/1.1 {status} {reason}\r\n").as_bytes());
    let mut has_date = false;
    for (name, value) in answer.headers() {
        let name = name.as_str();
        if FRAMING_HEADERS.contains(&name) {
            continue;
        }
        has_date |= name == "date";
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    if !has_date {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|since| i64::try_from(since.as_millis()).unwrap_or(i64::MAX))
            .unwrap_or_default();
        out.extend_from_slice(format!("date: {}\r\n", format_http_date(now)).as_bytes());
    }
    let bodiless = status < 200 || status == 204 || status == 304;
    if !bodiless {
        out.extend_from_slice(format!("content-length: {}\r\n", body.len()).as_bytes());
    }
    if !keep_alive {
        out.extend_from_slice(b"connection: close\r\n");
    }
    out.extend_from_slice(b"\r\n");
    if !bodiless && !is_head {
        out.extend_from_slice(body);
    }
    out
}

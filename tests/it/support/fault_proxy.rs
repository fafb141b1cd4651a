//! A fault-injecting HTTP/1.1 proxy on 127.0.0.1, in front of moto. The SDK's traffic to moto
//! is plain HTTP/1.1 (query protocol for STS, JSON for SQS), so a small forwarder is enough:
//! each request is read whole, its action named (`X-Amz-Target` or `Action=` in the body),
//! counted, and then forwarded, delayed, answered with an error, or broken, as the rules say.
//! Rules can change while the proxy runs; the first rule that matches a request decides.

#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use jiff::fmt::rfc2822;
use jiff::{SignedDuration, Timestamp};

#[derive(Debug, Clone)]
pub enum Fault {
    /// Wait this long, then forward.
    Delay(Duration),
    /// Never answer; the connection stays open until the client gives up.
    Hang,
    /// Close the connection with a TCP reset before answering.
    Reset,
    /// An HTTP status with a service error body: `ServiceUnavailable` for 503, else
    /// `InternalFailure`.
    Status(u16),
    /// 400 `Throttling` (STS) / `ThrottlingException` (SQS).
    Throttling,
    /// 400 `RequestLimitExceeded`.
    RequestLimitExceeded,
    /// 403 `AccessDenied` (`AccessDeniedException` for SQS).
    AccessDenied,
    /// Any error answer: status, code and message (put in the XML or JSON body as given).
    ServiceError { status: u16, code: String, message: String },
    /// Forward, then send half the body of a full-length response and close.
    Truncate,
    /// Forward, then replace the body with bytes that parse as nothing.
    Garble,
    /// Forward, with the `Date` header and every `<Expiration>` moved by this much: a local
    /// clock ahead of AWS by ten minutes is `ShiftClock(-10 min)`.
    ShiftClock(SignedDuration),
    /// Forward, replacing `from` with `to` in the response body.
    Rewrite { from: String, to: String },
    /// Answer 200 with this body, not forwarding: an API the emulator lacks (SQS move tasks),
    /// played by the test.
    Answer(String),
    /// Answer exactly this, not forwarding: any status, content type (none when empty) and
    /// body, such as a proxy's HTML error page or an empty 502.
    Raw { status: u16, content_type: String, body: String },
}

#[derive(Debug, Clone)]
struct Rule {
    /// `None`: every action.
    action: Option<String>,
    /// Applies to this many matching requests (counted from when the rule was added), or all.
    times: Option<usize>,
    fault: Fault,
}

#[derive(Default)]
struct Shared {
    rules: Vec<Rule>,
    counts: HashMap<String, usize>,
    /// The body of the last request of each action.
    last_bodies: HashMap<String, String>,
    /// Every request's body, per action, in the order they came.
    bodies: HashMap<String, Vec<String>>,
}

pub struct FaultProxy {
    pub endpoint: String,
    shared: Arc<Mutex<Shared>>,
    down: Arc<std::sync::atomic::AtomicBool>,
    closed: Mutex<std::sync::mpsc::Receiver<()>>,
}

impl FaultProxy {
    pub fn start(upstream: &str) -> FaultProxy {
        let upstream = upstream.trim_start_matches("http://").trim_end_matches('/').to_owned();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let shared = Arc::new(Mutex::new(Shared::default()));
        let down = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (serving, stopping) = (shared.clone(), down.clone());
        let (closing, closed) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for client in listener.incoming().map_while(Result::ok) {
                if stopping.load(std::sync::atomic::Ordering::SeqCst) {
                    break;
                }
                let (upstream, shared, down) = (upstream.clone(), serving.clone(), stopping.clone());
                std::thread::spawn(move || serve(client, &upstream, &shared, &down));
            }
            drop(listener);
            let _ = closing.send(());
        });
        FaultProxy { endpoint, shared, down, closed: Mutex::new(closed) }
    }

    /// Stops listening for good: from now on connections to `endpoint` are refused (the
    /// endpoint is down), while the address stays the one sessions were cached under. A
    /// request on a connection the client kept open is answered with a reset.
    pub fn go_down(&self) {
        self.down.store(true, std::sync::atomic::Ordering::SeqCst);
        // Wakes the accept loop, which then drops the listener and says so.
        let _ = TcpStream::connect(self.endpoint.trim_start_matches("http://"));
        self.closed.lock().unwrap().recv_timeout(Duration::from_secs(10)).unwrap();
    }

    /// Every request of `action` (or of every action: `None`) gets `fault`.
    pub fn always(&self, action: Option<&str>, fault: Fault) {
        self.add(action, None, fault);
    }

    /// The next `times` requests of `action` get `fault`; later ones are forwarded.
    pub fn next(&self, action: Option<&str>, times: usize, fault: Fault) {
        self.add(action, Some(times), fault);
    }

    fn add(&self, action: Option<&str>, times: Option<usize>, fault: Fault) {
        let rule = Rule { action: action.map(str::to_owned), times, fault };
        self.shared.lock().unwrap().rules.push(rule);
    }

    /// Forward everything from now on.
    pub fn clear(&self) {
        self.shared.lock().unwrap().rules.clear();
    }

    /// Requests of this action seen so far (faulted or not).
    pub fn count(&self, action: &str) -> usize {
        self.shared.lock().unwrap().counts.get(action).copied().unwrap_or(0)
    }

    /// The body of the last request of this action, as text.
    pub fn last_body(&self, action: &str) -> Option<String> {
        self.shared.lock().unwrap().last_bodies.get(action).cloned()
    }

    /// The bodies of every request of this action so far, as text, in the order they came.
    pub fn bodies(&self, action: &str) -> Vec<String> {
        self.shared.lock().unwrap().bodies.get(action).cloned().unwrap_or_default()
    }

    pub fn reset_counts(&self) {
        self.shared.lock().unwrap().counts.clear();
    }
}

/// A loopback endpoint where nothing listens: connections are refused.
pub fn dead_endpoint() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    format!("http://{}", listener.local_addr().unwrap())
}

struct Request {
    head: Vec<String>,
    body: Vec<u8>,
    action: String,
    json: bool,
}

fn serve(client: TcpStream, upstream: &str, shared: &Mutex<Shared>, down: &std::sync::atomic::AtomicBool) {
    let mut reader = BufReader::new(client.try_clone().unwrap());
    let mut client = client;
    while let Some(request) = read_request(&mut reader) {
        if down.load(std::sync::atomic::Ordering::SeqCst) {
            reset(&client);
            return;
        }
        let fault = {
            let mut shared = shared.lock().unwrap();
            *shared.counts.entry(request.action.clone()).or_default() += 1;
            let body = String::from_utf8_lossy(&request.body).into_owned();
            shared.bodies.entry(request.action.clone()).or_default().push(body.clone());
            shared.last_bodies.insert(request.action.clone(), body);
            take_fault(&mut shared.rules, &request.action)
        };
        if !answer(&mut client, &mut reader, upstream, &request, fault) {
            return;
        }
    }
}

fn take_fault(rules: &mut Vec<Rule>, action: &str) -> Option<Fault> {
    let index = rules.iter().position(|rule| rule.action.as_deref().is_none_or(|wanted| wanted == action))?;
    let fault = rules[index].fault.clone();
    if let Some(times) = &mut rules[index].times {
        *times -= 1;
        if *times == 0 {
            rules.remove(index);
        }
    }
    Some(fault)
}

/// Answers one request; false when the connection is done.
fn answer(
    client: &mut TcpStream,
    reader: &mut BufReader<TcpStream>,
    upstream: &str,
    request: &Request,
    fault: Option<Fault>,
) -> bool {
    let error = |status: u16, code: &str, message: &str| error_response(request.json, status, code, message);
    let response = match fault {
        Some(Fault::Delay(delay)) => {
            std::thread::sleep(delay);
            forward(upstream, request)
        }
        Some(Fault::Hang) => {
            // Read until the client closes: it gives up after its own timeout.
            let mut sink = Vec::new();
            let _ = reader.read_to_end(&mut sink);
            return false;
        }
        Some(Fault::Reset) => {
            reset(client);
            return false;
        }
        // As AWS names them: 503 is ServiceUnavailable, any other 5xx an InternalFailure.
        Some(Fault::Status(503)) => error(503, "ServiceUnavailable", "the fault proxy is unavailable"),
        Some(Fault::Status(status)) => error(status, "InternalFailure", "the fault proxy failed this request"),
        Some(Fault::Throttling) => {
            error(400, if request.json { "ThrottlingException" } else { "Throttling" }, "Rate exceeded")
        }
        Some(Fault::RequestLimitExceeded) => error(400, "RequestLimitExceeded", "Request limit exceeded."),
        Some(Fault::AccessDenied) => error(
            403,
            if request.json { "AccessDeniedException" } else { "AccessDenied" },
            "User is not authorized to perform this action (fault proxy)",
        ),
        Some(Fault::ServiceError { status, code, message }) => error(status, &code, &message),
        Some(Fault::Truncate) => {
            let Some(full) = forward(upstream, request) else { return false };
            let half = &full.body[..full.body.len() / 2];
            let _ = client.write_all(&full.head_bytes(full.body.len(), false));
            let _ = client.write_all(half);
            return false;
        }
        Some(Fault::Garble) => forward(upstream, request).map(|mut response| {
            response.body = b"\x00\xff<<not xml, not json}}\x1b".repeat(4);
            response
        }),
        Some(Fault::ShiftClock(by)) => forward(upstream, request).map(|response| shift_clock(response, by)),
        Some(Fault::Rewrite { from, to }) => forward(upstream, request).map(|mut response| {
            let text = String::from_utf8_lossy(&response.body).replace(&from, &to);
            response.body = text.into_bytes();
            response
        }),
        Some(Fault::Answer(body)) => Some(answer_with(request.json, body)),
        Some(Fault::Raw { status, content_type, body }) => Some(raw_response(status, &content_type, body)),
        None => forward(upstream, request),
    };
    let Some(response) = response else {
        reset(client);
        return false;
    };
    let mut bytes = response.head_bytes(response.body.len(), true);
    bytes.extend_from_slice(&response.body);
    client.write_all(&bytes).is_ok()
}

fn read_request(reader: &mut BufReader<TcpStream>) -> Option<Request> {
    let mut head = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end_matches(['\r', '\n']).to_owned();
        if line.is_empty() {
            break;
        }
        head.push(line);
    }
    let length = header(&head, "content-length").and_then(|value| value.parse().ok()).unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    let target = header(&head, "x-amz-target");
    let json = target.is_some();
    let action = match target {
        Some(target) => target.rsplit('.').next().unwrap_or(&target).to_owned(),
        None => action_in_query(&String::from_utf8_lossy(&body)).unwrap_or_else(|| "Unknown".into()),
    };
    Some(Request { head, body, action, json })
}

fn action_in_query(body: &str) -> Option<String> {
    body.split('&').find_map(|pair| pair.strip_prefix("Action=")).map(str::to_owned)
}

fn header(head: &[String], name: &str) -> Option<String> {
    head.iter().skip(1).find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.trim().eq_ignore_ascii_case(name).then(|| value.trim().to_owned())
    })
}

struct Response {
    status_line: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Response {
    fn head_bytes(&self, length: usize, keep_alive: bool) -> Vec<u8> {
        let mut head = format!("{}\r\n", self.status_line);
        for (name, value) in &self.headers {
            let lower = name.to_ascii_lowercase();
            if !["content-length", "transfer-encoding", "connection"].contains(&lower.as_str()) {
                head += &format!("{name}: {value}\r\n");
            }
        }
        head += &format!("Content-Length: {length}\r\n");
        head += if keep_alive { "Connection: keep-alive\r\n\r\n" } else { "Connection: close\r\n\r\n" };
        head.into_bytes()
    }
}

/// Sends the request to moto on a connection of its own and reads the whole answer.
fn forward(upstream: &str, request: &Request) -> Option<Response> {
    let mut server = TcpStream::connect(upstream).ok()?;
    let mut head = format!("{}\r\n", request.head[0]);
    for line in &request.head[1..] {
        let name = line.split(':').next().unwrap_or_default().trim().to_ascii_lowercase();
        if name != "connection" {
            head += &format!("{line}\r\n");
        }
    }
    head += "Connection: close\r\n\r\n";
    server.write_all(head.as_bytes()).ok()?;
    server.write_all(&request.body).ok()?;
    let mut raw = Vec::new();
    server.read_to_end(&mut raw).ok()?;
    parse_response(&raw)
}

fn parse_response(raw: &[u8]) -> Option<Response> {
    let split = raw.windows(4).position(|window| window == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status_line = lines.next()?.to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':').map(|(name, value)| (name.trim().to_owned(), value.trim().to_owned())))
        .collect();
    let rest = &raw[split + 4..];
    let chunked =
        headers.iter().any(|(name, value)| name.eq_ignore_ascii_case("transfer-encoding") && value.contains("chunked"));
    let body = if chunked { dechunk(rest)? } else { rest.to_vec() };
    Some(Response { status_line, headers, body })
}

fn dechunk(mut rest: &[u8]) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let end = rest.windows(2).position(|window| window == b"\r\n")?;
        let size_text = String::from_utf8_lossy(&rest[..end]);
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        rest = &rest[end + 2..];
        if size == 0 {
            return Some(body);
        }
        body.extend_from_slice(rest.get(..size)?);
        rest = rest.get(size + 2..)?;
    }
}

fn answer_with(json: bool, body: String) -> Response {
    let now = rfc2822::DateTimePrinter::new().timestamp_to_rfc9110_string(&Timestamp::now()).unwrap();
    let kind = if json { "application/x-amz-json-1.0" } else { "text/xml" };
    let headers = vec![("Date".to_owned(), now), ("Content-Type".to_owned(), kind.to_owned())];
    Response { status_line: "HTTP/1.1 200 OK".into(), headers, body: body.into_bytes() }
}

fn raw_response(status: u16, content_type: &str, body: String) -> Response {
    let now = rfc2822::DateTimePrinter::new().timestamp_to_rfc9110_string(&Timestamp::now()).unwrap();
    let mut headers = vec![("Date".to_owned(), now)];
    if !content_type.is_empty() {
        headers.push(("Content-Type".to_owned(), content_type.to_owned()));
    }
    Response { status_line: format!("HTTP/1.1 {status} Error"), headers, body: body.into_bytes() }
}

fn error_response(json: bool, status: u16, code: &str, message: &str) -> Option<Response> {
    let reason = match status {
        400 => "Bad Request",
        403 => "Forbidden",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Error",
    };
    let now = rfc2822::DateTimePrinter::new().timestamp_to_rfc9110_string(&Timestamp::now()).unwrap();
    let mut headers = vec![("Date".to_owned(), now)];
    let body = if json {
        headers.push(("Content-Type".into(), "application/x-amz-json-1.0".into()));
        headers.push(("x-amzn-query-error".into(), format!("{code};Sender")));
        format!(r#"{{"__type":"com.amazonaws.sqs#{code}","message":"{message}"}}"#)
    } else {
        headers.push(("Content-Type".into(), "text/xml".into()));
        format!(
            "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type>\
             <Code>{code}</Code><Message>{message}</Message></Error><RequestId>fault-proxy</RequestId></ErrorResponse>"
        )
    };
    Some(Response { status_line: format!("HTTP/1.1 {status} {reason}"), headers, body: body.into_bytes() })
}

fn shift_clock(mut response: Response, by: SignedDuration) -> Response {
    for (name, value) in &mut response.headers {
        if name.eq_ignore_ascii_case("date")
            && let Ok(date) = rfc2822::DateTimeParser::new().parse_timestamp(value.as_str())
        {
            let shifted = date.checked_add(by).unwrap();
            *value = rfc2822::DateTimePrinter::new().timestamp_to_rfc9110_string(&shifted).unwrap();
        }
    }
    let text = String::from_utf8_lossy(&response.body).into_owned();
    let mut shifted = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(start) = rest.find("<Expiration>") {
        let value_start = start + "<Expiration>".len();
        let Some(length) = rest[value_start..].find("</Expiration>") else { break };
        shifted.push_str(&rest[..value_start]);
        let value = &rest[value_start..value_start + length];
        match value.parse::<Timestamp>() {
            Ok(expiration) => shifted.push_str(&expiration.checked_add(by).unwrap().to_string()),
            Err(_) => shifted.push_str(value),
        }
        rest = &rest[value_start + length..];
    }
    shifted.push_str(rest);
    response.body = shifted.into_bytes();
    response
}

/// Makes the close a TCP reset instead of FIN (SO_LINGER on, zero seconds): it happens
/// when the caller drops the connection's last handle.
fn reset(stream: &TcpStream) {
    let linger = libc::linger { l_onoff: 1, l_linger: 0 };
    unsafe {
        libc::setsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&linger as *const libc::linger).cast(),
            size_of::<libc::linger>() as libc::socklen_t,
        );
    }
}

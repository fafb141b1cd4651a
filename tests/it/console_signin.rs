//! `switchboard console`: a role's session (from moto) goes to a local fake federation
//! endpoint as GetSigninToken, and the login URL carries the sign-in token it answered.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use crate::support::pty::{Tui, footer, open_panels, queue_row};
use crate::support::{Sandbox, assert_success, sqs_client, stdout};

/// A federation endpoint that answers every GetSigninToken with one token and keeps the
/// request lines it saw.
struct FakeFederation {
    url: String,
    requests: Arc<Mutex<Vec<String>>>,
}

impl FakeFederation {
    fn start() -> FakeFederation {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/federation", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = requests.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().map_while(Result::ok) {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut request_line = String::new();
                reader.read_line(&mut request_line).unwrap();
                // The headers, up to the blank line (a GET has no body).
                let mut header = String::new();
                while reader.read_line(&mut header).is_ok_and(|read| read > 2) {
                    header.clear();
                }
                seen.lock().unwrap().push(request_line.trim().to_owned());
                let body = r#"{"SigninToken":"fake-signin-token-42"}"#;
                let mut stream = stream;
                let _ = write!(
                    stream,
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        FakeFederation { url, requests }
    }

    /// The query of the one request seen, decoded.
    fn only_query(&self) -> Vec<(String, String)> {
        let requests = self.requests.lock().unwrap();
        assert_eq!(requests.len(), 1, "one GetSigninToken");
        let target = requests[0].split_whitespace().nth(1).unwrap().to_owned();
        let query = target.split_once('?').unwrap().1;
        form_urlencoded::parse(query.as_bytes()).into_owned().collect()
    }
}

fn value<'a>(query: &'a [(String, String)], name: &str) -> &'a str {
    query.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str()).unwrap_or_default()
}

/// A "browser" that hands what it was asked to open to the test over a socket; the
/// receiver gets the URL.
fn fake_browser(sandbox: &Sandbox) -> (std::path::PathBuf, std::sync::mpsc::Receiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let browser = sandbox.home.path().join("browser.sh");
    let address = listener.local_addr().unwrap();
    let script = format!("#!/bin/bash\nprintf '%s' \"$1\" > /dev/tcp/{}/{}\n", address.ip(), address.port());
    std::fs::write(&browser, script).unwrap();
    std::fs::set_permissions(&browser, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let (opened, received) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut url = String::new();
        std::io::Read::read_to_string(&mut stream, &mut url).unwrap();
        let _ = opened.send(url);
    });
    (browser, received)
}

fn set_federation_url(sandbox: &Sandbox, url: &str) {
    let text = std::fs::read_to_string(sandbox.inventory()).unwrap();
    let with_url = text.replacen("[defaults]\n", &format!("[defaults]\nfederation_url = \"{url}\"\n"), 1);
    std::fs::write(sandbox.inventory(), with_url).unwrap();
}

#[test]
fn console_print_returns_a_login_url_with_the_sign_in_token() {
    let sandbox = Sandbox::new();
    let federation = FakeFederation::start();
    let output = sandbox
        .command(&["console", "prod/viewer", "--service", "sqs", "--print"])
        .env("SWITCHBOARD_FEDERATION_URL", &federation.url)
        .output()
        .unwrap();
    assert_success(&output);
    let url = stdout(&output).trim().to_owned();
    let expected_start = format!("{}?Action=login&Issuer=switchboard&", federation.url);
    assert!(url.starts_with(&expected_start), "{url}");
    assert!(url.ends_with("&SigninToken=fake-signin-token-42"), "{url}");
    assert!(
        url.contains("Destination=https%3A%2F%2Fconsole.aws.amazon.com%2Fsqs%2Fhome%3Fregion%3Deu-central-1"),
        "{url}"
    );

    let query = federation.only_query();
    assert_eq!(value(&query, "Action"), "getSigninToken");
    let duration: u64 = value(&query, "SessionDuration").parse().unwrap();
    assert!((900..=3600).contains(&duration), "the console session lasts what the role's has left: {duration}");
    let session: serde_json::Value = serde_json::from_str(value(&query, "Session")).unwrap();
    assert!(session["sessionId"].as_str().is_some_and(|id| id.starts_with("ASIA")), "temporary keys are sent");
    for field in ["sessionKey", "sessionToken"] {
        assert!(session[field].as_str().is_some_and(|secret| secret.len() > 10), "{field} is sent (not shown)");
    }
}

#[test]
fn console_opens_the_url_with_the_browser_and_the_inventory_names_the_endpoint() {
    let sandbox = Sandbox::new();
    let federation = FakeFederation::start();
    set_federation_url(&sandbox, &federation.url);
    let (browser, received) = fake_browser(&sandbox);
    let output = sandbox.command(&["console", "prod/viewer"]).env("BROWSER", &browser).output().unwrap();
    assert_success(&output);
    assert!(String::from_utf8_lossy(&output.stderr).contains("opened the console of prod/viewer"));
    // The opener is not waited for by switchboard: the test waits for what it sends.
    let url = received.recv_timeout(std::time::Duration::from_secs(30)).expect("the browser was started with a URL");
    assert!(url.starts_with(&format!("{}?Action=login", federation.url)), "{url}");
    assert!(url.contains("console%2Fhome%3Fregion%3Deu-central-1"), "{url}");
    assert!(url.ends_with("SigninToken=fake-signin-token-42"), "{url}");
}

#[test]
fn o_in_the_screen_opens_the_selected_roles_console() {
    let sandbox = Sandbox::new();
    let federation = FakeFederation::start();
    set_federation_url(&sandbox, &federation.url);
    let (browser, received) = fake_browser(&sandbox);
    let mut tui = Tui::start_with(&sandbox, &[("BROWSER", browser.to_str().unwrap())]);
    tui.wait_for("the list of roles", |screen| screen.contains("STATE") && screen.contains(" roles "));
    tui.send("/prod viewer\r");
    tui.wait_for("the filter to be kept", |screen| screen.contains("roles matching \"prod viewer\" (1)"));
    tui.send("o");
    tui.wait_for("the console to be opened", |screen| {
        footer(screen).contains("opened the console of prod/viewer in the browser")
    });
    let url = received.recv_timeout(std::time::Duration::from_secs(30)).expect("the browser was started with a URL");
    assert!(url.starts_with(&format!("{}?Action=login", federation.url)), "{url}");
    assert!(url.ends_with("SigninToken=fake-signin-token-42"), "{url}");
    tui.send("q");
    assert!(tui.wait_for_exit().success());
}

#[test]
fn o_in_the_sqs_panel_opens_the_selected_queues_console_page() {
    let sandbox = Sandbox::new();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let client = sqs_client(&sandbox, "prod/viewer");
    runtime.block_on(async { client.create_queue().queue_name("orders").send().await.unwrap() });
    let federation = FakeFederation::start();
    set_federation_url(&sandbox, &federation.url);
    let (browser, received) = fake_browser(&sandbox);
    let mut tui = Tui::start_with(&sandbox, &[("BROWSER", browser.to_str().unwrap())]);
    open_panels(&mut tui, "prod viewer", "viewer");
    tui.wait_for("the queue in the list", |screen| queue_row(screen, "orders").is_some());
    tui.send("o");
    tui.wait_for("the console page to be opened", |screen| screen.contains("opened the queue's console page"));
    let url = received.recv_timeout(std::time::Duration::from_secs(30)).expect("the browser was started with a URL");
    assert!(url.starts_with(&format!("{}?Action=login", federation.url)), "{url}");
    let destination = url.split("Destination=").nth(1).expect("a destination").to_owned();
    assert!(destination.contains("sqs%2Fv3") && destination.contains("orders"), "{url}");
    tui.send("q");
    tui.send("q");
    assert!(tui.wait_for_exit().success());
}

/// A federation endpoint that refuses every GetSigninToken by echoing the session it was sent
/// (its secret key and token): as an AWS error's message (XML), as its code and message
/// (JSON), as a page of text over several lines, and in its content type. It keeps the
/// sessions it saw.
fn echoing_federation() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/federation", listener.local_addr().unwrap());
    let sessions = Arc::new(Mutex::new(Vec::new()));
    let seen = sessions.clone();
    std::thread::spawn(move || {
        for (index, stream) in listener.incoming().map_while(Result::ok).enumerate() {
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request_line = String::new();
            reader.read_line(&mut request_line).unwrap();
            let mut header = String::new();
            while reader.read_line(&mut header).is_ok_and(|read| read > 2) {
                header.clear();
            }
            let target = request_line.split_whitespace().nth(1).unwrap_or_default().to_owned();
            let query = target.split_once('?').map(|(_, query)| query).unwrap_or_default();
            let session = form_urlencoded::parse(query.as_bytes())
                .find(|(name, _)| name == "Session")
                .map(|(_, value)| value.into_owned())
                .unwrap_or_default();
            seen.lock().unwrap().push(session.clone());
            let secret = serde_json::from_str::<serde_json::Value>(&session).unwrap_or_default()["sessionKey"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            let (content_type, body) = match index % 4 {
                0 => (
                    "text/xml",
                    format!("<Error><Code>InvalidSession</Code><Message>bad session {session}</Message></Error>"),
                ),
                1 => ("application/json", serde_json::json!({ "code": secret, "message": session }).to_string()),
                2 => ("text/plain", format!("you sent:\n{session}\nwhich is\nnot valid\n")),
                _ => (secret.as_str(), session.clone()),
            };
            let content_type = content_type.to_owned();
            let mut stream = stream;
            let _ = write!(
                stream,
                "HTTP/1.1 400 Bad Request\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    (url, sessions)
}

#[test]
fn a_federation_endpoint_echoing_the_session_in_its_error_shows_no_secret_in_one_line() {
    let sandbox = Sandbox::new();
    let (url, sessions) = echoing_federation();
    for case in ["an AWS error's message", "an AWS error's code", "a text over lines", "the content type"] {
        let output = sandbox
            .command(&["console", "prod/viewer", "--print"])
            .env("SWITCHBOARD_FEDERATION_URL", &url)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(1), "{case}: {}", crate::support::stderr(&output));
        let session = sessions.lock().unwrap().last().cloned().unwrap();
        let session: serde_json::Value = serde_json::from_str(&session).unwrap();
        let printed = format!("{}{}", stdout(&output), crate::support::stderr(&output));
        for field in ["sessionKey", "sessionToken"] {
            let secret = session[field].as_str().unwrap();
            assert!(secret.len() > 10, "{case}: {field}");
            assert!(
                !printed.to_lowercase().contains(&secret.to_lowercase()),
                "{case}: the {field} was printed:\n{printed}"
            );
        }
        // switchboard's own lines (the SDK's warning about the sandbox's missing config file aside).
        let lines: Vec<&str> = printed
            .lines()
            .filter(|line| !line.contains("session cache: memory only") && !line.contains("config file overridden"))
            .collect();
        assert_eq!(lines.len(), 1, "{case}: {lines:?}");
        assert!(lines[0].contains("the federation endpoint") && lines[0].contains("HTTP 400"), "{case}: {lines:?}");
    }
}

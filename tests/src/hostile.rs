//! An HTTP endpoint on 127.0.0.1 that misbehaves the way real networks do in front of a relay:
//! a captive portal answering every request with a sign-in page, a proxy answering 502 with
//! an HTML error page, and a proxy to a real relay that cuts one reply short after the relay
//! has acted on the request (so the relay stored a push whose answer never arrived).
//!
//! One request per connection: each reply carries `Connection: close`, so the client opens a
//! new connection for the next request and no keep-alive state can hide a fault.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// How the endpoint answers.
#[derive(Debug, Clone)]
pub enum Behaviour {
    /// `200 OK` with an HTML sign-in page, whatever was asked.
    CaptivePortal,
    /// `502 Bad Gateway` with an HTML body.
    BadGateway,
    /// Forwards to `upstream` (`host:port`); the reply to the `nth` request whose path ends in
    /// `/sync` (counting from 1) is cut after its headers and half its body.
    CutSyncReply { upstream: String, nth: usize },
}

/// A running misbehaving endpoint. It stops accepting when dropped.
#[derive(Debug)]
pub struct Hostile {
    addr: String,
    sync_requests: Arc<AtomicUsize>,
    cuts: Arc<AtomicUsize>,
    listener: Option<TcpListener>,
}

impl Hostile {
    pub fn start(behaviour: Behaviour) -> Hostile {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local addr").to_string();
        let sync_requests = Arc::new(AtomicUsize::new(0));
        let cuts = Arc::new(AtomicUsize::new(0));
        let accept = listener.try_clone().expect("clone listener");
        let (seen, cut) = (sync_requests.clone(), cuts.clone());
        std::thread::spawn(move || {
            for stream in accept.incoming() {
                let Ok(stream) = stream else { break };
                let (behaviour, seen, cut) = (behaviour.clone(), seen.clone(), cut.clone());
                std::thread::spawn(move || {
                    let _ = answer(stream, &behaviour, &seen, &cut);
                });
            }
        });
        Hostile {
            addr,
            sync_requests,
            cuts,
            listener: Some(listener),
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Replies cut short so far.
    pub fn cuts(&self) -> usize {
        self.cuts.load(Ordering::SeqCst)
    }

    /// Sync requests seen so far.
    pub fn sync_requests(&self) -> usize {
        self.sync_requests.load(Ordering::SeqCst)
    }
}

impl Drop for Hostile {
    fn drop(&mut self) {
        // Unblock the accept loop: it ends on the error of a connection to a closed listener.
        drop(self.listener.take());
        let _ = TcpStream::connect_timeout(
            &self.addr.parse().expect("socket address"),
            Duration::from_millis(200),
        );
    }
}

/// A request as read off the socket: its head (request line + headers) and body.
struct Request {
    path: String,
    head: Vec<String>,
    body: Vec<u8>,
}

fn read_request(stream: &mut TcpStream) -> std::io::Result<Request> {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        if stream.read(&mut byte)? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf.push(byte[0]);
    }
    let text = String::from_utf8_lossy(&buf).into_owned();
    let head: Vec<String> = text
        .split("\r\n")
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect();
    let path = head
        .first()
        .and_then(|l| l.split(' ').nth(1))
        .unwrap_or("/")
        .to_owned();
    let length = head
        .iter()
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    stream.read_exact(&mut body)?;
    Ok(Request { path, head, body })
}

fn answer(
    mut client: TcpStream,
    behaviour: &Behaviour,
    sync_requests: &AtomicUsize,
    cuts: &AtomicUsize,
) -> std::io::Result<()> {
    client.set_read_timeout(Some(Duration::from_secs(60)))?;
    let request = read_request(&mut client)?;
    let is_sync = request.path.ends_with("/sync");
    let nth_sync = if is_sync {
        sync_requests.fetch_add(1, Ordering::SeqCst) + 1
    } else {
        0
    };
    match behaviour {
        Behaviour::CaptivePortal => {
            let page = "<!doctype html><html><body><h1>Welcome to Village Hall Wi-Fi</h1>\
                        <p>Please sign in to continue.</p></body></html>";
            write_reply(&mut client, "200 OK", "text/html", page.as_bytes())
        }
        Behaviour::BadGateway => {
            let page = "<html><body><h1>502 Bad Gateway</h1><hr>nginx</body></html>";
            write_reply(&mut client, "502 Bad Gateway", "text/html", page.as_bytes())
        }
        Behaviour::CutSyncReply { upstream, nth } => {
            let reply = forward(upstream, &request)?;
            if is_sync && nth_sync == *nth {
                let body_at = find(&reply, b"\r\n\r\n").map_or(reply.len(), |i| i + 4);
                let keep = body_at + (reply.len() - body_at) / 2;
                client.write_all(&reply[..keep])?;
                cuts.fetch_add(1, Ordering::SeqCst);
                // A hard close: the client sees the body end before its Content-Length.
                return client.shutdown(Shutdown::Both);
            }
            client.write_all(&reply)?;
            client.shutdown(Shutdown::Write)
        }
    }
}

fn write_reply(
    client: &mut TcpStream,
    status: &str,
    content_type: &str,
    body: &[u8],
) -> std::io::Result<()> {
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    client.write_all(head.as_bytes())?;
    client.write_all(body)?;
    client.shutdown(Shutdown::Write)
}

/// Sends `request` to `upstream` on a connection of its own and returns the whole reply.
fn forward(upstream: &str, request: &Request) -> std::io::Result<Vec<u8>> {
    let mut relay = TcpStream::connect(upstream)?;
    relay.set_read_timeout(Some(Duration::from_secs(60)))?;
    let mut head = String::new();
    for line in &request.head {
        let name = line.split(':').next().unwrap_or("").trim();
        if !name.eq_ignore_ascii_case("connection") {
            head.push_str(line);
            head.push_str("\r\n");
        }
    }
    head.push_str("Connection: close\r\n\r\n");
    relay.write_all(head.as_bytes())?;
    relay.write_all(&request.body)?;
    let mut reply = Vec::new();
    relay.read_to_end(&mut reply)?;
    Ok(reply)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

//! A poor link in a box: a TCP proxy on 127.0.0.1 that stands between a sync client and a real
//! relay process and behaves like a phone in a field or a satellite hop.
//!
//! **Rate.** Each direction is one shared link of `rate` bytes per second (all connections
//! queue on it, as they would on one radio). Bytes are cut into segments of [`LinkConfig::segment`]
//! bytes; a segment occupies the link for `len / rate`, then travels for the one-way `delay`.
//! The proxy reads from the sender as soon as the bottleneck queue ([`LinkConfig::queue`]
//! bytes) has room, so a sender sees the back-pressure a real bottleneck gives it.
//!
//! **Loss.** A userspace proxy cannot drop TCP segments: the kernel on both sides of it already
//! acknowledged them. What an application *sees* of loss under TCP is a stall: the lost segment
//! is sent again after a retransmission timeout, and everything behind it in the same
//! connection waits (head-of-line blocking), and the retransmission uses the link a second
//! time. So with probability `loss` a segment is delivered `rto` later than it would have been
//! and occupies the link twice; later segments of its connection are never delivered before
//! it. This is pessimistic (real TCP often repairs a loss within one round trip by fast
//! retransmit) and leaves out congestion-window halving, which the extra stall roughly stands
//! for. The random choices come from a seeded generator, so a run is repeatable byte for byte.
//!
//! **Cuts.** [`PoorLink::cut_down_after`] and [`PoorLink::cut_up_after`] drop every connection
//! once that many more bytes went that way (the cut lands exactly there, mid-transfer);
//! [`PoorLink::cut_reply_after_up`] lets a request through whole and drops the connection as
//! the answer starts to come back (the relay did the work; the client never hears of it);
//! [`PoorLink::cut_now`] drops everything at once. After a cut, new connections work again.
//!
//! **Counts.** [`PoorLink::bytes_up`] / [`PoorLink::bytes_down`] count bytes delivered each way
//! (application bytes: HTTP headers and bodies, not TCP/IP headers), which is what the tests
//! bound to prove that a resumed transfer did not start over.

use std::collections::VecDeque;
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// What the link does.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LinkConfig {
    /// Bytes per second each way; `None`: as fast as loopback.
    pub rate: Option<u64>,
    /// One-way delay (half the round trip).
    pub delay: Duration,
    /// Probability that a segment is "lost" (held back by `rto`).
    pub loss: f64,
    /// The hold-back of a lost segment: a retransmission timeout.
    pub rto: Duration,
    /// Bytes per segment (a typical TCP MSS).
    pub segment: usize,
    /// Bytes the bottleneck buffers before the sender has to wait.
    pub queue: usize,
    pub seed: u64,
}

impl LinkConfig {
    /// Loopback with nothing in the way.
    pub fn clear() -> LinkConfig {
        LinkConfig {
            rate: None,
            delay: Duration::ZERO,
            loss: 0.0,
            rto: Duration::from_secs(1),
            segment: 1460,
            queue: 64 << 10,
            seed: 1,
        }
    }

    /// The poor link: 64 kbit/s each way, 600 ms round trip, 5 % loss.
    pub fn rural() -> LinkConfig {
        LinkConfig {
            rate: Some(64_000 / 8),
            delay: Duration::from_millis(300),
            loss: 0.05,
            ..LinkConfig::clear()
        }
    }
}

/// Which way bytes go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Way {
    /// Client → relay.
    Up,
    /// Relay → client.
    Down,
}

/// A planned cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cut {
    /// When this many bytes in total have been delivered this way.
    At(Way, u64),
    /// At the first byte coming down after this many bytes in total went up.
    ReplyAfterUp(u64),
}

struct Lane {
    /// When the link is free again.
    free_at: Mutex<Instant>,
    delivered: AtomicU64,
    segments: AtomicU64,
    lost: AtomicU64,
}

impl Lane {
    fn new() -> Lane {
        Lane {
            free_at: Mutex::new(Instant::now()),
            delivered: AtomicU64::new(0),
            segments: AtomicU64::new(0),
            lost: AtomicU64::new(0),
        }
    }
}

struct Shared {
    config: Mutex<LinkConfig>,
    rng: Mutex<u64>,
    up: Lane,
    down: Lane,
    cuts: Mutex<Vec<Cut>>,
    /// A reply-cut whose request has gone up: the next byte down cuts.
    reply_cut_armed: AtomicBool,
    cuts_done: AtomicU64,
    /// Every live connection's two sockets, so a cut can close them all.
    live: Mutex<Vec<(u64, TcpStream, TcpStream)>>,
    next_connection: AtomicU64,
    stop: AtomicBool,
}

impl Shared {
    fn lane(&self, way: Way) -> &Lane {
        match way {
            Way::Up => &self.up,
            Way::Down => &self.down,
        }
    }

    /// xorshift64*: repeatable, good enough to decide losses.
    fn chance(&self) -> f64 {
        let mut state = self.rng.lock().expect("rng");
        *state ^= *state >> 12;
        *state ^= *state << 25;
        *state ^= *state >> 27;
        let x = state.wrapping_mul(0x2545_f491_4f6c_dd1d);
        (x >> 11) as f64 / (1u64 << 53) as f64
    }

    /// When a segment of `len` bytes read now reaches the far side, and whether it was "lost".
    fn schedule(&self, way: Way, len: usize) -> (Instant, bool) {
        let config = *self.config.lock().expect("config");
        let lane = self.lane(way);
        lane.segments.fetch_add(1, Ordering::Relaxed);
        let lost = config.loss > 0.0 && self.chance() < config.loss;
        let now = Instant::now();
        let on_air = match config.rate {
            Some(rate) => Duration::from_secs_f64(len as f64 / rate.max(1) as f64),
            None => Duration::ZERO,
        };
        let mut free_at = lane.free_at.lock().expect("lane");
        let start = (*free_at).max(now);
        let sent = start + on_air;
        // A lost segment is sent again after the timeout and uses the link a second time.
        let (arrives, busy_until) = if lost {
            lane.lost.fetch_add(1, Ordering::Relaxed);
            let again = sent + config.rto;
            (again + on_air + config.delay, sent + on_air)
        } else {
            (sent + config.delay, sent)
        };
        *free_at = busy_until;
        (arrives, lost)
    }

    /// Drops every connection now.
    fn cut(&self) {
        // Counted first: the ends see the cut the moment the sockets shut.
        self.cuts_done.fetch_add(1, Ordering::SeqCst);
        self.reply_cut_armed.store(false, Ordering::SeqCst);
        let live = std::mem::take(&mut *self.live.lock().expect("live"));
        for (_, a, b) in &live {
            let _ = a.shutdown(Shutdown::Both);
            let _ = b.shutdown(Shutdown::Both);
        }
    }

    /// How many of `len` bytes going `way` may be delivered before a planned cut, if one is
    /// due within them.
    fn cut_within(&self, way: Way, len: usize) -> Option<usize> {
        if way == Way::Down && self.reply_cut_armed.load(Ordering::SeqCst) {
            return Some(0);
        }
        let done = self.lane(way).delivered.load(Ordering::SeqCst);
        let cuts = self.cuts.lock().expect("cuts");
        cuts.iter()
            .filter_map(|c| match *c {
                Cut::At(w, at) if w == way && at < done + len as u64 => {
                    Some(at.saturating_sub(done) as usize)
                }
                _ => None,
            })
            .min()
    }

    /// Bytes went `way`: count them and fire or arm what they reached.
    fn delivered(&self, way: Way, len: usize) {
        let total = self
            .lane(way)
            .delivered
            .fetch_add(len as u64, Ordering::SeqCst)
            + len as u64;
        if way == Way::Up {
            let mut cuts = self.cuts.lock().expect("cuts");
            let before = cuts.len();
            cuts.retain(|c| !matches!(*c, Cut::ReplyAfterUp(at) if at <= total));
            if cuts.len() != before {
                self.reply_cut_armed.store(true, Ordering::SeqCst);
            }
        }
    }

    fn forget_cut_at(&self, way: Way) {
        let done = self.lane(way).delivered.load(Ordering::SeqCst);
        self.cuts
            .lock()
            .expect("cuts")
            .retain(|c| !matches!(*c, Cut::At(w, at) if w == way && at <= done));
    }
}

/// The proxy. Dropping it stops accepting and closes every connection.
pub struct PoorLink {
    addr: SocketAddr,
    shared: Arc<Shared>,
}

impl std::fmt::Debug for PoorLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PoorLink")
            .field("addr", &self.addr)
            .finish()
    }
}

impl PoorLink {
    /// Listens on 127.0.0.1 (a free port) and forwards to `upstream` (`host:port`).
    pub fn start(upstream: &str, config: LinkConfig) -> PoorLink {
        let upstream: SocketAddr = upstream.parse().expect("an address like 127.0.0.1:8787");
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("address");
        let shared = Arc::new(Shared {
            config: Mutex::new(config),
            rng: Mutex::new(config.seed.max(1)),
            up: Lane::new(),
            down: Lane::new(),
            cuts: Mutex::new(Vec::new()),
            reply_cut_armed: AtomicBool::new(false),
            cuts_done: AtomicU64::new(0),
            live: Mutex::new(Vec::new()),
            next_connection: AtomicU64::new(0),
            stop: AtomicBool::new(false),
        });
        let accepting = shared.clone();
        thread::spawn(move || accept(listener, upstream, accepting));
        PoorLink { addr, shared }
    }

    /// `http://127.0.0.1:PORT`, to give a sync client.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Changes the link's behaviour for what is sent from now on.
    pub fn set(&self, config: LinkConfig) {
        *self.shared.config.lock().expect("config") = config;
    }

    pub fn bytes_up(&self) -> u64 {
        self.shared.up.delivered.load(Ordering::SeqCst)
    }

    pub fn bytes_down(&self) -> u64 {
        self.shared.down.delivered.load(Ordering::SeqCst)
    }

    /// Segments sent and segments "lost" (held back) that way so far.
    pub fn segments(&self, way: Way) -> (u64, u64) {
        let lane = self.shared.lane(way);
        (
            lane.segments.load(Ordering::Relaxed),
            lane.lost.load(Ordering::Relaxed),
        )
    }

    fn plan(&self, cut: Cut) {
        self.shared.cuts.lock().expect("cuts").push(cut);
    }

    /// Cuts every connection once `bytes` more have been delivered towards the client.
    pub fn cut_down_after(&self, bytes: u64) {
        let at = self.bytes_down() + bytes;
        self.plan(Cut::At(Way::Down, at));
    }

    /// Cuts every connection once `bytes` more have been delivered towards the relay.
    pub fn cut_up_after(&self, bytes: u64) {
        let at = self.bytes_up() + bytes;
        self.plan(Cut::At(Way::Up, at));
    }

    /// Lets the request that carries up-byte number `bytes` (counted from now) through, and
    /// cuts as soon as anything comes back: the relay acted on it, its answer is lost.
    pub fn cut_reply_after_up(&self, bytes: u64) {
        let at = self.bytes_up() + bytes;
        self.plan(Cut::ReplyAfterUp(at));
    }

    /// Drops every connection now.
    pub fn cut_now(&self) {
        self.shared.cut();
    }

    /// Planned cuts not reached yet.
    pub fn cuts_pending(&self) -> usize {
        self.shared.cuts.lock().expect("cuts").len()
            + usize::from(self.shared.reply_cut_armed.load(Ordering::SeqCst))
    }

    /// Cuts that happened (planned or [`PoorLink::cut_now`]).
    pub fn cuts_done(&self) -> u64 {
        self.shared.cuts_done.load(Ordering::SeqCst)
    }
}

impl Drop for PoorLink {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        self.shared.cut();
        // Wake the accept loop so it sees `stop`.
        let _ = TcpStream::connect(self.addr);
    }
}

fn accept(listener: TcpListener, upstream: SocketAddr, shared: Arc<Shared>) {
    for client in listener.incoming() {
        if shared.stop.load(Ordering::SeqCst) {
            return;
        }
        let Ok(client) = client else { continue };
        let Ok(server) = TcpStream::connect(upstream) else {
            let _ = client.shutdown(Shutdown::Both);
            continue;
        };
        let _ = client.set_nodelay(true);
        let _ = server.set_nodelay(true);
        let id = shared.next_connection.fetch_add(1, Ordering::SeqCst);
        let (Ok(c2), Ok(s2)) = (client.try_clone(), server.try_clone()) else {
            continue;
        };
        shared.live.lock().expect("live").push((id, c2, s2));
        for (way, from, to) in [(Way::Up, &client, &server), (Way::Down, &server, &client)] {
            let (Ok(from), Ok(to)) = (from.try_clone(), to.try_clone()) else {
                continue;
            };
            let shared = shared.clone();
            thread::spawn(move || pump(way, from, to, shared, id));
        }
    }
}

/// Segments in flight one way on one connection: read as they come, delivered when due.
struct Flight {
    queue: Mutex<InFlight>,
    ready: Condvar,
}

#[derive(Default)]
struct InFlight {
    /// Each segment with the time it is due at the far end.
    segments: VecDeque<(Instant, Vec<u8>)>,
    bytes: usize,
    /// The sender finished, or the connection is being torn down.
    closed: bool,
}

/// Moves one direction of one connection: a reader thread schedules segments on the shared
/// lane; this thread delivers them in order, each at its time.
fn pump(way: Way, mut from: TcpStream, to: TcpStream, shared: Arc<Shared>, id: u64) {
    let flight = Arc::new(Flight {
        queue: Mutex::new(InFlight::default()),
        ready: Condvar::new(),
    });
    let reader_flight = flight.clone();
    let reader_shared = shared.clone();
    let reader = thread::spawn(move || {
        let mut buf = vec![0u8; 64 << 10];
        loop {
            let (segment, queue_cap) = {
                let c = reader_shared.config.lock().expect("config");
                (c.segment.max(1), c.queue.max(c.segment))
            };
            let n = match from.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            for chunk in buf[..n].chunks(segment) {
                let (due, _lost) = reader_shared.schedule(way, chunk.len());
                let mut q = reader_flight.queue.lock().expect("flight");
                // The bottleneck's buffer: wait for room (the writer drains it).
                while q.bytes + chunk.len() > queue_cap && !q.closed && !q.segments.is_empty() {
                    q = reader_flight.ready.wait(q).expect("flight");
                }
                if q.closed {
                    return;
                }
                q.segments.push_back((due, chunk.to_vec()));
                q.bytes += chunk.len();
                reader_flight.ready.notify_all();
            }
        }
        let mut q = reader_flight.queue.lock().expect("flight");
        q.closed = true;
        reader_flight.ready.notify_all();
    });
    deliver(way, to, &flight, &shared, id);
    // Stop the reader too (it may be blocked on a full queue or a read).
    {
        let mut q = flight.queue.lock().expect("flight");
        q.closed = true;
        flight.ready.notify_all();
    }
    let _ = reader.join();
}

fn deliver(way: Way, mut to: TcpStream, flight: &Flight, shared: &Shared, id: u64) {
    loop {
        let (due, bytes) = {
            let mut q = flight.queue.lock().expect("flight");
            loop {
                if let Some(front) = q.segments.pop_front() {
                    q.bytes -= front.1.len();
                    flight.ready.notify_all();
                    break front;
                }
                if q.closed {
                    // The sender finished: pass the end on (half-close), as TCP would.
                    let _ = to.shutdown(Shutdown::Write);
                    return;
                }
                q = flight.ready.wait(q).expect("flight");
            }
        };
        let now = Instant::now();
        if due > now {
            thread::sleep(due - now);
        }
        let is_live = shared
            .live
            .lock()
            .expect("live")
            .iter()
            .any(|(c, _, _)| *c == id);
        if !is_live {
            return;
        }
        let allowed = shared.cut_within(way, bytes.len());
        let len = allowed.unwrap_or(bytes.len()).min(bytes.len());
        if len > 0 {
            // Counted (and a reply cut it reaches armed) before the bytes leave: the receiver
            // may read the counters, or answer, the moment they arrive.
            shared.delivered(way, len);
            if to.write_all(&bytes[..len]).is_err() {
                shared
                    .lane(way)
                    .delivered
                    .fetch_sub(len as u64, Ordering::SeqCst);
                return;
            }
        }
        if allowed.is_some() {
            shared.forget_cut_at(way);
            shared.cut();
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Echoes every byte back.
    fn echo_server() -> String {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr").to_string();
        thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                thread::spawn(move || {
                    let mut buf = [0u8; 8192];
                    while let Ok(n) = stream.read(&mut buf) {
                        if n == 0 || stream.write_all(&buf[..n]).is_err() {
                            break;
                        }
                    }
                });
            }
        });
        addr
    }

    fn pattern(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 7 % 251) as u8).collect()
    }

    /// Answers every request of exactly `len` bytes with "ok", like a server that reads a
    /// whole body before it replies.
    fn request_server(len: usize) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr").to_string();
        thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                thread::spawn(move || {
                    let mut body = vec![0u8; len];
                    if stream.read_exact(&mut body).is_ok() {
                        let _ = stream.write_all(b"ok");
                    }
                });
            }
        });
        addr
    }

    /// Sends `data` through the link and reads back until `expect` bytes or the end.
    fn exchange(link: &PoorLink, data: &[u8], expect: usize) -> (Vec<u8>, Duration) {
        let started = Instant::now();
        let mut stream = TcpStream::connect(link.addr).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(120)))
            .expect("timeout");
        let mut writer = stream.try_clone().expect("clone");
        let data = data.to_vec();
        // A cut may end the write early; that is what cuts do.
        let sending = thread::spawn(move || {
            let _ = writer.write_all(&data);
        });
        let mut back = Vec::new();
        let mut buf = [0u8; 8192];
        while back.len() < expect {
            match stream.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => back.extend_from_slice(&buf[..n]),
            }
        }
        sending.join().expect("sender");
        (back, started.elapsed())
    }

    fn echo(link: &PoorLink, data: &[u8]) -> (Vec<u8>, Duration) {
        exchange(link, data, data.len())
    }

    #[test]
    fn bytes_arrive_whole_and_in_order_and_are_counted_each_way() {
        let link = PoorLink::start(
            &echo_server(),
            LinkConfig {
                loss: 0.2,
                rto: Duration::from_millis(20),
                delay: Duration::from_millis(5),
                ..LinkConfig::clear()
            },
        );
        let data = pattern(300_000);
        let (back, _) = echo(&link, &data);
        assert_eq!(back.len(), data.len());
        assert!(back == data, "the echo differs from what was sent");
        assert_eq!(link.bytes_up(), data.len() as u64);
        assert_eq!(link.bytes_down(), data.len() as u64);
        // 300 KB in 1460-byte segments each way; about a fifth held back.
        let (segments, lost) = link.segments(Way::Up);
        assert!(segments >= 300_000 / 1460, "{segments} segments");
        let share = lost as f64 / segments as f64;
        assert!((0.12..0.28).contains(&share), "{lost} of {segments} lost");
    }

    #[test]
    fn the_rate_and_the_delay_cost_at_least_their_time() {
        // 20 KB/s, 100 ms each way: 40 KB up and the same 40 KB down overlap on two lanes, so
        // at least 2 s of link time plus one round trip. A loaded machine only adds to it.
        let link = PoorLink::start(
            &echo_server(),
            LinkConfig {
                rate: Some(20_000),
                delay: Duration::from_millis(100),
                ..LinkConfig::clear()
            },
        );
        let data = pattern(40_000);
        let (back, took) = echo(&link, &data);
        assert_eq!(back, data);
        assert!(took >= Duration::from_millis(2_200), "{took:?}");
        assert!(took < Duration::from_secs(60), "{took:?}");
    }

    #[test]
    fn a_small_exchange_costs_one_round_trip() {
        let link = PoorLink::start(
            &echo_server(),
            LinkConfig {
                delay: Duration::from_millis(300),
                ..LinkConfig::clear()
            },
        );
        let (back, took) = echo(&link, b"ping");
        assert_eq!(back, b"ping");
        assert!(took >= Duration::from_millis(600), "{took:?}");
        assert!(took < Duration::from_secs(30), "{took:?}");
    }

    #[test]
    fn a_cut_lands_exactly_where_planned_and_the_link_works_after_it() {
        let link = PoorLink::start(&echo_server(), LinkConfig::clear());
        link.cut_down_after(10_000);
        let (back, _) = echo(&link, &pattern(50_000));
        assert_eq!(
            back.len(),
            10_000,
            "the client got exactly the bytes before the cut"
        );
        assert_eq!(back, pattern(50_000)[..10_000]);
        assert_eq!(link.bytes_down(), 10_000);
        assert_eq!(link.cuts_done(), 1);
        assert_eq!(link.cuts_pending(), 0);
        // A new connection goes through.
        let before = link.bytes_down();
        let (again, _) = echo(&link, b"hello again");
        assert_eq!(again, b"hello again");
        assert_eq!(link.bytes_down() - before, 11);
    }

    #[test]
    fn a_reply_cut_lets_the_request_through_and_loses_the_answer() {
        let link = PoorLink::start(&request_server(5_000), LinkConfig::clear());
        link.cut_reply_after_up(1);
        let (back, _) = exchange(&link, &pattern(5_000), 2);
        assert!(back.is_empty(), "{} bytes came back", back.len());
        assert_eq!(link.bytes_up(), 5_000, "the whole request went up");
        assert_eq!(link.bytes_down(), 0);
        assert_eq!(link.cuts_done(), 1);
        // The next request gets its answer.
        let (back, _) = exchange(&link, &pattern(5_000), 2);
        assert_eq!(back, b"ok");
    }
}

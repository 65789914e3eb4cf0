//! Page sizes that fit the link.
//!
//! A sync request should take a few seconds ([`TARGET`]) whatever the link: on a LAN that is a
//! megabyte, on a phone in a field at 64 kbit/s about 25 KB. A page that takes minutes is lost
//! whole when the link drops, and one that takes milliseconds wastes round trips on a satellite
//! link with 600 ms of latency. So the driver measures every request (body bytes and elapsed
//! time, latency included) and sizes the next one from it, for each direction separately (links
//! are often asymmetric):
//!
//! * the first request of a session is small ([`START`]), and each one may at most double the
//!   next (like TCP's slow start), so an unknown link is never handed a huge page;
//! * a request that filled its page resets the budget to what the link moved per [`TARGET`]
//!   (measured with the latency in it, so on a long link the pages settle where the transfer
//!   plus one round trip takes [`TARGET`]);
//! * a request that was small because there was little left only ever raises the budget: its
//!   rate is a lower bound of what the link can do;
//! * a request that failed (a cut, an idle timeout) halves the budget of the direction it
//!   carried, as TCP halves its window on loss.
//!
//! Downloads are limited by envelope count (the protocol's `limit`), so bytes are turned into a
//! count with the average size of the envelopes received so far. Uploads are limited in bytes
//! directly, since this device picks what it pushes.
//!
//! No I/O here: the driver feeds in measurements, and the tests feed in made-up ones.

use std::time::Duration;

/// How long one request should take.
pub const TARGET: Duration = Duration::from_secs(4);
/// Bytes in the first request of a session, each way.
pub const START: usize = 16 << 10;
/// Never less than this per request.
pub const MIN: usize = 4 << 10;
/// The relay sends about a megabyte per page at most.
pub const MAX_DOWN: usize = 1 << 20;
/// Most bytes pushed in one request (the relay's default body limit is 8 MiB).
pub const MAX_UP: usize = 2 << 20;
/// Most envelopes pushed in one request (the relay's default limit is 1000).
pub const MAX_UP_ENVELOPES: usize = 400;
/// Most envelopes asked for in one page (the relay caps it at its own maximum).
const MAX_DOWN_ENVELOPES: u32 = 2000;
/// What an envelope weighs before any has been received (one chat message is ~0.5–1 KB).
const FIRST_ENVELOPE_GUESS: f64 = 1024.0;

/// Which way the bulk of a request went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Up,
    Down,
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct Lane {
    budget: usize,
    max: usize,
    /// Bytes per second of the last request that was big enough to tell.
    rate: Option<f64>,
}

impl Lane {
    fn new(max: usize) -> Lane {
        Lane {
            budget: START,
            max,
            rate: None,
        }
    }

    fn measured(&mut self, bytes: usize, elapsed: Duration) {
        let secs = elapsed.as_secs_f64().max(0.001);
        let rate = bytes as f64 / secs;
        let fits = (rate * TARGET.as_secs_f64()) as usize;
        let full = bytes >= self.budget / 2;
        let next = if full {
            self.rate = Some(rate);
            fits.clamp(self.budget / 4, self.budget.saturating_mul(2))
        } else {
            // Little was left to move: the rate says at least this much fits, maybe more.
            self.budget.max(fits.min(self.budget.saturating_mul(2)))
        };
        self.budget = next.clamp(MIN, self.max);
    }

    fn failed(&mut self) {
        self.budget = (self.budget / 2).clamp(MIN, self.max);
    }
}

/// The measured link, for one sync session (one [`crate::sync::driver::watch`], or one
/// [`crate::sync::driver::sync_once`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Pace {
    up: Lane,
    down: Lane,
    /// Average size of an envelope received, in bytes.
    envelope: f64,
    /// The best bytes per second any request achieved, either way (latency included, so a
    /// lower bound of what the link can do).
    best: f64,
}

impl Default for Pace {
    fn default() -> Pace {
        Pace::new()
    }
}

impl Pace {
    pub fn new() -> Pace {
        Pace {
            up: Lane::new(MAX_UP),
            down: Lane::new(MAX_DOWN),
            envelope: FIRST_ENVELOPE_GUESS,
            best: 0.0,
        }
    }

    /// Bytes of envelopes to push in the next request.
    pub fn push_budget(&self) -> usize {
        self.up.budget
    }

    /// How many envelopes to ask for in the next page.
    pub fn fetch_limit(&self) -> u32 {
        let n = (self.down.budget as f64 / self.envelope).floor();
        (n as u32).clamp(1, MAX_DOWN_ENVELOPES)
    }

    /// The budget of one direction, in bytes.
    pub fn budget(&self, direction: Direction) -> usize {
        match direction {
            Direction::Up => self.up.budget,
            Direction::Down => self.down.budget,
        }
    }

    /// Measured throughput of one direction (bytes per second), once a full request told.
    pub fn rate(&self, direction: Direction) -> Option<f64> {
        match direction {
            Direction::Up => self.up.rate,
            Direction::Down => self.down.rate,
        }
    }

    /// A request finished: `sent` body bytes out, `received` body bytes back holding
    /// `envelopes` envelopes, in `elapsed`.
    pub fn record(&mut self, sent: usize, received: usize, envelopes: usize, elapsed: Duration) {
        if envelopes > 0 {
            let size = received as f64 / envelopes as f64;
            self.envelope = 0.5 * self.envelope + 0.5 * size;
        }
        let rate = sent.max(received) as f64 / elapsed.as_secs_f64().max(0.001);
        self.best = self.best.max(rate);
        match Pace::direction(sent, received) {
            Direction::Up => self.up.measured(sent, elapsed),
            Direction::Down => self.down.measured(received, elapsed),
        }
    }

    /// A request of `sent` body bytes got no (complete) answer: the link was cut or went
    /// silent. The direction that request was meant to carry gets half the room.
    pub fn failed(&mut self, direction: Direction) {
        match direction {
            Direction::Up => self.up.failed(),
            Direction::Down => self.down.failed(),
        }
    }

    /// Which lane a request with these body sizes measures.
    pub fn direction(sent: usize, received: usize) -> Direction {
        if sent > received {
            Direction::Up
        } else {
            Direction::Down
        }
    }

    /// Whether `bytes` can go up in about two [`TARGET`]s, judging by the best throughput
    /// seen either way (or the upload budget, when nothing has been measured yet). Optional
    /// uploads (checkpoints) wait for a better link when not.
    pub fn affords_upload(&self, bytes: usize) -> bool {
        let seen = self.best * 2.0 * TARGET.as_secs_f64();
        bytes as f64 <= seen.max(self.up.budget as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A link of `rate` bytes/s and `rtt` latency, as the pacer sees it: elapsed time for a
    /// request that moves `bytes` one way.
    fn elapsed(bytes: usize, rate: f64, rtt: f64) -> Duration {
        Duration::from_secs_f64(rtt + bytes as f64 / rate)
    }

    /// Drives full-page downloads over a modelled link until the budget settles.
    fn settle_down(rate: f64, rtt: f64) -> Pace {
        let mut pace = Pace::new();
        for _ in 0..30 {
            let envelopes = pace.fetch_limit() as usize;
            let bytes = envelopes * 700;
            pace.record(60, bytes, envelopes, elapsed(bytes, rate, rtt));
        }
        pace
    }

    #[test]
    fn pages_settle_at_a_few_seconds_on_a_slow_long_link() {
        // 64 kbit/s = 8,000 bytes/s, 600 ms round trip.
        let pace = settle_down(8000.0, 0.6);
        let bytes = pace.fetch_limit() as usize * 700;
        let secs = elapsed(bytes, 8000.0, 0.6).as_secs_f64();
        assert!((3.0..=5.0).contains(&secs), "{secs} s per page ({bytes} B)");
    }

    #[test]
    fn pages_grow_to_the_relays_cap_on_a_fast_link() {
        let pace = settle_down(50e6, 0.002);
        assert_eq!(pace.budget(Direction::Down), MAX_DOWN);
        assert_eq!(pace.fetch_limit(), (MAX_DOWN / 700) as u32);
    }

    #[test]
    fn growth_is_at_most_double_per_request() {
        let mut pace = Pace::new();
        let before = pace.budget(Direction::Down);
        pace.record(60, before, 10, Duration::from_millis(1));
        assert_eq!(pace.budget(Direction::Down), before * 2);
        // Uploads are their own lane: untouched by a download.
        assert_eq!(pace.push_budget(), START);
    }

    #[test]
    fn a_cut_halves_only_the_lane_it_hit_and_never_below_the_floor() {
        let mut pace = Pace::new();
        pace.failed(Direction::Up);
        assert_eq!(pace.push_budget(), START / 2);
        assert_eq!(pace.budget(Direction::Down), START);
        for _ in 0..20 {
            pace.failed(Direction::Up);
        }
        assert_eq!(pace.push_budget(), MIN);
    }

    #[test]
    fn a_small_last_page_does_not_shrink_the_budget() {
        let mut pace = settle_down(8000.0, 0.6);
        let settled = pace.budget(Direction::Down);
        // Two envelopes left: the request is all latency.
        pace.record(60, 1400, 2, elapsed(1400, 8000.0, 0.6));
        assert_eq!(pace.budget(Direction::Down), settled);
    }

    #[test]
    fn a_slow_full_page_shrinks_the_budget() {
        let mut pace = settle_down(8000.0, 0.6);
        let settled = pace.budget(Direction::Down);
        // The link got four times slower (a loss burst, a busier cell).
        let envelopes = pace.fetch_limit() as usize;
        let bytes = envelopes * 700;
        pace.record(60, bytes, envelopes, elapsed(bytes, 2000.0, 0.6));
        assert!(pace.budget(Direction::Down) < settled / 2);
    }

    #[test]
    fn uploads_pace_on_their_own_measurements() {
        let mut pace = Pace::new();
        for _ in 0..30 {
            let bytes = pace.push_budget();
            pace.record(bytes, 40, 0, elapsed(bytes, 4000.0, 0.6));
        }
        let secs = elapsed(pace.push_budget(), 4000.0, 0.6).as_secs_f64();
        assert!((3.0..=5.0).contains(&secs), "{secs} s per push");
        assert!(pace.affords_upload(20_000));
        assert!(!pace.affords_upload(200_000));
    }

    #[test]
    fn a_checkpoint_waits_for_a_link_that_carries_it() {
        // Only small, latency-bound requests so far on a 600 ms link: 300 bytes in 0.7 s.
        let mut slow = Pace::new();
        slow.record(300, 60, 0, Duration::from_millis(700));
        assert!(slow.affords_upload(START));
        assert!(!slow.affords_upload(30_000));
        // The same small requests on a LAN say the link is fast.
        let mut fast = Pace::new();
        fast.record(300, 60, 0, Duration::from_millis(2));
        assert!(fast.affords_upload(500_000));
    }
}

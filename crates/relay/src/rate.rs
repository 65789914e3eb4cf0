//! Token buckets per client address and per space: `rate` requests a second, up to `burst` at
//! once. Hand-rolled because it is twenty lines and the relay needs nothing fancier.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Instant;

use mutua_protocol::SpaceId;

/// Buckets are forgotten when full again; the map is swept when it grows past this.
const SWEEP_ABOVE: usize = 10_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Key {
    Client(IpAddr),
    Space(SpaceId),
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

#[derive(Debug)]
pub struct RateLimiter {
    rate: f64,
    burst: f64,
    buckets: Mutex<HashMap<Key, Bucket>>,
}

impl RateLimiter {
    pub fn new(rate_per_sec: f64, burst: u32) -> RateLimiter {
        RateLimiter {
            rate: rate_per_sec.max(0.001),
            burst: f64::from(burst.max(1)),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one token for each key, or none and says how many whole seconds to wait.
    pub fn check(&self, keys: &[Key]) -> Result<(), u64> {
        self.check_at(keys, Instant::now())
    }

    fn check_at(&self, keys: &[Key], now: Instant) -> Result<(), u64> {
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() > SWEEP_ABOVE {
            let (rate, burst) = (self.rate, self.burst);
            buckets.retain(|_, b| {
                b.tokens + now.saturating_duration_since(b.at).as_secs_f64() * rate < burst
            });
        }
        let mut wait = 0.0f64;
        for key in keys {
            let b = buckets.entry(*key).or_insert(Bucket {
                tokens: self.burst,
                at: now,
            });
            b.tokens = (b.tokens + now.saturating_duration_since(b.at).as_secs_f64() * self.rate)
                .min(self.burst);
            b.at = now;
            if b.tokens < 1.0 {
                wait = wait.max((1.0 - b.tokens) / self.rate);
            }
        }
        if wait > 0.0 {
            return Err(wait.ceil().max(1.0) as u64);
        }
        for key in keys {
            if let Some(b) = buckets.get_mut(key) {
                b.tokens -= 1.0;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_burst_passes_then_the_rate_holds() {
        let limiter = RateLimiter::new(2.0, 3);
        let key = [Key::Client(IpAddr::from([127, 0, 0, 1]))];
        let t0 = Instant::now();
        for _ in 0..3 {
            assert_eq!(limiter.check_at(&key, t0), Ok(()));
        }
        assert_eq!(limiter.check_at(&key, t0), Err(1));
        assert_eq!(
            limiter.check_at(&key, t0 + Duration::from_millis(500)),
            Ok(())
        );
        assert!(
            limiter
                .check_at(&key, t0 + Duration::from_millis(500))
                .is_err()
        );
        let other = [Key::Space(SpaceId([1; 16]))];
        assert_eq!(limiter.check_at(&other, t0), Ok(()), "buckets are separate");
    }
}

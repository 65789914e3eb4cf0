//! Live wake-ups for long-polls: "space S is now at position P".
//!
//! Each space someone waits on has a `watch` channel holding the newest position this process
//! has heard of. Pushes in this process publish after commit; with PostgreSQL, the listener
//! publishes what other processes committed. A waiter subscribes *before* it reads the database,
//! so a push between the read and the wait still wakes it.
//!
//! When the cross-process feed is down the notifier is *degraded*: waiters also read the
//! database every [`POLL_WHILE_DEGRADED`]. Any change of that flag wakes every waiter once, so
//! nothing committed while the feed was switching is missed.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mutua_protocol::SpaceId;
use tokio::sync::watch;

pub const POLL_WHILE_DEGRADED: Duration = Duration::from_secs(1);

/// Entries nobody waits on are dropped once the map has grown past this.
const PRUNE_ABOVE: usize = 1024;

#[derive(Clone)]
pub struct Notifier {
    inner: Arc<Inner>,
}

struct Inner {
    spaces: Mutex<HashMap<SpaceId, watch::Sender<u64>>>,
    degraded: watch::Sender<bool>,
}

impl Default for Notifier {
    fn default() -> Notifier {
        Notifier {
            inner: Arc::new(Inner {
                spaces: Mutex::new(HashMap::new()),
                degraded: watch::Sender::new(false),
            }),
        }
    }
}

impl std::fmt::Debug for Notifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Notifier")
            .field("degraded", &self.is_degraded())
            .finish_non_exhaustive()
    }
}

fn raise(sender: &watch::Sender<u64>, position: u64) {
    sender.send_if_modified(|p| {
        if position > *p {
            *p = position;
            true
        } else {
            false
        }
    });
}

impl Notifier {
    /// Space `space` has reached `position`.
    pub fn publish(&self, space: SpaceId, position: u64) {
        let spaces = self.inner.spaces.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(sender) = spaces.get(&space) {
            raise(sender, position);
        }
    }

    /// A receiver that changes when `space` moves past what it has seen (at least `known`).
    pub fn subscribe(&self, space: SpaceId, known: u64) -> watch::Receiver<u64> {
        let mut spaces = self.inner.spaces.lock().unwrap_or_else(|p| p.into_inner());
        if spaces.len() > PRUNE_ABOVE {
            spaces.retain(|_, s| s.receiver_count() > 0);
        }
        let sender = spaces
            .entry(space)
            .or_insert_with(|| watch::Sender::new(known));
        raise(sender, known);
        sender.subscribe()
    }

    pub fn set_degraded(&self, degraded: bool) {
        self.inner.degraded.send_if_modified(|d| {
            let changed = *d != degraded;
            *d = degraded;
            changed
        });
    }

    pub fn is_degraded(&self) -> bool {
        *self.inner.degraded.borrow()
    }

    pub fn degraded_changes(&self) -> watch::Receiver<bool> {
        self.inner.degraded.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_publish_wakes_a_subscriber_and_old_news_does_not() {
        let n = Notifier::default();
        let space = SpaceId([1; 16]);
        let mut rx = n.subscribe(space, 5);
        n.publish(space, 4);
        assert!(!rx.has_changed().expect("open"));
        n.publish(space, 6);
        rx.changed().await.expect("open");
        assert_eq!(*rx.borrow_and_update(), 6);
        n.publish(SpaceId([2; 16]), 9);
        assert!(!rx.has_changed().expect("open"));
    }
}

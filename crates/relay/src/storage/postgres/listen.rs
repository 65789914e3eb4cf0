//! The cross-process feed: one connection per relay process `LISTEN`s on [`CHANNEL`] and
//! publishes what other processes committed to the in-process [`Notifier`].

use std::time::Duration;

use futures_util::StreamExt;
use mutua_protocol::SpaceId;
use tokio::sync::mpsc;
use tokio_postgres::AsyncMessage;

use super::CHANNEL;
use super::pool::connect;
use crate::notify::Notifier;

/// Keeps one connection `LISTEN`ing, reconnecting with backoff, and feeds `notifier`.
pub(super) async fn listen(url: String, notifier: Notifier) {
    let mut backoff = Duration::from_millis(200);
    loop {
        match connect(&url).await {
            Ok((client, mut connection)) => {
                let (tx, mut rx) = mpsc::unbounded_channel();
                let driver = tokio::spawn(async move {
                    let mut messages =
                        futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
                    while let Some(message) = messages.next().await {
                        match message {
                            Ok(AsyncMessage::Notification(n)) => {
                                if tx.send(n.payload().to_owned()).is_err() {
                                    break;
                                }
                            }
                            Ok(_) => {}
                            Err(e) => {
                                tracing::warn!(error = %e, "the PostgreSQL listener connection failed");
                                break;
                            }
                        }
                    }
                });
                match client.batch_execute(&format!("LISTEN {CHANNEL}")).await {
                    Ok(()) => {
                        tracing::info!("listening for other relay processes on PostgreSQL");
                        notifier.set_degraded(false);
                        backoff = Duration::from_millis(200);
                        while let Some(payload) = rx.recv().await {
                            if let Some((space, position)) = parse_payload(&payload) {
                                notifier.publish(space, position);
                            }
                        }
                        tracing::warn!(
                            "the PostgreSQL listener disconnected; polling until it is back"
                        );
                    }
                    Err(e) => tracing::warn!(error = %e, "LISTEN failed"),
                }
                driver.abort();
            }
            Err(e) => tracing::warn!(error = %e, "cannot connect the PostgreSQL listener"),
        }
        notifier.set_degraded(true);
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(10));
    }
}

fn parse_payload(payload: &str) -> Option<(SpaceId, u64)> {
    let (space, position) = payload.split_once(':')?;
    Some((space.parse().ok()?, position.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notification_payloads_round_trip() {
        let space = SpaceId([0xAB; 16]);
        let payload = format!("{}:{}", space.to_hex(), 42);
        assert_eq!(parse_payload(&payload), Some((space, 42)));
        assert_eq!(parse_payload("nonsense"), None);
        assert_eq!(parse_payload("abcd:1"), None);
    }
}

//! The relay as devices meet it: the real `mutua-relay` binary over HTTP, on SQLite and on a
//! real PostgreSQL, every scenario on both.

use std::collections::{BTreeSet, HashSet};
use std::time::{Duration, Instant};

use mutua_protocol::{
    Checkpoints, Envelope, EpochKey, ErrorCode, HaveEntry, Rekey, Rekeys, SpaceInfo, SyncRequest,
    SyncResponse, WaitRequest, WaitResponse, WaitSpace, paths,
};
use mutua_tests::postgres::TempPostgres;
use mutua_tests::relay::{RelayClient, RelayProcess, RelayStorage, TestSpace};
use reqwest::Method;
use tempfile::TempDir;

/// A fresh database for one test: a SQLite file in a temporary directory, or a temporary
/// PostgreSQL server.
struct Db {
    dir: TempDir,
    pg: Option<TempPostgres>,
    storage: RelayStorage,
}

impl Db {
    fn sqlite() -> Db {
        let dir = tempfile::tempdir().expect("tempdir");
        let storage = RelayStorage::Sqlite(dir.path().join("relay.db"));
        Db {
            dir,
            pg: None,
            storage,
        }
    }

    fn postgres() -> Db {
        let pg = TempPostgres::start();
        let storage = RelayStorage::Postgres(pg.url());
        Db {
            dir: tempfile::tempdir().expect("tempdir"),
            pg: Some(pg),
            storage,
        }
    }

    fn relay(&self) -> RelayProcess {
        RelayProcess::start(&self.storage)
    }

    fn relay_with(&self, args: &[&str]) -> RelayProcess {
        RelayProcess::start_with(&self.storage, args)
    }
}

macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name(super::Db::sqlite()).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name(super::Db::postgres()).await
            }
        }
    )*};
}

on_both_backends!(
    push_and_pull_in_pages,
    a_duplicate_push_is_skipped,
    out_of_order_seqs_are_held_and_the_vector_stays_honest,
    the_since_cursor_misses_nothing_from_concurrent_writers,
    strangers_are_turned_away,
    a_rekey_revokes_the_old_token_but_not_its_way_back,
    limits_answer_413_and_store_nothing,
    the_rate_limit_answers_429_with_retry_after,
    broken_requests_get_clear_errors,
    a_long_poll_wakes_on_a_push_and_times_out_empty,
    an_acknowledged_push_survives_sigkill,
    sigterm_answers_open_long_polls_and_exits_cleanly,
    checkpoints_round_trip,
    the_relay_never_holds_or_logs_plaintext,
    health_and_metrics,
);

/// Sends envelopes without asking for anything back.
fn push_only(push: Vec<Envelope>) -> SyncRequest {
    SyncRequest {
        push,
        since: Some(u64::MAX),
        ..SyncRequest::default()
    }
}

fn plaintext(i: usize) -> Vec<u8> {
    format!("QX-secret-message-{i}").into_bytes()
}

async fn push_and_pull_in_pages(db: Db) {
    let relay = db.relay();
    let client = RelayClient::new(relay.url());
    let space = TestSpace::new();
    let info = client.open(&space).await;
    assert_eq!(info.position, 0);

    let all: Vec<Envelope> = (1..=1200)
        .map(|i| {
            space.seal(
                &format!("chat/{}", i % 3),
                1,
                (i / 3 + 1) as u64,
                &plaintext(i),
            )
        })
        .collect();
    // Distinct (doc, seq) pairs: i % 3 picks the doc, i / 3 + 1 the seq.
    for chunk in all.chunks(400) {
        let r = client.sync(&space, &push_only(chunk.to_vec())).await;
        assert_eq!(r.stored, 400);
        assert!(r.envelopes.is_empty(), "a push is not echoed");
    }

    // A new device with nothing: three pages.
    let started = Instant::now();
    let mut got = Vec::new();
    let mut request = SyncRequest {
        limit: 500,
        ..SyncRequest::default()
    };
    let mut pages = 0;
    loop {
        let r = client.sync(&space, &request).await;
        pages += 1;
        got.extend(r.envelopes);
        if !r.more {
            assert_eq!(r.position, 1200, "the last page reports the head");
            break;
        }
        request = SyncRequest {
            since: Some(r.position),
            limit: 500,
            ..SyncRequest::default()
        };
    }
    println!(
        "pulled 1200 envelopes in {pages} pages in {:?}",
        started.elapsed()
    );
    assert_eq!(pages, 3);
    assert_eq!(got.len(), 1200);
    let wanted: HashSet<_> = all.iter().map(Envelope::to_bytes).collect();
    let received: HashSet<_> = got.iter().map(Envelope::to_bytes).collect();
    assert_eq!(wanted, received);
    for (i, e) in all.iter().enumerate().take(5) {
        let back = got
            .iter()
            .find(|g| g.header() == e.header())
            .expect("present");
        assert_eq!(
            back.open(&space.key, &space.signer.verifying_key())
                .expect("opens"),
            plaintext(i + 1)
        );
    }

    // With a vector instead of a cursor: only what the device lacks.
    let have: Vec<HaveEntry> = (0..3)
        .map(|d| HaveEntry {
            doc: space.doc(&format!("chat/{d}")),
            device: space.device(1),
            seq: 390,
        })
        .collect();
    let r = client
        .sync(
            &space,
            &SyncRequest {
                have,
                want_vector: true,
                ..SyncRequest::default()
            },
        )
        .await;
    assert!(!r.more);
    assert!(r.envelopes.iter().all(|e| e.header().seq > 390));
    assert_eq!(
        r.envelopes.len(),
        1200 - 3 * 390 + 1,
        "seqs 391..=401 of chat/0, 391..=400 of the others"
    );
    // chat/0 holds seqs 2..=401: with seq 1 missing, the relay may not claim any of it.
    let vector: HashSet<_> = r.vector.expect("asked for").into_iter().collect();
    let claim = |doc: &str, seq| HaveEntry {
        doc: space.doc(doc),
        device: space.device(1),
        seq,
    };
    assert_eq!(
        vector,
        HashSet::from([claim("chat/1", 400), claim("chat/2", 400)])
    );

    // Already in sync: the handshake that happens most costs a few bytes.
    let in_sync = SyncRequest {
        since: Some(1200),
        ..SyncRequest::default()
    };
    let reply = client.sync_raw(&space.id, &space.token(), &in_sync).await;
    let response: SyncResponse = reply.ok();
    assert!(response.envelopes.is_empty() && !response.more);
    let request_bytes = mutua_protocol::encode(&in_sync).len();
    println!(
        "in-sync handshake: {request_bytes} request body bytes, {} response body bytes",
        reply.body.len()
    );
    assert!(request_bytes + reply.body.len() < 32);
}

async fn a_duplicate_push_is_skipped(db: Db) {
    let relay = db.relay();
    let client = RelayClient::new(relay.url());
    let space = TestSpace::new();
    client.open(&space).await;
    let batch: Vec<_> = (1..=10).map(|s| space.seal("meta", 1, s, b"x")).collect();
    let first = client.sync(&space, &push_only(batch.clone())).await;
    assert_eq!((first.stored, first.position), (10, 10));
    let info_before = client.open(&space).await;
    // The same ten again, plus one new and a repeat inside the request.
    let mut again = batch.clone();
    again.push(space.seal("meta", 1, 11, b"y"));
    again.push(again[0].clone());
    let second = client.sync(&space, &push_only(again)).await;
    assert_eq!((second.stored, second.position), (1, 11));
    let info_after = client.open(&space).await;
    assert_eq!(info_after.position, 11);
    assert!(info_after.used_bytes > info_before.used_bytes);
    let all = client.sync(&space, &SyncRequest::default()).await;
    assert_eq!(all.envelopes.len(), 11);
}

async fn out_of_order_seqs_are_held_and_the_vector_stays_honest(db: Db) {
    let relay = db.relay();
    let client = RelayClient::new(relay.url());
    let space = TestSpace::new();
    client.open(&space).await;
    let e: Vec<_> = (1..=3).map(|s| space.seal("cal", 2, s, b"z")).collect();
    let vector_after = |r: SyncResponse| r.vector.expect("asked for");
    let ask = |push: Vec<Envelope>| SyncRequest {
        push,
        since: Some(u64::MAX),
        want_vector: true,
        ..SyncRequest::default()
    };
    let v = vector_after(client.sync(&space, &ask(vec![e[2].clone()])).await);
    assert!(
        v.is_empty(),
        "holding only seq 3, the relay cannot claim 1..=3: {v:?}"
    );
    let v = vector_after(client.sync(&space, &ask(vec![e[0].clone()])).await);
    assert_eq!(v.iter().map(|h| h.seq).collect::<Vec<_>>(), vec![1]);
    let v = vector_after(client.sync(&space, &ask(vec![e[1].clone()])).await);
    assert_eq!(v.iter().map(|h| h.seq).collect::<Vec<_>>(), vec![3]);

    let have = vec![HaveEntry {
        doc: space.doc("cal"),
        device: space.device(2),
        seq: 1,
    }];
    let r = client
        .sync(
            &space,
            &SyncRequest {
                have,
                ..SyncRequest::default()
            },
        )
        .await;
    let seqs: BTreeSet<u64> = r.envelopes.iter().map(|e| e.header().seq).collect();
    assert_eq!(seqs, BTreeSet::from([2, 3]));
    // Oldest position first: 3 was stored before 2.
    assert_eq!(r.envelopes[0].header().seq, 3);
}

async fn the_since_cursor_misses_nothing_from_concurrent_writers(db: Db) {
    let relay = db.relay();
    let client = RelayClient::new(relay.url());
    let space = std::sync::Arc::new(TestSpace::new());
    client.open(&space).await;
    const WRITERS: u8 = 4;
    const PER_WRITER: u64 = 60;
    let mut writers = Vec::new();
    for w in 0..WRITERS {
        let client = client.clone();
        let space = space.clone();
        writers.push(tokio::spawn(async move {
            let mut sent = Vec::new();
            for batch in 0..(PER_WRITER / 3) {
                let push: Vec<_> = (1..=3)
                    .map(|k| space.seal("chat", w, batch * 3 + k, b"c"))
                    .collect();
                sent.extend(push.iter().map(Envelope::to_bytes));
                let r = client.sync(&space, &push_only(push)).await;
                assert_eq!(r.stored, 3);
            }
            sent
        }));
    }
    // A reader follows the cursor while they write, with small pages.
    let reader = {
        let client = client.clone();
        let space = space.clone();
        tokio::spawn(async move {
            let mut seen = Vec::new();
            let mut since = 0;
            let total = u64::from(WRITERS) * PER_WRITER;
            let deadline = Instant::now() + Duration::from_secs(60);
            while (seen.len() as u64) < total && Instant::now() < deadline {
                let r = client
                    .sync(
                        &space,
                        &SyncRequest {
                            since: Some(since),
                            limit: 7,
                            ..SyncRequest::default()
                        },
                    )
                    .await;
                assert!(r.position >= since, "the cursor never goes back");
                since = r.position;
                seen.extend(r.envelopes.iter().map(Envelope::to_bytes));
            }
            seen
        })
    };
    let mut sent = HashSet::new();
    for w in writers {
        sent.extend(w.await.expect("writer"));
    }
    let seen = reader.await.expect("reader");
    let unique: HashSet<_> = seen.iter().cloned().collect();
    assert_eq!(unique.len(), seen.len(), "no envelope came twice");
    assert_eq!(unique, sent, "the cursor saw exactly what the writers sent");
}

async fn strangers_are_turned_away(db: Db) {
    let relay = db.relay();
    let client = RelayClient::new(relay.url());
    let space = TestSpace::new();
    client.open(&space).await;
    let stranger = EpochKey::generate().expect("key").token(&space.id);
    let reply = client
        .sync_raw(&space.id, &stranger, &SyncRequest::default())
        .await;
    assert_eq!(reply.status, 401);
    assert_eq!(reply.error().code, ErrorCode::Unauthorized);
    let reply = client
        .send(
            Method::POST,
            &paths::sync(&space.id),
            None,
            Some(mutua_protocol::encode(&SyncRequest::default())),
        )
        .await;
    assert_eq!(
        (reply.status, reply.error().code),
        (401, ErrorCode::Unauthorized)
    );

    // Someone else claiming an existing space: 409, and the space is unchanged.
    let mut imposter = TestSpace::new();
    imposter.id = space.id;
    let reply = client
        .send(
            Method::PUT,
            &paths::space(&space.id),
            Some(&imposter.token()),
            Some(mutua_protocol::encode(&imposter.open_body())),
        )
        .await;
    assert_eq!(
        (reply.status, reply.error().code),
        (409, ErrorCode::Conflict)
    );
    // A token that does not hash to the credential offered proves nothing.
    let other = TestSpace::new();
    let reply = client
        .send(
            Method::PUT,
            &paths::space(&other.id),
            Some(&space.token()),
            Some(mutua_protocol::encode(&other.open_body())),
        )
        .await;
    assert_eq!(
        (reply.status, reply.error().code),
        (401, ErrorCode::Unauthorized)
    );
    // A space nobody opened.
    let reply = client
        .sync_raw(&other.id, &other.token(), &SyncRequest::default())
        .await;
    assert_eq!(
        (reply.status, reply.error().code),
        (404, ErrorCode::NotFound)
    );
    // Opening again with the right token is fine.
    assert_eq!(client.open(&space).await.epoch, 0);
}

async fn a_rekey_revokes_the_old_token_but_not_its_way_back(db: Db) {
    let relay = db.relay();
    let client = RelayClient::new(relay.url());
    let mut space = TestSpace::new();
    client.open(&space).await;
    let old_envelope = space.seal("meta", 1, 1, b"epoch zero");
    client.sync(&space, &push_only(vec![old_envelope])).await;
    let old_token = space.token();

    let new_key = EpochKey::generate().expect("key");
    let new_token = new_key.token(&space.id);
    let rekey = |epoch| Rekey {
        epoch,
        token_hash: new_token.hash(),
        sealed: b"opaque sealed keys".to_vec(),
    };
    let send_rekey = |token, body: Rekey| {
        let client = client.clone();
        let id = space.id;
        async move {
            client
                .send(
                    Method::POST,
                    &paths::rekey(&id),
                    Some(&token),
                    Some(mutua_protocol::encode(&body)),
                )
                .await
        }
    };
    let skip = send_rekey(old_token.clone(), rekey(2)).await;
    assert_eq!((skip.status, skip.error().code), (409, ErrorCode::Conflict));
    let info: SpaceInfo = send_rekey(old_token.clone(), rekey(1)).await.ok();
    assert_eq!(info.epoch, 1);
    let again = send_rekey(old_token.clone(), rekey(2)).await;
    assert_eq!(again.status, 401, "only the current token may rekey");
    assert_eq!(again.error().code, ErrorCode::TokenRevoked);

    let reply = client
        .sync_raw(&space.id, &old_token, &SyncRequest::default())
        .await;
    assert_eq!(reply.status, 401);
    let error = reply.error();
    assert_eq!(
        (error.code, error.epoch),
        (ErrorCode::TokenRevoked, Some(1))
    );

    // The member who was away fetches the rekey with the token it still has.
    let rekeys: Rekeys = client
        .send(
            Method::GET,
            &paths::rekeys(&space.id, 0),
            Some(&old_token),
            None,
        )
        .await
        .ok();
    assert_eq!(rekeys.rekeys, vec![rekey(1)]);
    let none: Rekeys = client
        .send(
            Method::GET,
            &paths::rekeys(&space.id, 1),
            Some(&new_token),
            None,
        )
        .await
        .ok();
    assert!(none.rekeys.is_empty());

    // The new epoch works; envelopes of the old epoch are still accepted, newer ones are not.
    space.key = new_key;
    space.epoch = 1;
    let old_epoch = {
        let mut s = TestSpace::new();
        s.id = space.id;
        s.seal("meta", 2, 1, b"late from epoch zero")
    };
    let r = client
        .sync(
            &space,
            &push_only(vec![old_epoch, space.seal("meta", 1, 2, b"epoch one")]),
        )
        .await;
    assert_eq!(r.stored, 2);
    let mut ahead = TestSpace::new();
    ahead.id = space.id;
    ahead.epoch = 5;
    let reply = client
        .sync_raw(
            &space.id,
            &space.token(),
            &push_only(vec![ahead.seal("meta", 3, 1, b"x")]),
        )
        .await;
    assert_eq!(
        (reply.status, reply.error().code),
        (400, ErrorCode::BadRequest)
    );
    let reopened = client
        .send(
            Method::PUT,
            &paths::space(&space.id),
            Some(&old_token),
            Some(mutua_protocol::encode(&mutua_protocol::OpenSpace {
                epoch: 0,
                token_hash: old_token.hash(),
            })),
        )
        .await;
    assert_eq!(reopened.error().code, ErrorCode::TokenRevoked);
}

async fn limits_answer_413_and_store_nothing(db: Db) {
    let relay = db.relay_with(&[
        "--rate",
        "10000",
        "--burst",
        "10000",
        "--max-body-bytes",
        "200000",
        "--max-envelopes",
        "50",
        "--quota-bytes",
        "20000",
    ]);
    let client = RelayClient::new(relay.url());
    let space = TestSpace::new();
    let info = client.open(&space).await;
    assert_eq!(info.quota_bytes, 20000);

    let huge = vec![0u8; 300_000];
    let reply = client
        .send(
            Method::POST,
            &paths::sync(&space.id),
            Some(&space.token()),
            Some(huge),
        )
        .await;
    assert_eq!(
        (reply.status, reply.error().code),
        (413, ErrorCode::BodyTooLarge)
    );

    let many: Vec<_> = (1..=51).map(|s| space.seal("d", 1, s, b"m")).collect();
    let reply = client
        .sync_raw(&space.id, &space.token(), &push_only(many))
        .await;
    assert_eq!(
        (reply.status, reply.error().code),
        (413, ErrorCode::TooManyEnvelopes)
    );

    // 50 envelopes of ~600 bytes: 30 kB, over the 20 kB quota. None may be stored.
    let big: Vec<_> = (1..=50)
        .map(|s| space.seal("d", 1, s, &[7u8; 400]))
        .collect();
    let reply = client
        .sync_raw(&space.id, &space.token(), &push_only(big))
        .await;
    assert_eq!(
        (reply.status, reply.error().code),
        (413, ErrorCode::QuotaExceeded)
    );
    assert!(
        reply.error().message.contains("quota"),
        "{}",
        reply.error().message
    );
    let info = client.open(&space).await;
    assert_eq!(
        (info.position, info.used_bytes),
        (0, 0),
        "nothing was stored"
    );
    let r = client.sync(&space, &SyncRequest::default()).await;
    assert!(r.envelopes.is_empty());

    // Within the quota it works, and a checkpoint counts against it too.
    let small: Vec<_> = (1..=10)
        .map(|s| space.seal("d", 1, s, &[7u8; 400]))
        .collect();
    assert_eq!(client.sync(&space, &push_only(small)).await.stored, 10);
    let checkpoint = space.seal("d", 1, 11, &[1u8; 16_000]);
    let reply = client
        .send(
            Method::PUT,
            &paths::checkpoints(&space.id),
            Some(&space.token()),
            Some(mutua_protocol::encode(&checkpoint)),
        )
        .await;
    assert_eq!(reply.error().code, ErrorCode::QuotaExceeded);
}

async fn the_rate_limit_answers_429_with_retry_after(db: Db) {
    let relay = db.relay_with(&["--rate", "1", "--burst", "3"]);
    let client = RelayClient::new(relay.url());
    let mut statuses = Vec::new();
    let mut limited = None;
    for _ in 0..6 {
        let reply = client.send(Method::GET, paths::HEALTH, None, None).await;
        statuses.push(reply.status);
        if reply.status == 429 {
            limited = Some(reply);
        }
    }
    assert_eq!(
        &statuses[..3],
        &[200, 200, 200],
        "the burst passes: {statuses:?}"
    );
    let limited = limited.expect("then 429");
    let error = limited.error();
    assert_eq!(error.code, ErrorCode::RateLimited);
    let secs = error.retry_after_secs.expect("retry_after_secs");
    assert!((1..=2).contains(&secs));
    assert_eq!(
        limited
            .headers
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some(secs.to_string().as_str())
    );
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let reply = client.send(Method::GET, paths::HEALTH, None, None).await;
    assert_eq!(reply.status, 200, "the bucket refills");
    let metrics = client.send(Method::GET, paths::METRICS, None, None).await;
    if metrics.status == 200 {
        let text = String::from_utf8_lossy(&metrics.body);
        assert!(!text.contains("mutua_relay_rate_limited_total 0"), "{text}");
    }
}

async fn broken_requests_get_clear_errors(db: Db) {
    let relay = db.relay();
    let client = RelayClient::new(relay.url());
    let space = TestSpace::new();
    client.open(&space).await;
    let token = space.token();
    let sync = paths::sync(&space.id);

    let garbage = client
        .send(Method::POST, &sync, Some(&token), Some(vec![0xFF; 64]))
        .await;
    assert_eq!(
        (garbage.status, garbage.error().code),
        (400, ErrorCode::Malformed)
    );

    let full = mutua_protocol::encode(&push_only(vec![space.seal("d", 1, 1, b"t")]));
    for cut in [1, full.len() / 2, full.len() - 1] {
        let reply = client
            .send(
                Method::POST,
                &sync,
                Some(&token),
                Some(full[..cut].to_vec()),
            )
            .await;
        assert_eq!(
            (reply.status, reply.error().code),
            (400, ErrorCode::Malformed),
            "cut at {cut}"
        );
    }
    let empty = client
        .send(Method::POST, &sync, Some(&token), Some(Vec::new()))
        .await;
    assert_eq!(empty.status, 400);

    let json = client
        .send_as(
            Method::POST,
            &sync,
            Some(&token),
            Some(b"{}".to_vec()),
            "application/json",
        )
        .await;
    assert_eq!(
        (json.status, json.error().code),
        (415, ErrorCode::UnsupportedVersion)
    );
    let v2 = client
        .send_as(
            Method::POST,
            &sync,
            Some(&token),
            Some(full.clone()),
            "application/vnd.mutua.v2+postcard",
        )
        .await;
    assert_eq!(v2.status, 415);

    let wrong_space = TestSpace::new();
    let foreign = wrong_space.seal("d", 1, 1, b"f");
    let reply = client
        .sync_raw(&space.id, &token, &push_only(vec![foreign]))
        .await;
    assert_eq!(
        (reply.status, reply.error().code),
        (400, ErrorCode::BadRequest)
    );

    let unknown = client
        .send(Method::GET, "/v1/nothing-here", None, None)
        .await;
    assert_eq!(
        (unknown.status, unknown.error().code),
        (404, ErrorCode::NotFound)
    );
    let bad_space = client
        .send(
            Method::POST,
            "/v1/spaces/not-hex/sync",
            Some(&token),
            Some(full),
        )
        .await;
    assert_eq!(bad_space.status, 404);
    assert_eq!(bad_space.error().code, ErrorCode::NotFound);

    // Nothing of that was stored, and the relay is fine.
    let info = client.open(&space).await;
    assert_eq!(info.position, 0);
}

fn wait_body(space: &TestSpace, since: u64, timeout_ms: u32) -> Vec<u8> {
    mutua_protocol::encode(&WaitRequest {
        spaces: vec![WaitSpace {
            space: space.id,
            token: space.token(),
            since,
        }],
        timeout_ms,
    })
}

async fn a_long_poll_wakes_on_a_push_and_times_out_empty(db: Db) {
    let relay = db.relay();
    let client = RelayClient::new(relay.url());
    let space = std::sync::Arc::new(TestSpace::new());
    client.open(&space).await;

    let started = Instant::now();
    let idle: WaitResponse = client
        .send(
            Method::POST,
            paths::WAIT,
            None,
            Some(wait_body(&space, 0, 700)),
        )
        .await
        .ok();
    assert!(idle.changed.is_empty());
    assert!(
        started.elapsed() >= Duration::from_millis(650),
        "{:?}",
        started.elapsed()
    );

    let waiter = {
        let client = client.clone();
        let body = wait_body(&space, 0, 20_000);
        tokio::spawn(async move {
            let started = Instant::now();
            let reply = client
                .send(Method::POST, paths::WAIT, None, Some(body))
                .await;
            (reply.ok::<WaitResponse>(), started.elapsed())
        })
    };
    tokio::time::sleep(Duration::from_millis(400)).await;
    client
        .sync(&space, &push_only(vec![space.seal("chat", 1, 1, b"hi")]))
        .await;
    let (woke, after) = waiter.await.expect("waiter");
    assert_eq!(woke.changed, vec![(space.id, 1)]);
    assert!(after < Duration::from_secs(5), "woke after {after:?}");

    // Already ahead: answers at once.
    let started = Instant::now();
    let now: WaitResponse = client
        .send(
            Method::POST,
            paths::WAIT,
            None,
            Some(wait_body(&space, 0, 20_000)),
        )
        .await
        .ok();
    assert_eq!(now.changed, vec![(space.id, 1)]);
    assert!(started.elapsed() < Duration::from_secs(2));

    // A wait with a wrong token is refused.
    let mut stranger = TestSpace::new();
    stranger.id = space.id;
    let reply = client
        .send(
            Method::POST,
            paths::WAIT,
            None,
            Some(wait_body(&stranger, 0, 100)),
        )
        .await;
    assert_eq!(reply.status, 401);
}

async fn an_acknowledged_push_survives_sigkill(db: Db) {
    let mut relay = db.relay();
    let client = RelayClient::new(relay.url());
    let space = TestSpace::new();
    client.open(&space).await;
    let envelope = space.seal("journal", 1, 1, b"must survive");
    let r = client
        .sync(&space, &push_only(vec![envelope.clone()]))
        .await;
    assert_eq!(r.stored, 1);
    relay.kill_hard();
    relay.restart();
    let client = RelayClient::new(relay.url());
    let r = client.sync(&space, &SyncRequest::default()).await;
    assert_eq!(r.envelopes, vec![envelope]);
}

async fn sigterm_answers_open_long_polls_and_exits_cleanly(db: Db) {
    let mut relay = db.relay();
    let client = RelayClient::new(relay.url());
    let space = TestSpace::new();
    client.open(&space).await;
    let waiter = {
        let client = client.clone();
        let body = wait_body(&space, 0, 50_000);
        tokio::spawn(async move {
            let started = Instant::now();
            let reply = client
                .send(Method::POST, paths::WAIT, None, Some(body))
                .await;
            (reply, started.elapsed())
        })
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    let status = tokio::task::spawn_blocking(move || {
        let status = relay.terminate();
        (status, relay)
    })
    .await
    .expect("terminate");
    let (reply, after) = waiter.await.expect("waiter");
    assert_eq!(
        reply.status,
        200,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    assert!(reply.ok::<WaitResponse>().changed.is_empty());
    assert!(after < Duration::from_secs(10), "answered after {after:?}");
    assert!(status.0.success(), "exit status {:?}", status.0);
    let logs = status.1.logs();
    assert!(logs.contains("database closed"), "{logs}");
}

async fn checkpoints_round_trip(db: Db) {
    let relay = db.relay();
    let client = RelayClient::new(relay.url());
    let space = TestSpace::new();
    client.open(&space).await;
    let put = |e: Envelope| {
        let client = client.clone();
        let id = space.id;
        let token = space.token();
        async move {
            client
                .send(
                    Method::PUT,
                    &paths::checkpoints(&id),
                    Some(&token),
                    Some(mutua_protocol::encode(&e)),
                )
                .await
        }
    };
    let first = space.seal("meta", 1, 5, b"snapshot one");
    let info: SpaceInfo = put(first).await.ok();
    let used_one = info.used_bytes;
    let newer = space.seal("meta", 1, 9, b"snapshot two, longer");
    let info: SpaceInfo = put(newer.clone()).await.ok();
    assert!(
        info.used_bytes > used_one && info.used_bytes < 2 * used_one,
        "replaced, not added"
    );
    let other = space.seal("calendar", 1, 1, b"cal");
    put(other.clone()).await.ok::<SpaceInfo>();
    let got: Checkpoints = client
        .send(
            Method::GET,
            &paths::checkpoints(&space.id),
            Some(&space.token()),
            None,
        )
        .await
        .ok();
    let got: HashSet<_> = got.checkpoints.iter().map(Envelope::to_bytes).collect();
    assert_eq!(got, HashSet::from([newer.to_bytes(), other.to_bytes()]));
}

async fn the_relay_never_holds_or_logs_plaintext(db: Db) {
    let mut relay = db.relay();
    let client = RelayClient::new(relay.url());
    let space = TestSpace::new();
    client.open(&space).await;
    let marker = b"QX-secret-message";
    let push: Vec<_> = (1..=20)
        .map(|s| {
            space.seal(
                "chat",
                1,
                s,
                &[marker.as_slice(), &s.to_be_bytes()].concat(),
            )
        })
        .collect();
    client.sync(&space, &push_only(push)).await;
    let checkpoint = space.seal("chat", 1, 21, b"QX-secret-message in a snapshot");
    client
        .send(
            Method::PUT,
            &paths::checkpoints(&space.id),
            Some(&space.token()),
            Some(mutua_protocol::encode(&checkpoint)),
        )
        .await
        .ok::<SpaceInfo>();
    client.sync(&space, &SyncRequest::default()).await;
    // Bad requests log too; they must not echo what they carried.
    client
        .send(
            Method::POST,
            &paths::sync(&space.id),
            Some(&space.token()),
            Some(marker.to_vec()),
        )
        .await;
    relay.terminate();

    let token_hex = space.token().to_hex();
    let space_hex = space.id.to_hex();
    let logs = relay.logs();
    assert!(
        logs.contains("route=/v1/spaces/{space}/sync"),
        "requests are logged:\n{logs}"
    );
    for (what, needle) in [
        ("plaintext", "QX-secret".to_string()),
        ("token", token_hex.clone()),
        ("space id", space_hex.clone()),
    ] {
        assert!(
            !logs.contains(&needle),
            "the logs contain the {what}:\n{logs}"
        );
    }

    let marker_hex = hex::encode(marker);
    match &db.storage {
        RelayStorage::Sqlite(path) => {
            let mut checked = 0;
            for entry in std::fs::read_dir(db.dir.path()).expect("dir") {
                let file = entry.expect("entry").path();
                let bytes = std::fs::read(&file).expect("read");
                checked += bytes.len();
                assert!(
                    !bytes.windows(marker.len()).any(|w| w == marker),
                    "{} holds plaintext",
                    file.display()
                );
                assert!(
                    !bytes
                        .windows(32)
                        .any(|w| w == hex::decode(&token_hex).expect("hex")),
                    "{} holds the token itself",
                    file.display()
                );
            }
            assert!(path.is_file());
            assert!(
                checked > 20 * 100,
                "the database holds the envelopes ({checked} bytes)"
            );
        }
        RelayStorage::Postgres(_) => {
            let pg = db.pg.as_ref().expect("postgres");
            let dump = pg.dump();
            assert!(dump.contains("COPY public.envelopes"), "{dump}");
            assert!(!dump.contains("QX-secret"));
            assert!(
                !dump.contains(&marker_hex),
                "hex-encoded plaintext in the dump"
            );
            assert!(!dump.contains(&token_hex), "the token itself in the dump");
            // Every bytea column, raw.
            let columns = pg.psql(
                "SELECT table_name || '.' || column_name FROM information_schema.columns
                 WHERE table_schema = 'public' AND data_type IN ('bytea', 'text')",
            );
            for column in columns.lines().filter(|l| !l.is_empty()) {
                let (table, col) = column.split_once('.').expect("table.column");
                let found = pg.psql(&format!(
                    "SELECT count(*) FROM {table} WHERE position('\\x{marker_hex}'::bytea in {col}::bytea) > 0"
                ));
                assert_eq!(found.trim(), "0", "{column} holds plaintext");
            }
        }
    }
}

async fn health_and_metrics(db: Db) {
    let relay = db.relay();
    let client = RelayClient::new(relay.url());
    let health = client.send(Method::GET, paths::HEALTH, None, None).await;
    assert_eq!(health.status, 200);
    let json: serde_json::Value = serde_json::from_slice(&health.body).expect("json");
    let kind = match db.storage {
        RelayStorage::Sqlite(_) => "sqlite",
        RelayStorage::Postgres(_) => "postgres",
    };
    assert_eq!(
        json,
        serde_json::json!({"status": "ok", "version": 1, "storage": kind})
    );

    let space = TestSpace::new();
    client.open(&space).await;
    client
        .sync(
            &space,
            &push_only(vec![
                space.seal("d", 1, 1, b"m"),
                space.seal("d", 1, 2, b"n"),
            ]),
        )
        .await;
    let metrics = client.send(Method::GET, paths::METRICS, None, None).await;
    assert_eq!(metrics.status, 200);
    let text = String::from_utf8(metrics.body).expect("text");
    assert!(
        text.contains(r#"mutua_relay_requests_total{route="/v1/spaces/{space}/sync",method="POST",status="200"} 1"#),
        "{text}"
    );
    assert!(
        text.contains("mutua_relay_envelopes_stored_total 2"),
        "{text}"
    );
    assert!(text.contains("mutua_relay_open_long_polls 0"), "{text}");
    assert!(!text.contains(&space.id.to_hex()));
}

/// Two relay processes on one PostgreSQL: a device long-polling process A hears about an
/// envelope pushed to process B (LISTEN/NOTIFY), within a fraction of the polling fallback.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_on_one_postgres_wake_each_others_long_polls() {
    let db = Db::postgres();
    let a = db.relay();
    let b = db.relay();
    let client_a = RelayClient::new(a.url());
    let client_b = RelayClient::new(b.url());
    let space = std::sync::Arc::new(TestSpace::new());
    client_a.open(&space).await;
    assert_eq!(
        client_b.open(&space).await.epoch,
        0,
        "B sees the space A created"
    );
    // Let both listeners connect.
    tokio::time::sleep(Duration::from_millis(500)).await;

    for round in 1..=3u64 {
        let waiter = {
            let client = client_a.clone();
            let body = wait_body(&space, round - 1, 20_000);
            tokio::spawn(async move {
                let reply = client
                    .send(Method::POST, paths::WAIT, None, Some(body))
                    .await;
                (reply.ok::<WaitResponse>(), Instant::now())
            })
        };
        tokio::time::sleep(Duration::from_millis(300)).await;
        let pushed_at = Instant::now();
        let r = client_b
            .sync(
                &space,
                &push_only(vec![space.seal("chat", 2, round, b"from b")]),
            )
            .await;
        assert_eq!(r.stored, 1);
        let (woke, at) = waiter.await.expect("waiter");
        assert_eq!(woke.changed, vec![(space.id, round)]);
        let latency = at.saturating_duration_since(pushed_at);
        println!("round {round}: A woke {latency:?} after the push to B");
        assert!(
            latency < Duration::from_millis(900),
            "woke after {latency:?}: not by NOTIFY"
        );
    }
    // And what B stored, A serves.
    let r = client_a.sync(&space, &SyncRequest::default()).await;
    assert_eq!(r.envelopes.len(), 3);
}

//! Measure 5, Mutua's side: the relay under load from our own generator (tokio + reqwest),
//! bounded in count and time, loopback only.
//!
//! * Throughput: `writers` devices, each in its own space, push one sealed envelope per request
//!   (a ~300-byte chat message, as a live device does), each waiting for the answer before the
//!   next; posts per second over the whole run.
//! * Live delivery: `docs` spaces with `per_doc` devices each long-polling (`/v1/wait`), so
//!   `docs × per_doc` waiting clients; one device posts into the spaces in turn at a steady
//!   pace. A delivery is timed from the start of the post until a waiting device, woken by the
//!   relay, has fetched the envelope with its sync request (what the app does on waking).
//!
//! Envelopes are sealed before the clock starts: the relay is measured, not our crypto.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use mutua_protocol::{
    CONTENT_TYPE, Envelope, SyncRequest, SyncResponse, Token, WaitRequest, WaitResponse, WaitSpace,
    paths,
};
use mutua_tests::relay::TestSpace;
use serde::Serialize;

use crate::stats::percentile;
use crate::text::{self, Rng};

#[derive(Debug, Clone, Copy, Serialize)]
pub struct LoadPlan {
    pub writers: usize,
    pub posts: usize,
    pub docs: usize,
    pub per_doc: usize,
    pub live_posts: usize,
    pub pace_ms: u64,
    pub max_secs: u64,
}

impl LoadPlan {
    pub const FULL: LoadPlan = LoadPlan {
        writers: 32,
        posts: 20_000,
        docs: 100,
        per_doc: 10,
        live_posts: 1_000,
        pace_ms: 20,
        max_secs: 120,
    };
    pub const QUICK: LoadPlan = LoadPlan {
        writers: 32,
        posts: 3_000,
        docs: 100,
        per_doc: 10,
        live_posts: 200,
        pace_ms: 20,
        max_secs: 40,
    };
    pub const TINY: LoadPlan = LoadPlan {
        writers: 2,
        posts: 20,
        docs: 2,
        per_doc: 2,
        live_posts: 4,
        pace_ms: 5,
        max_secs: 20,
    };
}

#[derive(Debug, Clone, Serialize)]
pub struct Throughput {
    pub posts: usize,
    pub secs: f64,
    pub posts_per_sec: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Latency {
    pub waiters: usize,
    pub posts: usize,
    pub deliveries: usize,
    pub expected: usize,
    pub p50_ms: f64,
    pub p99_ms: f64,
}

fn client() -> Result<reqwest::Client> {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .pool_max_idle_per_host(2_000)
        .build()
        .context("an HTTP client")
}

async fn call<T: serde::de::DeserializeOwned>(
    http: &reqwest::Client,
    url: String,
    method: reqwest::Method,
    token: Option<&Token>,
    body: Vec<u8>,
) -> Result<T> {
    let mut req = http
        .request(method, url)
        .header("content-type", CONTENT_TYPE)
        .header("accept", CONTENT_TYPE)
        .body(body);
    if let Some(token) = token {
        req = req.header("authorization", format!("Bearer {}", token.to_hex()));
    }
    let resp = req.send().await.context("the relay did not answer")?;
    let status = resp.status();
    let bytes = resp.bytes().await.context("reading the answer")?;
    if !status.is_success() {
        bail!(
            "the relay answered {status}: {}",
            String::from_utf8_lossy(&bytes)
        );
    }
    mutua_protocol::decode(&bytes).map_err(|e| anyhow!("an unreadable answer: {e}"))
}

async fn open(http: &reqwest::Client, base: &str, space: &TestSpace) -> Result<()> {
    let _: mutua_protocol::SpaceInfo = call(
        http,
        format!("{base}{}", paths::space(&space.id)),
        reqwest::Method::PUT,
        Some(&space.token()),
        mutua_protocol::encode(&space.open_body()),
    )
    .await?;
    Ok(())
}

async fn sync(
    http: &reqwest::Client,
    base: &str,
    space: &TestSpace,
    since: u64,
    push: Vec<Envelope>,
) -> Result<SyncResponse> {
    let request = SyncRequest {
        have: Vec::new(),
        since: Some(since),
        push,
        want_vector: false,
        limit: 0,
    };
    call(
        http,
        format!("{base}{}", paths::sync(&space.id)),
        reqwest::Method::POST,
        Some(&space.token()),
        mutua_protocol::encode(&request),
    )
    .await
}

fn plaintext(rng: &mut Rng) -> Vec<u8> {
    // A chat message change is ~200–400 bytes of Automerge; use message text padded to that.
    let mut body = text::message(rng, 400).into_bytes();
    body.resize(300, b' ');
    body
}

pub async fn throughput(base: &str, plan: LoadPlan) -> Result<Throughput> {
    let http = client()?;
    let mut rng = Rng::new(5);
    let mut jobs = Vec::new();
    for w in 0..plan.writers {
        let space = TestSpace::new();
        open(&http, base, &space).await?;
        let count = plan.posts / plan.writers + usize::from(w < plan.posts % plan.writers);
        let envelopes: Vec<Envelope> = (0..count)
            .map(|i| space.seal("chat", 1, i as u64 + 1, &plaintext(&mut rng)))
            .collect();
        jobs.push((space, envelopes));
    }
    let deadline = Instant::now() + Duration::from_secs(plan.max_secs);
    let started = Instant::now();
    let done = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for (space, envelopes) in jobs {
        let (http, base, done) = (http.clone(), base.to_owned(), done.clone());
        tasks.push(tokio::spawn(async move {
            let mut since = 0;
            for e in envelopes {
                if Instant::now() > deadline {
                    break;
                }
                let r = sync(&http, &base, &space, since, vec![e]).await?;
                since = r.position;
                done.fetch_add(1, Ordering::Relaxed);
            }
            Ok::<_, anyhow::Error>(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    let secs = started.elapsed().as_secs_f64();
    let posts = done.load(Ordering::Relaxed);
    Ok(Throughput {
        posts,
        secs,
        posts_per_sec: posts as f64 / secs,
    })
}

pub async fn latency(base: &str, plan: LoadPlan) -> Result<Latency> {
    let http = client()?;
    let spaces: Vec<Arc<TestSpace>> = (0..plan.docs).map(|_| Arc::new(TestSpace::new())).collect();
    for s in &spaces {
        open(&http, base, s).await?;
    }
    let started_at: Arc<Mutex<HashMap<(usize, u64), Instant>>> = Arc::default();
    let samples: Arc<Mutex<Vec<f64>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let waiting = Arc::new(AtomicUsize::new(0));
    let mut waiters = Vec::new();
    for (d, space) in spaces.iter().enumerate() {
        for _ in 0..plan.per_doc {
            let (http, base, space) = (http.clone(), base.to_owned(), space.clone());
            let (started_at, samples, stop, waiting) = (
                started_at.clone(),
                samples.clone(),
                stop.clone(),
                waiting.clone(),
            );
            waiters.push(tokio::spawn(async move {
                let mut since = 0u64;
                let mut counted = false;
                while !stop.load(Ordering::Relaxed) {
                    let request = WaitRequest {
                        spaces: vec![WaitSpace {
                            space: space.id,
                            token: space.token(),
                            since,
                        }],
                        timeout_ms: 25_000,
                    };
                    if !counted {
                        waiting.fetch_add(1, Ordering::SeqCst);
                        counted = true;
                    }
                    let woke: WaitResponse = call(
                        &http,
                        format!("{base}{}", paths::WAIT),
                        reqwest::Method::POST,
                        None,
                        mutua_protocol::encode(&request),
                    )
                    .await?;
                    if woke.changed.is_empty() {
                        continue;
                    }
                    let r = sync(&http, &base, &space, since, Vec::new()).await?;
                    let now = Instant::now();
                    for e in &r.envelopes {
                        if let Some(t0) = started_at
                            .lock()
                            .map_err(|_| anyhow!("poisoned"))?
                            .get(&(d, e.header().seq))
                        {
                            samples
                                .lock()
                                .map_err(|_| anyhow!("poisoned"))?
                                .push((now - *t0).as_secs_f64() * 1000.0);
                        }
                    }
                    since = r.position;
                }
                Ok::<_, anyhow::Error>(())
            }));
        }
    }
    let total = plan.docs * plan.per_doc;
    let ready_by = Instant::now() + Duration::from_secs(60);
    while waiting.load(Ordering::SeqCst) < total && Instant::now() < ready_by {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Let the last long-polls reach the relay.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let mut rng = Rng::new(6);
    let mut seqs = vec![0u64; plan.docs];
    let mut positions = vec![0u64; plan.docs];
    let deadline = Instant::now() + Duration::from_secs(plan.max_secs);
    let mut posts = 0;
    for i in 0..plan.live_posts {
        if Instant::now() > deadline {
            break;
        }
        let d = i % plan.docs;
        seqs[d] += 1;
        let envelope = spaces[d].seal("chat", 2, seqs[d], &plaintext(&mut rng));
        started_at
            .lock()
            .map_err(|_| anyhow!("poisoned"))?
            .insert((d, seqs[d]), Instant::now());
        positions[d] = sync(&http, base, &spaces[d], positions[d], vec![envelope])
            .await?
            .position;
        posts += 1;
        tokio::time::sleep(Duration::from_millis(plan.pace_ms)).await;
    }
    let expected = posts * plan.per_doc;
    let until = Instant::now() + Duration::from_secs(10);
    while samples.lock().map_err(|_| anyhow!("poisoned"))?.len() < expected
        && Instant::now() < until
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    stop.store(true, Ordering::Relaxed);
    for w in &waiters {
        w.abort();
    }
    let samples = samples.lock().map_err(|_| anyhow!("poisoned"))?.clone();
    Ok(Latency {
        waiters: waiting.load(Ordering::SeqCst),
        posts,
        deliveries: samples.len(),
        expected,
        p50_ms: percentile(&samples, 50.0),
        p99_ms: percentile(&samples, 99.0),
    })
}

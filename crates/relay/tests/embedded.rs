//! The relay embedded in another program (as the LAN hub will): `Relay::open` on a SQLite file,
//! `serve` on a listener bound to port 0, a sync round trip, then a clean shutdown. The full
//! scenarios, on both backends and on the real binary, live in `tests/tests/relay.rs`.

use std::time::Duration;

use ed25519_dalek::SigningKey;
use mutua_protocol::{
    CONTENT_TYPE, Envelope, EpochKey, NamingKey, OpenSpace, SpaceId, SpaceInfo, SyncRequest,
    SyncResponse, paths,
};
use mutua_relay::{Config, Relay, StorageKind};

async fn post(
    http: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    token: &str,
    body: Vec<u8>,
) -> Vec<u8> {
    let response = http
        .request(method, url)
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", CONTENT_TYPE)
        .body(body)
        .send()
        .await
        .expect("the relay answers");
    assert_eq!(response.status().as_u16(), 200);
    response.bytes().await.expect("body").to_vec()
}

#[tokio::test]
async fn an_embedded_relay_serves_and_shuts_down() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = Config {
        database: dir.path().join("hub.db").display().to_string(),
        ..Config::default()
    };
    let relay = Relay::open(config).await.expect("open");
    assert_eq!(relay.storage_kind(), StorageKind::Sqlite);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(relay.serve(listener, async {
        let _ = stopped.await;
    }));

    let http = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client");
    let space = SpaceId([3; 16]);
    let key = EpochKey::from_bytes([4; 32]);
    let token = key.token(&space);
    let open = OpenSpace {
        epoch: 0,
        token_hash: token.hash(),
    };
    let info: SpaceInfo = mutua_protocol::decode(
        &post(
            &http,
            reqwest::Method::PUT,
            format!("{base}{}", paths::space(&space)),
            &token.to_hex(),
            mutua_protocol::encode(&open),
        )
        .await,
    )
    .expect("space info");
    assert_eq!(info.position, 0);

    let naming = NamingKey::from_bytes([5; 32]);
    let signer = SigningKey::from_bytes(&[6; 32]);
    let envelope = Envelope::seal(
        space,
        naming.doc_tag("group/x/chat"),
        naming.device_tag(&signer.verifying_key().to_bytes()),
        1,
        0,
        b"hello hub",
        &key,
        &signer,
    )
    .expect("seal");
    let sync = |request: SyncRequest| {
        let http = http.clone();
        let url = format!("{base}{}", paths::sync(&space));
        let token = token.to_hex();
        async move {
            let body = post(
                &http,
                reqwest::Method::POST,
                url,
                &token,
                mutua_protocol::encode(&request),
            )
            .await;
            mutua_protocol::decode::<SyncResponse>(&body).expect("sync response")
        }
    };
    let pushed = sync(SyncRequest {
        push: vec![envelope.clone()],
        since: Some(0),
        ..SyncRequest::default()
    })
    .await;
    assert_eq!((pushed.stored, pushed.position), (1, 1));
    assert!(pushed.envelopes.is_empty(), "not echoed");
    let pulled = sync(SyncRequest::default()).await;
    assert_eq!(pulled.envelopes, vec![envelope]);

    stop.send(()).expect("server running");
    tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .expect("stops promptly")
        .expect("joins")
        .expect("serves cleanly");
}

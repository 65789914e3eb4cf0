//! `mutua-relay serve`: the relay as a program. Logs go to stderr (`RUST_LOG`, default `info`);
//! stdout carries exactly one line, the address it listens on.

use std::io::{IsTerminal as _, Write as _};
use std::net::SocketAddr;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use mutua_relay::{Config, Limits, Relay};
use tracing_subscriber::EnvFilter;

#[derive(Debug, Parser)]
#[command(
    name = "mutua-relay",
    version,
    about = "Mutua's sync relay: stores and forwards encrypted envelopes"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the relay API over HTTP.
    Serve(Serve),
}

#[derive(Debug, clap::Args)]
struct Serve {
    /// Address to listen on (port 0 picks a free port; the line on stdout says which).
    #[arg(long, default_value = "127.0.0.1:8787")]
    listen: SocketAddr,
    /// A SQLite file, or a postgres:// URL shared by several relay processes.
    #[arg(long, env = "MUTUA_RELAY_DATABASE", default_value = "./mutua-relay.db")]
    database: String,
    /// Largest request body in bytes.
    #[arg(long, default_value_t = Limits::default().max_body_bytes)]
    max_body_bytes: usize,
    /// Most envelopes pushed in one request.
    #[arg(long, default_value_t = Limits::default().max_envelopes)]
    max_envelopes: usize,
    /// Bytes one space may store (envelopes and checkpoints).
    #[arg(long, default_value_t = Limits::default().quota_bytes)]
    quota_bytes: u64,
    /// Requests per second allowed per client address and per space.
    #[arg(long, default_value_t = Limits::default().rate_per_sec)]
    rate: f64,
    /// Requests allowed at once before the rate applies.
    #[arg(long, default_value_t = Limits::default().burst)]
    burst: u32,
    /// Take the client address from this header (last entry), e.g. X-Forwarded-For, when
    /// behind a proxy you trust.
    #[arg(long)]
    client_ip_header: Option<String>,
}

/// Never more than this from the PostgreSQL driver, whatever `RUST_LOG` says.
const QUIET_POSTGRES: &str = "tokio_postgres=info";

fn main() -> anyhow::Result<()> {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info"))
        // tokio-postgres quotes query parameters (ciphertext, token hashes) at debug level.
        .add_directive(QUIET_POSTGRES.parse().expect("a valid directive"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .init();
    let Command::Serve(args) = Cli::parse().command;
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(serve(args))
}

async fn serve(args: Serve) -> anyhow::Result<()> {
    let config = Config {
        database: args.database,
        limits: Limits {
            max_body_bytes: args.max_body_bytes,
            max_envelopes: args.max_envelopes,
            quota_bytes: args.quota_bytes,
            rate_per_sec: args.rate,
            burst: args.burst,
            client_ip_header: args.client_ip_header,
            ..Limits::default()
        },
    };
    let relay = Relay::open(config)
        .await
        .context("cannot open the relay's database")?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let addr = listener.local_addr()?;
    let mut stdout = std::io::stdout().lock();
    writeln!(
        stdout,
        "mutua-relay listening on http://{addr} (storage: {})",
        relay.storage_kind().name()
    )?;
    stdout.flush()?;
    drop(stdout);
    relay.serve(listener, stop_signal()).await?;
    Ok(())
}

/// Ctrl-C or SIGTERM, whichever comes first.
async fn stop_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = ctrl_c => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = ctrl_c.await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}

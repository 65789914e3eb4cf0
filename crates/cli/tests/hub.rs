//! The meeting hub on the real binary: a laptop runs `mutua hub serve`, another member syncs
//! with it by `mutua sync --hub ADDRESS`, and messages cross both ways with no relay; the host
//! stops cleanly on SIGTERM and says how many devices synced. Bad addresses and a taken port are
//! refused in one line.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::{Data, strings};
use serde_json::Value;

const GROUP: &str = "Village hall circle";

fn thread(device: &Data) -> Vec<String> {
    let page = device.json(&["message", "list", "--group", GROUP]);
    let mut texts = strings(&page["messages"], "text");
    texts.sort();
    texts
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// A running `mutua hub serve`: its first stdout line, and its stderr lines as they come.
struct Serving {
    child: Child,
    banner: Value,
    stdout: BufReader<std::process::ChildStdout>,
    lines: mpsc::Receiver<String>,
}

impl Serving {
    fn start(host: &Data, listen: &str) -> Serving {
        let mut cmd = host.command();
        cmd.args([
            "--json",
            "hub",
            "serve",
            "--listen",
            listen,
            "--no-announce",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("start mutua hub serve");
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let stderr = BufReader::new(child.stderr.take().expect("stderr"));
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in stderr.lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut first = String::new();
        stdout.read_line(&mut first).expect("the banner");
        let banner: Value = serde_json::from_str(&first)
            .unwrap_or_else(|e| panic!("the hub printed no JSON banner ({e}): {first:?}"));
        Serving {
            child,
            banner,
            stdout,
            lines,
        }
    }

    /// Waits for a line of the host's own loop that received something.
    fn wait_received(&self) -> String {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = self
                .lines
                .recv_timeout(left)
                .expect("the host's own loop took nothing in within a minute");
            if line.starts_with("[hub] synced:") && !line.contains(": 0 received") {
                return line;
            }
        }
    }

    /// SIGTERM; answers the rest of stdout (the summary) once the process ended by itself.
    fn stop(mut self) -> Value {
        let pid = self.child.id().to_string();
        let status = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill");
        assert!(status.success());
        let mut rest = String::new();
        std::io::Read::read_to_string(&mut self.stdout, &mut rest).expect("stdout");
        let exit = self.child.wait().expect("wait");
        assert!(exit.success(), "the hub ended with {exit}");
        serde_json::from_str(&rest).unwrap_or_else(|e| panic!("no summary ({e}): {rest:?}"))
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn two_members_sync_through_a_hub_on_the_command_line() {
    let ana = Data::init("Ana G.", "Europe/Madrid");
    ana.json(&["group", "create", "--name", GROUP]);
    let invite = ana.json(&["invite", "create", "--group", GROUP, "--no-qr"]);
    let code = invite["code"].as_str().expect("code").to_owned();
    let bea = Data::init("Bea R.", "America/Bogota");
    bea.json(&["invite", "accept", &code]);
    ana.json(&["message", "send", "--group", GROUP, "QX tea at seven"]);

    let listen = format!("0.0.0.0:{}", free_port());
    let hub = Serving::start(&ana, &listen);
    let number = hub.banner["hub"]
        .as_str()
        .expect("the hub's number")
        .to_owned();
    assert_eq!(number.len(), 4, "{}", hub.banner);
    assert_eq!(hub.banner["relay"], Value::Null);
    assert_eq!(hub.banner["announced"], false);
    // The address the host's screen shows (a test machine has a network interface).
    let address = hub.banner["addresses"][0]
        .as_str()
        .unwrap_or_else(|| panic!("no address to type: {}", hub.banner))
        .to_owned();
    assert!(address.ends_with(&listen[7..]), "{address}");

    // Bea syncs until the host's own loop has put its data on the hub.
    let deadline = Instant::now() + Duration::from_secs(60);
    let arrived = || {
        let run = bea.run(&["--json", "message", "list", "--group", GROUP]);
        // "No group matches" until the group itself has come through the hub.
        run.success() && run.stdout.contains("QX tea at seven")
    };
    while !arrived() {
        assert!(Instant::now() < deadline, "Ana's message never reached Bea");
        bea.json(&["sync", "--hub", &address]);
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(thread(&bea), ["QX tea at seven"]);
    bea.json(&["message", "send", "--group", GROUP, "QX I bring the cups"]);
    while hub.lines.try_recv().is_ok() {}
    bea.json(&["sync", "--hub", &address]);
    let line = hub.wait_received();
    assert!(line.contains("received"), "{line}");

    // A second host on the same port is refused in one line; a nonsense address too.
    bea.fails_with(
        &["hub", "serve", "--listen", &listen, "--no-announce"],
        &["could not listen", "--listen"],
    );
    bea.fails(&["sync", "--hub", "the village hall"]);

    let summary = hub.stop();
    assert_eq!(summary["stopped"], number.as_str(), "{summary}");
    assert_eq!(summary["devices_synced"], 1, "{summary}");
    assert_eq!(thread(&ana), ["QX I bring the cups", "QX tea at seven"]);
}

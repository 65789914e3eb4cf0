//! The progress line of `mutua sync`: where the round is, in envelopes and bytes, with what is
//! left when it is known. On a terminal it rewrites one line in place; in a log it prints one
//! line per step (a step is a page of a few seconds, so a slow link still writes little).

use std::io::{IsTerminal, Write};

use mutua_core::sync::driver::Progress;

/// Writes progress to stderr (stdout stays clean for `--json`).
#[derive(Debug)]
pub struct ProgressLine {
    terminal: bool,
}

impl ProgressLine {
    pub fn new() -> ProgressLine {
        ProgressLine {
            terminal: std::io::stderr().is_terminal(),
        }
    }

    pub fn show(&self, progress: &Progress) {
        let mut err = std::io::stderr().lock();
        match progress {
            Progress::Syncing { .. } => {
                let text = syncing(progress).unwrap_or_default();
                if self.terminal {
                    // Back to the start of the line, and clear what a longer line left.
                    let _ = write!(err, "\r{text}\x1b[K");
                    let _ = err.flush();
                } else {
                    let _ = writeln!(err, "{text}");
                }
            }
            Progress::Failed {
                message,
                retry_in_secs,
            } => {
                self.end_line(&mut err);
                let _ = writeln!(
                    err,
                    "sync failed: {message} (retrying in {retry_in_secs} s; what arrived is kept)"
                );
            }
            Progress::Waiting => {
                self.end_line(&mut err);
                let _ = writeln!(err, "up to date; waiting for changes (Ctrl-C to stop)");
            }
            Progress::Done(_) => self.end_line(&mut err),
        }
    }

    fn end_line(&self, err: &mut impl Write) {
        if self.terminal {
            let _ = write!(err, "\r\x1b[K");
        }
    }
}

/// "syncing group 1/2: 120 of 340 received, 3 sent (48 KB down, 2.1 KB up)".
pub fn syncing(progress: &Progress) -> Option<String> {
    let Progress::Syncing {
        groups_done,
        groups,
        received,
        sent,
        bytes_received,
        bytes_sent,
        receive_total,
        send_total,
        send_bytes_left,
    } = progress
    else {
        return None;
    };
    let group = (groups_done + 1).min((*groups).max(1));
    let receiving = match receive_total {
        Some(total) if total > received => format!("{received} of {total} received"),
        _ => format!("{received} received"),
    };
    let sending = if send_total > sent {
        format!(
            "{sent} of {send_total} sent, {} left to send",
            size(*send_bytes_left)
        )
    } else {
        format!("{sent} sent")
    };
    Some(format!(
        "syncing group {group}/{}: {receiving}, {sending} ({} down, {} up)",
        (*groups).max(1),
        size(*bytes_received),
        size(*bytes_sent),
    ))
}

/// Bytes as a person reads them: "950 B", "4.2 KB", "48 KB", "1.3 MB" (powers of 1000).
pub fn size(bytes: u64) -> String {
    let b = bytes as f64;
    if bytes < 1000 {
        format!("{bytes} B")
    } else if b < 10_000.0 {
        format!("{:.1} KB", b / 1000.0)
    } else if b < 1_000_000.0 {
        format!("{:.0} KB", b / 1000.0)
    } else {
        format!("{:.1} MB", b / 1_000_000.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn syncing_with(receive_total: Option<usize>, send_total: usize) -> Progress {
        Progress::Syncing {
            groups_done: 0,
            groups: 2,
            received: 120,
            sent: 3,
            bytes_received: 48_200,
            bytes_sent: 2_100,
            receive_total,
            send_total,
            send_bytes_left: 9_800,
        }
    }

    #[test]
    fn the_line_says_how_far_and_how_much_is_left() {
        assert_eq!(
            syncing(&syncing_with(Some(340), 3)).as_deref(),
            Some("syncing group 1/2: 120 of 340 received, 3 sent (48 KB down, 2.1 KB up)")
        );
        assert_eq!(
            syncing(&syncing_with(None, 12)).as_deref(),
            Some(
                "syncing group 1/2: 120 received, 3 of 12 sent, 9.8 KB left to send \
                 (48 KB down, 2.1 KB up)"
            )
        );
        assert_eq!(syncing(&Progress::Waiting), None);
    }

    #[test]
    fn sizes_read_naturally() {
        assert_eq!(size(0), "0 B");
        assert_eq!(size(999), "999 B");
        assert_eq!(size(4_200), "4.2 KB");
        assert_eq!(size(48_200), "48 KB");
        assert_eq!(size(1_300_000), "1.3 MB");
    }
}

//! The status line's words while a round runs: how far, how much is left when it is known,
//! and how many bytes crossed the link (on a slow link, that is what keeps moving).

use mutua_api::SyncPhase;

use crate::i18n::{Key, Lang, fill};

/// "Syncing group 1 of 2: 120 of 340 received (48 KB)…": what is left when it is known (the
/// upload while something waits to go, else the download), and always how much crossed the
/// link, since on a slow one that is what keeps moving.
pub fn syncing_line(phase: &SyncPhase, lang: Lang) -> String {
    let SyncPhase::Syncing {
        groups_done,
        groups,
        received,
        sent,
        bytes_received,
        bytes_sent,
        receive_total,
        send_total,
        send_bytes_left,
    } = phase
    else {
        return String::new();
    };
    let t = |key| crate::i18n::text(key, lang);
    let groups = (*groups).max(1);
    let group = (groups_done + 1).min(groups).to_string();
    let groups = groups.to_string();
    let moved = bytes_received + bytes_sent;
    match receive_total {
        _ if send_total > sent => fill(
            t(Key::SyncingSending),
            &[
                &group,
                &groups,
                &sent.to_string(),
                &send_total.to_string(),
                &size(*send_bytes_left, lang),
            ],
        ),
        Some(total) if total > received => fill(
            t(Key::SyncingReceiving),
            &[
                &group,
                &groups,
                &received.to_string(),
                &total.to_string(),
                &size(moved, lang),
            ],
        ),
        _ if moved > 0 => fill(
            t(Key::SyncingMoved),
            &[
                &group,
                &groups,
                &received.to_string(),
                &sent.to_string(),
                &size(moved, lang),
            ],
        ),
        _ => fill(
            t(Key::SyncingCounts),
            &[&group, &groups, &received.to_string(), &sent.to_string()],
        ),
    }
}

/// Bytes as a person reads them, in powers of 1000: "950 B", "4.2 KB" ("4,2 KB"), "48 KB".
pub fn size(bytes: u64, lang: Lang) -> String {
    let b = bytes as f64;
    let text = if bytes < 1000 {
        format!("{bytes} B")
    } else if b < 10_000.0 {
        format!("{:.1} KB", b / 1000.0)
    } else if b < 1_000_000.0 {
        format!("{:.0} KB", b / 1000.0)
    } else {
        format!("{:.1} MB", b / 1_000_000.0)
    };
    match lang {
        Lang::Es => text.replace('.', ","),
        Lang::En => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn syncing(receive_total: Option<u32>, send_total: u32, moved: u64) -> SyncPhase {
        SyncPhase::Syncing {
            groups_done: 0,
            groups: 2,
            received: 120,
            sent: 3,
            bytes_received: moved,
            bytes_sent: 0,
            receive_total,
            send_total,
            send_bytes_left: 9_800,
        }
    }

    #[test]
    fn the_line_says_what_is_left_in_both_languages() {
        assert_eq!(
            syncing_line(&syncing(Some(340), 3, 48_200), Lang::En),
            "Syncing group 1 of 2: 120 of 340 received (48 KB)…"
        );
        assert_eq!(
            syncing_line(&syncing(Some(340), 3, 4_200), Lang::Es),
            "Sincronizando el grupo 1 de 2: 120 de 340 recibidos (4,2 KB)…"
        );
        assert_eq!(
            syncing_line(&syncing(None, 12, 48_200), Lang::En),
            "Syncing group 1 of 2: 3 of 12 sent, 9.8 KB to go…"
        );
        assert_eq!(
            syncing_line(&syncing(Some(120), 3, 48_200), Lang::En),
            "Syncing group 1 of 2: 120 received, 3 sent (48 KB)…"
        );
        assert_eq!(
            syncing_line(&syncing(None, 3, 0), Lang::En),
            "Syncing group 1 of 2: 120 received, 3 sent…"
        );
        assert_eq!(syncing_line(&SyncPhase::Listening, Lang::En), "");
    }

    #[test]
    fn sizes_read_naturally() {
        assert_eq!(size(950, Lang::En), "950 B");
        assert_eq!(size(4_200, Lang::En), "4.2 KB");
        assert_eq!(size(48_200, Lang::Es), "48 KB");
        assert_eq!(size(1_300_000, Lang::Es), "1,3 MB");
    }
}

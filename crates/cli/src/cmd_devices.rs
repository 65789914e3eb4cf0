//! `mutua device`: pair another device of yours with a code (or QR code), and list your devices.

use std::path::Path;

use anyhow::{Result, bail};
use mutua_core::{Mutua, NewProtection};
use serde_json::json;

use crate::args::DeviceCommand;
use crate::output::{Out, table};
use crate::session;

/// `device pair` and `device list`, on this device's open store.
pub fn run(m: &mut Mutua, out: Out, command: DeviceCommand) -> Result<()> {
    match command {
        DeviceCommand::Pair { no_qr } => {
            let pairing = m.create_pairing()?;
            out.emit(&pairing, || {
                let mut text = format!(
                    "Pairing code (valid until {}, works once).\n\
                     On your other device run `mutua device join CODE`, then `mutua sync` on both.\n\
                     It lets that device in as you: keep it off chats.\n\n{}\n",
                    pairing.expires_at, pairing.code
                );
                if !no_qr && let Ok(qr) = qrcode::QrCode::new(pairing.code.as_bytes()) {
                    text.push('\n');
                    text.push_str(
                        &qr.render::<qrcode::render::unicode::Dense1x2>()
                            .quiet_zone(true)
                            .build(),
                    );
                }
                text
            })
        }
        DeviceCommand::List => {
            let devices = m.member_devices()?;
            let status = m.pairing_status()?;
            out.emit(&json!({ "devices": devices, "pairing": status }), || {
                let rows: Vec<Vec<String>> = devices
                    .iter()
                    .map(|d| {
                        vec![
                            d.signing_key[..16].to_owned(),
                            if d.this_device { "yes" } else { "" }.to_owned(),
                            d.via.clone(),
                            d.added_at.clone(),
                        ]
                    })
                    .collect();
                table(&["device", "this one", "added via", "added at"], &rows)
            })
        }
        DeviceCommand::Join { .. } => bail!("this data directory is already set up"),
    }
}

/// `device join CODE`: sets up this data directory as another device of the member who showed
/// the code. Nothing is created for a malformed or expired code.
pub fn join(dir: &Path, out: Out, command: DeviceCommand) -> Result<()> {
    let DeviceCommand::Join { code, keychain } = command else {
        bail!("not a join command");
    };
    if Mutua::exists(dir) {
        bail!(
            "{} (a device joins as a fresh install: use another --data-dir)",
            mutua_core::Error::AlreadyInitialised(dir.display().to_string())
        );
    }
    // A bad code is refused before a passphrase is asked for.
    mutua_core::sync::pairing::check_code(&code)?;
    let m = if keychain {
        Mutua::init_paired(dir, &code, NewProtection::Keychain)?
    } else {
        let passphrase = session::passphrase(
            "Choose a passphrase for this device (at least 8 characters): ",
            true,
        )?;
        Mutua::init_paired(dir, &code, NewProtection::Passphrase(&passphrase))?
    };
    let status = m.pairing_status()?;
    out.done(
        &json!({ "member_id": m.member_id(), "pairing": status }),
        "This device will join as you. Run `mutua sync` here, then on the device that showed the \
         code, then here again: your groups, profile and contacts arrive (your journal stays on \
         the other device)."
            .into(),
    )
}

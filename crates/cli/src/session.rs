//! Finding and unlocking the member's data from the command line.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use chrono_tz::Tz;
use mutua_core::{Mutua, Protection, Unlock};

pub const PASSPHRASE_ENV: &str = "MUTUA_PASSPHRASE";

pub fn data_dir(flag: Option<&Path>) -> Result<PathBuf> {
    if let Some(dir) = flag {
        return Ok(dir.to_path_buf());
    }
    let dirs = directories::ProjectDirs::from("org", "Mutua", "Mutua")
        .context("cannot find a home directory for the data; pass --data-dir DIR")?;
    Ok(dirs.data_dir().to_path_buf())
}

/// The passphrase from MUTUA_PASSPHRASE, or asked for on the terminal.
pub fn passphrase(prompt: &str, confirm: bool) -> Result<String> {
    if let Ok(p) = std::env::var(PASSPHRASE_ENV) {
        return Ok(p);
    }
    if !std::io::stdin().is_terminal() {
        bail!("{}", mutua_core::Error::PassphraseRequired);
    }
    let first = rpassword::prompt_password(prompt).context("could not read the passphrase")?;
    if confirm {
        let again =
            rpassword::prompt_password("Repeat it: ").context("could not read the passphrase")?;
        if again != first {
            bail!("the two passphrases differ; nothing was created");
        }
    }
    Ok(first)
}

pub fn open(dir: &Path) -> Result<Mutua> {
    let mutua = match Mutua::protection(dir)? {
        Protection::Keychain => Mutua::open(dir, Unlock::Keychain)?,
        Protection::Passphrase => {
            let p = passphrase("Passphrase: ", false)?;
            Mutua::open(dir, Unlock::Passphrase(&p))?
        }
    };
    Ok(mutua)
}

/// The zone times are shown in: the flag, else the profile's, else the computer's, else UTC.
pub fn viewer_tz(mutua: Option<&Mutua>, flag: Option<&str>) -> Result<Tz> {
    if let Some(name) = flag {
        return crate::parse::tz(name);
    }
    if let Some(name) = mutua
        .and_then(|m| m.profile().ok())
        .and_then(|p| p.time_zone)
        && let Ok(tz) = crate::parse::tz(&name)
    {
        return Ok(tz);
    }
    Ok(mutua_core::time::system_time_zone())
}

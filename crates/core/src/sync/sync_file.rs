//! Sync files on disk: where they go, how they are written so a half-written one never looks
//! whole, and how they are read back. The CLI and the app both save and open through here.

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The extension every sync file gets.
pub const EXTENSION: &str = "mutua-sync";

/// No sync file comes near this; a bigger file is something else and is not read into memory.
const MAX_BYTES: u64 = 4 << 30;

/// The name to suggest: `mutua-2026-12-06.mutua-sync`.
pub fn suggested_name(date: chrono::NaiveDate) -> String {
    format!("mutua-{}.{EXTENSION}", date.format("%Y-%m-%d"))
}

/// `path`, ending in `.mutua-sync` (added when it ends otherwise), so saving a sync file can
/// never overwrite a file of another kind.
pub fn with_extension(path: &Path) -> PathBuf {
    let ok = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case(EXTENSION));
    if ok {
        return path.to_path_buf();
    }
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".");
    name.push(EXTENSION);
    path.with_file_name(name)
}

/// Writes `bytes` to `path` (with the extension added if needed) through a temporary file in
/// the same folder, synced, then renamed: a full disk or a pulled USB stick leaves no half file
/// under the real name. Returns the path written.
pub fn save(path: &Path, bytes: &[u8], progress: &mut dyn FnMut(usize, usize)) -> Result<PathBuf> {
    let path = with_extension(path);
    if path.is_dir() {
        return Err(Error::invalid(format!(
            "{} is a folder; choose a file name",
            path.display()
        )));
    }
    crate::fsutil::write_whole(&path, bytes, progress)?;
    Ok(path)
}

/// Reads a whole sync file, reporting `progress(done, total)` in bytes.
pub fn read(path: &Path, progress: &mut dyn FnMut(usize, usize)) -> Result<Vec<u8>> {
    let io = |e| Error::io(path, e);
    let mut file = std::fs::File::open(path).map_err(io)?;
    let meta = file.metadata().map_err(io)?;
    if meta.is_dir() {
        return Err(Error::invalid(format!(
            "{} is a folder, not a sync file",
            path.display()
        )));
    }
    if meta.len() > MAX_BYTES {
        return Err(Error::NotASyncFile);
    }
    let total = usize::try_from(meta.len()).map_err(|_| Error::NotASyncFile)?;
    let mut out = Vec::with_capacity(total);
    let mut chunk = vec![0u8; 1 << 20];
    progress(0, total);
    loop {
        let n = file.read(&mut chunk).map_err(io)?;
        if n == 0 {
            break;
        }
        out.extend_from_slice(&chunk[..n]);
        progress(out.len(), total.max(out.len()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_end_in_the_extension_and_saving_is_whole_or_nothing() {
        assert_eq!(
            suggested_name(chrono::NaiveDate::from_ymd_opt(2026, 12, 6).expect("date")),
            "mutua-2026-12-06.mutua-sync"
        );
        assert_eq!(
            with_extension(Path::new("/media/usb/circle")),
            PathBuf::from("/media/usb/circle.mutua-sync")
        );
        assert_eq!(
            with_extension(Path::new("notes.txt")),
            PathBuf::from("notes.txt.mutua-sync")
        );
        assert_eq!(
            with_extension(Path::new("a.MUTUA-SYNC")),
            PathBuf::from("a.MUTUA-SYNC")
        );
        let dir = tempfile::tempdir().expect("tmp");
        let mut seen = Vec::new();
        let bytes = vec![7u8; (3 << 20) + 5];
        let written =
            save(&dir.path().join("x"), &bytes, &mut |d, t| seen.push((d, t))).expect("save");
        assert_eq!(written, dir.path().join("x.mutua-sync"));
        assert_eq!(seen.last(), Some(&(bytes.len(), bytes.len())));
        assert!(seen.len() >= 4);
        assert_eq!(read(&written, &mut |_, _| {}).expect("read"), bytes);
        // Only the file itself is left in the folder: no temporary sibling.
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .expect("list")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(names.len(), 1, "{names:?}");
        // A folder that does not exist: an error, nothing written anywhere.
        assert!(save(&dir.path().join("missing/x"), &bytes, &mut |_, _| {}).is_err());
        assert!(read(dir.path(), &mut |_, _| {}).is_err());
        assert!(read(&dir.path().join("nope.mutua-sync"), &mut |_, _| {}).is_err());
    }
}

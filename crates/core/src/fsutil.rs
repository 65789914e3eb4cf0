//! Small file-system helpers that keep files whole when a process dies mid-write.

use std::io::Write;
use std::path::Path;

use crate::error::{Error, Result};

/// Writes `bytes` to a temporary sibling, syncs it, then renames it over `path`, so a reader sees
/// either the old file or the new one, never half of one; then syncs the directory, so the
/// rename itself survives a power cut (the key info written this way is what unlocks the
/// database: losing it would lose everything).
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension("tmp");
    let mut file = std::fs::File::create(&tmp).map_err(|e| Error::io(&tmp, e))?;
    file.write_all(bytes).map_err(|e| Error::io(&tmp, e))?;
    file.sync_all().map_err(|e| Error::io(&tmp, e))?;
    drop(file);
    std::fs::rename(&tmp, path).map_err(|e| Error::io(path, e))?;
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => sync_dir(dir),
        _ => Ok(()),
    }
}

/// Flushes a file's contents to the disk.
pub fn sync_file(path: &Path) -> Result<()> {
    std::fs::File::open(path)
        .and_then(|f| f.sync_all())
        .map_err(|e| Error::io(path, e))
}

/// Flushes a directory's entries (a new or renamed file's name) to the disk. Only Unix lets a
/// directory be opened and synced; elsewhere the file system's own ordering has to do.
pub fn sync_dir(dir: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        std::fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| Error::io(dir, e))?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Like [`write_atomically`], for files that may be big and land on slow or removable media:
/// the temporary sibling has a name of its own (`.<name>.<pid>.partial`, never mistaken for the
/// real file), writing reports `progress(done, total)` in bytes, the folder is synced after the
/// rename so the new name survives a power cut, and a failure (a full disk, a pulled USB stick)
/// removes the temporary file and leaves whatever was at `path` untouched.
pub fn write_whole(
    path: &Path,
    bytes: &[u8],
    progress: &mut dyn FnMut(usize, usize),
) -> Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| Error::invalid("choose a file name, not a folder"))?;
    let tmp = dir.join(format!(
        ".{}.{}.partial",
        name.to_string_lossy(),
        std::process::id()
    ));
    let written = (|| -> Result<()> {
        let mut file = std::fs::File::create(&tmp).map_err(|e| Error::io(path, e))?;
        let mut done = 0;
        progress(0, bytes.len());
        for chunk in bytes.chunks(1 << 20) {
            file.write_all(chunk).map_err(|e| Error::io(path, e))?;
            done += chunk.len();
            progress(done, bytes.len());
        }
        file.sync_all().map_err(|e| Error::io(path, e))?;
        drop(file);
        std::fs::rename(&tmp, path).map_err(|e| Error::io(path, e))?;
        #[cfg(unix)]
        if let Ok(folder) = std::fs::File::open(&dir) {
            // Not every file system lets a folder be synced; the file itself already is.
            let _ = folder.sync_all();
        }
        Ok(())
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

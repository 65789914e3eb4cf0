//! Measure 6: what a member downloads — the release desktop app (built with
//! `custom-protocol`, so it embeds `ui/dist`) and the UI's wasm, raw and compressed the way a
//! web server or an installer would (gzip -9, brotli quality 11).

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct Sizes {
    pub app_bytes: u64,
    pub wasm_bytes: u64,
    pub wasm_gzip_bytes: u64,
    pub wasm_brotli_bytes: u64,
}

pub fn gzip(data: &[u8]) -> Result<u64> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(data)?;
    Ok(enc.finish()?.len() as u64)
}

pub fn brotli(data: &[u8]) -> Result<u64> {
    let mut out = Vec::new();
    {
        let mut w = brotli::CompressorWriter::new(&mut out, 64 * 1024, 11, 22);
        w.write_all(data)?;
        w.flush()?;
    }
    Ok(out.len() as u64)
}

pub fn measure(app: &Path, wasm: &Path) -> Result<Sizes> {
    let app_bytes = std::fs::metadata(app)
        .with_context(|| format!("the app binary {}", app.display()))?
        .len();
    let data = std::fs::read(wasm).with_context(|| format!("the UI's wasm {}", wasm.display()))?;
    Ok(Sizes {
        app_bytes,
        wasm_bytes: data.len() as u64,
        wasm_gzip_bytes: gzip(&data)?,
        wasm_brotli_bytes: brotli(&data)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compression_shrinks_repetitive_data() {
        let data = b"mutua ".repeat(10_000);
        let (g, b) = (gzip(&data).expect("gzip"), brotli(&data).expect("brotli"));
        assert!(g > 0 && g < 1_000, "{g}");
        assert!(b > 0 && b < 1_000, "{b}");
    }
}

//! Reading the IDX files of MNIST-style data sets (gzipped or plain).

use std::io::Read;
use std::path::{Path, PathBuf};

use flate2::read::GzDecoder;

use super::DataError;

/// Images of an IDX3 file: `count` images of `rows × cols` bytes, row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct IdxImages {
    /// Number of images.
    pub count: usize,
    /// Rows per image.
    pub rows: usize,
    /// Columns per image.
    pub cols: usize,
    /// `count * rows * cols` pixel values.
    pub pixels: Vec<u8>,
}

const IMAGES_MAGIC: u32 = 0x0000_0803;
const LABELS_MAGIC: u32 = 0x0000_0801;

/// Reads a whole file, gunzipping it when its name ends in `.gz`.
fn read_bytes(path: &Path) -> Result<Vec<u8>, DataError> {
    let io = |source| DataError::Io {
        path: path.to_path_buf(),
        source,
    };
    let raw = std::fs::read(path).map_err(io)?;
    if path.extension().is_some_and(|e| e == "gz") {
        let mut out = Vec::new();
        GzDecoder::new(raw.as_slice())
            .read_to_end(&mut out)
            .map_err(io)?;
        Ok(out)
    } else {
        Ok(raw)
    }
}

fn header(bytes: &[u8], path: &Path, words: usize) -> Result<Vec<u32>, DataError> {
    if bytes.len() < 4 * words {
        return Err(DataError::Truncated {
            path: path.to_path_buf(),
            expected: 4 * words,
            got: bytes.len(),
        });
    }
    Ok(bytes[..4 * words]
        .chunks_exact(4)
        .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
        .collect())
}

fn check_magic(path: &Path, got: u32, expected: u32) -> Result<(), DataError> {
    if got != expected {
        return Err(DataError::BadMagic {
            path: path.to_path_buf(),
            expected,
            got,
        });
    }
    Ok(())
}

fn body<'a>(
    bytes: &'a [u8],
    path: &Path,
    offset: usize,
    len: usize,
) -> Result<&'a [u8], DataError> {
    offset
        .checked_add(len)
        .and_then(|end| bytes.get(offset..end))
        .ok_or_else(|| DataError::Truncated {
            path: path.to_path_buf(),
            expected: offset.saturating_add(len),
            got: bytes.len(),
        })
}

/// Reads an IDX3 image file (magic 0x803).
pub fn read_images(path: &Path) -> Result<IdxImages, DataError> {
    let bytes = read_bytes(path)?;
    check_magic(path, header(&bytes, path, 1)?[0], IMAGES_MAGIC)?;
    let h = header(&bytes, path, 4)?;
    let (count, rows, cols) = (h[1] as usize, h[2] as usize, h[3] as usize);
    // A crafted header can claim more bytes than any file holds (or than usize counts).
    let len = count
        .checked_mul(rows)
        .and_then(|n| n.checked_mul(cols))
        .ok_or_else(|| DataError::Inconsistent(format!(
            "{}: the header claims {count} images of {rows}x{cols} pixels, more bytes than can be addressed",
            path.display()
        )))?;
    let pixels = body(&bytes, path, 16, len)?.to_vec();
    Ok(IdxImages {
        count,
        rows,
        cols,
        pixels,
    })
}

/// Reads an IDX1 label file (magic 0x801).
pub fn read_labels(path: &Path) -> Result<Vec<u8>, DataError> {
    let bytes = read_bytes(path)?;
    check_magic(path, header(&bytes, path, 1)?[0], LABELS_MAGIC)?;
    let h = header(&bytes, path, 2)?;
    Ok(body(&bytes, path, 8, h[1] as usize)?.to_vec())
}

/// Finds `stem` (e.g. `train-images-idx3-ubyte`) in `dir`, gzipped or not.
pub fn find(dir: &Path, stem: &str) -> Result<PathBuf, DataError> {
    [format!("{stem}.gz"), stem.to_string()]
        .into_iter()
        .map(|name| dir.join(name))
        .find(|p| p.is_file())
        .ok_or_else(|| DataError::Missing {
            dir: dir.to_path_buf(),
            file: format!("{stem}(.gz)"),
        })
}

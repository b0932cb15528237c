//! The IDX reader: real MNIST when present, and small hand-made files, good and broken.

use std::io::Write;
use std::path::{Path, PathBuf};

use microcircuits::data::idx::{read_images, read_labels};
use microcircuits::data::{DataError, Dataset, mnist::shared_mnist_dir};

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("idx-test-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn images_file(count: u32, rows: u32, cols: u32, pixels: &[u8]) -> Vec<u8> {
    let mut bytes = Vec::new();
    for word in [0x803, count, rows, cols] {
        bytes.extend(word.to_be_bytes());
    }
    bytes.extend(pixels);
    bytes
}

fn labels_file(labels: &[u8]) -> Vec<u8> {
    let mut bytes = Vec::new();
    for word in [0x801, labels.len() as u32] {
        bytes.extend(word.to_be_bytes());
    }
    bytes.extend(labels);
    bytes
}

fn write(path: &Path, bytes: &[u8], gzip: bool) {
    let mut file = std::fs::File::create(path).unwrap();
    if gzip {
        let mut enc = flate2::write::GzEncoder::new(file, flate2::Compression::fast());
        enc.write_all(bytes).unwrap();
        enc.finish().unwrap();
    } else {
        file.write_all(bytes).unwrap();
    }
}

#[test]
fn hand_made_files_read_back_plain_and_gzipped() {
    let dir = temp_dir("good");
    let pixels: Vec<u8> = (0..3 * 2 * 2).map(|i| i as u8 * 20).collect();
    write(&dir.join("imgs"), &images_file(3, 2, 2, &pixels), false);
    write(&dir.join("imgs.gz"), &images_file(3, 2, 2, &pixels), true);
    write(&dir.join("labs.gz"), &labels_file(&[7, 0, 9]), true);
    for name in ["imgs", "imgs.gz"] {
        let images = read_images(&dir.join(name)).unwrap();
        assert_eq!((images.count, images.rows, images.cols), (3, 2, 2));
        assert_eq!(images.pixels, pixels);
    }
    assert_eq!(read_labels(&dir.join("labs.gz")).unwrap(), vec![7, 0, 9]);
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn truncated_files_and_wrong_magic_numbers_are_clear_errors() {
    let dir = temp_dir("bad");
    let good = images_file(3, 2, 2, &[1; 12]);
    write(&dir.join("short"), &good[..good.len() - 1], false);
    write(&dir.join("header"), &good[..6], false);
    write(&dir.join("labels-as-images"), &labels_file(&[1, 2]), false);
    // A crafted header whose count × rows × cols does not fit in a usize.
    let huge = images_file(u32::MAX, u32::MAX, u32::MAX, &[1; 12]);
    write(&dir.join("overflow"), &huge, false);
    // One that fits but reaches past any file.
    write(
        &dir.join("claims-too-much"),
        &images_file(60_000, 28, 28, &[1; 12]),
        false,
    );
    for (name, want) in [
        ("short", "truncated"),
        ("header", "truncated"),
        ("labels-as-images", "magic"),
        ("overflow", "more bytes than can be addressed"),
        ("claims-too-much", "truncated"),
    ] {
        let err = read_images(&dir.join(name)).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains(want) && msg.contains(name), "{name}: {msg}");
    }
    assert!(matches!(
        read_labels(&dir.join("short")),
        Err(DataError::BadMagic { .. })
    ));
    let missing = Dataset::load_idx_dir(&dir, 0).unwrap_err();
    assert!(matches!(missing, DataError::Missing { .. }), "{missing}");
    assert!(missing.to_string().contains("train-images-idx3-ubyte"));
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn shared_mnist_loads_with_the_papers_split() {
    let Some(dir) = shared_mnist_dir() else {
        eprintln!("skipped: shared MNIST not found (set MNIST_DIR to a folder of the IDX files)");
        return;
    };
    let data = Dataset::load_idx_dir(&dir, 5_000).unwrap();
    assert_eq!(
        (data.train.len(), data.validation.len(), data.test.len()),
        (55_000, 5_000, 10_000)
    );
    assert_eq!(data.train.dim, 784);
    assert_eq!(data.train.images.len(), 55_000 * 784);
    assert!(data.train.images.iter().all(|&p| (0.0..=1.0).contains(&p)));
    // The first training image of MNIST is a 5, the first test image a 7.
    assert_eq!((data.train.labels[0], data.test.labels[0]), (5, 7));
    let mut counts = [0usize; 10];
    data.test
        .labels
        .iter()
        .for_each(|&l| counts[l as usize] += 1);
    assert!(
        counts.iter().all(|&c| c > 800),
        "every digit appears: {counts:?}"
    );
}

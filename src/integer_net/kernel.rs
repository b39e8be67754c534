//! The kernel: a layer applied to a block of rounded rows, one register tile at a time, and the
//! rounding of each row for the next layer.
//!
//! A tile is `R` rows × `B` quads of outputs. For each pair of inputs it loads the `B` quads'
//! eight weights once (widened from `i8`), and each row's two activations once (repeated four
//! times); each of the `R · B` dot products then adds one product pair to each of four outputs'
//! sums, which stay in registers until the tile's epilogue scales them, adds the bias and
//! applies the activation, four outputs at a time. The tile is a function of its own (never
//! inlined): a long batch calls it thousands of times, and V8 swaps in its optimising tier's code
//! for later calls while the batch runs, which it cannot do inside one long call.

use std::ops::Range;

use super::lanes::{Acc, Float, Wide};
use super::{IntegerLayer, QUAD, Weights};
use crate::architecture::Activation;

/// Rows of a block: while they are worked through, they and one tile's weights stay in the L1
/// cache.
const ROW_BLOCK: usize = 16;
/// Rows of a tile where at least that many remain, and the quads of outputs of such a tile:
/// 2 × 4 sums, 4 weight vectors and one row pair fit in x86-64's sixteen vector registers.
/// Measured in Node on 100 codes (median of 5 rounds, interleaved): 2 × 4 2.03 ms, 4 × 2 2.14,
/// 2 × 2 2.32, 4 × 3 2.38, 6 × 2 2.46, 3 × 4 2.49, 8 × 2 2.89.
const TALL_ROWS: usize = 2;
const TALL_QUADS: usize = 4;
/// Quads of outputs of a tile of one row.
const SINGLE_QUADS: usize = 4;

/// Applies `layer` to `rows` rows of rounded activations (`quantized`, `layer.inputs` apart,
/// each with its scale in `row_scales`), writing `rows` rows of `layer.outputs` floats into
/// `outputs`.
pub(super) fn apply(
    layer: &IntegerLayer,
    quantized: &[i16],
    row_scales: &[f32],
    rows: usize,
    outputs: &mut [f32],
) {
    match &layer.weights {
        Weights::Narrow(weights) => apply_with(
            Tiles {
                layer,
                weights,
                quantized,
                row_scales,
            },
            rows,
            outputs,
        ),
        Weights::Wide(weights) => apply_with(
            Tiles {
                layer,
                weights,
                quantized,
                row_scales,
            },
            rows,
            outputs,
        ),
    }
}

/// [`apply`] with the layer's weights of type `W`.
fn apply_with<W: Whole>(tiles: Tiles<W>, rows: usize, outputs: &mut [f32]) {
    for block in (0..rows).step_by(ROW_BLOCK) {
        let end = (block + ROW_BLOCK).min(rows);
        let tall_end = block + (end - block) / TALL_ROWS * TALL_ROWS;
        tiles.visit::<TALL_ROWS, TALL_QUADS>(block..tall_end, outputs);
        tiles.visit::<1, SINGLE_QUADS>(tall_end..end, outputs);
    }
}

/// A whole weight: eight of them load as eight `i16`.
trait Whole: Copy {
    /// The eight weights at `at`.
    ///
    /// # Safety
    /// `at..at + 8` is readable.
    unsafe fn load(at: *const Self) -> Wide;
}

impl Whole for i8 {
    #[inline(always)]
    unsafe fn load(at: *const Self) -> Wide {
        // SAFETY: as the caller guarantees.
        unsafe { Wide::widen(at) }
    }
}

impl Whole for i16 {
    #[inline(always)]
    unsafe fn load(at: *const Self) -> Wide {
        // SAFETY: as the caller guarantees.
        unsafe { Wide::load(at) }
    }
}

/// A layer, its weights and its rounded input rows.
struct Tiles<'a, W> {
    layer: &'a IntegerLayer,
    weights: &'a [W],
    quantized: &'a [i16],
    row_scales: &'a [f32],
}

impl<W> Clone for Tiles<'_, W> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<W> Copy for Tiles<'_, W> {}

impl<W: Whole> Tiles<'_, W> {
    /// Every tile of `R` rows of `rows` (a multiple of `R` of them): `B` quads at a time, then
    /// the quads left over one at a time.
    fn visit<const R: usize, const B: usize>(self, rows: Range<usize>, outputs: &mut [f32]) {
        let quads = self.layer.outputs / QUAD;
        let wide_end = quads / B * B;
        for quad in (0..wide_end).step_by(B) {
            for row in rows.clone().step_by(R) {
                self.tile::<R, B>(row, quad, outputs);
            }
        }
        for quad in wide_end..quads {
            for row in rows.clone().step_by(R) {
                self.tile::<R, 1>(row, quad, outputs);
            }
        }
    }

    /// Outputs `quad · 4 .. (quad + B) · 4` of rows `row .. row + R`.
    #[inline(never)]
    fn tile<const R: usize, const B: usize>(self, row: usize, quad: usize, outputs: &mut [f32]) {
        let layer = self.layer;
        let (inputs, width) = (layer.inputs, layer.outputs);
        let pairs = inputs / 2;
        let quad_len = pairs * 2 * QUAD;
        let x = &self.quantized[row * inputs..(row + R) * inputs];
        let w = &self.weights[quad * quad_len..(quad + B) * quad_len];
        let mut sums = [[Acc::splat(0); B]; R];
        for pair in 0..pairs {
            // SAFETY: `w` holds `B` quads of `pairs` groups of eight weights, and `x` holds `R`
            // rows of `2 · pairs` activations (both sliced, so checked, above).
            let columns: [Wide; B] = std::array::from_fn(|b| unsafe {
                W::load(w.as_ptr().add(b * quad_len + pair * 2 * QUAD))
            });
            for (r, row_sums) in sums.iter_mut().enumerate() {
                // SAFETY: as above.
                let pair = unsafe { Wide::pair(x.as_ptr().add(r * inputs + 2 * pair)) };
                for (sum, column) in row_sums.iter_mut().zip(columns) {
                    *sum = sum.dot_add(pair, column);
                }
            }
        }
        for (r, row_sums) in sums.iter().enumerate() {
            let row_scale = Float::splat(self.row_scales[row + r]);
            let out = &mut outputs[(row + r) * width..(row + r + 1) * width];
            for (b, sum) in row_sums.iter().enumerate() {
                let o = (quad + b) * QUAD;
                let value = sum
                    .to_float()
                    .mul(row_scale)
                    .mul(Float::load(&layer.scales[o..]))
                    .add(Float::load(&layer.bias[o..]));
                activate(layer.activation, value).store(&mut out[o..]);
            }
        }
    }
}

/// `activation` applied to four values.
#[inline(always)]
fn activate(activation: Activation, value: Float) -> Float {
    match activation {
        Activation::Identity => value,
        Activation::Relu => value.max(Float::splat(0.0)),
        Activation::Sigmoid => value.sigmoid(),
    }
}

/// Rounds `row` to integers of magnitude at most `levels` with one scale, into `out` (at least as
/// long, the rest set to zero); returns the scale (1 for a row of zeros).
pub(super) fn round_row(row: &[f32], levels: f32, out: &mut [i16]) -> f32 {
    let n = row.len();
    let vector_end = n / 8 * 8;
    let mut largest = Float::splat(0.0);
    for chunk in row[..vector_end].chunks_exact(4) {
        largest = largest.max(Float::load(chunk).abs());
    }
    let largest = row[vector_end..]
        .iter()
        .fold(largest.largest_lane(), |m, x| super::larger(m, x.abs()));
    let scale = if largest > 0.0 { largest / levels } else { 1.0 };
    let inverse = 1.0 / scale;
    let vector_inverse = Float::splat(inverse);
    for (chunk, out) in row[..vector_end]
        .chunks_exact(8)
        .zip(out.chunks_exact_mut(8))
    {
        let low = Float::load(chunk).mul(vector_inverse).round();
        let high = Float::load(&chunk[4..]).mul(vector_inverse).round();
        Acc::narrow_into(low, high, out);
    }
    for (x, out) in row[vector_end..].iter().zip(&mut out[vector_end..n]) {
        *out = (x * inverse).round_ties_even() as i16;
    }
    out[n..].fill(0);
    scale
}

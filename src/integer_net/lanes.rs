//! The few 128-bit operations the integer kernel needs, on WebAssembly SIMD, on x86-64's SSE2
//! (every x86-64 has it) and, elsewhere, on plain arrays. Every operation gives the same bits on
//! all three, so the page and the command-line tool decode identical pixels: the float ones are
//! single IEEE operations without fused multiply-adds, rounding is to nearest with ties to even,
//! and narrowing saturates.
//!
//! - [`Wide`]: eight `i16` (two activations repeated four times, or the weights of four outputs
//!   at two inputs).
//! - [`Acc`]: four `i32` (the sums of four outputs, or integer parts of floats).
//! - [`Float`]: four `f32`.

pub use imp::{Acc, Float, Wide};

impl Float {
    /// `e^self`, lane by lane, for `self` in about [−87, 88] (clamped there): Cephes' `expf`
    /// polynomial after taking out the power of two, within 2 ulp of the true value.
    pub fn exp(self) -> Self {
        const LOG2_E: f32 = std::f32::consts::LOG2_E;
        // ln 2 in two parts, so that n · LN2_HIGH is exact.
        const LN2_HIGH: f32 = 0.693_359_4;
        const LN2_LOW: f32 = -2.121_944_4e-4;
        const COEFFICIENTS: [f32; 6] = [
            1.987_569_1e-4,
            1.398_199_9e-3,
            8.333_452e-3,
            4.166_579_6e-2,
            1.666_666_5e-1,
            0.5,
        ];
        let x = self.max(Self::splat(-87.0)).min(Self::splat(88.0));
        let n = x.mul(Self::splat(LOG2_E)).round();
        let whole = n.to_float();
        let r = x
            .sub(whole.mul(Self::splat(LN2_HIGH)))
            .sub(whole.mul(Self::splat(LN2_LOW)));
        let mut p = Self::splat(COEFFICIENTS[0]);
        for c in &COEFFICIENTS[1..] {
            p = p.mul(r).add(Self::splat(*c));
        }
        let mantissa = p.mul(r.mul(r)).add(r).add(Self::splat(1.0));
        mantissa.mul(n.add(Acc::splat(127)).shift_to_exponent().to_bits())
    }

    /// The logistic function `1 / (1 + e^−x)`, lane by lane.
    pub fn sigmoid(self) -> Self {
        let one = Self::splat(1.0);
        one.div(one.add(Self::splat(0.0).sub(self).exp()))
    }

    /// The largest of the four lanes.
    pub fn largest_lane(self) -> f32 {
        self.lanes()
            .into_iter()
            .fold(f32::MIN, |m, x| if x > m { x } else { m })
    }
}

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod imp {
    use core::arch::wasm32::*;

    /// Eight `i16`.
    #[derive(Clone, Copy)]
    pub struct Wide(v128);
    /// Four `i32`.
    #[derive(Clone, Copy)]
    pub struct Acc(v128);
    /// Four `f32`.
    #[derive(Clone, Copy)]
    pub struct Float(v128);

    impl Wide {
        /// The two `i16` at `at`, repeated four times.
        ///
        /// # Safety
        /// `at` and `at + 1` are readable.
        #[inline(always)]
        pub unsafe fn pair(at: *const i16) -> Self {
            // SAFETY: the caller guarantees four readable bytes; the load may be unaligned.
            Self(unsafe { v128_load32_splat(at.cast::<u32>()) })
        }

        /// The eight `i8` at `at`, widened.
        ///
        /// # Safety
        /// `at..at + 8` is readable.
        #[inline(always)]
        pub unsafe fn widen(at: *const i8) -> Self {
            // SAFETY: the caller guarantees eight readable bytes; the load may be unaligned.
            Self(unsafe { i16x8_load_extend_i8x8(at) })
        }

        /// The eight `i16` at `at`.
        ///
        /// # Safety
        /// `at..at + 8` is readable.
        #[inline(always)]
        pub unsafe fn load(at: *const i16) -> Self {
            // SAFETY: the caller guarantees eight readable values; the load may be unaligned.
            Self(unsafe { v128_load(at.cast()) })
        }
    }

    impl Acc {
        /// Every lane `value`.
        #[inline(always)]
        pub fn splat(value: i32) -> Self {
            Self(i32x4_splat(value))
        }

        /// `self + (a₀b₀ + a₁b₁, a₂b₂ + a₃b₃, …)`: eight products summed in pairs.
        #[inline(always)]
        pub fn dot_add(self, a: Wide, b: Wide) -> Self {
            Self(i32x4_add(self.0, i32x4_dot_i16x8(a.0, b.0)))
        }

        /// Lane-wise sum.
        #[inline(always)]
        pub fn add(self, other: Self) -> Self {
            Self(i32x4_add(self.0, other.0))
        }

        /// Each lane shifted into a float's exponent field (`<< 23`).
        #[inline(always)]
        pub fn shift_to_exponent(self) -> Self {
            Self(i32x4_shl(self.0, 23))
        }

        /// The lanes' bits as floats.
        #[inline(always)]
        pub fn to_bits(self) -> Float {
            Float(self.0)
        }

        /// The lanes converted to floats.
        #[inline(always)]
        pub fn to_float(self) -> Float {
            Float(f32x4_convert_i32x4(self.0))
        }

        /// `low`'s lanes then `high`'s, narrowed to `i16` with saturation, into `out[..8]`.
        #[inline(always)]
        pub fn narrow_into(low: Self, high: Self, out: &mut [i16]) {
            assert!(out.len() >= 8);
            // SAFETY: eight writable `i16` (asserted); the store may be unaligned.
            unsafe { v128_store(out.as_mut_ptr().cast(), i16x8_narrow_i32x4(low.0, high.0)) }
        }
    }

    impl Float {
        /// Every lane `value`.
        #[inline(always)]
        pub fn splat(value: f32) -> Self {
            Self(f32x4_splat(value))
        }

        /// `from[..4]`.
        #[inline(always)]
        pub fn load(from: &[f32]) -> Self {
            assert!(from.len() >= 4);
            // SAFETY: four readable floats (asserted); the load may be unaligned.
            Self(unsafe { v128_load(from.as_ptr().cast()) })
        }

        /// Writes the lanes to `to[..4]`.
        #[inline(always)]
        pub fn store(self, to: &mut [f32]) {
            assert!(to.len() >= 4);
            // SAFETY: four writable floats (asserted); the store may be unaligned.
            unsafe { v128_store(to.as_mut_ptr().cast(), self.0) }
        }

        /// The four lanes.
        pub fn lanes(self) -> [f32; 4] {
            [
                f32x4_extract_lane::<0>(self.0),
                f32x4_extract_lane::<1>(self.0),
                f32x4_extract_lane::<2>(self.0),
                f32x4_extract_lane::<3>(self.0),
            ]
        }

        /// Lane-wise sum.
        #[inline(always)]
        pub fn add(self, other: Self) -> Self {
            Self(f32x4_add(self.0, other.0))
        }

        /// Lane-wise difference.
        #[inline(always)]
        pub fn sub(self, other: Self) -> Self {
            Self(f32x4_sub(self.0, other.0))
        }

        /// Lane-wise product.
        #[inline(always)]
        pub fn mul(self, other: Self) -> Self {
            Self(f32x4_mul(self.0, other.0))
        }

        /// Lane-wise quotient.
        #[inline(always)]
        pub fn div(self, other: Self) -> Self {
            Self(f32x4_div(self.0, other.0))
        }

        /// Lane-wise larger value (of numbers; a zero of either sign may come out as either).
        #[inline(always)]
        pub fn max(self, other: Self) -> Self {
            Self(f32x4_pmax(self.0, other.0))
        }

        /// Lane-wise smaller value (of numbers).
        #[inline(always)]
        pub fn min(self, other: Self) -> Self {
            Self(f32x4_pmin(self.0, other.0))
        }

        /// Lane-wise magnitude.
        #[inline(always)]
        pub fn abs(self) -> Self {
            Self(f32x4_abs(self.0))
        }

        /// Each lane rounded to the nearest integer, ties to even (in `i32` range).
        #[inline(always)]
        pub fn round(self) -> Acc {
            Acc(i32x4_trunc_sat_f32x4(f32x4_nearest(self.0)))
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod imp {
    use core::arch::x86_64::*;

    /// Eight `i16`.
    #[derive(Clone, Copy)]
    pub struct Wide(__m128i);
    /// Four `i32`.
    #[derive(Clone, Copy)]
    pub struct Acc(__m128i);
    /// Four `f32`.
    #[derive(Clone, Copy)]
    pub struct Float(__m128);

    // SAFETY (every block below): SSE2 is part of x86-64, so its intrinsics are always available;
    // the loads and stores are unaligned ones of the sizes the callers guarantee or assert.

    impl Wide {
        /// The two `i16` at `at`, repeated four times.
        ///
        /// # Safety
        /// `at` and `at + 1` are readable.
        #[inline(always)]
        pub unsafe fn pair(at: *const i16) -> Self {
            Self(unsafe { _mm_set1_epi32(at.cast::<i32>().read_unaligned()) })
        }

        /// The eight `i8` at `at`, widened.
        ///
        /// # Safety
        /// `at..at + 8` is readable.
        #[inline(always)]
        pub unsafe fn widen(at: *const i8) -> Self {
            unsafe {
                let bytes = _mm_loadl_epi64(at.cast());
                Self(_mm_srai_epi16::<8>(_mm_unpacklo_epi8(bytes, bytes)))
            }
        }

        /// The eight `i16` at `at`.
        ///
        /// # Safety
        /// `at..at + 8` is readable.
        #[inline(always)]
        pub unsafe fn load(at: *const i16) -> Self {
            Self(unsafe { _mm_loadu_si128(at.cast()) })
        }
    }

    impl Acc {
        /// Every lane `value`.
        #[inline(always)]
        pub fn splat(value: i32) -> Self {
            Self(unsafe { _mm_set1_epi32(value) })
        }

        /// `self + (a₀b₀ + a₁b₁, a₂b₂ + a₃b₃, …)`: eight products summed in pairs.
        #[inline(always)]
        pub fn dot_add(self, a: Wide, b: Wide) -> Self {
            Self(unsafe { _mm_add_epi32(self.0, _mm_madd_epi16(a.0, b.0)) })
        }

        /// Lane-wise sum.
        #[inline(always)]
        pub fn add(self, other: Self) -> Self {
            Self(unsafe { _mm_add_epi32(self.0, other.0) })
        }

        /// Each lane shifted into a float's exponent field (`<< 23`).
        #[inline(always)]
        pub fn shift_to_exponent(self) -> Self {
            Self(unsafe { _mm_slli_epi32::<23>(self.0) })
        }

        /// The lanes' bits as floats.
        #[inline(always)]
        pub fn to_bits(self) -> Float {
            Float(unsafe { _mm_castsi128_ps(self.0) })
        }

        /// The lanes converted to floats.
        #[inline(always)]
        pub fn to_float(self) -> Float {
            Float(unsafe { _mm_cvtepi32_ps(self.0) })
        }

        /// `low`'s lanes then `high`'s, narrowed to `i16` with saturation, into `out[..8]`.
        #[inline(always)]
        pub fn narrow_into(low: Self, high: Self, out: &mut [i16]) {
            assert!(out.len() >= 8);
            unsafe { _mm_storeu_si128(out.as_mut_ptr().cast(), _mm_packs_epi32(low.0, high.0)) }
        }
    }

    impl Float {
        /// Every lane `value`.
        #[inline(always)]
        pub fn splat(value: f32) -> Self {
            Self(unsafe { _mm_set1_ps(value) })
        }

        /// `from[..4]`.
        #[inline(always)]
        pub fn load(from: &[f32]) -> Self {
            assert!(from.len() >= 4);
            Self(unsafe { _mm_loadu_ps(from.as_ptr()) })
        }

        /// Writes the lanes to `to[..4]`.
        #[inline(always)]
        pub fn store(self, to: &mut [f32]) {
            assert!(to.len() >= 4);
            unsafe { _mm_storeu_ps(to.as_mut_ptr(), self.0) }
        }

        /// The four lanes.
        pub fn lanes(self) -> [f32; 4] {
            let mut lanes = [0.0; 4];
            self.store(&mut lanes);
            lanes
        }

        /// Lane-wise sum.
        #[inline(always)]
        pub fn add(self, other: Self) -> Self {
            Self(unsafe { _mm_add_ps(self.0, other.0) })
        }

        /// Lane-wise difference.
        #[inline(always)]
        pub fn sub(self, other: Self) -> Self {
            Self(unsafe { _mm_sub_ps(self.0, other.0) })
        }

        /// Lane-wise product.
        #[inline(always)]
        pub fn mul(self, other: Self) -> Self {
            Self(unsafe { _mm_mul_ps(self.0, other.0) })
        }

        /// Lane-wise quotient.
        #[inline(always)]
        pub fn div(self, other: Self) -> Self {
            Self(unsafe { _mm_div_ps(self.0, other.0) })
        }

        /// Lane-wise larger value (of numbers; a zero of either sign may come out as either).
        #[inline(always)]
        pub fn max(self, other: Self) -> Self {
            Self(unsafe { _mm_max_ps(self.0, other.0) })
        }

        /// Lane-wise smaller value (of numbers).
        #[inline(always)]
        pub fn min(self, other: Self) -> Self {
            Self(unsafe { _mm_min_ps(self.0, other.0) })
        }

        /// Lane-wise magnitude.
        #[inline(always)]
        pub fn abs(self) -> Self {
            Self(unsafe { _mm_andnot_ps(_mm_set1_ps(-0.0), self.0) })
        }

        /// Each lane rounded to the nearest integer, ties to even (in `i32` range).
        #[inline(always)]
        pub fn round(self) -> Acc {
            // The default rounding mode (MXCSR), which Rust never changes, is to nearest even.
            Acc(unsafe { _mm_cvtps_epi32(self.0) })
        }
    }
}

#[cfg(not(any(
    all(target_arch = "wasm32", target_feature = "simd128"),
    target_arch = "x86_64"
)))]
mod imp {
    /// Eight `i16`.
    #[derive(Clone, Copy)]
    pub struct Wide([i16; 8]);
    /// Four `i32`.
    #[derive(Clone, Copy)]
    pub struct Acc([i32; 4]);
    /// Four `f32`.
    #[derive(Clone, Copy)]
    pub struct Float([f32; 4]);

    impl Wide {
        /// The two `i16` at `at`, repeated four times.
        ///
        /// # Safety
        /// `at` and `at + 1` are readable.
        pub unsafe fn pair(at: *const i16) -> Self {
            // SAFETY: the caller guarantees both values are readable.
            let (a, b) = unsafe { (at.read(), at.add(1).read()) };
            Self([a, b, a, b, a, b, a, b])
        }

        /// The eight `i8` at `at`, widened.
        ///
        /// # Safety
        /// `at..at + 8` is readable.
        pub unsafe fn widen(at: *const i8) -> Self {
            // SAFETY: the caller guarantees eight readable bytes.
            Self(std::array::from_fn(|i| {
                i16::from(unsafe { at.add(i).read() })
            }))
        }

        /// The eight `i16` at `at`.
        ///
        /// # Safety
        /// `at..at + 8` is readable.
        pub unsafe fn load(at: *const i16) -> Self {
            // SAFETY: the caller guarantees eight readable values.
            Self(std::array::from_fn(|i| unsafe { at.add(i).read() }))
        }
    }

    impl Acc {
        /// Every lane `value`.
        pub fn splat(value: i32) -> Self {
            Self([value; 4])
        }

        /// `self + (a₀b₀ + a₁b₁, a₂b₂ + a₃b₃, …)`: eight products summed in pairs.
        pub fn dot_add(self, a: Wide, b: Wide) -> Self {
            let product = |i: usize| i32::from(a.0[i]) * i32::from(b.0[i]);
            Self(std::array::from_fn(|lane| {
                self.0[lane].wrapping_add(product(2 * lane).wrapping_add(product(2 * lane + 1)))
            }))
        }

        /// Lane-wise sum.
        pub fn add(self, other: Self) -> Self {
            Self(std::array::from_fn(|i| self.0[i].wrapping_add(other.0[i])))
        }

        /// Each lane shifted into a float's exponent field (`<< 23`).
        pub fn shift_to_exponent(self) -> Self {
            Self(self.0.map(|v| v << 23))
        }

        /// The lanes' bits as floats.
        pub fn to_bits(self) -> Float {
            Float(self.0.map(|v| f32::from_bits(v as u32)))
        }

        /// The lanes converted to floats.
        pub fn to_float(self) -> Float {
            Float(self.0.map(|v| v as f32))
        }

        /// `low`'s lanes then `high`'s, narrowed to `i16` with saturation, into `out[..8]`.
        pub fn narrow_into(low: Self, high: Self, out: &mut [i16]) {
            for (o, v) in out[..8].iter_mut().zip(low.0.iter().chain(&high.0)) {
                *o = (*v).clamp(i16::MIN.into(), i16::MAX.into()) as i16;
            }
        }
    }

    impl Float {
        /// Every lane `value`.
        pub fn splat(value: f32) -> Self {
            Self([value; 4])
        }

        /// `from[..4]`.
        pub fn load(from: &[f32]) -> Self {
            Self(from[..4].try_into().expect("four floats"))
        }

        /// Writes the lanes to `to[..4]`.
        pub fn store(self, to: &mut [f32]) {
            to[..4].copy_from_slice(&self.0);
        }

        /// The four lanes.
        pub fn lanes(self) -> [f32; 4] {
            self.0
        }

        fn zip(self, other: Self, f: impl Fn(f32, f32) -> f32) -> Self {
            Self(std::array::from_fn(|i| f(self.0[i], other.0[i])))
        }

        /// Lane-wise sum.
        pub fn add(self, other: Self) -> Self {
            self.zip(other, |a, b| a + b)
        }

        /// Lane-wise difference.
        pub fn sub(self, other: Self) -> Self {
            self.zip(other, |a, b| a - b)
        }

        /// Lane-wise product.
        pub fn mul(self, other: Self) -> Self {
            self.zip(other, |a, b| a * b)
        }

        /// Lane-wise quotient.
        pub fn div(self, other: Self) -> Self {
            self.zip(other, |a, b| a / b)
        }

        /// Lane-wise larger value (of numbers; a zero of either sign may come out as either).
        pub fn max(self, other: Self) -> Self {
            self.zip(other, |a, b| if a < b { b } else { a })
        }

        /// Lane-wise smaller value (of numbers).
        pub fn min(self, other: Self) -> Self {
            self.zip(other, |a, b| if b < a { b } else { a })
        }

        /// Lane-wise magnitude.
        pub fn abs(self) -> Self {
            Self(self.0.map(f32::abs))
        }

        /// Each lane rounded to the nearest integer, ties to even (in `i32` range).
        pub fn round(self) -> Acc {
            Acc(self.0.map(|v| v.round_ties_even() as i32))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_vector_sigmoid_is_the_logistic_function() {
        let xs: Vec<f32> = (-400..=400)
            .map(|i| i as f32 * 0.05)
            .chain([-1e4, 1e4])
            .collect();
        for chunk in xs.chunks_exact(4) {
            let got = Float::load(chunk).sigmoid().lanes();
            for (x, y) in chunk.iter().zip(got) {
                let exact = 1.0 / (1.0 + (-f64::from(*x)).exp());
                assert!(
                    (f64::from(y) - exact).abs() <= 4.0 * f64::from(f32::EPSILON) * exact + 1e-37,
                    "sigmoid({x}) = {y}, not {exact}"
                );
            }
        }
    }

    #[test]
    fn pairs_of_products_sum_into_four_lanes() {
        let activations = [3i16, -2];
        let weights = [1i8, 2, -3, 4, 127, -128, 0, 5];
        // SAFETY: two and eight readable values.
        let (a, b) = unsafe {
            (
                Wide::pair(activations.as_ptr()),
                Wide::widen(weights.as_ptr()),
            )
        };
        let sums = Acc::splat(10).dot_add(a, b).to_float().lanes();
        assert_eq!(sums, [10.0 - 1.0, 10.0 - 17.0, 10.0 + 637.0, 10.0 - 10.0]);
        let mut narrowed = [0i16; 8];
        let rounded = Float::load(&[0.5, 1.5, -2.5, 70000.0]).round();
        Acc::narrow_into(rounded, Acc::splat(-1), &mut narrowed);
        assert_eq!(narrowed, [0, 2, -2, 32767, -1, -1, -1, -1]);
    }
}

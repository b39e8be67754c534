//! Training-time augmentation: each image gets a small random affine warp (rotation, scale, shear
//! and a sub-pixel shift about the centre), resampled bilinearly, and — for data sets whose
//! classes are mirror-symmetric, like clothes — may be mirrored left to right. The network still
//! learns to reproduce its input, so the changed image is both input and target.

use rand::{Rng, RngExt};

use crate::architecture::IMAGE_SIDE as SIDE;

/// Largest rotation, in radians (about 8°).
const MAX_ROTATION: f32 = 0.14;
/// Largest relative change of size.
const MAX_SCALE: f32 = 0.08;
/// Largest shear factor.
const MAX_SHEAR: f32 = 0.10;
/// Largest shift, in pixels.
const MAX_SHIFT: f32 = 1.0;

/// Writes a randomly warped copy of the 28×28 image `source` into `target`; `strength` scales
/// every largest change above (1: as written, 0.5: half of each).
pub fn warp_randomly(source: &[f32], target: &mut [f32], strength: f32, rng: &mut impl Rng) {
    let mut uniform = |limit: f32| rng.random_range(-limit * strength..=limit * strength);
    let angle = uniform(MAX_ROTATION);
    let scale = 1.0 + uniform(MAX_SCALE);
    let shear = uniform(MAX_SHEAR);
    let shift = [uniform(MAX_SHIFT), uniform(MAX_SHIFT)];
    // Inverse map: each target pixel reads the source at A·(p − c) + c − shift.
    let (sin, cos) = angle.sin_cos();
    let a = [
        [cos / scale, (-sin + shear * cos) / scale],
        [sin / scale, (cos + shear * sin) / scale],
    ];
    let centre = (SIDE as f32 - 1.0) / 2.0;
    for row in 0..SIDE {
        for col in 0..SIDE {
            let (dx, dy) = (col as f32 - centre, row as f32 - centre);
            let x = a[0][0] * dx + a[0][1] * dy + centre - shift[0];
            let y = a[1][0] * dx + a[1][1] * dy + centre - shift[1];
            target[row * SIDE + col] = bilinear(source, x, y);
        }
    }
}

/// Mirrors the 28×28 `image` left to right in place.
pub fn mirror(image: &mut [f32]) {
    for row in image.chunks_exact_mut(SIDE) {
        row.reverse();
    }
}

/// The image's value at a fractional position; zero (background) outside it.
fn bilinear(image: &[f32], x: f32, y: f32) -> f32 {
    let (x0, y0) = (x.floor(), y.floor());
    let (fx, fy) = (x - x0, y - y0);
    let at = |r: f32, c: f32| {
        if r < 0.0 || c < 0.0 || r >= SIDE as f32 || c >= SIDE as f32 {
            0.0
        } else {
            image[r as usize * SIDE + c as usize]
        }
    };
    let top = at(y0, x0) * (1.0 - fx) + at(y0, x0 + 1.0) * fx;
    let bottom = at(y0 + 1.0, x0) * (1.0 - fx) + at(y0 + 1.0, x0 + 1.0) * fx;
    top * (1.0 - fy) + bottom * fy
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::ChaCha8Rng;

    fn centred_square() -> Vec<f32> {
        let mut image = vec![0.0; SIDE * SIDE];
        for row in 10..18 {
            for col in 10..18 {
                image[row * SIDE + col] = 1.0;
            }
        }
        image
    }

    #[test]
    fn mirroring_swaps_left_and_right_and_twice_restores_the_image() {
        let mut image: Vec<f32> = (0..SIDE * SIDE).map(|i| i as f32).collect();
        let original = image.clone();
        mirror(&mut image);
        assert_eq!(image[0], original[SIDE - 1]);
        assert_eq!(image[5 * SIDE + 3], original[5 * SIDE + SIDE - 4]);
        mirror(&mut image);
        assert_eq!(image, original);
    }

    #[test]
    fn a_warp_moves_pixels_a_little_and_keeps_the_ink() {
        let source = centred_square();
        let mut warped = vec![0.0; SIDE * SIDE];
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        for _ in 0..20 {
            warp_randomly(&source, &mut warped, 1.0, &mut rng);
            assert!(warped.iter().all(|&v| (0.0..=1.0).contains(&v)));
            let ink: f32 = warped.iter().sum();
            assert!((ink - 64.0).abs() < 64.0 * 0.25, "ink {ink}");
            let changed = source
                .iter()
                .zip(&warped)
                .filter(|(a, b)| (*a - *b).abs() > 0.05)
                .count();
            assert!(changed < 200, "{changed} pixels changed");
            // The corners stay background.
            assert_eq!(warped[0], 0.0);
            assert_eq!(warped[SIDE * SIDE - 1], 0.0);
        }
    }

    #[test]
    fn a_weaker_warp_changes_fewer_pixels() {
        let source = centred_square();
        let mut warped = vec![0.0; SIDE * SIDE];
        let mut changed = |strength: f32| {
            let mut rng = ChaCha8Rng::seed_from_u64(5);
            let mut total = 0.0;
            for _ in 0..50 {
                warp_randomly(&source, &mut warped, strength, &mut rng);
                total += source
                    .iter()
                    .zip(&warped)
                    .map(|(a, b)| (a - b).abs())
                    .sum::<f32>();
            }
            total
        };
        let (half, full) = (changed(0.5), changed(1.0));
        assert!(half > 0.0 && half < 0.75 * full, "half {half}, full {full}");
    }

    #[test]
    fn the_same_seed_gives_the_same_warp() {
        let source = centred_square();
        let (mut a, mut b) = (vec![0.0; SIDE * SIDE], vec![0.0; SIDE * SIDE]);
        warp_randomly(&source, &mut a, 1.0, &mut ChaCha8Rng::seed_from_u64(9));
        warp_randomly(&source, &mut b, 1.0, &mut ChaCha8Rng::seed_from_u64(9));
        assert_eq!(a, b);
        warp_randomly(&source, &mut b, 1.0, &mut ChaCha8Rng::seed_from_u64(10));
        assert_ne!(a, b);
    }
}

//! The measured style of a 28 × 28 image, in real units, after Morpho-MNIST (Castro et al.,
//! 2019): slant, stroke thickness, the width and height of the ink's box, and ink mass.
//!
//! As Morpho-MNIST does, the image is magnified [`MAGNIFICATION`] times (bilinear) and cut at half
//! intensity, so that the measures move in quarter pixels rather than whole ones:
//! - **slant**: the horizontal shear of the ink, `atan(−μ₁₁ / μ₀₂)` from the image's second
//!   moments, in degrees, positive when the top leans right (Morpho-MNIST's, on grey values
//!   rather than the cut image, so it changes smoothly as a stroke fades);
//! - **thickness**: twice the mean distance from the ridge of the ink (the pixels farthest from
//!   the background along some direction, where Morpho-MNIST takes the medial axis) to the
//!   background, in pixels: a stroke of width w measures w;
//! - **width** and **height**: of the box around the ink once its slant is sheared away
//!   (Morpho-MNIST's bounding parallelogram), in pixels;
//! - **ink**: the sum of the pixel values, in pixels of full ink.

use serde::{Deserialize, Serialize};

use crate::architecture::IMAGE_PIXELS;

/// Side of the images measured.
pub const SIDE: usize = 28;
/// How many times the image is magnified before it is cut at half intensity.
pub const MAGNIFICATION: usize = 4;
/// The measures, in the order of [`Measure::ALL`].
pub const MEASURES: usize = 5;

/// One measure of an image's style.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Measure {
    /// Degrees, positive when the top leans right.
    Slant,
    /// Stroke width, pixels.
    Thickness,
    /// Width of the deslanted ink's box, pixels.
    Width,
    /// Height of the ink's box, pixels.
    Height,
    /// Sum of pixel values, pixels of full ink.
    Ink,
}

/// How a writer's measure carries over to another class.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transfer {
    /// As a value in the measure's unit: a 12° slant is 12° on every digit.
    Absolute,
    /// As standard deviations from the class's mean: a narrow 0 makes a narrow 1, not a 1 as
    /// narrow as that 0.
    Relative,
}

impl Measure {
    /// Every measure, in the order [`measure`] returns them.
    pub const ALL: [Self; MEASURES] = [
        Self::Slant,
        Self::Thickness,
        Self::Width,
        Self::Height,
        Self::Ink,
    ];

    /// The measure's name in the JS API and on the page.
    pub fn name(self) -> &'static str {
        match self {
            Self::Slant => "slant",
            Self::Thickness => "thickness",
            Self::Width => "width",
            Self::Height => "height",
            Self::Ink => "ink",
        }
    }

    /// Its unit.
    pub fn unit(self) -> &'static str {
        match self {
            Self::Slant => "degrees",
            Self::Thickness | Self::Width | Self::Height => "px",
            Self::Ink => "px²",
        }
    }

    /// Its position in [`Measure::ALL`] and in the rows of [`measure`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// The measure called `name`.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.name() == name)
    }

    /// How a writer's value of it carries over to another class.
    pub fn transfer(self) -> Transfer {
        match self {
            Self::Slant | Self::Thickness => Transfer::Absolute,
            Self::Width | Self::Height | Self::Ink => Transfer::Relative,
        }
    }
}

/// The [`MEASURES`] measures of one row-major 28 × 28 image with values in [0, 1]; an image
/// without ink measures all zeros.
pub fn measure(image: &[f32]) -> [f32; MEASURES] {
    assert_eq!(image.len(), IMAGE_PIXELS, "a 28 × 28 image");
    let ink: f32 = image.iter().sum();
    let shear = shear(image);
    let cut = Magnified::cut(image);
    if ink <= 0.0 || cut.inked.is_empty() {
        return [0.0; MEASURES];
    }
    let (width, height) = cut.deslanted_box(shear);
    let mut measures = [0.0; MEASURES];
    measures[Measure::Slant.index()] = shear.atan().to_degrees();
    measures[Measure::Thickness.index()] = cut.thickness();
    measures[Measure::Width.index()] = width;
    measures[Measure::Height.index()] = height;
    measures[Measure::Ink.index()] = ink;
    measures
}

/// `−μ₁₁ / μ₀₂` of the grey values: how far the ink moves right per pixel upwards (0 for no ink
/// or a single row of it).
fn shear(image: &[f32]) -> f32 {
    let (mut mass, mut sum_x, mut sum_y) = (0f64, 0f64, 0f64);
    for (i, &p) in image.iter().enumerate() {
        let p = f64::from(p);
        mass += p;
        sum_x += p * (i % SIDE) as f64;
        sum_y += p * (i / SIDE) as f64;
    }
    if mass <= 0.0 {
        return 0.0;
    }
    let (mean_x, mean_y) = (sum_x / mass, sum_y / mass);
    let (mut mu11, mut mu02) = (0f64, 0f64);
    for (i, &p) in image.iter().enumerate() {
        let (dx, dy) = ((i % SIDE) as f64 - mean_x, (i / SIDE) as f64 - mean_y);
        mu11 += f64::from(p) * dx * dy;
        mu02 += f64::from(p) * dy * dy;
    }
    if mu02 <= 1e-9 {
        return 0.0;
    }
    (-mu11 / mu02) as f32
}

/// Side of the magnified image, with one pixel of background all round so that every inked
/// pixel has neighbours.
const BIG: usize = SIDE * MAGNIFICATION + 2;

/// The image magnified and cut at half intensity.
struct Magnified {
    /// Whether each of the `BIG × BIG` pixels is ink.
    ink: Vec<bool>,
    /// Indices of the inked pixels.
    inked: Vec<usize>,
}

impl Magnified {
    /// Magnifies `image` bilinearly (pixel centres aligned, outside the image blank) and cuts it
    /// at half intensity.
    fn cut(image: &[f32]) -> Self {
        let at = |x: isize, y: isize| -> f32 {
            if (0..SIDE as isize).contains(&x) && (0..SIDE as isize).contains(&y) {
                image[y as usize * SIDE + x as usize]
            } else {
                0.0
            }
        };
        let mut ink = vec![false; BIG * BIG];
        let mut inked = Vec::new();
        // A magnified pixel is ink only beside a source pixel of at least half intensity, so
        // only the magnified box of those pixels (and a source pixel around) is looked at.
        let Some(rows) = span(
            image
                .chunks_exact(SIDE)
                .map(|row| row.iter().any(|&p| p >= 0.5)),
        ) else {
            return Self { ink, inked };
        };
        let columns = span((0..SIDE).map(|x| (0..SIDE).any(|y| image[y * SIDE + x] >= 0.5)))
            .expect("a row with ink has a column with ink");
        let magnified = |(first, last): (usize, usize)| {
            let k = MAGNIFICATION;
            (k * first).saturating_sub(k).max(1)..=(k * last + 2 * k).min(BIG - 2)
        };
        let scale = MAGNIFICATION as f32;
        for by in magnified(rows) {
            let sy = ((by - 1) as f32 + 0.5) / scale - 0.5;
            let (y0, fy) = (sy.floor(), sy - sy.floor());
            for bx in magnified(columns) {
                let sx = ((bx - 1) as f32 + 0.5) / scale - 0.5;
                let (x0, fx) = (sx.floor(), sx - sx.floor());
                let (x0, y0i) = (x0 as isize, y0 as isize);
                let top = at(x0, y0i) * (1.0 - fx) + at(x0 + 1, y0i) * fx;
                let bottom = at(x0, y0i + 1) * (1.0 - fx) + at(x0 + 1, y0i + 1) * fx;
                if top * (1.0 - fy) + bottom * fy >= 0.5 {
                    let i = by * BIG + bx;
                    ink[i] = true;
                    inked.push(i);
                }
            }
        }
        Self { ink, inked }
    }

    /// Width and height, in image pixels, of the box around the ink with `shear` taken out.
    fn deslanted_box(&self, shear: f32) -> (f32, f32) {
        let mean_y =
            self.inked.iter().map(|&i| (i / BIG) as f32).sum::<f32>() / self.inked.len() as f32;
        let (mut left, mut right) = (f32::INFINITY, f32::NEG_INFINITY);
        let (mut top, mut bottom) = (usize::MAX, 0);
        for &i in &self.inked {
            let (x, y) = ((i % BIG) as f32, i / BIG);
            let upright = x + shear * (y as f32 - mean_y);
            left = left.min(upright);
            right = right.max(upright);
            top = top.min(y);
            bottom = bottom.max(y);
        }
        let scale = MAGNIFICATION as f32;
        (
            (right - left + 1.0) / scale,
            (bottom - top + 1) as f32 / scale,
        )
    }

    /// Twice the mean distance of the ink's ridge from the background, in image pixels. A ridge
    /// pixel is no nearer the background than its two neighbours along some direction, and
    /// nearer than one of them, while across that direction (along the ridge) its distance
    /// changes by less than half a pixel per pixel: the tips of round stroke ends, where the
    /// distance falls along the stroke, are not ridge. A stroke `w` magnified pixels wide has a
    /// ridge at `w / 2` (even `w`) or `(w + 1) / 2` (odd), so the half pixel between a pixel's
    /// centre and its edge is taken off half of the time.
    fn thickness(&self) -> f32 {
        // Each direction and the one across it: right and down, and the two diagonals.
        const DIRECTIONS: [(usize, usize, f32); 4] = [
            (1, BIG, 1.0),
            (BIG, 1, 1.0),
            (BIG + 1, BIG - 1, std::f32::consts::SQRT_2),
            (BIG - 1, BIG + 1, std::f32::consts::SQRT_2),
        ];
        let distance = self.distances();
        let (mut sum, mut count) = (0f64, 0usize);
        for &i in &self.inked {
            let d = distance[i];
            let ridge = DIRECTIONS.iter().any(|&(step, across, length)| {
                let (a, b) = (distance[i - step], distance[i + step]);
                let slope = (distance[i + across] - distance[i - across]).abs() / (2.0 * length);
                d >= a && d >= b && (d > a || d > b) && slope < 0.5
            });
            if ridge {
                sum += f64::from(d);
                count += 1;
            }
        }
        if count == 0 {
            return 0.0;
        }
        let mean = (sum / count as f64) as f32;
        (2.0 * mean - 0.5) / MAGNIFICATION as f32
    }

    /// The Euclidean distance of every pixel from the nearest background pixel (0 for
    /// background), by Felzenszwalb and Huttenlocher's two passes of lower envelopes.
    fn distances(&self) -> Vec<f32> {
        const FAR: f64 = 1e12;
        let mut squared: Vec<f64> = self
            .ink
            .iter()
            .map(|&ink| if ink { FAR } else { 0.0 })
            .collect();
        // Only the ink's box and the background around it: every inked pixel's nearest
        // background pixel lies there, and outside it the distance is 0.
        let (Some(rows), Some(columns)) = (
            span(self.ink.chunks_exact(BIG).map(|row| row.contains(&true))),
            span((0..BIG).map(|x| (0..BIG).any(|y| self.ink[y * BIG + x]))),
        ) else {
            return vec![0.0; BIG * BIG];
        };
        let (rows, columns) = (
            (rows.0 - 1)..=(rows.1 + 1),
            (columns.0 - 1)..=(columns.1 + 1),
        );
        let mut line = vec![0f64; BIG];
        let mut out = vec![0f64; BIG];
        let mut envelope = Envelope::new(BIG);
        for y in rows.clone() {
            let row = &mut squared[y * BIG..(y + 1) * BIG][columns.clone()];
            line[..row.len()].copy_from_slice(row);
            envelope.transform(&line[..row.len()], row);
        }
        let height = rows.end() - rows.start() + 1;
        for x in columns {
            for (k, y) in rows.clone().enumerate() {
                line[k] = squared[y * BIG + x];
            }
            envelope.transform(&line[..height], &mut out[..height]);
            for (k, y) in rows.clone().enumerate() {
                squared[y * BIG + x] = out[k];
            }
        }
        squared.iter().map(|&d| d.sqrt() as f32).collect()
    }
}

/// The first and last positions where `flags` is true.
fn span(flags: impl Iterator<Item = bool>) -> Option<(usize, usize)> {
    flags
        .enumerate()
        .filter(|&(_, f)| f)
        .fold(None, |range, (i, _)| {
            Some(range.map_or((i, i), |(first, _): (usize, usize)| (first, i)))
        })
}

/// Buffers of the one-dimensional squared distance transform.
struct Envelope {
    /// Positions of the parabolas in the lower envelope.
    vertices: Vec<usize>,
    /// Where each parabola of the envelope starts to be the lowest.
    bounds: Vec<f64>,
}

impl Envelope {
    fn new(len: usize) -> Self {
        Self {
            vertices: vec![0; len],
            bounds: vec![0.0; len + 1],
        }
    }

    /// `out[q] = min over p of (q − p)² + f[p]`.
    fn transform(&mut self, f: &[f64], out: &mut [f64]) {
        let (v, z) = (&mut self.vertices, &mut self.bounds);
        let parabola = |q: usize| f[q] + (q * q) as f64;
        let mut k = 0;
        v[0] = 0;
        z[0] = f64::NEG_INFINITY;
        z[1] = f64::INFINITY;
        for q in 1..f.len() {
            // z[0] is −∞, so the search stops at the first parabola at the latest.
            let mut s = (parabola(q) - parabola(v[k])) / (2 * (q - v[k])) as f64;
            while s <= z[k] {
                k -= 1;
                s = (parabola(q) - parabola(v[k])) / (2 * (q - v[k])) as f64;
            }
            k += 1;
            v[k] = q;
            z[k] = s;
            z[k + 1] = f64::INFINITY;
        }
        let mut k = 0;
        for (q, out) in out.iter_mut().enumerate() {
            while z[k + 1] < q as f64 {
                k += 1;
            }
            let d = q as f64 - v[k] as f64;
            *out = d * d + f[v[k]];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 28 × 28 image of everything within `half_width` of the segment from `a` to `b`
    /// (coordinates in pixels, pixel centres at .5), each pixel covered in 8 × 8 sub-samples.
    fn stroke(a: (f32, f32), b: (f32, f32), half_width: f32) -> Vec<f32> {
        render(|x, y| {
            let (dx, dy) = (b.0 - a.0, b.1 - a.1);
            let t = (((x - a.0) * dx + (y - a.1) * dy) / (dx * dx + dy * dy)).clamp(0.0, 1.0);
            let (px, py) = (a.0 + t * dx - x, a.1 + t * dy - y);
            (px * px + py * py).sqrt() <= half_width
        })
    }

    fn render(inside: impl Fn(f32, f32) -> bool) -> Vec<f32> {
        const SUB: usize = 8;
        let mut image = vec![0.0; IMAGE_PIXELS];
        for (i, pixel) in image.iter_mut().enumerate() {
            let (x0, y0) = ((i % SIDE) as f32, (i / SIDE) as f32);
            let hits = (0..SUB * SUB)
                .filter(|s| {
                    let x = x0 + ((s % SUB) as f32 + 0.5) / SUB as f32;
                    let y = y0 + ((s / SUB) as f32 + 0.5) / SUB as f32;
                    inside(x, y)
                })
                .count();
            *pixel = hits as f32 / (SUB * SUB) as f32;
        }
        image
    }

    /// A bar 16 px long and `width` wide through the centre, its top turned `degrees` right.
    fn bar(degrees: f32, width: f32) -> Vec<f32> {
        let (sin, cos) = degrees.to_radians().sin_cos();
        let (dx, dy) = (8.0 * sin, 8.0 * cos);
        stroke((14.0 + dx, 14.0 - dy), (14.0 - dx, 14.0 + dy), width / 2.0)
    }

    fn close(what: &str, found: f32, expected: f32, tolerance: f32) {
        assert!(
            (found - expected).abs() <= tolerance,
            "{what}: measured {found}, expected {expected} ± {tolerance}"
        );
    }

    #[test]
    fn a_bar_turned_by_a_known_angle_measures_that_slant() {
        for degrees in [-30.0, -12.0, 0.0, 8.0, 20.0, 35.0] {
            let m = measure(&bar(degrees, 2.5));
            // The shear of a turned bar is tan(angle) exactly, less the round caps' share.
            close(
                &format!("slant of a bar at {degrees}°"),
                m[Measure::Slant.index()],
                degrees,
                1.5,
            );
        }
    }

    #[test]
    fn strokes_of_known_width_measure_that_thickness() {
        // Strokes under 1.5 px fall apart where the cut at half intensity breaks them.
        for width in [1.5, 2.0, 3.0, 4.0, 5.0] {
            for degrees in [0.0, 25.0, 45.0, 70.0] {
                let m = measure(&bar(degrees, width));
                close(
                    &format!("thickness of a {width} px bar at {degrees}°"),
                    m[Measure::Thickness.index()],
                    width,
                    0.4,
                );
            }
        }
        // A ring 2 px wide: curves measure as straight strokes do.
        let ring = render(|x, y| ((x - 14.0).hypot(y - 14.0) - 8.0).abs() <= 1.0);
        close(
            "thickness of a 2 px ring",
            measure(&ring)[Measure::Thickness.index()],
            2.0,
            0.35,
        );
    }

    #[test]
    fn boxes_of_known_size_measure_that_width_height_and_ink() {
        for (w, h) in [(6.0, 10.0), (12.0, 4.0), (17.0, 20.0)] {
            let (x0, y0) = (14.0 - w / 2.0, 13.0 - h / 2.0);
            let image = render(|x, y| (x0..x0 + w).contains(&x) && (y0..y0 + h).contains(&y));
            let m = measure(&image);
            close("width", m[Measure::Width.index()], w, 0.3);
            close("height", m[Measure::Height.index()], h, 0.3);
            close("ink", m[Measure::Ink.index()], w * h, 0.5);
            close("slant of a box", m[Measure::Slant.index()], 0.0, 0.01);
        }
    }

    #[test]
    fn a_slanted_bar_is_narrow_once_deslanted_and_its_height_is_its_extent() {
        let m = measure(&bar(25.0, 2.0));
        // 16 px long plus the round caps, upright: height 16·cos 25° + 2.
        close(
            "height",
            m[Measure::Height.index()],
            16.0 * 25f32.to_radians().cos() + 2.0,
            0.6,
        );
        // Sheared upright, a bar is as wide as its horizontal cross-section, 2 / cos 25°.
        assert!(m[Measure::Width.index()] < 3.5, "{m:?}");
    }

    #[test]
    fn a_blank_image_measures_zero() {
        assert_eq!(measure(&[0.0; IMAGE_PIXELS]), [0.0; MEASURES]);
        // Faint ink below the cut has no box but has mass: still measured as blank.
        assert_eq!(measure(&[0.2; IMAGE_PIXELS]), [0.0; MEASURES]);
    }

    #[test]
    fn names_and_indices_agree() {
        for (i, m) in Measure::ALL.into_iter().enumerate() {
            assert_eq!(m.index(), i);
            assert_eq!(Measure::from_name(m.name()), Some(m));
        }
        assert_eq!(Measure::from_name("slnat"), None);
    }
}

//! The report's figures, redrawn from a trained model folder: PNG image grids (MNIST-style white
//! strokes on black, each digit upscaled ×2 with 2-px gaps), an animated GIF of the path through
//! the class means, a bar chart of the PCA eigenvalues and two-digit PCA scatter plots.

use std::io::Cursor;
use std::path::Path;

use burn::tensor::Device;
use image::codecs::gif::{GifEncoder, Repeat};
use image::{Delay, DynamicImage, Frame, GrayImage, ImageFormat, Luma, Rgb, RgbImage, imageops};

use super::data::{Images, Split};
use super::files::write_atomic;
use super::model_dir::{ModelDir, encode_all};
use crate::generator::{Generator, GeneratorError, SampleOptions};
use crate::latent::fit::{fit_pca, to_matrix};
use crate::latent::{CLASSES, Method, Pca};
use crate::model::{Encoder, IMAGE_PIXELS, LATENT_DIM, default_device};

/// Side of an MNIST image in pixels.
const SIDE: u32 = 28;
/// Upscaling of each digit in a grid.
const GRID_SCALE: u32 = 2;
/// Upscaling of each frame of the GIF.
const GIF_SCALE: u32 = 4;
/// Pixels between grid cells.
const GAP: u32 = 2;
/// Grey of the gaps, so cells stay apart on the black background.
const GAP_SHADE: u8 = 96;
/// Display time of one GIF frame.
const FRAME_MS: u32 = 40;
/// Interpolation steps between two class means in the GIF.
const STEPS_PER_LEG: usize = 12;
/// Non-zero entries kept in each row of `sparse_means.png`.
const SPARSE_NONZEROS: [usize; 6] = [1, 2, 4, 8, 16, 32];
/// Mixture samples per digit in `nearest_neighbours.png`.
const NEIGHBOUR_SAMPLES: usize = 5;

const WHITE: Rgb<u8> = Rgb([255, 255, 255]);
const BLACK: Rgb<u8> = Rgb([0, 0, 0]);
const BAR_COLOUR: Rgb<u8> = Rgb([49, 104, 168]);
/// Colours of the first and second digit in a PCA scatter plot.
const PAIR_COLOURS: [Rgb<u8>; 2] = [Rgb([222, 102, 16]), Rgb([40, 96, 200])];

/// Writes the report's figures into `out` (created if missing), one line per file on stderr.
pub fn write_figures(dir: &ModelDir, out: &Path) -> Result<(), String> {
    std::fs::create_dir_all(out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let generator = dir.generator()?;
    let device = default_device();
    let encoder = dir.encoder(&device)?;
    let test = dir.images(Split::Test)?;
    let train = dir.images(Split::Train)?;

    let pairs = reconstructions(&generator, &encoder, &test, &device)?;
    save_png(out, "reconstructions.png", grid(&pairs, CLASSES))?;

    let gaussian = SampleOptions::new(Method::Gaussian, 1);
    let images = samples(&generator, CLASSES, gaussian)?;
    save_png(out, "gaussian_samples.png", grid(&images, CLASSES))?;
    let mixture = SampleOptions::new(Method::Mixture, 1);
    let images = samples(&generator, CLASSES, mixture)?;
    save_png(out, "mixture_samples.png", grid(&images, CLASSES))?;

    let images = generator.basis_vectors(10.0).map_err(message)?;
    save_png(out, "basis_vectors.png", grid(&images, 8))?;
    let rows = SPARSE_NONZEROS.map(|k| generator.sparse_means(k));
    save_png(out, "sparse_means.png", grid(&concat(rows)?, CLASSES))?;
    let rows = (0..CLASSES).map(|i| generator.interpolate(i, (i + 1) % CLASSES, CLASSES));
    save_png(out, "convex_grid.png", grid(&concat(rows)?, CLASSES))?;

    let tour: Vec<usize> = (0..CLASSES).chain([0]).collect();
    let frames = generator.path(&tour, STEPS_PER_LEG).map_err(message)?;
    save(out, "morph.gif", gif(&frames)?)?;

    save_png(
        out,
        "pca_eigenvalues.png",
        bar_chart(&generator.stats().pca.eigenvalues),
    )?;
    for pair in [[0, 1], [4, 9]] {
        let name = format!("pca_{}{}.png", pair[0], pair[1]);
        save_png(out, &name, pair_pca(&encoder, &train, &test, pair, &device))?;
    }

    let pairs = nearest_neighbours(&generator, &train)?;
    save_png(
        out,
        "nearest_neighbours.png",
        grid(&pairs, 2 * NEIGHBOUR_SAMPLES),
    )
}

/// The first test image of each digit, then their reconstructions.
fn reconstructions(
    generator: &Generator,
    encoder: &Encoder,
    test: &Images,
    device: &Device,
) -> Result<Vec<f32>, String> {
    let mut firsts = Vec::with_capacity(CLASSES);
    for digit in 0..CLASSES {
        let first = test.labels.iter().position(|&l| usize::from(l) == digit);
        firsts.push(first.ok_or_else(|| format!("no test image of digit {digit}"))?);
    }
    let originals = pick(test, &firsts);
    let codes = encode_all(encoder, &originals, device);
    let reconstructed = generator.decode(&codes).map_err(message)?;
    Ok([originals.pixels, reconstructed].concat())
}

/// Five mixture samples (seed 2) of each digit, each followed by its nearest training image.
fn nearest_neighbours(generator: &Generator, train: &Images) -> Result<Vec<f32>, String> {
    let options = SampleOptions::new(Method::Mixture, 2);
    let samples = samples(generator, NEIGHBOUR_SAMPLES, options)?;
    let mut pairs = Vec::with_capacity(2 * samples.len());
    for sample in samples.chunks_exact(IMAGE_PIXELS) {
        pairs.extend_from_slice(sample);
        pairs.extend_from_slice(train.image(nearest(train, sample)));
    }
    Ok(pairs)
}

fn message(error: impl std::fmt::Display) -> String {
    error.to_string()
}

/// `per_digit` decoded samples of each digit 0–9, digit by digit.
fn samples(
    generator: &Generator,
    per_digit: usize,
    options: SampleOptions,
) -> Result<Vec<f32>, String> {
    concat((0..CLASSES).map(|digit| generator.sample(digit, per_digit, options)))
}

/// The images of each batch, one batch after another.
fn concat(
    batches: impl IntoIterator<Item = Result<Vec<f32>, GeneratorError>>,
) -> Result<Vec<f32>, String> {
    let batches = batches.into_iter().collect::<Result<Vec<_>, _>>();
    Ok(batches.map_err(message)?.concat())
}

/// The images at `indices`, in that order.
fn pick(images: &Images, indices: &[usize]) -> Images {
    Images {
        pixels: indices
            .iter()
            .flat_map(|&i| images.image(i).iter().copied())
            .collect(),
        labels: indices.iter().map(|&i| images.labels[i]).collect(),
    }
}

/// One 28×28 image in [0, 1] as greyscale, each pixel repeated `scale × scale` times.
fn digit_image(pixels: &[f32], scale: u32) -> GrayImage {
    GrayImage::from_fn(SIDE * scale, SIDE * scale, |x, y| {
        let value = pixels[((y / scale) * SIDE + x / scale) as usize];
        Luma([(value.clamp(0.0, 1.0) * 255.0).round() as u8])
    })
}

/// Row-major 28×28 images laid out `columns` to a row, upscaled ×2, with grey 2-px gaps.
fn grid(images: &[f32], columns: usize) -> GrayImage {
    let count = images.len() / IMAGE_PIXELS;
    let rows = count.div_ceil(columns) as u32;
    let pitch = SIDE * GRID_SCALE + GAP;
    let mut canvas = GrayImage::from_pixel(
        columns as u32 * pitch - GAP,
        rows * pitch - GAP,
        Luma([GAP_SHADE]),
    );
    for (i, pixels) in images.chunks_exact(IMAGE_PIXELS).enumerate() {
        let (row, column) = ((i / columns) as u32, (i % columns) as u32);
        imageops::replace(
            &mut canvas,
            &digit_image(pixels, GRID_SCALE),
            i64::from(column * pitch),
            i64::from(row * pitch),
        );
    }
    canvas
}

/// A looping animated GIF of row-major 28×28 frames, each upscaled ×4, 40 ms apart.
fn gif(frames: &[f32]) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::new();
    {
        let mut encoder = GifEncoder::new(&mut bytes);
        encoder.set_repeat(Repeat::Infinite).map_err(message)?;
        let delay = Delay::from_numer_denom_ms(FRAME_MS, 1);
        let frames = frames.chunks_exact(IMAGE_PIXELS).map(|pixels| {
            Frame::from_parts(
                DynamicImage::ImageLuma8(digit_image(pixels, GIF_SCALE)).to_rgba8(),
                0,
                0,
                delay,
            )
        });
        encoder.encode_frames(frames).map_err(message)?;
    }
    Ok(bytes)
}

/// Fills the `width × height` rectangle at `(x, y)`, clipped to the image.
fn fill(image: &mut RgbImage, (x, y): (u32, u32), (width, height): (u32, u32), colour: Rgb<u8>) {
    for py in y..(y + height).min(image.height()) {
        for px in x..(x + width).min(image.width()) {
            image.put_pixel(px, py, colour);
        }
    }
}

/// Bars of `values` (non-negative) on white, scaled so the largest is 200 px tall, over an axis.
fn bar_chart(values: &[f32]) -> RgbImage {
    const PLOT_HEIGHT: u32 = 200;
    const BAR: u32 = 12;
    const SPACE: u32 = 4;
    const MARGIN: u32 = 10;
    let n = values.len() as u32;
    let width = 2 * MARGIN + n * (BAR + SPACE) - SPACE;
    let mut chart = RgbImage::from_pixel(width, PLOT_HEIGHT + 2 * MARGIN, WHITE);
    let largest = values.iter().copied().fold(f32::MIN_POSITIVE, f32::max);
    let base = MARGIN + PLOT_HEIGHT;
    for (i, &value) in (0..).zip(values) {
        let height = ((value.max(0.0) / largest) * PLOT_HEIGHT as f32).round() as u32;
        fill(
            &mut chart,
            (MARGIN + i * (BAR + SPACE), base - height),
            (BAR, height),
            BAR_COLOUR,
        );
    }
    fill(&mut chart, (MARGIN / 2, base), (width - MARGIN, 1), BLACK);
    chart
}

/// Test codes of the two digits of `pair` on the first two principal components of their
/// training codes.
fn pair_pca(
    encoder: &Encoder,
    train: &Images,
    test: &Images,
    pair: [usize; 2],
    device: &Device,
) -> RgbImage {
    let of_pair = |images: &Images| {
        let indices: Vec<usize> = (0..images.len())
            .filter(|&i| pair.contains(&usize::from(images.labels[i])))
            .collect();
        pick(images, &indices)
    };
    let (mean, eigenvalues, components) =
        fit_pca(&to_matrix(&encode_all(encoder, &of_pair(train), device)));
    let pca = Pca {
        mean,
        eigenvalues,
        components,
        points: Vec::new(),
        labels: Vec::new(),
    };
    let test = of_pair(test);
    let points: Vec<[f32; 2]> = encode_all(encoder, &test, device)
        .chunks_exact(LATENT_DIM)
        .map(|z| pca.project(z))
        .collect();
    let groups: Vec<usize> = test
        .labels
        .iter()
        .map(|&l| usize::from(usize::from(l) == pair[1]))
        .collect();
    scatter(&points, &groups)
}

/// Points as 3-px squares on white, coloured by group, both axes at one scale, with the axes
/// through the origin drawn in black.
fn scatter(points: &[[f32; 2]], groups: &[usize]) -> RgbImage {
    const SIZE: u32 = 400;
    const MARGIN: u32 = 8;
    const DOT: u32 = 3;
    let mut plot = RgbImage::from_pixel(SIZE, SIZE, WHITE);
    // The bounds include the origin, where the axes cross.
    let bound = |axis: usize, combine: fn(f32, f32) -> f32| {
        points.iter().map(|p| p[axis]).fold(0.0, combine)
    };
    let (low, high) = (
        [bound(0, f32::min), bound(1, f32::min)],
        [bound(0, f32::max), bound(1, f32::max)],
    );
    let span = (high[0] - low[0])
        .max(high[1] - low[1])
        .max(f32::MIN_POSITIVE);
    let scale = (SIZE - 2 * MARGIN - DOT) as f32 / span;
    // Centre the cloud; y grows upwards.
    let offset = [0, 1].map(|axis| {
        MARGIN as f32 + ((SIZE - 2 * MARGIN - DOT) as f32 - (high[axis] - low[axis]) * scale) / 2.0
    });
    let to_pixel = |p: [f32; 2]| {
        let x = offset[0] + (p[0] - low[0]) * scale;
        let y = offset[1] + (high[1] - p[1]) * scale;
        (x.round() as u32, y.round() as u32)
    };
    let (origin_x, origin_y) = to_pixel([0.0, 0.0]);
    fill(&mut plot, (0, origin_y + DOT / 2), (SIZE, 1), BLACK);
    fill(&mut plot, (origin_x + DOT / 2, 0), (1, SIZE), BLACK);
    for (&point, &group) in points.iter().zip(groups) {
        fill(&mut plot, to_pixel(point), (DOT, DOT), PAIR_COLOURS[group]);
    }
    plot
}

/// Index of the training image closest to `query` in Euclidean pixel distance.
fn nearest(train: &Images, query: &[f32]) -> usize {
    train
        .pixels
        .chunks_exact(IMAGE_PIXELS)
        .map(|image| squared_distance(image, query))
        .enumerate()
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map_or(0, |(i, _)| i)
}

/// Sum of squared differences, in eight independent lanes so the compiler can vectorise it.
fn squared_distance(a: &[f32], b: &[f32]) -> f32 {
    let mut lanes = [0f32; 8];
    for (x, y) in a.chunks_exact(8).zip(b.chunks_exact(8)) {
        for ((lane, p), q) in lanes.iter_mut().zip(x).zip(y) {
            *lane += (p - q) * (p - q);
        }
    }
    let tail = a
        .chunks_exact(8)
        .remainder()
        .iter()
        .zip(b.chunks_exact(8).remainder());
    lanes.iter().sum::<f32>() + tail.map(|(p, q)| (p - q) * (p - q)).sum::<f32>()
}

fn save_png(out: &Path, name: &str, image: impl Into<DynamicImage>) -> Result<(), String> {
    let mut bytes = Cursor::new(Vec::new());
    image
        .into()
        .write_to(&mut bytes, ImageFormat::Png)
        .map_err(message)?;
    save(out, name, bytes.into_inner())
}

fn save(out: &Path, name: &str, bytes: Vec<u8>) -> Result<(), String> {
    let path = out.join(name);
    write_atomic(&path, &bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    eprintln!(
        "wrote {} ({:.1} kB)",
        path.display(),
        bytes.len() as f64 / 1000.0
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::fs::File;
    use std::io::BufReader;

    use image::AnimationDecoder;
    use image::codecs::gif::GifDecoder;

    use super::*;

    /// True when `image` has both bright (≥ 192) and dark (≤ 64) pixels.
    fn has_contrast(image: &GrayImage) -> bool {
        let (darkest, brightest) = image
            .pixels()
            .fold((255, 0), |(lo, hi), p| (p[0].min(lo), p[0].max(hi)));
        darkest <= 64 && brightest >= 192
    }

    #[test]
    fn figures_of_the_committed_model_are_written_at_their_sizes() {
        let out =
            std::env::temp_dir().join(format!("latent-digits-figures-{}", std::process::id()));
        let model = ModelDir::open(Path::new("model")).expect("the committed model folder opens");
        write_figures(&model, &out).unwrap();

        // A grid of c columns and r rows is (58c − 2) × (58r − 2) pixels.
        let expected = [
            ("reconstructions.png", 578, 114),
            ("gaussian_samples.png", 578, 578),
            ("mixture_samples.png", 578, 578),
            ("basis_vectors.png", 462, 230),
            ("sparse_means.png", 578, 346),
            ("convex_grid.png", 578, 578),
            ("nearest_neighbours.png", 578, 578),
            ("pca_eigenvalues.png", 528, 220),
            ("pca_01.png", 400, 400),
            ("pca_49.png", 400, 400),
        ];
        for (name, width, height) in expected {
            let image = image::open(out.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!((image.width(), image.height()), (width, height), "{name}");
            assert!(has_contrast(&image.to_luma8()), "{name} is blank");
        }

        let gif =
            GifDecoder::new(BufReader::new(File::open(out.join("morph.gif")).unwrap())).unwrap();
        let frames = gif.into_frames().collect_frames().unwrap();
        assert_eq!(frames.len(), 10 * STEPS_PER_LEG + 1);
        assert!(frames.len() > 100);
        for frame in &frames {
            assert_eq!(frame.buffer().dimensions(), (112, 112));
            assert_eq!(frame.delay().numer_denom_ms(), (FRAME_MS, 1));
        }
        assert!(has_contrast(
            &DynamicImage::ImageRgba8(frames[0].buffer().clone()).to_luma8()
        ));

        let leftovers = std::fs::read_dir(&out).unwrap().count();
        assert_eq!(
            leftovers,
            expected.len() + 1,
            "temporary files left in {}",
            out.display()
        );
        std::fs::remove_dir_all(&out).unwrap();
    }

    #[test]
    fn the_nearest_image_is_found_and_the_grid_keeps_order() {
        let mut pixels = vec![0.0; 3 * IMAGE_PIXELS];
        pixels[IMAGE_PIXELS..2 * IMAGE_PIXELS].fill(1.0);
        pixels[2 * IMAGE_PIXELS..].fill(0.5);
        let images = Images {
            pixels: pixels.clone(),
            labels: vec![0, 1, 2],
        };
        assert_eq!(nearest(&images, &[0.9; IMAGE_PIXELS]), 1);
        assert_eq!(nearest(&images, &[0.4; IMAGE_PIXELS]), 2);
        assert_eq!(squared_distance(&[1.0; 11], &[0.0; 11]), 11.0);

        let canvas = grid(&pixels, 2);
        assert_eq!(canvas.dimensions(), (114, 114));
        assert_eq!(canvas.get_pixel(0, 0)[0], 0);
        assert_eq!(canvas.get_pixel(56, 0)[0], GAP_SHADE);
        assert_eq!(canvas.get_pixel(58, 0)[0], 255);
        assert_eq!(canvas.get_pixel(0, 58)[0], 128);
        assert_eq!(canvas.get_pixel(58, 58)[0], GAP_SHADE);
    }
}

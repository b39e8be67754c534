//! The report's figures, redrawn from a trained model folder: PNG image grids (MNIST-style white
//! strokes on black, each image upscaled ×2 with 2-px gaps), an animated GIF of the path through
//! the class means, and charts drawn with plotters in an embedded font: a bar chart of the PCA
//! eigenvalues and two-class PCA scatter plots.

use std::io::Cursor;
use std::path::Path;

use anyhow::{Context, Result, anyhow, ensure};
use burn::tensor::Device;
use image::{DynamicImage, GrayImage, ImageFormat, Luma, RgbImage, imageops};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::register_font;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::data::{Images, Split};
use super::files::write_atomic;
use super::model_dir::{ModelDir, encode_all};
use crate::animation::{GifLook, animated_gif};
use crate::architecture::{IMAGE_PIXELS, LATENT_DIM};
use crate::generator::{Class, Generator, GeneratorError, SampleOptions};
use crate::latent::fit::{fit_pca, to_matrix};
use crate::latent::{CLASSES, Method, Pca};
use crate::train::model::{Encoder, default_device};

/// Side of an image in pixels.
const SIDE: u32 = crate::architecture::IMAGE_SIDE as u32;
/// Upscaling of each image in a grid.
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

/// The charts' font, DejaVu Sans (licence in `assets/fonts/LICENSE`), so that no chart depends
/// on the fonts of the machine that draws it.
const FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
/// The name the font is registered under in plotters.
const FONT_FAMILY: &str = "sans-serif";
/// Pixel size of chart titles.
const TITLE_SIZE: u32 = 22;
/// Pixel size of axis labels and legends.
const LABEL_SIZE: u32 = 18;
/// Pixel size of tick labels.
const TICK_SIZE: u32 = 15;
/// Height of the band along the top of a chart that holds its title.
const TITLE_BAND: u32 = 40;
/// Space around a chart's plotting area.
const MARGIN: u32 = 12;
/// Height of the tick labels and axis label under the x axis.
const X_LABEL_AREA: u32 = 50;
/// Width of the tick labels and axis label left of the y axis.
const Y_LABEL_AREA: u32 = 70;
/// Size of the bar chart.
const BAR_CHART_SIZE: (u32, u32) = (640, 400);
/// Side of the scatter plots' square plotting area.
const PLOT_SIDE: u32 = 500;
/// Size of a scatter plot.
const SCATTER_SIZE: (u32, u32) = (
    PLOT_SIDE + 2 * MARGIN + Y_LABEL_AREA,
    PLOT_SIDE + TITLE_BAND + 2 * MARGIN + X_LABEL_AREA,
);
/// Radius of a scatter plot's dots.
const DOT_RADIUS: u32 = 2;
const BAR_COLOUR: RGBColor = RGBColor(49, 104, 168);
/// Colour of each class 0–9 in scatter plots (matplotlib's "tab10").
const CLASS_COLOURS: [RGBColor; CLASSES] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// Writes the report's figures into `out` (created if missing), one line per file on stderr.
pub fn write_figures(dir: &ModelDir, out: &Path) -> Result<()> {
    let train = dir.images(Split::Train)?;
    let test = dir.images(Split::Test)?;
    draw_figures(dir, &train, &test, out)
}

/// Writes the figures of the model in `dir`, with `train` and `test` as the data sets.
fn draw_figures(dir: &ModelDir, train: &Images, test: &Images, out: &Path) -> Result<()> {
    std::fs::create_dir_all(out)
        .with_context(|| format!("cannot create --out {}", out.display()))?;
    let generator = dir.generator()?;
    let device = default_device();
    let encoder = dir.encoder(&device)?;

    let pairs = reconstructions(&generator, &encoder, test, &device)?;
    save_png(out, "reconstructions.png", grid(&pairs, CLASSES))?;

    let gaussian = SampleOptions::new(Method::Gaussian, 1);
    let images = samples(&generator, CLASSES, gaussian)?;
    save_png(out, "gaussian_samples.png", grid(&images, CLASSES))?;
    let mixture = SampleOptions::new(Method::Mixture, 1);
    let images = samples(&generator, CLASSES, mixture)?;
    save_png(out, "mixture_samples.png", grid(&images, CLASSES))?;

    let images = generator.basis_vectors(10.0)?;
    save_png(out, "basis_vectors.png", grid(&images, 8))?;
    let rows = SPARSE_NONZEROS.map(|k| generator.sparse_means(k));
    save_png(out, "sparse_means.png", grid(&concat(rows)?, CLASSES))?;
    let classes: Vec<Class> = Class::all().collect();
    let rows = classes
        .iter()
        .map(|&c| generator.interpolate(c, classes[(c.index() + 1) % CLASSES], CLASSES));
    save_png(out, "convex_grid.png", grid(&concat(rows)?, CLASSES))?;

    let tour: Vec<Class> = Class::all().chain([classes[0]]).collect();
    let frames = generator.path(&tour, STEPS_PER_LEG)?;
    save(out, "morph.gif", gif(&frames)?)?;

    let names = generator.dataset().class_names();
    let eigenvalues = bar_chart(&generator.stats().pca.eigenvalues)?;
    save_png(out, "pca_eigenvalues.png", eigenvalues)?;
    for pair in [[0, 1], [4, 9]] {
        let name = format!("pca_{}{}.png", pair[0], pair[1]);
        let plot = pair_pca(&encoder, train, test, pair, &names, &device)?;
        save_png(out, &name, plot)?;
    }

    let pairs = nearest_neighbours(&generator, train)?;
    save_png(
        out,
        "nearest_neighbours.png",
        grid(&pairs, 2 * NEIGHBOUR_SAMPLES),
    )
}

/// The first test image of each class, then their reconstructions.
fn reconstructions(
    generator: &Generator,
    encoder: &Encoder,
    test: &Images,
    device: &Device,
) -> Result<Vec<f32>> {
    let mut firsts = Vec::with_capacity(CLASSES);
    for class in 0..CLASSES {
        let first = test.labels.iter().position(|&l| usize::from(l) == class);
        firsts.push(first.with_context(|| format!("no test image of class {class}"))?);
    }
    let originals = pick(test, &firsts);
    let codes = encode_all(encoder, &originals, device);
    let reconstructed = generator.decode(&codes)?;
    Ok([originals.pixels, reconstructed].concat())
}

/// Five mixture samples (seed 2) of each class, each followed by its nearest training image.
fn nearest_neighbours(generator: &Generator, train: &Images) -> Result<Vec<f32>> {
    let options = SampleOptions::new(Method::Mixture, 2);
    let samples = samples(generator, NEIGHBOUR_SAMPLES, options)?;
    let mut pairs = Vec::with_capacity(2 * samples.len());
    for sample in samples.chunks_exact(IMAGE_PIXELS) {
        pairs.extend_from_slice(sample);
        pairs.extend_from_slice(train.image(nearest(train, sample)));
    }
    Ok(pairs)
}

/// `per_class` decoded samples of each class 0–9, class by class.
fn samples(generator: &Generator, per_class: usize, options: SampleOptions) -> Result<Vec<f32>> {
    concat(Class::all().map(|class| generator.sample(class, per_class, options)))
}

/// The images of each batch, one batch after another.
fn concat(batches: impl IntoIterator<Item = Result<Vec<f32>, GeneratorError>>) -> Result<Vec<f32>> {
    let batches = batches.into_iter().collect::<Result<Vec<_>, _>>()?;
    Ok(batches.concat())
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
fn upscaled(pixels: &[f32], scale: u32) -> GrayImage {
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
            &upscaled(pixels, GRID_SCALE),
            i64::from(column * pitch),
            i64::from(row * pitch),
        );
    }
    canvas
}

/// A looping animated GIF of row-major 28×28 frames, each upscaled ×4, 40 ms apart (the page's
/// `pathGif` encoder).
fn gif(frames: &[f32]) -> Result<Vec<u8>> {
    let look = GifLook {
        scale: GIF_SCALE as usize,
        frame_ms: u64::from(FRAME_MS),
    };
    animated_gif(frames, look, None).map_err(|e| anyhow!("cannot encode the morph GIF: {e}"))
}

/// A chart of `width × height` pixels on white: `title` centred in a band along the top, the rest
/// drawn by `draw`.
fn chart(
    (width, height): (u32, u32),
    title: &str,
    draw: impl FnOnce(&DrawingArea<BitMapBackend, Shift>) -> Result<()>,
) -> Result<RgbImage> {
    // Registering again only replaces the entry, so each chart can do it.
    ensure!(
        register_font(FONT_FAMILY, FontStyle::Normal, FONT).is_ok(),
        "the embedded font does not parse"
    );
    let mut pixels = vec![0; (width * height * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, (width, height)).into_drawing_area();
        root.fill(&WHITE)?;
        let (band, body) = root.split_vertically(TITLE_BAND);
        let style = text(TITLE_SIZE).pos(Pos::new(HPos::Center, VPos::Center));
        band.draw_text(title, &style, (width as i32 / 2, TITLE_BAND as i32 / 2))?;
        draw(&body)?;
        root.present()?;
    }
    Ok(RgbImage::from_raw(width, height, pixels).expect("the buffer holds width × height pixels"))
}

/// The embedded font at `size` pixels, in black.
fn text(size: u32) -> TextStyle<'static> {
    (FONT_FAMILY, size).into_font().color(&BLACK)
}

/// A tick label: the shortest decimal that reads back as `value` ("2", "0.5").
fn tick(value: &f32) -> String {
    value.to_string()
}

/// Bars of `values` (non-negative), the variances along the principal components of the codes.
fn bar_chart(values: &[f32]) -> Result<RgbImage> {
    let title = "Variance of the codes along each principal component";
    chart(BAR_CHART_SIZE, title, |area| {
        let top = 1.05 * values.iter().copied().fold(f32::MIN_POSITIVE, f32::max);
        let mut chart = ChartBuilder::on(area)
            .margin(MARGIN)
            .x_label_area_size(X_LABEL_AREA)
            .y_label_area_size(Y_LABEL_AREA)
            .build_cartesian_2d(0.5..values.len() as f32 + 0.5, 0.0..top)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_desc("component")
            .y_desc("eigenvalue (variance)")
            .light_line_style(TRANSPARENT)
            .x_label_formatter(&tick)
            .y_label_formatter(&tick)
            .label_style(text(TICK_SIZE))
            .axis_desc_style(text(LABEL_SIZE))
            .draw()?;
        chart.draw_series((1..).zip(values).map(|(i, &value)| {
            let x = i as f32;
            Rectangle::new([(x - 0.4, 0.0), (x + 0.4, value)], BAR_COLOUR.filled())
        }))?;
        Ok(())
    })
}

/// "4s", "Coats", "Dresses": how the figures name several images of a class.
fn plural(name: &str) -> String {
    if name.ends_with('s') {
        format!("{name}es")
    } else {
        format!("{name}s")
    }
}

/// Points coloured by their class, with a legend naming each class as `names` do, on a square
/// plot with both axes at one scale.
fn scatter(
    points: &[[f32; 2]],
    labels: &[u8],
    names: &[&str; CLASSES],
    title: &str,
) -> Result<RgbImage> {
    chart(SCATTER_SIZE, title, |area| {
        // The square plot is `span` wide on both axes, centred on the points.
        let bounds = [0, 1].map(|axis| {
            let values = points.iter().map(|p| p[axis]);
            let low = values.clone().fold(f32::INFINITY, f32::min);
            (low, values.fold(f32::NEG_INFINITY, f32::max))
        });
        let span = 1.1
            * bounds
                .map(|(low, high)| high - low)
                .into_iter()
                .fold(1e-6, f32::max);
        let [x, y] = bounds.map(|(low, high)| (low + high - span) / 2.0..(low + high + span) / 2.0);
        let mut chart = ChartBuilder::on(area)
            .margin(MARGIN)
            .x_label_area_size(X_LABEL_AREA)
            .y_label_area_size(Y_LABEL_AREA)
            .build_cartesian_2d(x, y)?;
        chart
            .configure_mesh()
            .x_desc("principal component 1")
            .y_desc("principal component 2")
            .light_line_style(TRANSPARENT)
            .x_label_formatter(&tick)
            .y_label_formatter(&tick)
            .label_style(text(TICK_SIZE))
            .axis_desc_style(text(LABEL_SIZE))
            .draw()?;
        for class in 0..CLASSES as u8 {
            let colour = CLASS_COLOURS[usize::from(class)];
            let of_class = points.iter().zip(labels).filter(|&(_, &l)| l == class);
            let dots: Vec<_> = of_class
                .map(|(&[x, y], _)| Circle::new((x, y), DOT_RADIUS, colour.filled()))
                .collect();
            if !dots.is_empty() {
                chart
                    .draw_series(dots)?
                    .label(plural(names[usize::from(class)]))
                    .legend(move |at| Circle::new(at, 5, colour.filled()));
            }
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .label_font(text(LABEL_SIZE))
            .draw()?;
        Ok(())
    })
}

/// Test codes of the two classes of `pair` on the first two principal components of their
/// training codes, the classes named as `names` do.
fn pair_pca(
    encoder: &Encoder,
    train: &Images,
    test: &Images,
    pair: [usize; 2],
    names: &[&str; CLASSES],
    device: &Device,
) -> Result<RgbImage> {
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
    let [a, b] = pair.map(|class| plural(names[class]));
    let title = format!("{a} and {b} in the latent space (PCA)");
    scatter(&points, &test.labels, names, &title)
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

fn save_png(out: &Path, name: &str, image: impl Into<DynamicImage>) -> Result<()> {
    let mut bytes = Cursor::new(Vec::new());
    image
        .into()
        .write_to(&mut bytes, ImageFormat::Png)
        .with_context(|| format!("cannot encode {name}"))?;
    save(out, name, bytes.into_inner())
}

fn save(out: &Path, name: &str, bytes: Vec<u8>) -> Result<()> {
    let path = out.join(name);
    write_atomic(&path, &bytes)?;
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

    use image::codecs::gif::GifDecoder;
    use image::{AnimationDecoder, Rgb};

    use super::*;
    use crate::dataset::Dataset;

    /// True when `image` has both bright (≥ 192) and dark (≤ 64) pixels.
    fn has_contrast(image: &GrayImage) -> bool {
        let (darkest, brightest) = image
            .pixels()
            .fold((255, 0), |(lo, hi), p| (p[0].min(lo), p[0].max(hi)));
        darkest <= 64 && brightest >= 192
    }

    /// The pixels of `image` in the rectangle from `(x0, y0)` to `(x1, y1)`, exclusive.
    fn pixels_in(
        image: &RgbImage,
        (x0, y0): (u32, u32),
        (x1, y1): (u32, u32),
    ) -> impl Iterator<Item = Rgb<u8>> + '_ {
        (y0..y1).flat_map(move |y| (x0..x1).map(move |x| *image.get_pixel(x, y)))
    }

    /// True when some pixel is as dark as text (each channel below 100).
    fn has_text(mut pixels: impl Iterator<Item = Rgb<u8>>) -> bool {
        pixels.any(|p| p.0.iter().all(|&c| c < 100))
    }

    /// Asserts that `chart` has text in its title band and along both axes.
    fn assert_labelled(chart: &RgbImage) {
        let (width, height) = chart.dimensions();
        let bands = [
            ("title band", (0, 0), (width, TITLE_BAND)),
            ("y axis", (0, TITLE_BAND), (MARGIN + Y_LABEL_AREA, height)),
            ("x axis", (0, height - X_LABEL_AREA), (width, height)),
        ];
        for (band, from, to) in bands {
            assert!(
                has_text(pixels_in(chart, from, to)),
                "no text in the {band}"
            );
        }
    }

    fn rgb(colour: RGBColor) -> Rgb<u8> {
        Rgb([colour.0, colour.1, colour.2])
    }

    #[test]
    fn classes_are_named_in_the_plural() {
        let names = Dataset::Fashion.class_names().map(plural);
        assert_eq!(
            [&names[3], &names[4], &names[9]],
            ["Dresses", "Coats", "Ankle boots"]
        );
        assert_eq!(plural(Dataset::Mnist.class_names()[4]), "4s");
    }

    #[test]
    fn the_bar_chart_has_a_title_axis_labels_and_bars() {
        let bars = bar_chart(&[4.0, 2.0, 1.0, 0.5]).unwrap();
        assert_eq!(bars.dimensions(), BAR_CHART_SIZE);
        assert_labelled(&bars);
        assert!(bars.pixels().any(|&p| p == rgb(BAR_COLOUR)));
    }

    #[test]
    fn the_scatter_plot_has_a_legend_of_each_digits_colour() {
        // 0s, 4s and 9s along the falling diagonal, which leaves the legend's corner empty.
        let digits: Vec<u8> = [0, 4, 9].iter().flat_map(|&d| [d; 20]).collect();
        let points: Vec<[f32; 2]> = (0..digits.len())
            .map(|i| {
                let t = i as f32 / digits.len() as f32;
                [t, 1.0 - t]
            })
            .collect();
        let names = Dataset::Mnist.class_names();
        let plot = scatter(&points, &digits, &names, "title").unwrap();
        assert_eq!(plot.dimensions(), SCATTER_SIZE);
        assert_labelled(&plot);

        // The legend is in the top right corner of the plotting area, the dots below it.
        let (width, height) = SCATTER_SIZE;
        let (right, top) = (width - MARGIN, TITLE_BAND + MARGIN);
        let legend: Vec<_> = pixels_in(&plot, (right - 150, top), (right, top + 100)).collect();
        let dots: Vec<_> = pixels_in(&plot, (0, top + 100), (width, height)).collect();
        assert!(has_text(legend.iter().copied()));
        for digit in [0, 4, 9] {
            let colour = rgb(CLASS_COLOURS[digit]);
            assert!(legend.contains(&colour), "digit {digit} in the legend");
            assert!(dots.contains(&colour), "dots of digit {digit}");
        }
        let absent = rgb(CLASS_COLOURS[1]);
        assert!(
            !legend.contains(&absent),
            "a digit without dots in the legend"
        );
    }

    #[test]
    fn figures_of_the_committed_model_are_written_at_their_sizes() {
        let out =
            std::env::temp_dir().join(format!("latent-digits-figures-{}", std::process::id()));
        let model = ModelDir::open(Path::new("model")).expect("the committed model folder opens");
        // A few hundred test digits stand in for both data sets: every digit is among them.
        let images = model.images(Split::Test).unwrap().truncated(500);
        draw_figures(&model, &images, &images, &out).unwrap();

        // A grid of c columns and r rows is (58c − 2) × (58r − 2) pixels.
        let expected = [
            ("reconstructions.png", (578, 114)),
            ("gaussian_samples.png", (578, 578)),
            ("mixture_samples.png", (578, 578)),
            ("basis_vectors.png", (462, 230)),
            ("sparse_means.png", (578, 346)),
            ("convex_grid.png", (578, 578)),
            ("nearest_neighbours.png", (578, 578)),
            ("pca_eigenvalues.png", BAR_CHART_SIZE),
            ("pca_01.png", SCATTER_SIZE),
            ("pca_49.png", SCATTER_SIZE),
        ];
        for (name, size) in expected {
            let image = image::open(out.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!((image.width(), image.height()), size, "{name}");
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

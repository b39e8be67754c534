//! `latent-digits fit-style` and `evaluate-style`: the style directions of a model, fitted on its
//! training codes and calibrated on its decoder, and how well they, the restyle and written
//! numbers work on held-out test digits, read by the evaluator's classifier.

use anyhow::{Context, Result, anyhow};
use burn::tensor::Device;
use rand::RngExt;
use rand::SeedableRng;
use rand::rngs::ChaCha8Rng;
use rayon::prelude::*;

use super::classifier::{Classifier, classifier_dir};
use super::data::{Images, Split};
use super::files::write_atomic;
use super::model_dir::{ModelDir, codes_of_class, encode_all};
use super::{progress, score};
use crate::architecture::{IMAGE_PIXELS, LATENT_DIM};
use crate::artifact;
use crate::dataset::Dataset;
use crate::generator::{Class, Generator};
use crate::latent::CLASSES;
use crate::latent::fit;
use crate::latent::style::{ClassStyle, StyleStats};
use crate::measure::{MEASURES, Measure, measure};
use crate::train::model::default_device;

/// Training codes of each class the directions are fitted on.
pub const FIT_PER_CLASS: usize = 3000;
/// Training codes of each class the directions are calibrated on.
pub const CALIBRATE_PER_CLASS: usize = 400;
/// Longest direction, in the class's own spread of codes (Mahalanobis length): one pooled
/// spread of a measure should not take a code much farther than one of its class's spreads.
/// Clothes vary in size mostly between classes, so theirs reach further (`evaluate-style`
/// measured 1.5, 2.5 and 4 for the digits, 1.5, 3 and 5 for the clothes; MODEL.md).
pub fn max_direction_length(dataset: Dataset) -> f64 {
    match dataset {
        Dataset::Mnist => 1.5,
        Dataset::Fashion => 3.0,
    }
}
/// Rounds of calibration.
pub const CALIBRATIONS: usize = 3;
/// Every test image whose index is a multiple of this is evaluated: 1,000 spread over the set.
pub const EVALUATE_STRIDE: usize = 10;
/// The steps, in spreads, at which `evaluate-style` moves codes along each direction.
pub const STEPS: [f32; 9] = [-2.0, -1.5, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0];
/// Characters of each number written in `evaluate-style`.
pub const NUMBER_LENGTH: usize = 6;

/// The measures a model's codes are moved along: the handwriting measures for the digits;
/// the size and darkness of a garment for the clothes (slant and thickness mean little there).
pub fn steerable(dataset: Dataset) -> Vec<Measure> {
    match dataset {
        Dataset::Mnist => vec![
            Measure::Slant,
            Measure::Thickness,
            Measure::Width,
            Measure::Height,
        ],
        Dataset::Fashion => vec![Measure::Width, Measure::Height, Measure::Ink],
    }
}

/// Every image's measures, in parallel: rows of [`MEASURES`].
pub fn measure_all(pixels: &[f32]) -> Vec<[f32; MEASURES]> {
    pixels.par_chunks_exact(IMAGE_PIXELS).map(measure).collect()
}

/// Mean and standard deviation of each measure over `rows`.
fn mean_and_spread(rows: &[&[f32; MEASURES]]) -> ([f32; MEASURES], [f32; MEASURES]) {
    let n = rows.len().max(1) as f64;
    let mean: [f64; MEASURES] =
        std::array::from_fn(|i| rows.iter().map(|r| f64::from(r[i])).sum::<f64>() / n);
    let spread = std::array::from_fn(|i| {
        let var = rows
            .iter()
            .map(|r| (f64::from(r[i]) - mean[i]).powi(2))
            .sum::<f64>()
            / n;
        var.sqrt().max(1e-3) as f32
    });
    (mean.map(|m| m as f32), spread)
}

/// The spread of each measure within a class, pooled over the classes by their sizes: how much
/// a measure varies between two writers of the same class, the unit the style directions move
/// by (the spread over all images would count that a 1 is narrower than a 0 as style).
fn pooled_spreads(
    per_class: &[([f32; MEASURES], [f32; MEASURES])],
    labels: &[u8],
) -> [f32; MEASURES] {
    let mut counts = [0usize; CLASSES];
    labels.iter().for_each(|&l| counts[usize::from(l)] += 1);
    std::array::from_fn(|i| {
        let variance: f64 = per_class
            .iter()
            .zip(counts)
            .map(|((_, spread), count)| f64::from(spread[i]).powi(2) * count as f64)
            .sum::<f64>()
            / labels.len() as f64;
        variance.sqrt() as f32
    })
}

/// Fits the style statistics of the model in `dir`, whose other statistics are `stats`'s:
/// each class's means and spreads of the measures over the training images, their pooled
/// spreads, and directions regressed on the training codes and calibrated on the decoder.
pub fn fit_style(dir: &ModelDir, stats: &artifact::LatentStats) -> Result<StyleStats> {
    let device = default_device();
    let train = dir.images(Split::Train)?;
    eprintln!("measuring the {} training images…", train.len());
    let measured = measure_all(&train.pixels);
    let per_class: Vec<([f32; MEASURES], [f32; MEASURES])> = (0..CLASSES)
        .map(|class| {
            let own: Vec<&[f32; MEASURES]> = measured
                .iter()
                .zip(&train.labels)
                .filter(|(_, l)| usize::from(**l) == class)
                .map(|(m, _)| m)
                .collect();
            mean_and_spread(&own)
        })
        .collect();
    let spreads = pooled_spreads(&per_class, &train.labels);
    let steer = steerable(stats.card.dataset);
    let longest = max_direction_length(stats.card.dataset);
    let generator = dir.generator_with(&artifact::encode(stats))?;
    let codes = encode_all(&dir.encoder(&device)?, &train, &device);
    let bar = progress::bar(CLASSES as u64);
    bar.set_message("style directions");
    let classes = per_class
        .par_iter()
        .enumerate()
        .map(|(class, (means, class_spreads))| {
            let class_codes = codes_of_class(&codes, &train.labels, class);
            let directions = class_directions(&generator, &class_codes, &steer, &spreads, longest)
                .map_err(|e| anyhow!("class {class}: {e}"))?;
            bar.inc(1);
            Ok(ClassStyle {
                means: means.to_vec(),
                spreads: class_spreads.to_vec(),
                directions,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    bar.finish_and_clear();
    let style = StyleStats {
        spreads: spreads.to_vec(),
        steerable: steer,
        classes,
    };
    style.validate(CLASSES).map_err(|e| anyhow!(e))?;
    Ok(style)
}

/// `count` rows of `codes` (rows of 32) spread evenly over them.
fn spread_rows(codes: &[f32], count: usize) -> Vec<f32> {
    let rows = codes.len() / LATENT_DIM;
    let count = count.min(rows);
    (0..count)
        .flat_map(|k| {
            let i = k * rows / count;
            codes[i * LATENT_DIM..(i + 1) * LATENT_DIM].to_vec()
        })
        .collect()
}

/// The steerable measures of the decoded `codes`, in spreads: rows of `steer.len()`.
fn decoded_measures(
    generator: &Generator,
    codes: &[f32],
    steer: &[Measure],
    spreads: &[f32; MEASURES],
) -> Result<Vec<f64>> {
    let images = generator.decode(codes)?;
    Ok(images
        .chunks_exact(IMAGE_PIXELS)
        .flat_map(|image| {
            let m = measure(image);
            steer
                .iter()
                .map(move |s| f64::from(m[s.index()] / spreads[s.index()]))
        })
        .collect())
}

/// One class's directions (rows of 32, one per steerable measure, each moving its measure by
/// one spread): regressed on [`FIT_PER_CLASS`] codes, then [`CALIBRATIONS`] times corrected by
/// the measured effect of ±1 step on [`CALIBRATE_PER_CLASS`] codes, `D ← D·J⁻¹`, so that on
/// average each direction moves its own measure by one spread and the others not at all. A
/// direction longer than `longest` ([`max_direction_length`]: a measure the class hardly varies
/// in, as the height of a 1) is shortened to it: it then moves its measure less than asked,
/// rather than the code out of its class.
fn class_directions(
    generator: &Generator,
    class_codes: &[f32],
    steer: &[Measure],
    spreads: &[f32; MEASURES],
    longest: f64,
) -> Result<Vec<f32>> {
    let k = steer.len();
    let fit_codes = spread_rows(class_codes, FIT_PER_CLASS);
    let measures = decoded_measures(generator, &fit_codes, steer, spreads)?;
    let n = fit_codes.len() / LATENT_DIM;
    let x = fit::to_matrix(&fit_codes);
    let y = nalgebra::DMatrix::from_row_slice(n, k, &measures);
    let mut directions = fit::style_directions(&x, &y).map_err(|e| anyhow!(e))?;
    let (_, covariance) = fit::fit_gaussian(&x);
    let precision = covariance
        .try_inverse()
        .ok_or_else(|| anyhow!("the codes' covariance is singular"))?;
    let shorten = |directions: &mut nalgebra::DMatrix<f64>| {
        for mut column in directions.column_iter_mut() {
            let length = (column.transpose() * &precision * &column)[(0, 0)].sqrt();
            if length > longest {
                column *= longest / length;
            }
        }
    };
    shorten(&mut directions);
    let calibration = spread_rows(class_codes, CALIBRATE_PER_CLASS);
    let rows = calibration.len() / LATENT_DIM;
    for _ in 0..CALIBRATIONS {
        // effect[(i, j)]: mean change of measure i, in spreads, per unit step along direction j.
        let mut effect = nalgebra::DMatrix::<f64>::zeros(k, k);
        for j in 0..k {
            let moved = |sign: f64| -> Vec<f32> {
                calibration
                    .chunks_exact(LATENT_DIM)
                    .flat_map(|code| {
                        code.iter()
                            .enumerate()
                            .map(|(d, z)| z + (sign * directions[(d, j)]) as f32)
                            .collect::<Vec<f32>>()
                    })
                    .collect()
            };
            let up = decoded_measures(generator, &moved(1.0), steer, spreads)?;
            let down = decoded_measures(generator, &moved(-1.0), steer, spreads)?;
            for i in 0..k {
                let change: f64 = (0..rows).map(|r| up[r * k + i] - down[r * k + i]).sum();
                effect[(i, j)] = change / (2.0 * rows as f64);
            }
        }
        let inverse = effect
            .try_inverse()
            .ok_or_else(|| anyhow!("the directions' effects are singular"))?;
        directions = &directions * inverse;
        shorten(&mut directions);
    }
    Ok((0..k)
        .flat_map(|j| (0..LATENT_DIM).map(move |d| (j, d)))
        .map(|(j, d)| directions[(d, j)] as f32)
        .collect())
}

/// Fits the style statistics of the model in `model` and writes them into its `latent.bin`,
/// with the reading scores remeasured (restyling uses them).
pub fn fit_style_and_write(dir: &ModelDir) -> Result<()> {
    let path = dir.path.join("latent.bin");
    let bytes = std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut stats =
        artifact::decode(&bytes).with_context(|| format!("{} is unusable", path.display()))?;
    stats.style = Some(fit_style(dir, &stats)?);
    rescore_reading(dir, &mut stats)?;
    write_atomic(&path, &artifact::encode(&stats))?;
    eprintln!("style statistics written to {}", path.display());
    Ok(())
}

/// Measures the card's reading scores again for `stats` through the shipped encoder.
pub fn rescore_reading(dir: &ModelDir, stats: &mut artifact::LatentStats) -> Result<()> {
    let mut generator = dir.generator_with(&artifact::encode(stats))?;
    generator.load_encoder(&dir.shipped_encoder()?)?;
    eprintln!("reading the test images through the 8-bit encoder…");
    let reading = score::reading_scores(&generator, &dir.images(Split::Test)?)?;
    eprintln!("{reading:?}");
    stats.card.reading = Some(reading);
    Ok(())
}

/// Spearman's rank correlation of two equally long series (average ranks for ties).
pub fn spearman(a: &[f32], b: &[f32]) -> f64 {
    let ranks = |v: &[f32]| -> Vec<f64> {
        let mut order: Vec<usize> = (0..v.len()).collect();
        order.sort_by(|&i, &j| v[i].total_cmp(&v[j]));
        let mut ranks = vec![0.0; v.len()];
        let mut start = 0;
        while start < order.len() {
            let mut end = start;
            while end + 1 < order.len() && v[order[end + 1]] == v[order[start]] {
                end += 1;
            }
            for &i in &order[start..=end] {
                ranks[i] = (start + end) as f64 / 2.0;
            }
            start = end + 1;
        }
        ranks
    };
    let (ra, rb) = (ranks(a), ranks(b));
    let n = ra.len() as f64;
    let (ma, mb) = (ra.iter().sum::<f64>() / n, rb.iter().sum::<f64>() / n);
    let cov: f64 = ra.iter().zip(&rb).map(|(x, y)| (x - ma) * (y - mb)).sum();
    let va: f64 = ra.iter().map(|x| (x - ma).powi(2)).sum();
    let vb: f64 = rb.iter().map(|y| (y - mb).powi(2)).sum();
    if va == 0.0 || vb == 0.0 {
        return 0.0;
    }
    cov / (va * vb).sqrt()
}

/// The held-out test digits `evaluate-style` uses: every [`EVALUATE_STRIDE`]th.
fn held_out(test: &Images) -> (Vec<f32>, Vec<u8>) {
    let picked: Vec<usize> = (0..test.len()).step_by(EVALUATE_STRIDE).collect();
    let pixels = picked
        .iter()
        .flat_map(|&i| test.image(i).to_vec())
        .collect();
    let labels = picked.iter().map(|&i| test.labels[i]).collect();
    (pixels, labels)
}

/// Prints, as Markdown tables: the measures of the training images per class, each direction's
/// effect on held-out test digits, and how well restyling and writing numbers work.
pub fn evaluate_style(dir: &ModelDir, device: &Device) -> Result<()> {
    let mut generator = dir.generator_with_encoder()?;
    generator.load_encoder(&dir.shipped_encoder()?)?;
    let style = generator.style()?.clone();
    let classifier = Classifier::load(&classifier_dir(dir.run.config.dataset), device)?;
    let read = |pixels: &[f32]| classifier.classify(pixels, device).1;
    let names = dir.run.config.dataset.class_names();

    println!("### Measures of the training images, by class (mean ± sd)\n");
    println!(
        "| class | {} |\n|---|{}",
        Measure::ALL
            .map(|m| format!("{} ({})", m.name(), m.unit()))
            .join(" | "),
        "---|".repeat(MEASURES)
    );
    for (class, own) in style.classes.iter().enumerate() {
        let cells: Vec<String> = (0..MEASURES)
            .map(|i| format!("{:.2} ± {:.2}", own.means[i], own.spreads[i]))
            .collect();
        println!("| {} | {} |", names[class], cells.join(" | "));
    }
    let spread_cells: Vec<String> = style.spreads.iter().map(|s| format!("{s:.2}")).collect();
    println!("| pooled sd | {} |", spread_cells.join(" | "));

    let test = dir.images(Split::Test)?;
    let (pixels, labels) = held_out(&test);
    let n = labels.len();
    let codes = generator.encode(&pixels)?;
    let classes: Vec<Class> = labels
        .iter()
        .map(|&l| Class::new(usize::from(l)))
        .collect::<Result<_, _>>()?;

    println!(
        "\n### Style directions on {n} held-out test digits (changes in training spreads; class read by the evaluator's classifier)\n"
    );
    println!(
        "| direction | sd | change at +1 sd | mean per-digit Spearman, −2…+2 | Spearman of the mean change | class kept at +1 / at ±2 | largest other change at +1 |"
    );
    println!("|---|---|---|---|---|---|---|");
    // by_class[direction][class]: (change of its measure at +1, share read as the class at +1)
    let mut by_class = Vec::new();
    for &measure in &style.steerable {
        let sd = style.spreads[measure.index()];
        // measures[step][image]
        let mut per_step: Vec<Vec<[f32; MEASURES]>> = Vec::new();
        let mut kept = Vec::new();
        for &step in &STEPS {
            let mut moved = Vec::with_capacity(codes.len());
            for (code, &class) in codes.chunks_exact(LATENT_DIM).zip(&classes) {
                moved.extend(generator.move_style(
                    code,
                    class,
                    &[(measure, f64::from(step * sd))],
                )?);
            }
            let images = generator.decode(&moved)?;
            let predicted = read(&images);
            kept.push(
                predicted
                    .iter()
                    .zip(&labels)
                    .filter(|(p, l)| p == l)
                    .count() as f64
                    / n as f64,
            );
            per_step.push(measure_all(&images));
        }
        let zero = STEPS.iter().position(|&s| s == 0.0).expect("a zero step");
        let plus = STEPS.iter().position(|&s| s == 1.0).expect("a +1 step");
        let change = |step: usize, m: Measure| -> f64 {
            per_step[step]
                .iter()
                .zip(&per_step[zero])
                .map(|(a, b)| f64::from((a[m.index()] - b[m.index()]) / style.spreads[m.index()]))
                .sum::<f64>()
                / n as f64
        };
        let own = change(plus, measure);
        let others = style
            .steerable
            .iter()
            .filter(|&&m| m != measure)
            .map(|&m| (m, change(plus, m)))
            .max_by(|a, b| a.1.abs().total_cmp(&b.1.abs()));
        let per_digit: f64 = (0..n)
            .map(|i| {
                let series: Vec<f32> = per_step.iter().map(|s| s[i][measure.index()]).collect();
                spearman(&STEPS, &series)
            })
            .sum::<f64>()
            / n as f64;
        let means: Vec<f32> = (0..STEPS.len())
            .map(|s| change(s, measure) as f32)
            .collect();
        let ends = kept[0].min(kept[STEPS.len() - 1]);
        let predicted_plus = {
            let mut moved = Vec::with_capacity(codes.len());
            for (code, &class) in codes.chunks_exact(LATENT_DIM).zip(&classes) {
                moved.extend(generator.move_style(code, class, &[(measure, f64::from(sd))])?);
            }
            read(&generator.decode(&moved)?)
        };
        by_class.push(
            (0..CLASSES)
                .map(|class| {
                    let mine: Vec<usize> = (0..n)
                        .filter(|&i| usize::from(labels[i]) == class)
                        .collect();
                    let change = mine
                        .iter()
                        .map(|&i| {
                            (per_step[plus][i][measure.index()]
                                - per_step[zero][i][measure.index()])
                                / sd
                        })
                        .sum::<f32>()
                        / mine.len() as f32;
                    let kept = mine
                        .iter()
                        .filter(|&&i| usize::from(predicted_plus[i]) == class)
                        .count() as f32
                        / mine.len() as f32;
                    (change, kept)
                })
                .collect::<Vec<_>>(),
        );
        println!(
            "| {} | {:.2} {} | {:+.2} | {:.3} | {:.3} | {:.3} / {:.3} | {} |",
            measure.name(),
            sd,
            measure.unit(),
            own,
            per_digit,
            spearman(&STEPS, &means),
            kept[plus],
            ends,
            others.map_or("—".into(), |(m, c)| format!("{} {c:+.2}", m.name())),
        );
    }

    println!("\nBy class: change of the measure at +1 sd / share read as the class\n");
    println!(
        "| class | {} |\n|---|{}",
        style
            .steerable
            .iter()
            .map(|m| m.name())
            .collect::<Vec<_>>()
            .join(" | "),
        "---|".repeat(style.steerable.len())
    );
    for class in 0..CLASSES {
        let cells: Vec<String> = by_class
            .iter()
            .map(|d| format!("{:+.2} / {:.2}", d[class].0, d[class].1))
            .collect();
        println!("| {} | {} |", names[class], cells.join(" | "));
    }

    // Restyle: each held-out digit's style written as every class.
    let all: Vec<Class> = Class::all().collect();
    let source = measure_all(&pixels);
    let mut written = Vec::with_capacity(n * CLASSES * LATENT_DIM);
    for (image, &class) in pixels.chunks_exact(IMAGE_PIXELS).zip(&classes) {
        let style = generator.style_of(image, &[class])?;
        written.extend(generator.write_in_style(&style, &all, None)?);
    }
    let images = generator.decode(&written)?;
    let predicted = read(&images);
    let result = measure_all(&images);
    println!("\n### Restyle: {n} held-out digits written as each class\n");
    println!("| class | read as it | Spearman slant | Spearman thickness |");
    println!("|---|---|---|---|");
    let (mut hits, mut worst) = (0usize, [f64::INFINITY; 2]);
    for (target, name) in names.iter().enumerate() {
        let rows: Vec<usize> = (0..n).map(|i| i * CLASSES + target).collect();
        let right = rows
            .iter()
            .filter(|&&r| usize::from(predicted[r]) == target)
            .count();
        hits += right;
        let rho = [Measure::Slant, Measure::Thickness].map(|m| {
            let from: Vec<f32> = source.iter().map(|s| s[m.index()]).collect();
            let to: Vec<f32> = rows.iter().map(|&r| result[r][m.index()]).collect();
            spearman(&from, &to)
        });
        worst = [worst[0].min(rho[0]), worst[1].min(rho[1])];
        println!(
            "| {} | {:.3} | {:.3} | {:.3} |",
            name,
            right as f64 / n as f64,
            rho[0],
            rho[1]
        );
    }
    println!(
        "| all | {:.3} | min {:.3} | min {:.3} |",
        hits as f64 / (n * CLASSES) as f64,
        worst[0],
        worst[1]
    );

    // Written numbers: each held-out digit's style writes a random number.
    let mut rng = ChaCha8Rng::seed_from_u64(21);
    let (mut written, mut typed) = (Vec::new(), Vec::new());
    for (i, (image, &class)) in pixels.chunks_exact(IMAGE_PIXELS).zip(&classes).enumerate() {
        let style = generator.style_of(image, &[class])?;
        let text: Vec<Class> = (0..NUMBER_LENGTH)
            .map(|_| Class::new(rng.random_range(0..CLASSES)))
            .collect::<Result<_, _>>()?;
        written.extend(generator.write_in_style(&style, &text, Some(i as u64))?);
        typed.extend(text.iter().map(|c| c.index() as u8));
    }
    let images = generator.decode(&written)?;
    let predicted = read(&images);
    let right = predicted.iter().zip(&typed).filter(|(p, t)| p == t).count();
    println!(
        "\nWritten numbers: {n} styles × {NUMBER_LENGTH} characters, each a fresh sample: {:.4} read as typed.",
        right as f64 / typed.len() as f64
    );
    Ok(())
}

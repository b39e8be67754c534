//! `fit-flow`: trains the flow of [`crate::latent::flow`] on the mixture components of
//! `latent.bin` with burn, on the model's training codes: each epoch, every code is given to one
//! component of its class's mixture, drawn by the component's responsibility for it, and the flow
//! of that component learns it (the mixture's EM responsibilities held fixed, which bounds the
//! exact log-likelihood from below). It measures the exact log-likelihood of the test codes beside
//! the mixtures' and writes the flow to `flow.bin`, its checksum and scores to `latent.bin` and
//! the run's record to `flow.json`.

use std::time::Instant;

use anyhow::{Context, Result, ensure};
use burn::module::{Module, Param};
use burn::nn::{Initializer, Linear, LinearConfig};
use burn::optim::GradientsParams;
use burn::tensor::activation::relu;
use burn::tensor::{Device, Int, Tensor, TensorData};
use rand::rngs::ChaCha8Rng;
use rand::seq::SliceRandom;
use rand::{RngExt, SeedableRng};
use rand_distr::StandardNormal;
use serde::{Deserialize, Serialize};

use super::classifier::classifier_dir;
use super::device::{DeviceChoice, TrainingDevice};
use super::evaluate;
use super::files::{write_atomic, write_json};
use super::model::default_device;
use super::model_dir::{FLOW_FILE, ModelDir};
use super::progress;
use super::trainer::scheduled_lr;
use crate::architecture::LATENT_DIM;
use crate::artifact::{self, FlowStats, LatentStats};
use crate::latent::flow::{
    Coupling, Dense, Flow, HALF, SCALE_LIMIT, kept_coordinates, moved_coordinates,
};
use crate::latent::{CLASSES, Gaussian};

/// How `fit-flow` trains: what `flow.json` records, and the command's flags (defaults
/// [`FlowConfig::DEFAULT`]).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, clap::Args)]
pub struct FlowConfig {
    /// Coupling layers.
    #[arg(long, default_value_t = FlowConfig::DEFAULT.layers)]
    pub layers: usize,
    /// Hidden width of each coupling network.
    #[arg(long, default_value_t = FlowConfig::DEFAULT.hidden)]
    pub hidden: usize,
    /// Passes over the training codes; also the horizon of the cosine schedule.
    #[arg(long, default_value_t = FlowConfig::DEFAULT.epochs)]
    pub epochs: usize,
    /// Codes per Adam step.
    #[arg(long, default_value_t = FlowConfig::DEFAULT.batch)]
    pub batch: usize,
    /// Peak learning rate of the cosine schedule.
    #[arg(long, default_value_t = FlowConfig::DEFAULT.lr)]
    pub lr: f64,
    /// Decoupled weight decay.
    #[arg(long, default_value_t = FlowConfig::DEFAULT.weight_decay)]
    pub weight_decay: f32,
    /// Standard deviation of Gaussian noise added afresh to every training code coordinate each
    /// epoch: the flow then models the neighbourhoods of the codes, as the decoder was trained
    /// to draw them (stage 2's code noise), rather than the codes' exact positions.
    #[arg(long, default_value_t = FlowConfig::DEFAULT.code_noise)]
    pub code_noise: f32,
    /// Seeds the weights and the order of the codes.
    #[arg(long, default_value_t = FlowConfig::DEFAULT.seed)]
    pub seed: u64,
}

impl FlowConfig {
    /// The `fit-flow` command's defaults.
    pub const DEFAULT: Self = Self {
        layers: 8,
        hidden: 32,
        epochs: 40,
        batch: 256,
        lr: 1e-3,
        weight_decay: 0.0,
        code_noise: 0.0,
        seed: 42,
    };
}

/// What `fit-flow` measured, written beside the model as `flow.json`.
#[derive(Serialize, Deserialize)]
pub struct FlowRecord {
    /// The command line that ran.
    pub command: String,
    /// Its settings.
    pub config: FlowConfig,
    /// Parameters of the flow.
    pub parameters: usize,
    /// Mean log-likelihood of the training codes under the component each was given, after
    /// each epoch (nats per code; the training objective).
    pub train_log_likelihood: Vec<f64>,
    /// The same for the test codes, each under its most responsible component.
    pub test_log_likelihood: Vec<f64>,
    /// Per class: the stored (half-precision) flow's mean log-likelihood of the test codes.
    pub test_log_likelihood_flow: Vec<f64>,
    /// Per class: the same for the mixtures and the single Gaussians in `latent.bin`.
    pub test_log_likelihood_mixture: Vec<f64>,
    /// Per class, the single Gaussian's.
    pub test_log_likelihood_gaussian: Vec<f64>,
    /// Wall-clock seconds of training.
    pub wall_seconds: f64,
    /// CPU model and core count.
    pub machine: String,
    /// The device it trained on (`--device`; older fits, which do not say, ran on the CPU).
    #[serde(default)]
    pub device: DeviceChoice,
}

/// One coupling layer's network as a burn module.
#[derive(Module, Debug)]
struct CouplingNet {
    first: Linear,
    component_bias: Param<Tensor<2>>,
    second: Linear,
    last: Linear,
}

/// The flow's networks as a burn module.
#[derive(Module, Debug)]
struct FlowNet {
    layers: Vec<CouplingNet>,
}

/// Per layer: the kept and moved coordinates as index tensors, and the order that puts
/// `[kept, moved]` back in place.
struct LayerIndices {
    kept: Tensor<1, Int>,
    moved: Tensor<1, Int>,
    restore: Tensor<1, Int>,
}

fn indices(values: impl IntoIterator<Item = usize>, device: &Device) -> Tensor<1, Int> {
    let values: Vec<i64> = values.into_iter().map(|v| v as i64).collect();
    let n = values.len();
    Tensor::from_data(TensorData::new(values, [n]), device)
}

fn layer_indices(layers: usize, device: &Device) -> Vec<LayerIndices> {
    (0..layers)
        .map(|layer| {
            let order: Vec<usize> = kept_coordinates(layer)
                .into_iter()
                .chain(moved_coordinates(layer))
                .collect();
            let restore = (0..LATENT_DIM).map(|c| {
                order
                    .iter()
                    .position(|&o| o == c)
                    .expect("every coordinate")
            });
            LayerIndices {
                kept: indices(kept_coordinates(layer), device),
                moved: indices(moved_coordinates(layer), device),
                restore: indices(restore, device),
            }
        })
        .collect()
}

impl FlowNet {
    fn new(config: &FlowConfig, rows: usize, device: &Device) -> Self {
        let he = Initializer::KaimingNormal {
            gain: std::f64::consts::SQRT_2,
            fan_out_only: false,
        };
        let linear = |inputs, outputs, initializer: Initializer| {
            LinearConfig::new(inputs, outputs)
                .with_initializer(initializer)
                .init(device)
        };
        let layers = (0..config.layers)
            .map(|_| CouplingNet {
                first: linear(HALF, config.hidden, he.clone()),
                component_bias: Param::from_tensor(Tensor::zeros([rows, config.hidden], device)),
                second: linear(config.hidden, config.hidden, he.clone()),
                // Zero output weights: every layer starts as the identity.
                last: linear(config.hidden, 2 * HALF, Initializer::Zeros),
            })
            .collect();
        Self { layers }
    }

    /// Log-densities (`batch`) of whitened codes `x` (`batch × 32`) under the flows of
    /// component rows `rows`, without the whitening's term.
    fn log_density(&self, x: Tensor<2>, rows: Tensor<1, Int>, order: &[LayerIndices]) -> Tensor<1> {
        let [batch, _] = x.dims();
        let mut x = x;
        let mut log_det = Tensor::<2>::zeros([batch, 1], &x.device());
        for (layer, ix) in self.layers.iter().zip(order) {
            let kept = x.clone().select(1, ix.kept.clone());
            let moved = x.select(1, ix.moved.clone());
            let hidden = layer.first.forward(kept.clone())
                + layer.component_bias.val().select(0, rows.clone());
            let hidden = relu(layer.second.forward(relu(hidden)));
            let out = layer.last.forward(relu(hidden));
            let raw = out.clone().narrow(1, 0, HALF);
            let shift = out.narrow(1, HALF, HALF);
            let log_scale = (raw / SCALE_LIMIT).tanh() * SCALE_LIMIT;
            let moved = moved * log_scale.clone().exp() + shift;
            log_det = log_det + log_scale.sum_dim(1);
            x = Tensor::cat(vec![kept, moved], 1).select(1, ix.restore.clone());
        }
        let constant = 0.5 * LATENT_DIM as f32 * (2.0 * std::f32::consts::PI).ln();
        (log_det - x.square().sum_dim(1) * 0.5 - constant).reshape([batch])
    }

    /// The trained networks as the page stores them.
    fn to_flow(&self, components: &[usize]) -> Flow {
        let floats = |t: Tensor<2>| t.into_data().try_into_vec::<f32>().expect("f32 parameters");
        let dense = |linear: &Linear| {
            let [inputs, outputs] = linear.weight.val().dims();
            Dense {
                inputs: inputs as u32,
                outputs: outputs as u32,
                weights: floats(linear.weight.val()),
                biases: linear
                    .bias
                    .as_ref()
                    .expect("layers with biases")
                    .val()
                    .into_data()
                    .try_into_vec::<f32>()
                    .expect("f32 parameters"),
            }
        };
        Flow {
            components: components.iter().map(|&c| c as u32).collect(),
            layers: self
                .layers
                .iter()
                .map(|layer| Coupling {
                    first: dense(&layer.first),
                    component_bias: floats(layer.component_bias.val()),
                    second: dense(&layer.second),
                    last: dense(&layer.last),
                })
                .collect(),
        }
    }
}

/// Codes whitened each by one mixture component's Gaussian (`n × 32`), the component's row, and
/// each code's `−log |det L|` of that Gaussian: the density's term from the whitening.
struct CodeSet {
    codes: Vec<f32>,
    rows: Vec<usize>,
    offsets: Vec<f64>,
}

impl CodeSet {
    fn batch(&self, picked: &[usize], device: &Device) -> (Tensor<2>, Tensor<1, Int>) {
        let mut codes = Vec::with_capacity(picked.len() * LATENT_DIM);
        for &r in picked {
            codes.extend_from_slice(&self.codes[r * LATENT_DIM..(r + 1) * LATENT_DIM]);
        }
        let x = Tensor::from_data(TensorData::new(codes, [picked.len(), LATENT_DIM]), device);
        (x, indices(picked.iter().map(|&r| self.rows[r]), device))
    }

    /// `codes`, each whitened by the Gaussian of its component row in `rows` (`bases`: every
    /// row's Gaussian).
    fn whitened(codes: &[f32], rows: Vec<usize>, bases: &[&Gaussian]) -> Self {
        let (mut white, mut offsets) = (Vec::with_capacity(codes.len()), Vec::new());
        for (code, &row) in codes.chunks_exact(LATENT_DIM).zip(&rows) {
            let (y, log_det) = bases[row].whiten(code);
            white.extend(y.iter().map(|&v| v as f32));
            offsets.push(-log_det);
        }
        Self {
            codes: white,
            rows,
            offsets,
        }
    }

    fn len(&self) -> usize {
        self.rows.len()
    }

    /// Mean log-likelihood per code under `net` and the whitening.
    fn mean_log_likelihood(&self, net: &FlowNet, order: &[LayerIndices], device: &Device) -> f64 {
        let all: Vec<usize> = (0..self.len()).collect();
        let total: f64 = all
            .chunks(2000)
            .map(|chunk| {
                let (x, rows) = self.batch(chunk, device);
                f64::from(net.log_density(x, rows, order).sum().into_scalar::<f32>())
            })
            .sum();
        (total + self.offsets.iter().sum::<f64>()) / self.len() as f64
    }
}

/// For each code, the posterior probabilities of its class's mixture components, as
/// `(row, cumulative probability)` pairs.
fn responsibilities(
    codes: &[f32],
    labels: &[u8],
    stats: &LatentStats,
    flow: &Flow,
) -> Vec<Vec<(usize, f64)>> {
    codes
        .chunks_exact(LATENT_DIM)
        .zip(labels)
        .map(|(code, &label)| {
            let class = usize::from(label);
            let mixture = &stats.classes[class].mixture;
            let terms: Vec<f64> = (mixture.weights.iter().zip(&mixture.components))
                .map(|(&w, c)| f64::from(w).ln() + c.log_density(code))
                .collect();
            let total = crate::latent::log_sum_exp(&terms);
            let mut cumulative = 0.0;
            terms
                .iter()
                .enumerate()
                .map(|(k, t)| {
                    cumulative += (t - total).exp();
                    (flow.row(class, k), cumulative)
                })
                .collect()
        })
        .collect()
}

/// A component row for each code: drawn by responsibility with `rng`, or without one the most
/// responsible.
fn assign(responsibility: &[Vec<(usize, f64)>], rng: Option<&mut ChaCha8Rng>) -> Vec<usize> {
    match rng {
        Some(rng) => responsibility
            .iter()
            .map(|r| {
                let u: f64 = rng.random();
                r.iter().find(|(_, c)| u < *c).unwrap_or(&r[r.len() - 1]).0
            })
            .collect(),
        None => responsibility
            .iter()
            .map(|r| {
                let mut previous = 0.0;
                r.iter()
                    .map(|&(row, c)| {
                        let share = c - previous;
                        previous = c;
                        (row, share)
                    })
                    .max_by(|a, b| a.1.total_cmp(&b.1))
                    .expect("a component")
                    .0
            })
            .collect(),
    }
}

/// Per class, the mean of `score(code, class)` over the codes of that class.
fn per_class_mean(codes: &[f32], labels: &[u8], score: impl Fn(&[f32], usize) -> f64) -> Vec<f64> {
    let mut sums = [0f64; CLASSES];
    let mut counts = [0usize; CLASSES];
    for (code, &label) in codes.chunks_exact(LATENT_DIM).zip(labels) {
        let class = usize::from(label);
        sums[class] += score(code, class);
        counts[class] += 1;
    }
    (0..CLASSES)
        .map(|c| sums[c] / counts[c].max(1) as f64)
        .collect()
}

/// Trains the flow on the training codes of the model in `dir`, stores it in the folder's
/// `latent.bin` (keeping everything else there) and writes `flow.json`.
pub fn fit_flow_and_write(
    dir: &ModelDir,
    config: &FlowConfig,
    command: String,
    on: &TrainingDevice,
) -> Result<FlowRecord> {
    ensure!(
        config.layers >= 1 && config.layers <= 64,
        "--layers must be 1–64"
    );
    ensure!(
        config.hidden >= 1 && config.hidden <= 1024,
        "--hidden must be 1–1024"
    );
    ensure!(
        config.epochs >= 1 && config.batch >= 1,
        "--epochs and --batch must be at least 1"
    );
    let path = dir.path.join("latent.bin");
    let bytes = std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut stats: LatentStats =
        artifact::decode(&bytes).with_context(|| format!("{} is unusable", path.display()))?;

    let device = on.device.clone();
    let [(train, train_codes), (test, test_codes)] = dir.encoded_splits()?;
    let components: Vec<usize> = stats
        .classes
        .iter()
        .map(|c| c.mixture.weights.len())
        .collect();
    let bases: Vec<&Gaussian> = stats
        .classes
        .iter()
        .flat_map(|c| &c.mixture.components)
        .collect();

    let ad_device = device.clone().autodiff();
    ad_device.seed(config.seed);
    let order = layer_indices(config.layers, &ad_device);
    let plain_order = layer_indices(config.layers, &device);
    let mut net = FlowNet::new(config, bases.len(), &ad_device);
    let layout = net.valid().to_flow(&components);
    let train_responsibility = responsibilities(&train_codes, &train.labels, &stats, &layout);
    let test_rows = assign(
        &responsibilities(&test_codes, &test.labels, &stats, &layout),
        None,
    );
    let test_set = CodeSet::whitened(&test_codes, test_rows, &bases);
    let parameters = net.num_params();
    let mut optimizer = on.choice.optimizer(config.weight_decay);
    let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
    let mut order_of_codes: Vec<usize> = (0..train.len()).collect();
    let steps = train.len().div_ceil(config.batch);
    let bar = progress::bar((config.epochs * steps) as u64);
    let started = Instant::now();
    let (mut train_ll, mut test_ll) = (Vec::new(), Vec::new());
    for epoch in 1..=config.epochs {
        let lr = scheduled_lr(config.lr, epoch, config.epochs);
        order_of_codes.shuffle(&mut rng);
        let rows = assign(&train_responsibility, Some(&mut rng));
        let noisy: Vec<f32>;
        let codes = if config.code_noise > 0.0 {
            noisy = train_codes
                .iter()
                .map(|&v| v + config.code_noise * rng.sample::<f32, _>(StandardNormal))
                .collect();
            &noisy
        } else {
            &train_codes
        };
        let train_set = CodeSet::whitened(codes, rows, &bases);
        for chunk in order_of_codes.chunks(config.batch) {
            let (x, rows) = train_set.batch(chunk, &ad_device);
            let loss = -net.log_density(x, rows, &order).mean();
            let grads = GradientsParams::from_grads(loss.backward(), &net);
            net = optimizer.step(lr, net, grads);
            bar.inc(1);
        }
        let valid = net.valid();
        let train_value = train_set.mean_log_likelihood(&valid, &plain_order, &device);
        let test_value = test_set.mean_log_likelihood(&valid, &plain_order, &device);
        progress::say(
            &bar,
            &format!(
                "epoch {epoch}/{}  lr {lr:.2e}  log-likelihood: train {train_value:.3}, test {test_value:.3}",
                config.epochs
            ),
        );
        bar.set_message(format!("test {test_value:.3}"));
        train_ll.push(train_value);
        test_ll.push(test_value);
    }
    bar.finish_and_clear();
    let wall_seconds = started.elapsed().as_secs_f64();

    // Store, then measure the stored flow (half precision) exactly as the page runs it.
    let flow_file = artifact::encode_flow(&net.valid().to_flow(&components));
    stats.flow = Some(FlowStats {
        checksum: crc32fast::hash(&flow_file),
        test_log_likelihood: vec![0.0; CLASSES],
        samples: None,
    });
    let stored = artifact::decode(&artifact::encode(&stats))?;
    let flow = &artifact::decode_flow(&flow_file, &stored)
        .map_err(anyhow::Error::msg)
        .context("the trained flow does not validate")?;
    let flow_ll = per_class_mean(&test_codes, &test.labels, |code, class| {
        flow.log_density(code, class, &stored.classes[class].mixture)
    });
    let mixture_ll = per_class_mean(&test_codes, &test.labels, |code, class| {
        stored.classes[class].mixture.log_density(code)
    });
    let gaussian_ll = per_class_mean(&test_codes, &test.labels, |code, class| {
        stored.classes[class].gaussian.log_density(code)
    });
    for class in 0..CLASSES {
        eprintln!(
            "class {class}: test log-likelihood flow {:.2}, mixture {:.2}, single Gaussian {:.2}",
            flow_ll[class], mixture_ll[class], gaussian_ll[class]
        );
    }
    let mut stats = stored;
    let flow_stats = stats.flow.as_mut().expect("just stored");
    flow_stats.test_log_likelihood = flow_ll.iter().map(|&v| v as f32).collect();
    let classifier = classifier_dir(dir.run.config.dataset);
    eprintln!(
        "scoring the flow's default samples with the classifier in {}…",
        classifier.display()
    );
    // On the host: `evaluate` holds all 60,000 training images in one tensor (for the
    // memorisation score), more than a software Vulkan driver allocates in one buffer.
    let (evaluator, _, _) = evaluate::evaluator_for(dir, &classifier, &default_device())?;
    let mut generator = dir.generator_with(&artifact::encode(&stats))?;
    generator.load_flow(&flow_file)?;
    let quality = evaluate::flow_quality(&evaluator, &generator)?;
    eprintln!("{quality:?}");
    stats.flow.as_mut().expect("just stored").samples = Some(quality);
    let record = FlowRecord {
        command,
        config: config.clone(),
        parameters,
        train_log_likelihood: train_ll,
        test_log_likelihood: test_ll,
        test_log_likelihood_flow: flow_ll,
        test_log_likelihood_mixture: mixture_ll,
        test_log_likelihood_gaussian: gaussian_ll,
        wall_seconds,
        machine: super::machine::machine_description(),
        device: on.choice,
    };
    let flow_path = dir.path.join(FLOW_FILE);
    write_atomic(&flow_path, &flow_file)?;
    write_atomic(&path, &artifact::encode(&stats))?;
    write_json(&dir.path.join("flow.json"), &record)?;
    eprintln!(
        "flow written to {} ({parameters} parameters), its record to {}",
        flow_path.display(),
        path.display()
    );
    Ok(record)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_burn_flow_and_the_stored_flow_give_the_same_density() {
        let device = default_device();
        let config = FlowConfig {
            layers: 4,
            hidden: 16,
            epochs: 1,
            batch: 8,
            lr: 1e-3,
            weight_decay: 0.0,
            code_noise: 0.0,
            seed: 3,
        };
        let components = [1, 2, 1];
        let mut net = FlowNet::new(&config, 4, &device);
        // Random last layers and component biases, so that no layer is the identity.
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        let mut random = |shape: [usize; 2]| {
            let values: Vec<f32> = (0..shape[0] * shape[1])
                .map(|_| rng.random_range(-0.3..0.3))
                .collect();
            Param::from_tensor(Tensor::from_data(TensorData::new(values, shape), &device))
        };
        for layer in &mut net.layers {
            layer.last.weight = random([16, 2 * HALF]);
            layer.component_bias = random([4, 16]);
        }
        let codes: Vec<f32> = (0..3 * LATENT_DIM)
            .map(|_| rng.random_range(-2.0..2.0))
            .collect();
        let mixture = crate::latent::flow::tests::random_mixture(4, 5);
        let bases: Vec<&Gaussian> = mixture.components.iter().collect();
        let rows = vec![0, 2, 3];
        let set = CodeSet::whitened(&codes, rows.clone(), &bases);
        let order = layer_indices(config.layers, &device);
        let (x, row_tensor) = set.batch(&[0, 1, 2], &device);
        let burn_values = net
            .log_density(x, row_tensor, &order)
            .into_data()
            .try_into_vec::<f32>()
            .unwrap();
        let flow = net.to_flow(&components);
        assert_eq!((flow.row(1, 1), flow.row(2, 0)), (2, 3));
        for (i, (&value, &row)) in burn_values.iter().zip(&rows).enumerate() {
            let value = f64::from(value) + set.offsets[i];
            let code = &codes[i * LATENT_DIM..(i + 1) * LATENT_DIM];
            let plain = flow.component_log_density(code, row, bases[row]);
            // burn's density is an f32 sum over 32 dimensions: a few of its ulps at the value.
            let tolerance = 1e-3 + 4e-6 * plain.abs();
            assert!((value - plain).abs() < tolerance, "{value} against {plain}");
        }
    }

    #[test]
    fn codes_go_to_the_components_responsible_for_them() {
        let near = |r: &[(usize, f64)]| assign(&[r.to_vec()], None)[0];
        assert_eq!(near(&[(4, 0.2), (5, 0.9), (6, 1.0)]), 5);
        assert_eq!(near(&[(4, 0.6), (5, 0.7), (6, 1.0)]), 4);
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let drawn = assign(&vec![vec![(0, 0.25), (1, 1.0)]; 4000], Some(&mut rng));
        let ones = drawn.iter().filter(|&&r| r == 1).count();
        assert!(
            (2800..3200).contains(&ones),
            "{ones} of 4000 drawn with probability 0.75"
        );
    }
}

//! Adam as one pass over each parameter's numbers.
//!
//! Burn's `Adam` updates a parameter with about a dozen whole-tensor operations, each of which
//! reads and writes every element: a quarter of a training step went there. [`FusedAdam`] does
//! the same arithmetic (burn's defaults, its bias correction and its ε placement) in a single loop,
//! split over the machine's threads, and keeps its moments in burn's own `AdamState`, so
//! checkpoints look exactly like those of `AdamConfig::new().init()`.

use burn::optim::{AdamState, AdaptiveMomentumState, LearningRate, ModuleOptimizer, Optimizer};
use burn::tensor::{Device, Tensor, TensorData};
use rayon::prelude::*;

/// Elements per parallel work item: large enough that splitting costs nothing measurable.
const CHUNK: usize = 1 << 14;

/// Adam with burn's default hyper-parameters (β₁ 0.9, β₂ 0.999, ε 1e-5) and decoupled weight
/// decay as in burn's `AdamW`, fused into one loop.
#[derive(Clone, Copy, Debug)]
pub struct FusedAdam {
    beta_1: f32,
    beta_2: f32,
    epsilon: f32,
    weight_decay: f32,
}

impl FusedAdam {
    /// The optimizer wrapped for whole modules, as `AdamConfig::new().init()` would be (or
    /// `AdamWConfig` with `weight_decay` when that is not zero): every step first shrinks each
    /// parameter by the factor `1 − lr · weight_decay`.
    pub fn init(weight_decay: f32) -> ModuleOptimizer {
        ModuleOptimizer::from(Self {
            beta_1: 0.9,
            beta_2: 0.999,
            epsilon: 1e-5,
            weight_decay,
        })
    }
}

const F32_ONLY: &str = "Adam parameters are f32";

fn floats_mut(data: &mut TensorData) -> &mut [f32] {
    data.as_mut_slice::<f32>().expect(F32_ONLY)
}

/// One Adam step's constants, with the bias corrections folded in.
#[derive(Clone, Copy)]
struct Update {
    decay: f32,
    beta_1: f32,
    beta_2: f32,
    step_size: f32,
    epsilon: f32,
}

impl Update {
    /// Updates parameters `p` and moments `m`, `v` with gradients `g`, on the best vector unit.
    fn run(self, p: &mut [f32], m: &mut [f32], v: &mut [f32], g: &[f32]) {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU has just been checked for AVX-512F.
            return unsafe { self.apply_avx512(p, m, v, g) };
        }
        self.apply(p, m, v, g)
    }

    /// [`Update::apply`] compiled for AVX-512, whose square roots and divisions are four times
    /// wider than the baseline x86-64 ones (this loop's bottleneck).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f")]
    fn apply_avx512(self, p: &mut [f32], m: &mut [f32], v: &mut [f32], g: &[f32]) {
        self.apply(p, m, v, g)
    }

    #[inline(always)]
    fn apply(self, p: &mut [f32], m: &mut [f32], v: &mut [f32], g: &[f32]) {
        let Self {
            decay,
            beta_1,
            beta_2,
            step_size,
            epsilon,
        } = self;
        for (((p, m), v), &g) in p.iter_mut().zip(m).zip(v).zip(g) {
            *m = beta_1 * *m + (1.0 - beta_1) * g;
            *v = beta_2 * *v + (1.0 - beta_2) * (g * g);
            *p = *p * decay - step_size * *m / (v.sqrt() + epsilon);
        }
    }
}

impl Optimizer for FusedAdam {
    type State<const D: usize> = AdamState<D>;

    fn step<const D: usize>(
        &self,
        lr: LearningRate,
        tensor: Tensor<D>,
        grad: Tensor<D>,
        state: Option<Self::State<D>>,
    ) -> (Tensor<D>, Option<Self::State<D>>) {
        let device = tensor.device();
        let (time, mut moment_1, mut moment_2) = match state {
            Some(state) => (
                state.momentum.time + 1,
                state.momentum.moment_1.into_data(),
                state.momentum.moment_2.into_data(),
            ),
            None => (
                1,
                TensorData::zeros::<f32, _>(tensor.shape()),
                TensorData::zeros::<f32, _>(tensor.shape()),
            ),
        };
        // Unshared tensors hand over their buffers without a copy; the loop updates them in place.
        let (mut params, grads) = (tensor.into_data(), grad.into_data());

        let correction_2 = (1.0 - self.beta_2.powi(time as i32)).sqrt();
        let update = Update {
            decay: 1.0 - lr as f32 * self.weight_decay,
            beta_1: self.beta_1,
            beta_2: self.beta_2,
            step_size: lr as f32 * correction_2 / (1.0 - self.beta_1.powi(time as i32)),
            epsilon: self.epsilon * correction_2,
        };
        floats_mut(&mut params)
            .par_chunks_mut(CHUNK)
            .zip(floats_mut(&mut moment_1).par_chunks_mut(CHUNK))
            .zip(floats_mut(&mut moment_2).par_chunks_mut(CHUNK))
            .zip(grads.as_slice::<f32>().expect(F32_ONLY).par_chunks(CHUNK))
            .for_each(|(((p, m), v), g)| update.run(p, m, v, g));

        let to_tensor = |data: TensorData| Tensor::from_data(data, &device);
        let momentum = AdaptiveMomentumState::new(time, to_tensor(moment_1), to_tensor(moment_2));
        (to_tensor(params), Some(AdamState::new(momentum)))
    }

    fn to_device<const D: usize>(mut state: Self::State<D>, device: &Device) -> Self::State<D> {
        state.momentum.moment_1 = state.momentum.moment_1.to_device(device);
        state.momentum.moment_2 = state.momentum.moment_2.to_device(device);
        state
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::architecture::{Arch, IMAGE_PIXELS};
    use crate::train::loss::bce_with_logits;
    use crate::train::model::{Autoencoder, default_device};
    use burn::module::{Module, ModuleVisitor, Param};
    use burn::optim::{AdamConfig, AdamWConfig, GradientsParams};

    /// Collects every float parameter of a module, in visiting order.
    struct Collect(Vec<f32>);

    impl ModuleVisitor for Collect {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            self.0.extend(param.val().into_data().iter::<f32>());
        }
    }

    fn parameters(model: &Autoencoder) -> Vec<f32> {
        let mut collect = Collect(Vec::new());
        model.visit(&mut collect);
        collect.0
    }

    #[test]
    fn takes_the_same_steps_as_burns_adam() {
        let device = default_device().autodiff();
        device.seed(3);
        let start = Autoencoder::new(Arch::Five, &device);
        let pixels: Vec<f32> = (0..32 * IMAGE_PIXELS)
            .map(|i| ((i * 7919) % 255) as f32 / 255.0)
            .collect();
        let images = Tensor::<2>::from_data(TensorData::new(pixels, [32, IMAGE_PIXELS]), &device);
        let train = |mut optimizer: ModuleOptimizer| {
            let mut model = start.clone();
            for step in 0..4 {
                let loss = bce_with_logits(model.forward_logits(images.clone()), images.clone());
                let grads = GradientsParams::from_grads(loss.backward(), &model);
                model = optimizer.step(1e-3 / (step + 1) as f64, model, grads);
            }
            parameters(&model)
        };
        let reference = train(AdamConfig::new().init());
        let fused = train(FusedAdam::init(0.0));
        let reference_decayed = train(AdamWConfig::new().with_weight_decay(0.5).init());
        let fused_decayed = train(FusedAdam::init(0.5));
        let largest_difference = |a: &[f32], b: &[f32]| {
            a.iter()
                .zip(b)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0f32, f32::max)
        };
        let moved = largest_difference(&reference, &parameters(&start));
        let differs = largest_difference(&reference, &fused);
        let differs_decayed = largest_difference(&reference_decayed, &fused_decayed);
        let decay_moved = largest_difference(&reference, &reference_decayed);
        assert!(moved > 1e-3, "four steps moved the weights by {moved}");
        assert!(differs < 1e-6, "fused and burn's Adam differ by {differs}");
        assert!(
            decay_moved > 1e-5,
            "weight decay moved the weights by {decay_moved}"
        );
        assert!(
            differs_decayed < 1e-6,
            "with weight decay, fused and burn's AdamW differ by {differs_decayed}"
        );
    }
}

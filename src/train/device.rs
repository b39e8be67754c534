//! Where training runs: this machine's CPU, on burn's CPU backend with the project's fused
//! kernels (`adam`, `loss`), or a GPU through burn's wgpu or CUDA backend (cargo features
//! `wgpu`, `cuda`), where burn's own Adam and the losses as tensor operations keep every number
//! on the device.

use std::fmt;
use std::str::FromStr;

use anyhow::{Result, bail};
use burn::optim::{AdamConfig, AdamWConfig, ModuleOptimizer};
use burn::tensor::Device;
use serde::{Deserialize, Serialize};

use super::adam::FusedAdam;
use super::model::default_device;

/// Environment variable that picks the device when `--device` is not given (burn's own).
pub const DEVICE_VARIABLE: &str = "BURN_DEVICE";

/// A device to train on, as `--device` names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum DeviceChoice {
    /// This machine's CPU (`cpu`): burn's flex backend and the fused kernels.
    #[default]
    Cpu,
    /// A wgpu adapter (`wgpu`: wgpu's choice, a GPU first; `wgpu:cpu`: a software driver such
    /// as Mesa's lavapipe; `wgpu:N`: discrete GPU N).
    Wgpu(WgpuAdapter),
    /// CUDA GPU N (`cuda`, `cuda:N`).
    Cuda(usize),
}

/// Which wgpu adapter [`DeviceChoice::Wgpu`] opens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WgpuAdapter {
    /// wgpu's own choice (high-power GPUs first; `CUBECL_WGPU_DEFAULT_DEVICE` overrides it).
    Default,
    /// A driver that runs on the CPU (Mesa's lavapipe).
    Cpu,
    /// The discrete GPU with this index.
    Discrete(usize),
}

impl DeviceChoice {
    /// `--device` when given, else `BURN_DEVICE` when set (burn's names `flex` and `ndarray`
    /// mean the CPU), else the CPU.
    pub fn resolve(flag: Option<Self>) -> Result<Self> {
        if let Some(choice) = flag {
            return Ok(choice);
        }
        match std::env::var(DEVICE_VARIABLE) {
            Ok(name) => match name.to_lowercase().as_str() {
                "flex" | "ndarray" => Ok(Self::Cpu),
                other => other
                    .parse()
                    .map_err(|error| anyhow::anyhow!("{DEVICE_VARIABLE}={name}: {error}")),
            },
            Err(_) => Ok(Self::Cpu),
        }
    }

    /// Whether training on it uses the host's fused Adam and loss (the CPU's fast path) rather
    /// than burn's tensor operations.
    pub fn fused(self) -> bool {
        self == Self::Cpu
    }

    /// Opens the device (not yet on autodiff). Fails, naming the cargo feature, when this build
    /// lacks the device's backend.
    pub fn open(self) -> Result<Device> {
        match self {
            Self::Cpu => Ok(default_device()),
            Self::Wgpu(adapter) => wgpu_device(adapter),
            Self::Cuda(index) => cuda_device(index),
        }
    }

    /// The optimizer for it: Adam with burn's defaults (β₁ 0.9, β₂ 0.999, ε 1e-5), as AdamW
    /// when `weight_decay` is not zero; fused into one host loop on the CPU, burn's own
    /// elsewhere. Both keep burn's Adam moments, so the arithmetic is the same.
    pub fn optimizer(self, weight_decay: f32) -> ModuleOptimizer {
        adam(self.fused(), weight_decay)
    }
}

/// Adam with burn's defaults, as AdamW when `weight_decay` is not zero: the fused one
/// ([`FusedAdam`], numbers on the host) or burn's own (tensor operations on the device).
pub fn adam(fused: bool, weight_decay: f32) -> ModuleOptimizer {
    if fused {
        FusedAdam::init(weight_decay)
    } else if weight_decay > 0.0 {
        AdamWConfig::new().with_weight_decay(weight_decay).init()
    } else {
        AdamConfig::new().init()
    }
}

#[cfg(feature = "wgpu")]
fn wgpu_device(adapter: WgpuAdapter) -> Result<Device> {
    use burn::tensor::DeviceKind;
    Ok(Device::wgpu(match adapter {
        WgpuAdapter::Default => DeviceKind::DefaultDevice,
        WgpuAdapter::Cpu => DeviceKind::Cpu,
        WgpuAdapter::Discrete(index) => DeviceKind::DiscreteGpu(index),
    }))
}

#[cfg(not(feature = "wgpu"))]
fn wgpu_device(_: WgpuAdapter) -> Result<Device> {
    bail!("this build has no wgpu backend: build with `--features wgpu`")
}

#[cfg(feature = "cuda")]
fn cuda_device(index: usize) -> Result<Device> {
    Ok(Device::cuda(index))
}

#[cfg(not(feature = "cuda"))]
fn cuda_device(_: usize) -> Result<Device> {
    bail!("this build has no CUDA backend: build with `--features cuda`")
}

impl fmt::Display for DeviceChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Cpu => write!(f, "cpu"),
            Self::Wgpu(WgpuAdapter::Default) => write!(f, "wgpu"),
            Self::Wgpu(WgpuAdapter::Cpu) => write!(f, "wgpu:cpu"),
            Self::Wgpu(WgpuAdapter::Discrete(index)) => write!(f, "wgpu:{index}"),
            Self::Cuda(index) => write!(f, "cuda:{index}"),
        }
    }
}

impl FromStr for DeviceChoice {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let (backend, which) = match text.split_once(':') {
            Some((backend, which)) => (backend, Some(which)),
            None => (text, None),
        };
        let index = |which: &str| {
            which
                .parse::<usize>()
                .map_err(|_| format!("'{which}' in '{text}' is not a device number"))
        };
        match (backend, which) {
            ("cpu", None) => Ok(Self::Cpu),
            ("wgpu", None) => Ok(Self::Wgpu(WgpuAdapter::Default)),
            ("wgpu", Some("cpu")) => Ok(Self::Wgpu(WgpuAdapter::Cpu)),
            ("wgpu", Some(which)) => Ok(Self::Wgpu(WgpuAdapter::Discrete(index(which)?))),
            ("cuda", None) => Ok(Self::Cuda(0)),
            ("cuda", Some(which)) => Ok(Self::Cuda(index(which)?)),
            _ => Err(format!(
                "unknown device '{text}': expected cpu, wgpu, wgpu:cpu, wgpu:N, cuda or cuda:N"
            )),
        }
    }
}

impl Serialize for DeviceChoice {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for DeviceChoice {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

/// An opened device and how training uses it.
#[derive(Clone, Debug)]
pub struct TrainingDevice {
    /// What `--device` named.
    pub choice: DeviceChoice,
    /// The device itself (not on autodiff).
    pub device: Device,
}

impl TrainingDevice {
    /// Opens `choice` ([`DeviceChoice::open`]).
    pub fn open(choice: DeviceChoice) -> Result<Self> {
        Ok(Self {
            choice,
            device: choice.open()?,
        })
    }

    /// This machine's CPU, on the build's CPU backend.
    pub fn cpu() -> Self {
        Self {
            choice: DeviceChoice::Cpu,
            device: default_device(),
        }
    }
}

/// The `--device` flag of every training command.
#[derive(clap::Args, Clone, Copy, Debug, Default)]
pub struct DeviceArg {
    /// Train on: cpu (the default), wgpu, wgpu:cpu (a software Vulkan driver), wgpu:N (discrete
    /// GPU N), cuda or cuda:N; without it, burn's BURN_DEVICE variable picks (`wgpu`, `cuda`,
    /// `flex`). wgpu and cuda need a build with the cargo feature of that name.
    #[arg(long, value_name = "DEVICE")]
    pub device: Option<DeviceChoice>,
}

impl DeviceArg {
    /// Opens the device the flag (or `BURN_DEVICE`) names.
    pub fn open(self) -> Result<TrainingDevice> {
        TrainingDevice::open(DeviceChoice::resolve(self.device)?)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use burn::module::Module;
    use burn::store::ModuleRecord;
    use burn::tensor::Bytes;

    use super::*;
    use crate::architecture::{Arch, IMAGE_PIXELS};
    use crate::train::data::{self, Dataset, Split};
    use crate::train::loss::Loss;
    use crate::train::model::Autoencoder;
    use crate::train::trainer::{StepOptions, step};

    #[test]
    fn device_names_read_back_and_bad_ones_say_what_is_expected() {
        for name in ["cpu", "wgpu", "wgpu:cpu", "wgpu:1", "cuda:0", "cuda:3"] {
            let choice: DeviceChoice = name.parse().unwrap();
            assert_eq!(choice.to_string(), name);
            let json = serde_json::to_string(&choice).unwrap();
            assert_eq!(serde_json::from_str::<DeviceChoice>(&json).unwrap(), choice);
        }
        assert_eq!("cuda".parse(), Ok(DeviceChoice::Cuda(0)));
        for bad in ["gpu", "cuda:x", "wgpu:-1", "cpu:0", ""] {
            let error = bad.parse::<DeviceChoice>().unwrap_err();
            assert!(error.contains(bad), "{error}");
        }
    }

    #[test]
    fn only_the_cpu_uses_the_fused_kernels() {
        assert!(DeviceChoice::Cpu.fused());
        assert!(!DeviceChoice::Wgpu(WgpuAdapter::Cpu).fused());
        assert!(!DeviceChoice::Cuda(0).fused());
    }

    /// The device path (burn's Adam, the loss as tensor operations) on the CPU backend takes
    /// the same step as the fused kernels, for every loss and with the edge term: what a GPU
    /// computes is the CPU's arithmetic.
    #[test]
    fn a_step_on_the_device_path_is_the_fused_step() {
        let device = default_device();
        let start = Start::new(32);
        for (loss, edge_weight) in [(Loss::Bce, 0.0), (Loss::Mse, 0.0), (Loss::Euclid, 2.0)] {
            let options = StepOptions {
                edge_weight,
                ..StepOptions::default()
            };
            let fused = start.run(&device, true, loss, &options, 1);
            let tensors = start.run(&device, false, loss, &options, 1);
            assert_same_step(&fused, &tensors, &format!("{loss:?}"));
        }
    }

    /// Where the runs of a test start: the 9-layer network's weights as a record (the backends'
    /// random generators differ, so every run loads them, as `--init-from` does) and a batch
    /// of images.
    struct Start {
        weights: Vec<u8>,
        images: Vec<f32>,
    }

    impl Start {
        /// Fresh weights and the first `n` MNIST training images.
        fn new(n: usize) -> Self {
            let model = Autoencoder::new(Arch::Nine, &default_device().autodiff());
            let train = data::load(Dataset::Mnist, None, Split::Train).unwrap();
            Self {
                weights: model.into_record().into_bytes().unwrap().to_vec(),
                images: train.pixels[..n * IMAGE_PIXELS].to_vec(),
            }
        }

        /// Each of `count` Adam steps' losses (learning rate 1e-3) on `device`, on the fused
        /// path or the device path, and the weights after them.
        fn run(
            &self,
            device: &Device,
            fused: bool,
            loss: Loss,
            options: &StepOptions,
            count: usize,
        ) -> (Vec<f32>, Vec<f32>) {
            let bytes = Bytes::from_bytes_vec(self.weights.clone());
            let record = ModuleRecord::from_bytes(bytes).unwrap();
            let ad_device = device.clone().autodiff();
            let skeleton = Autoencoder::new(Arch::Nine, &ad_device);
            let mut model = skeleton.try_load_record(record).unwrap();
            let mut optimizer = adam(fused, 0.0);
            let options = StepOptions {
                on_device: !fused,
                ..options.clone()
            };
            let mut losses = Vec::with_capacity(count);
            for _ in 0..count {
                let (next, value) = step(
                    model,
                    &mut optimizer,
                    loss,
                    1e-3,
                    &self.images,
                    &options,
                    &ad_device,
                );
                model = next;
                losses.push(value.into_scalar::<f32>());
            }
            let model = model.valid();
            let layers = model.encoder.dense_layers().into_iter();
            let weights = (layers.chain(model.decoder.dense_layers()))
                .flat_map(|layer| layer.weight.into_iter().chain(layer.bias))
                .collect();
            (losses, weights)
        }
    }

    /// Checks that two runs of one step agree: the loss within 1e-5 (relative), every weight
    /// within a tenth of the step's size (1e-3).
    fn assert_same_step(a: &(Vec<f32>, Vec<f32>), b: &(Vec<f32>, Vec<f32>), what: &str) {
        let (a_loss, b_loss) = (a.0[0], b.0[0]);
        assert!(
            (a_loss - b_loss).abs() <= 1e-5 * a_loss.abs(),
            "{what}: losses {a_loss} and {b_loss}"
        );
        let worst = (a.1.iter().zip(&b.1))
            .map(|(x, y)| (x - y).abs())
            .fold(0.0f32, f32::max);
        assert!(worst < 1e-4, "{what}: weights differ by up to {worst}");
    }

    /// wgpu on a CPU adapter (Mesa's lavapipe), or `None` with the reason printed where none is
    /// installed; in CI (`CI` set) a missing adapter fails the test.
    #[cfg(feature = "wgpu")]
    pub(crate) fn software_wgpu() -> Option<Device> {
        let device = DeviceChoice::Wgpu(WgpuAdapter::Cpu).open().unwrap();
        let sum = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            burn::tensor::Tensor::<1>::from_floats([1.0, 2.0], &device)
                .sum()
                .into_scalar::<f32>()
        }));
        if sum.as_ref().is_ok_and(|&sum| sum == 3.0) {
            return Some(device);
        }
        let why = "wgpu found no adapter on the CPU: install Mesa's Vulkan driver \
                   (mesa-vulkan-drivers and libvulkan1; `./build.sh setup` does)";
        assert!(std::env::var_os("CI").is_none(), "{why}");
        eprintln!("skipped: {why}");
        None
    }

    /// On wgpu (lavapipe), the device path follows the CPU's fused path: one step of each loss
    /// (and one through the shipped 4-bit decoder) takes the same weights to the same place, and
    /// ten steps on 64 images give the same falling losses.
    #[cfg(feature = "wgpu")]
    #[test]
    fn training_on_wgpu_follows_the_cpu() {
        use crate::integer_net::packed::Precision;

        let Some(gpu) = software_wgpu() else { return };
        let cpu = default_device();
        let start = Start::new(64);
        let shipped = StepOptions {
            shipped: Some(vec![Precision::NIBBLES; Arch::Nine.decoder_layers().len()]),
            ..StepOptions::default()
        };
        let cases = [
            (Loss::Bce, StepOptions::default(), "BCE"),
            (Loss::Mse, StepOptions::default(), "MSE"),
            (
                Loss::Euclid,
                StepOptions {
                    edge_weight: 2.0,
                    ..StepOptions::default()
                },
                "Euclid + edges",
            ),
            (Loss::Bce, shipped, "BCE through the shipped decoder"),
        ];
        for (loss, options, what) in cases {
            let on_cpu = start.run(&cpu, true, loss, &options, 1);
            let on_gpu = start.run(&gpu, false, loss, &options, 1);
            assert_same_step(&on_cpu, &on_gpu, what);
        }

        let options = StepOptions::default();
        let (on_cpu, _) = start.run(&cpu, true, Loss::Bce, &options, 10);
        let (on_gpu, _) = start.run(&gpu, false, Loss::Bce, &options, 10);
        for (step, (c, g)) in on_cpu.iter().zip(&on_gpu).enumerate() {
            assert!((c - g).abs() <= 1e-3 * c, "step {step}: CPU {c}, wgpu {g}");
        }
        assert!(
            on_gpu[9] < 0.9 * on_gpu[0],
            "the loss falls on wgpu: {on_gpu:?}"
        );
    }

    #[cfg(not(feature = "cuda"))]
    #[test]
    fn a_backend_left_out_of_the_build_is_named() {
        let error = DeviceChoice::Cuda(0).open().unwrap_err().to_string();
        assert!(error.contains("--features cuda"), "{error}");
    }
}

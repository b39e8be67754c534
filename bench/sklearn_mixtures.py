"""Peer reference for `latent-digits fit`: scikit-learn's GaussianMixture on the same codes.

For each digit and each component count K, fits a full-covariance mixture (k-means init, EM,
`reg_covar` = the floor) to the digit's training codes and prints the mean log-likelihood of the
digit's test codes, then the best K per digit and the mean over the 10,000 test codes.

    latent-digits encode --split train --out z_train.npy --labels-out y_train.npy
    latent-digits encode --split test --out z_test.npy --labels-out y_test.npy
    python3 bench/sklearn_mixtures.py z_train.npy y_train.npy z_test.npy y_test.npy --floor 1e-4
"""

import argparse

import numpy as np
from sklearn.mixture import GaussianMixture

parser = argparse.ArgumentParser()
parser.add_argument("z_train")
parser.add_argument("y_train")
parser.add_argument("z_test")
parser.add_argument("y_test")
parser.add_argument("--floor", type=float, default=1e-4)
parser.add_argument("--ks", default="1,4,8,16,24,32,48,64")
parser.add_argument("--seed", type=int, default=0)
args = parser.parse_args()

z_train, y_train = np.load(args.z_train).astype(np.float64), np.load(args.y_train)
z_test, y_test = np.load(args.z_test).astype(np.float64), np.load(args.y_test)
ks = [int(k) for k in args.ks.split(",")]
print(f"floor {args.floor}; test log-likelihood per code, by K: {ks}")
best_total = 0.0
for digit in range(10):
    train, test = z_train[y_train == digit], z_test[y_test == digit]
    scores = []
    for k in ks:
        mixture = GaussianMixture(
            k, covariance_type="full", reg_covar=args.floor, random_state=args.seed, max_iter=500
        ).fit(train)
        scores.append(mixture.score(test))
    best = int(np.argmax(scores))
    best_total += scores[best] * len(test)
    print(digit, " ".join(f"{s:8.2f}" for s in scores), f"  best K={ks[best]}: {scores[best]:.2f}", flush=True)
print(f"all digits, best K per digit: {best_total / len(z_test):.3f}")

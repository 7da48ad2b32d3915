#!/usr/bin/env python3
"""Writes benchmark workload files for testing the peers without `landscape bench --export`.

    python3 bench/peers/make_test_workload.py OUT_DIR [--workload W-S|W-M|W-P|all]
        [--networks N] [--steps S] [--val-networks K] [--val-steps S] [--seed 1]
    python3 bench/peers/make_test_workload.py --check WORKLOAD.json [...]

Same format as the files our tool exports (bench/peers/README.md). The validation reference
(final losses after plain float64 gradient descent, and the Hessian eigenvalues there) comes
from an independent NumPy implementation: forward pass, backpropagation, and the exact Hessian
by Pearlmutter's R-operator applied to all P unit directions at once, no autodiff framework and
no finite differences. Central finite differences are used only to check that implementation
before anything is written.

--check recomputes the validation block of existing workload files (e.g. the ones
`landscape bench --export DIR` writes) with this reference and reports the largest errors, so the
exporter is checked independently of the peers.
"""

import argparse
import json
import os
import sys

import numpy as np

# The three benchmark workloads, with the sizes and step sizes of `landscape bench`
# (src/run/bench.cpp, standard_workloads()); the data differ (ours come from NumPy's RNG).
WORKLOADS = {
    "W-S": dict(family="linear", dims=[6, 4, 4, 6], slope=1.0, n=32, networks=1_000_000, lr=1e-3),
    "W-M": dict(family="linear", dims=[16, 16, 16, 16], slope=1.0, n=64, networks=10_000, lr=2e-4),
    "W-P": dict(family="leaky_relu", dims=[32, 16, 8, 4], slope=0.1, n=16, networks=10_000, lr=1e-3),
}


class Net:
    """One network of the family, on fixed data, in float64."""

    def __init__(self, family, dims, slope, X, Y):
        self.dims, self.X, self.Y = dims, X, Y
        self.alpha = slope if family == "leaky_relu" else 1.0
        self.shapes = [(dims[i], dims[i - 1]) for i in range(1, len(dims))]
        self.P = sum(a * b for a, b in self.shapes)

    def split(self, w):
        """Flat parameter vector(s) [..., P] -> list of [..., d_i, d_{i-1}] (row-major blocks)."""
        out, off = [], 0
        for a, b in self.shapes:
            out.append(w[..., off:off + a * b].reshape(*w.shape[:-1], a, b))
            off += a * b
        return out

    def slope(self, Z):
        # sigma'(z): 1 for z >= 0 (sigma(z) = z there), alpha otherwise.
        return np.where(Z >= 0, 1.0, self.alpha)

    def forward(self, w):
        Ws = self.split(w)
        A, As, Ds = self.X, [self.X], []
        for W in Ws:
            Z = W @ A
            D = self.slope(Z)
            A = D * Z
            As.append(A)
            Ds.append(D)
        return Ws, As, Ds

    def loss(self, w):
        _, As, _ = self.forward(w)
        return 0.5 * np.sum((As[-1] - self.Y) ** 2)

    def grad(self, w):
        Ws, As, Ds = self.forward(w)
        G = (As[-1] - self.Y) * Ds[-1]
        grads = [None] * len(Ws)
        for i in range(len(Ws) - 1, -1, -1):
            grads[i] = G @ As[i].T
            if i > 0:
                G = (Ws[i].T @ G) * Ds[i - 1]
        return np.concatenate([g.ravel() for g in grads])

    def hessian(self, w):
        """Exact Hessian: H v by the R-operator for every unit vector v at once (batch axis 0).

        sigma'' = 0 away from the kink, so R{sigma'(Z)} = 0 and the R-forward pass is
        R{A_i} = sigma'(Z_i) * (V_i A_{i-1} + W_i R{A_{i-1}}).
        """
        Ws, As, Ds = self.forward(w)
        V = self.split(np.eye(self.P))               # V[i]: [P, d_i, d_{i-1}]
        h = len(Ws)
        RA = [np.zeros((self.P,) + self.X.shape)]
        for i in range(h):
            RA.append(Ds[i] * (V[i] @ As[i] + Ws[i] @ RA[i]))
        G = (As[-1] - self.Y) * Ds[-1]
        RG = RA[-1] * Ds[-1]                         # R{residual} = R{A_h}
        Hcols = [None] * h
        for i in range(h - 1, -1, -1):
            # grad_i = G_i A_{i-1}^T  =>  R{grad_i} = R{G_i} A_{i-1}^T + G_i R{A_{i-1}}^T
            Hcols[i] = (RG @ As[i].T + G @ np.swapaxes(RA[i], -1, -2)).reshape(self.P, -1)
            if i > 0:
                RG = (np.swapaxes(V[i], -1, -2) @ G + Ws[i].T @ RG) * Ds[i - 1]
                G = (Ws[i].T @ G) * Ds[i - 1]
        H = np.concatenate(Hcols, axis=1)            # row k = (H e_k)^T
        return 0.5 * (H + H.T)

    def kink_distance(self, w):
        _, As, Ds = self.forward(w)
        Zs = [A / D for A, D in zip(As[1:], Ds)]
        return min(np.min(np.abs(Z)) / max(np.max(np.abs(Z)), 1e-300) for Z in Zs)


def self_check(net, w):
    """Central finite differences against the analytic gradient and Hessian (float64)."""
    eps = 1e-6
    g = net.grad(w)
    fd_g = np.array([(net.loss(w + eps * e) - net.loss(w - eps * e)) / (2 * eps) for e in np.eye(net.P)])
    H = net.hessian(w)
    fd_H = np.array([(net.grad(w + eps * e) - net.grad(w - eps * e)) / (2 * eps) for e in np.eye(net.P)])
    eg = np.max(np.abs(g - fd_g)) / max(1.0, np.max(np.abs(g)))
    eh = np.max(np.abs(H - fd_H)) / max(1.0, np.max(np.abs(H)))
    if eg > 1e-6 or eh > 1e-6:
        sys.exit(f"reference implementation disagrees with finite differences: grad {eg:.2e}, Hessian {eh:.2e}")
    return eg, eh


def draw_init(rng, shapes, scale):
    return np.concatenate([rng.normal(0.0, scale / np.sqrt(b), size=a * b) for a, b in shapes])


def make(name, spec, args):
    rng = np.random.default_rng([args.seed, sum(map(ord, name))])
    dims, n = spec["dims"], spec["n"]
    X = rng.standard_normal((dims[0], n))
    Y = rng.standard_normal((dims[-1], n))
    net = Net(spec["family"], dims, spec["slope"], X, Y)
    lr = args.lr if args.lr is not None else spec["lr"]
    inits, losses, eigs = [], [], []
    while len(inits) < args.val_networks:
        w0 = draw_init(rng, net.shapes, args.init_scale)
        w = w0.copy()
        l0 = net.loss(w)
        for _ in range(args.val_steps):
            w -= lr * net.grad(w)
        l1 = net.loss(w)
        if not (np.isfinite(l1) and l1 < l0):
            sys.exit(f"{name}: float64 GD at lr={lr} does not lower the loss ({l0} -> {l1})")
        # Near a leaky-ReLU kink the Hessian is undefined and any two codes may disagree.
        if spec["family"] == "leaky_relu" and net.kink_distance(w) < 1e-6:
            continue
        if not inits:
            eg, eh = self_check(net, w)
            print(f"{name}: reference vs finite differences: grad {eg:.1e}, Hessian {eh:.1e}", file=sys.stderr)
        lam = np.linalg.eigvalsh(net.hessian(w))
        inits.append(w0.tolist())
        losses.append(float(l1))
        eigs.append(lam.tolist())
    wl = {"name": name, "family": spec["family"], "dims": dims, "slope": spec["slope"], "n": n,
          "networks": args.networks or spec["networks"], "steps": args.steps, "lr": lr,
          "train_precision": "float32", "X": X.tolist(), "Y": Y.tolist(),
          "init_seed": args.seed, "init_scale": args.init_scale,
          "validation": {"networks": args.val_networks, "steps": args.val_steps, "lr": lr,
                         "init": inits, "final_loss": losses, "eigenvalues": eigs}}
    path = os.path.join(args.out_dir, f"{name}.json")
    with open(path, "w") as f:
        json.dump(wl, f)
    lmax = max(max(abs(e[0]), abs(e[-1])) for e in eigs)
    print(f"{name}: wrote {path} (P={net.P}, max|lambda| at validation endpoints {lmax:.3g}, "
          f"lr*max|lambda| = {lr * lmax:.3g})", file=sys.stderr)


def check(path):
    with open(path) as f:
        wl = json.load(f)
    X, Y = np.asarray(wl["X"], dtype=np.float64), np.asarray(wl["Y"], dtype=np.float64)
    net = Net(wl["family"], wl["dims"], wl.get("slope", 1.0), X, Y)
    v = wl["validation"]
    err_l = err_e = 0.0
    for w0, l_ref, e_ref in zip(v["init"], v["final_loss"], v["eigenvalues"]):
        w = np.asarray(w0, dtype=np.float64)
        for _ in range(v["steps"]):
            w -= v["lr"] * net.grad(w)
        lam = np.linalg.eigvalsh(net.hessian(w))
        e_ref = np.asarray(e_ref)
        err_l = max(err_l, abs(net.loss(w) - l_ref) / abs(l_ref))
        err_e = max(err_e, np.max(np.abs(lam - e_ref)) / np.max(np.abs(e_ref)))
        if wl["family"] == "leaky_relu":
            print(f"  kink distance {net.kink_distance(w):.2e}", file=sys.stderr)
    ok = err_l < 1e-9 and err_e < 1e-8
    print(f"{path}: {v['networks']} validation networks x {v['steps']} steps: max relative loss error "
          f"{err_l:.2e}, max eigenvalue error {err_e:.2e} x max|lambda| -> {'ok' if ok else 'MISMATCH'}")
    return ok


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--check":
        ok = all([check(path) for path in sys.argv[2:]])
        sys.exit(0 if ok else 1)
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("out_dir")
    p.add_argument("--workload", default="all", choices=["all", *WORKLOADS])
    p.add_argument("--networks", type=int, default=None, help="default: per workload (W-S 1e6, W-M 1e4, W-P 1e5)")
    p.add_argument("--steps", type=int, default=2000)
    p.add_argument("--lr", type=float, default=None, help="default: per workload")
    p.add_argument("--val-networks", type=int, default=4)
    p.add_argument("--val-steps", type=int, default=200)
    p.add_argument("--init-scale", type=float, default=1.0)
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    for name, spec in WORKLOADS.items():
        if args.workload in ("all", name):
            make(name, spec, args)


if __name__ == "__main__":
    main()

# %% [markdown]
# # landscape from Python: train, classify, look along a direction
#
# A notebook-style script (cells marked `# %%`, runs top to bottom as a plain script too):
# train a small deep linear network (PyTorch when it is installed, NumPy gradient descent
# otherwise), classify the endpoint with `landscape.classify`, then evaluate the loss along the
# direction that matters - the escape witness where the test found one, else the eigenvector of
# the smallest Hessian eigenvalue - with `landscape.slice` (what `landscape slice` computes),
# checked against `landscape.loss_and_gradient`. The slice is written as CSV, and plotted when
# matplotlib is installed.
#
#     PYTHONPATH=build/python python3 examples/python_quickstart.py --out quickstart-out

# %%
import argparse
import csv
import os

import numpy as np

import landscape

parser = argparse.ArgumentParser(description=__doc__)
parser.add_argument("--out", default="quickstart-out", help="folder for slice.csv (and slice.png)")
parser.add_argument("--steps", type=int, default=800, help="training steps")
parser.add_argument("--trainer", choices=["auto", "torch", "numpy"], default="auto",
                    help="PyTorch (auto: when installed) or NumPy gradient descent")
args = parser.parse_args()
os.makedirs(args.out, exist_ok=True)

# %% [markdown]
# Data: samples are columns. X is (d0, n), Y is (dh, n); weights W_i are (d_i, d_{i-1}),
# the layout of PyTorch's `nn.Linear(d_{i-1}, d_i, bias=False).weight`.

# %%
rng = np.random.default_rng(0)
dims = [4, 3, 3, 3]
n = 20
X = rng.standard_normal((dims[0], n))
Y = rng.standard_normal((dims[-1], n))


def train_torch(steps, lr):
    import torch

    torch.manual_seed(0)
    torch.set_num_threads(1)  # a network this small gains nothing from more
    layers = [torch.nn.Linear(dims[i], dims[i + 1], bias=False).double() for i in range(len(dims) - 1)]
    net = torch.nn.Sequential(*layers)
    x, y = torch.from_numpy(X.T), torch.from_numpy(Y.T)  # PyTorch batches are (n, d)
    opt = torch.optim.SGD(net.parameters(), lr=lr)
    for _ in range(steps):
        opt.zero_grad()
        loss = 0.5 * ((net(x) - y) ** 2).sum()  # landscape's loss: no division by n
        loss.backward()
        opt.step()
    return [layer.weight.detach().numpy().copy() for layer in layers]


def train_numpy(steps, lr):
    Ws = [rng.standard_normal((dims[i + 1], dims[i])) / np.sqrt(dims[i]) for i in range(len(dims) - 1)]
    for _ in range(steps):
        _, grads = landscape.loss_and_gradient(Ws, X, Y)
        Ws = [W - lr * G for W, G in zip(Ws, grads)]
    return Ws


weights, trainer = None, "NumPy gradient descent"
if args.trainer != "numpy":
    try:
        weights, trainer = train_torch(args.steps, 0.02), "PyTorch"
    except ImportError:
        if args.trainer == "torch":
            raise
if weights is None:
    weights = train_numpy(args.steps, 0.02)

# %% [markdown]
# Classify the endpoint: the same code and JSON as `landscape classify --json`.

# %%
result = landscape.classify(weights, X, Y)
print(f"trained with {trainer}: class {result['class']}, loss {result['loss']:.6g}, "
      f"L* {result['global_loss']:.6g} ({result['global_loss_kind']}), "
      f"lambda_min {result['lambda_min']:.3e}, {result['near_zero_eigenvalues']} near-zero eigenvalues")

# A second point for contrast: W = 0 of this three-layer network, a non-strict saddle (a zero
# Hessian), where the escape test's witness shows the way down.
zeros = [np.zeros_like(W) for W in weights]
saddle = landscape.classify(zeros, X, Y)
print(f"W = 0: class {saddle['class']} (second order: {saddle['raw_class']})")
assert saddle["class"] == "non_strict_saddle"

# %% [markdown]
# The loss along a direction d: L(w + t d) for t in [-T, T], by `landscape.slice`. For the trained
# point d is the eigenvector of lambda_min (parameter order [vec(W_1); ...], each W_i row-major;
# also returned per layer); for W = 0 the escape witness.

# %%
trained = landscape.slice(weights, X, Y, direction="min-eig", range=1.0, steps=41)
at_zero = landscape.slice(zeros, X, Y, direction="witness", range=1.0, steps=41)
ts, trained_slice, saddle_slice = trained["line"]["t"], trained["line"]["loss"], at_zero["line"]["loss"]
print(f"slices: along {trained['line']['description']}; at W = 0 along the {at_zero['line']['description']}")


# Checks, independent of the slice code: the dense Hessian's smallest eigenvalue, and the loss
# at w + t d evaluated directly.
def unpack(w):
    out, off = [], 0
    for i in range(len(dims) - 1):
        size = dims[i + 1] * dims[i]
        out.append(w[off:off + size].reshape(dims[i + 1], dims[i]))
        off += size
    return out


def loss_slice(Ws, direction, ts):
    w0 = np.concatenate([W.ravel() for W in Ws])
    return np.array([landscape.loss_and_gradient(unpack(w0 + t * direction), X, Y)[0] for t in ts])


values = np.linalg.eigvalsh(landscape.hessian(weights, X, Y))
assert np.allclose(values, result["eigenvalues"], rtol=0, atol=1e-9 * max(1, np.abs(values).max()))
assert abs(trained["line"]["eigenvalue"] - values[0]) <= 1e-9 * max(1, np.abs(values).max())
np.testing.assert_allclose(trained_slice, loss_slice(weights, trained["line"]["vector"], ts), rtol=1e-12)
np.testing.assert_allclose(saddle_slice, loss_slice(zeros, saddle["escape"]["direction"], ts), rtol=1e-12)
assert abs(trained_slice[20] - landscape.loss_and_gradient(weights, X, Y)[0]) < 1e-12 * max(1, trained_slice[20])
assert abs(saddle_slice[20] - saddle["loss"]) < 1e-12 * saddle["loss"]
step = saddle["escape"]["step"]
assert loss_slice(zeros, at_zero["line"]["vector"], [step])[0] < saddle["loss"]

path = os.path.join(args.out, "slice.csv")
with open(path, "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["t", "loss_along_lambda_min_eigenvector", "loss_along_escape_witness_at_zero"])
    for t, a, b in zip(ts, trained_slice, saddle_slice):
        w.writerow([repr(float(t)), repr(float(a)), repr(float(b))])
print(f"wrote {path}")

# %%
try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(1, 2, figsize=(9, 3.5))
    ax[0].plot(ts, trained_slice)
    ax[0].set(title=f"trained ({result['class']}): along the lambda_min eigenvector", xlabel="t",
              ylabel="L(w + t d)")
    ax[1].plot(ts, saddle_slice)
    ax[1].set(title="W = 0 (non-strict saddle): along the witness", xlabel="t")
    fig.tight_layout()
    fig.savefig(os.path.join(args.out, "slice.png"), dpi=100)
    print(f"wrote {os.path.join(args.out, 'slice.png')}")
except ImportError:
    print("matplotlib is not installed: slice.csv only")

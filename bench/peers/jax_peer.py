#!/usr/bin/env python3
"""JAX peer for the landscape benchmark.

    python3 bench/peers/jax_peer.py WORKLOAD.json [--max-networks M] [--device cuda|cpu]

The workload the way a JAX user would write it: one network's loss as a pure function of its
weight matrices, jax.vmap over networks, jax.grad inside a jax.lax.scan over the training
steps under jax.jit, vmapped jax.hessian for the float64 Hessians and jnp.linalg.eigvalsh on
the batch. Each program is compiled ahead of time (jit(...).lower(...).compile()), so the
compile time is measured on its own and never inside a timed stage. Prints one JSON object on
stdout (format in bench/peers/README.md); progress goes to stderr.
"""

import os
import sys
import time
from importlib import metadata

import numpy as np

import peer_common as pc

args = pc.parse_args("jax")
# The platform has to be chosen before JAX initializes its backends. For cuda nothing is set:
# JAX prefers a GPU when it has one, and main() checks that it got one.
if args.device == "cpu":
    os.environ["JAX_PLATFORMS"] = "cpu"

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402

# float64 Hessians need x64 mode; training arrays are cast to train_precision explicitly.
jax.config.update("jax_enable_x64", True)
# JAX would otherwise run float32 matmuls on TF32 tensor cores on the GPU; the benchmark
# compares full float32 training, as the torch peer and our tool do.
jax.config.update("jax_default_matmul_precision", "highest")


def make_model(wl):
    shapes = pc.layer_shapes(wl["dims"])
    leaky = wl["family"] == "leaky_relu"
    slope = wl["slope"]

    def loss(Ws, X, Y):
        A = X
        for W in Ws:
            A = W @ A
            if leaky:
                # docs/math.md: the activation follows every layer, the last one included.
                A = jax.nn.leaky_relu(A, negative_slope=slope)
        return 0.5 * jnp.sum((A - Y) ** 2)

    def unflatten(w):
        # Parameter order: [vec(W_1); ...; vec(W_h)], each W_i row-major (C order reshape).
        Ws, off = [], 0
        for a, b in shapes:
            Ws.append(w[..., off:off + a * b].reshape(*w.shape[:-1], a, b))
            off += a * b
        return tuple(Ws)

    def loss_flat(w, X, Y):
        return loss(unflatten(w), X, Y)

    def flatten(Ws):
        return jnp.concatenate([W.reshape(W.shape[0], -1) for W in Ws], axis=1)

    return loss, loss_flat, unflatten, flatten


def make_train(loss, lr, steps):
    batched_grad = jax.vmap(jax.grad(loss), in_axes=(0, None, None))

    def train(Ws, X, Y):
        def body(Ws, _):
            gs = batched_grad(Ws, X, Y)
            return tuple(W - lr * g for W, g in zip(Ws, gs)), None

        Ws, _ = jax.lax.scan(body, Ws, None, length=steps)
        return Ws

    # The weights are consumed: donating them lets XLA update in place.
    return jax.jit(train, donate_argnums=0)


def is_oom(e):
    text = str(e)
    return "RESOURCE_EXHAUSTED" in text or "Out of memory" in text or "out of memory" in text


def main():
    wl = pc.load_workload(args.workload)
    dev = jax.devices()[0]
    on_gpu = dev.platform == "gpu"
    if args.device == "cuda" and not on_gpu:
        sys.exit("jax_peer: --device cuda but JAX found no GPU")
    device_name = dev.device_kind if on_gpu else "cpu"
    version = f"jax {jax.__version__}, jaxlib {metadata.version('jaxlib')}"
    pc.log(f"JAX {version} on {device_name}, workload {wl['name']}: {wl['family']} {wl['dims']}, "
           f"n={wl['n']}, {wl['networks']} networks x {wl['steps']} steps")

    loss, loss_flat, unflatten, flatten = make_model(wl)
    tdtype = {"float32": jnp.float32, "float64": jnp.float64}[wl["train_precision"]]
    X64, Y64 = jnp.asarray(wl["X"], jnp.float64), jnp.asarray(wl["Y"], jnp.float64)
    Xt, Yt = X64.astype(tdtype), Y64.astype(tdtype)
    batched_loss = jax.jit(jax.vmap(loss, in_axes=(0, None, None)))
    batched_hessian = jax.jit(jax.vmap(jax.hessian(loss_flat), in_axes=(0, None, None)))
    eigvalsh = jax.jit(jnp.linalg.eigvalsh)

    # ---- validation (float64): the same loss, gradient and Hessian code as the timed run.
    t0 = time.perf_counter()
    v = wl["validation"]
    Ws = unflatten(jnp.asarray(v["init"], jnp.float64))
    Ws = make_train(loss, float(v["lr"]), int(v["steps"]))(Ws, X64, Y64)
    vloss = np.asarray(batched_loss(Ws, X64, Y64))
    veig = np.asarray(eigvalsh(batched_hessian(flatten(Ws), X64, Y64)))
    validation = pc.check_validation(wl, vloss, veig)
    validation["seconds"] = time.perf_counter() - t0
    pc.log(f"validation: {validation}")
    if not validation["passed"]:
        pc.log(f"jax_peer: VALIDATION FAILED for {wl['name']}: max relative loss error "
               f"{validation['max_rel_loss_err']:.3e} (tolerance {pc.LOSS_RTOL:g}), max eigenvalue "
               f"error {validation['max_eig_err_rel']:.3e} x max|lambda| (tolerance {pc.EIG_RTOL:g})")
        pc.report(args, wl, "jax", version, device_name, {}, None, validation, {})
        sys.exit(1)

    # ---- sizes
    N = int(wl["networks"])
    M = min(N, args.max_networks or N)
    P = pc.param_count(wl["dims"])
    shapes = pc.layer_shapes(wl["dims"])
    stats = dev.memory_stats() if on_gpu else None
    if stats and "bytes_limit" in stats:
        free = stats["bytes_limit"] - stats.get("bytes_in_use", 0)
    else:
        free = pc.host_available_bytes()
    chunks = pc.chunk_sizes(wl, jnp.dtype(tdtype).itemsize, free, args.mem_fraction, on_gpu, args.chunk)
    # Endpoints and Hessians stay on the device for the next stage, up to a quarter of what
    # was free: the later stages then time only device work, never host transfers.
    keep_bytes = free // 4
    keep_endpoints = max(1, min(M, keep_bytes // (8 * P)))
    keep_hessians = max(1, min(M, keep_bytes // (8 * P * P)))

    key = jax.random.PRNGKey(int(wl["init_seed"]))
    stds = [float(wl["init_scale"]) / float(np.sqrt(b)) for _, b in shapes]

    @jax.jit
    def draw_batch(key, dummy):
        # N(0, scale^2 / d_{i-1}) per entry; `dummy` only carries the batch size as a shape.
        keys = jax.random.split(key, len(shapes))
        return tuple(jax.random.normal(k, (dummy.shape[0], a, b), tdtype) * s
                     for k, (a, b), s in zip(keys, shapes, stds))

    def draw(k, size):
        return draw_batch(jax.random.fold_in(key, k), jnp.zeros((size, 0), tdtype))

    train = make_train(loss, float(wl["lr"]), int(wl["steps"]))
    compiled = {}
    compile_s = 0.0

    def compile_stage(name, size):
        """AOT-compiles the stage's program for chunks of `size` and runs it once untimed
        (device-side first-call setup: solver handles, autotuning), adding to compile_s."""
        nonlocal compile_s
        t0 = time.perf_counter()
        f64 = jax.ShapeDtypeStruct
        if name == "train":
            spec = tuple(f64((size, a, b), tdtype) for a, b in shapes)
            exe = train.lower(spec, Xt, Yt).compile()
            # Warm the runtime with a one-step program of the same shapes.
            jax.block_until_ready(make_train(loss, float(wl["lr"]), 1)(draw(0, size), Xt, Yt))
        elif name == "hessian":
            exe = batched_hessian.lower(f64((size, P), jnp.float64), X64, Y64).compile()
            jax.block_until_ready(exe(jnp.zeros((size, P), jnp.float64) + 0.1, X64, Y64))
        else:
            exe = eigvalsh.lower(f64((size, P, P), jnp.float64)).compile()
            jax.block_until_ready(exe(jnp.broadcast_to(jnp.eye(P), (size, P, P))))
        compiled[name] = exe
        compile_s += time.perf_counter() - t0

    def timed(name, total, body):
        """Runs a stage; on running out of device memory, recompiles for half the chunk and
        starts the stage again."""
        while True:
            try:
                size, _ = pc.plan_chunks(total, chunks[name])
                compile_stage(name, size)
                return body(chunks[name], total)
            except Exception as e:  # noqa: BLE001 - XLA reports OOM as a generic runtime error
                if not is_oom(e) or chunks[name] == 1:
                    raise
                chunks[name] //= 2
                pc.log(f"  {name}: out of memory, retrying with chunks of {chunks[name]}")

    endpoints, final_losses, hess_store = [], [], []

    def train_body(chunk, total):
        endpoints.clear()
        final_losses.clear()

        def run(Ws):
            return jax.block_until_ready(compiled["train"](Ws, Xt, Yt))

        def finish(k, Ws):
            final_losses.append(np.asarray(batched_loss(Ws, Xt, Yt), dtype=np.float64))
            if sum(e.shape[0] for e in endpoints) < keep_endpoints:
                endpoints.append(flatten(Ws).astype(jnp.float64))

        return pc.run_stage("train", total, chunk, args.stage_budget, draw, run, finish)

    t_train, n_train, _ = timed("train", M, train_body)
    E = jnp.concatenate(endpoints)[:keep_endpoints]
    endpoints.clear()
    pc.log(f"train: {t_train:.3f} s for {n_train} networks")

    def hessian_body(chunk, total):
        hess_store.clear()

        def prepare(k, size):
            # The padded tail of the last chunk repeats earlier endpoints.
            return jax.block_until_ready(E[jnp.arange(k * size, (k + 1) * size) % E.shape[0]])

        def run(w):
            return jax.block_until_ready(compiled["hessian"](w, X64, Y64))

        def finish(k, H):
            if sum(h.shape[0] for h in hess_store) < keep_hessians:
                hess_store.append(H)

        return pc.run_stage("hessian", total, chunk, args.stage_budget, prepare, run, finish)

    t_hess, n_hess, _ = timed("hessian", min(n_train, E.shape[0]), hessian_body)
    Hs = jnp.concatenate(hess_store)[:keep_hessians]
    hess_store.clear()
    pc.log(f"hessian: {t_hess:.3f} s for {n_hess} networks")

    def eigen_body(chunk, total):
        def prepare(k, size):
            return jax.block_until_ready(Hs[jnp.arange(k * size, (k + 1) * size) % Hs.shape[0]])

        def run(H):
            return jax.block_until_ready(compiled["eigen"](H))

        return pc.run_stage("eigen", total, chunk, args.stage_budget, prepare, run,
                            lambda k, lam: None)

    t_eig, n_eig, _ = timed("eigen", min(n_hess, Hs.shape[0]), eigen_body)
    pc.log(f"eigen: {t_eig:.3f} s for {n_eig} networks")
    pc.log(f"compile + warm-up: {compile_s:.2f} s; chunks {chunks}")

    stages = {"train": pc.stage_record(t_train, n_train, N),
              "hessian": pc.stage_record(t_hess, n_hess, N),
              "eigen": pc.stage_record(t_eig, n_eig, N)}
    for s in pc.STAGES:
        stages[s]["chunk"] = chunks[s]
    extra = {"train_mode": "jit(lax.scan over steps of vmap(grad)), AOT-compiled",
             "train_check": pc.train_summary(np.concatenate(final_losses)),
             "settings": {"max_networks": args.max_networks, "stage_budget_s": args.stage_budget,
                          "matmul_precision": "highest",
                          "hessian": "jax.hessian (jacfwd over jacrev), vmapped, jit",
                          "eigen": "jnp.linalg.eigvalsh, batched, jit"}}
    pc.report(args, wl, "jax", version, device_name, stages, compile_s, validation, extra)


if __name__ == "__main__":
    main()

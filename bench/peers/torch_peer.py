#!/usr/bin/env python3
"""PyTorch peer for the landscape benchmark.

    python3 bench/peers/torch_peer.py WORKLOAD.json [--max-networks M] [--device cuda|cpu]

The workload the way a PyTorch user would write it with torch.func: one network's loss as a
plain function of its weight matrices, batched over networks with vmap, differentiated with
grad (training) and hessian (analysis), and eigvalsh on the batched Hessians. Prints one JSON
object on stdout (format in bench/peers/README.md); progress goes to stderr.
"""

import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch.func import grad, hessian, vmap

import peer_common as pc


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
                A = F.leaky_relu(A, negative_slope=slope)
        return 0.5 * ((A - Y) ** 2).sum()

    def unflatten(w):
        # Parameter order: [vec(W_1); ...; vec(W_h)], each W_i row-major, which is exactly
        # what slicing a contiguous vector and viewing it as (d_i, d_{i-1}) gives.
        Ws, off = [], 0
        for a, b in shapes:
            Ws.append(w[off:off + a * b].reshape(a, b))
            off += a * b
        return tuple(Ws)

    def loss_flat(w, X, Y):
        return loss(unflatten(w), X, Y)

    def flatten(Ws):
        return torch.cat([W.reshape(W.shape[0], -1) for W in Ws], dim=1)

    return loss, loss_flat, unflatten, flatten


def make_step(loss, lr):
    batched_grad = vmap(grad(loss), in_dims=(0, None, None))

    def step(Ws, X, Y):
        gs = batched_grad(Ws, X, Y)
        return tuple(W - lr * g for W, g in zip(Ws, gs))

    return step


def main():
    args = pc.parse_args("torch")
    wl = pc.load_workload(args.workload)
    if args.device == "cuda" and not torch.cuda.is_available():
        sys.exit("torch_peer: --device cuda but torch.cuda.is_available() is False")
    dev = torch.device(args.device or ("cuda" if torch.cuda.is_available() else "cpu"))
    on_gpu = dev.type == "cuda"
    # Full float32 matmuls (no TF32): the benchmark compares like with like in train_precision.
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.set_float32_matmul_precision("highest")
    device_name = torch.cuda.get_device_name(dev) if on_gpu else "cpu"
    pc.log(f"torch {torch.__version__} on {device_name}, workload {wl['name']}: {wl['family']} "
           f"{wl['dims']}, n={wl['n']}, {wl['networks']} networks x {wl['steps']} steps")

    def sync():
        if on_gpu:
            torch.cuda.synchronize(dev)

    loss, loss_flat, unflatten, flatten = make_model(wl)
    tdtype = {"float32": torch.float32, "float64": torch.float64}[wl["train_precision"]]
    X64 = torch.as_tensor(wl["X"], dtype=torch.float64, device=dev)
    Y64 = torch.as_tensor(wl["Y"], dtype=torch.float64, device=dev)
    Xt, Yt = X64.to(tdtype), Y64.to(tdtype)
    batched_loss = vmap(loss, in_dims=(0, None, None))
    batched_hessian = vmap(hessian(loss_flat), in_dims=(0, None, None))

    # ---- validation (float64, eager): same loss, gradient and Hessian code as the timed run.
    t0 = time.perf_counter()
    v = wl["validation"]
    w = torch.as_tensor(v["init"], dtype=torch.float64, device=dev)
    # Contiguous copies: the same memory layout as the freshly drawn weights of the timed run.
    Ws = tuple(W.contiguous() for W in vmap(unflatten)(w))
    step64 = make_step(loss, float(v["lr"]))
    for _ in range(int(v["steps"])):
        Ws = step64(Ws, X64, Y64)
    vloss = batched_loss(Ws, X64, Y64).cpu().numpy()
    veig = torch.linalg.eigvalsh(batched_hessian(flatten(Ws), X64, Y64)).cpu().numpy()
    validation = pc.check_validation(wl, vloss, veig)
    validation["seconds"] = time.perf_counter() - t0
    pc.log(f"validation: {validation}")
    if not validation["passed"]:
        pc.log(f"torch_peer: VALIDATION FAILED for {wl['name']}: max relative loss error "
               f"{validation['max_rel_loss_err']:.3e} (tolerance {pc.LOSS_RTOL:g}), max eigenvalue "
               f"error {validation['max_eig_err_rel']:.3e} x max|lambda| (tolerance {pc.EIG_RTOL:g})")
        pc.report(args, wl, "torch", torch.__version__, device_name, {}, None, validation, {})
        sys.exit(1)

    # ---- sizes
    N = int(wl["networks"])
    M = min(N, args.max_networks or N)
    P = pc.param_count(wl["dims"])
    free = torch.cuda.mem_get_info(dev)[0] if on_gpu else pc.host_available_bytes()
    chunks = pc.chunk_sizes(wl, torch.finfo(tdtype).bits // 8, free, args.mem_fraction, on_gpu, args.chunk)
    # Endpoints and Hessians are kept on the device for the next stage, up to a quarter of
    # what was free: the later stages then time only device work, never host transfers.
    keep_bytes = free // 4
    keep_endpoints = max(1, min(M, keep_bytes // (8 * P)))
    keep_hessians = max(1, min(M, keep_bytes // (8 * P * P)))

    use_compile = args.compile in ("on", "auto")
    gen = torch.Generator(device=dev)
    gen.manual_seed(int(wl["init_seed"]))
    stds = [float(wl["init_scale"]) / float(np.sqrt(b)) for _, b in pc.layer_shapes(wl["dims"])]

    def draw(size):
        # N(0, scale^2 / d_{i-1}) per entry, drawn on the device like a user would.
        return tuple(torch.randn(size, a, b, generator=gen, device=dev, dtype=tdtype) * s
                     for (a, b), s in zip(pc.layer_shapes(wl["dims"]), stds))

    step_eager = make_step(loss, float(wl["lr"]))
    steps = int(wl["steps"])
    train_mode = "eager"

    def warm_stage(name, size):
        # Runs the stage once on the shape its chunks will have, so that compilation and
        # first-call setup (cuBLAS/cuSOLVER handles, allocator growth) never land in a timing.
        if name == "train":
            W0 = draw(size)
            Ws = W0
            for _ in range(3):
                Ws = step(Ws, Xt, Yt)
            if step is not step_eager:
                # The compiled step must compute what the eager (validated) step computes.
                Ve = W0
                for _ in range(3):
                    Ve = step_eager(Ve, Xt, Yt)
                err = max(float(((a - b).abs().max() / b.abs().max()).item()) for a, b in zip(Ws, Ve))
                if not err < 1e-4:
                    raise RuntimeError(f"compiled step differs from the eager one (relative {err:.2e})")
        elif name == "hessian":
            batched_hessian(torch.randn(size, P, dtype=torch.float64, device=dev, generator=gen), X64, Y64)
        else:
            torch.linalg.eigvalsh(torch.eye(P, dtype=torch.float64, device=dev).expand(size, P, P).contiguous())
        sync()

    def warm_up():
        for name in pc.STAGES:
            warm_stage(name, pc.plan_chunks(M, chunks[name])[0])

    # ---- warm-up / compile (timed separately)
    t0 = time.perf_counter()
    step = step_eager
    if use_compile:
        pc.log("compiling the training step with torch.compile")
        try:
            step = torch.compile(step_eager)
            warm_up()
            train_mode = "torch.compile"
        except Exception as e:  # noqa: BLE001 - any compile failure falls back to eager
            if args.compile == "on":
                raise
            pc.log(f"torch.compile failed ({type(e).__name__}: {str(e).splitlines()[0][:200]}); "
                   "training eagerly")
            step = step_eager
    if train_mode == "eager":
        warm_up()
    compile_s = time.perf_counter() - t0
    pc.log(f"warm-up ({train_mode}): {compile_s:.2f} s; chunks {chunks}")

    # ---- timed stages
    endpoints, final_losses, hess_store = [], [], []

    def timed(name, total, body):
        """Runs a stage; on running out of device memory, warms up for half the chunk (time
        added to compile_s) and starts the stage again."""
        nonlocal compile_s
        while True:
            try:
                return body(chunks[name], total)
            except torch.cuda.OutOfMemoryError:
                if chunks[name] == 1:
                    raise
                chunks[name] //= 2
                torch.cuda.empty_cache()
                pc.log(f"  {name}: out of memory, retrying with chunks of {chunks[name]}")
                t0 = time.perf_counter()
                warm_stage(name, pc.plan_chunks(total, chunks[name])[0])
                compile_s += time.perf_counter() - t0

    def train_body(chunk, total):
        endpoints.clear()
        final_losses.clear()

        def run(Ws):
            for _ in range(steps):
                Ws = step(Ws, Xt, Yt)
            sync()
            return Ws

        def finish(k, Ws):
            final_losses.append(batched_loss(Ws, Xt, Yt).double().cpu().numpy())
            if sum(e.shape[0] for e in endpoints) < keep_endpoints:
                endpoints.append(flatten(Ws).to(torch.float64))

        return pc.run_stage("train", total, chunk, args.stage_budget,
                            lambda k, size: draw(size), run, finish)

    t_train, n_train, _ = timed("train", M, train_body)
    E = torch.cat(endpoints)[:keep_endpoints]
    endpoints.clear()
    pc.log(f"train: {t_train:.3f} s for {n_train} networks")

    def hessian_body(chunk, total):
        hess_store.clear()

        def prepare(k, size):
            # The padded tail of the last chunk repeats earlier endpoints.
            return E[torch.arange(k * size, (k + 1) * size, device=dev) % E.shape[0]]

        def run(w):
            H = batched_hessian(w, X64, Y64)
            sync()
            return H

        def finish(k, H):
            if sum(h.shape[0] for h in hess_store) < keep_hessians:
                hess_store.append(H)

        return pc.run_stage("hessian", total, chunk, args.stage_budget, prepare, run, finish)

    t_hess, n_hess, _ = timed("hessian", min(n_train, E.shape[0]), hessian_body)
    Hs = torch.cat(hess_store)[:keep_hessians]
    hess_store.clear()
    pc.log(f"hessian: {t_hess:.3f} s for {n_hess} networks")

    def eigen_body(chunk, total):
        def prepare(k, size):
            return Hs[torch.arange(k * size, (k + 1) * size, device=dev) % Hs.shape[0]]

        def run(H):
            lam = torch.linalg.eigvalsh(H)
            sync()
            return lam

        return pc.run_stage("eigen", total, chunk, args.stage_budget, prepare, run,
                            lambda k, lam: None)

    t_eig, n_eig, _ = timed("eigen", min(n_hess, Hs.shape[0]), eigen_body)
    pc.log(f"eigen: {t_eig:.3f} s for {n_eig} networks")

    stages = {"train": pc.stage_record(t_train, n_train, N),
              "hessian": pc.stage_record(t_hess, n_hess, N),
              "eigen": pc.stage_record(t_eig, n_eig, N)}
    for s in pc.STAGES:
        stages[s]["chunk"] = chunks[s]
    extra = {"train_mode": train_mode, "train_check": pc.train_summary(np.concatenate(final_losses)),
             "settings": {"max_networks": args.max_networks, "stage_budget_s": args.stage_budget,
                          "tf32": False, "hessian": "torch.func.hessian (jacfwd over jacrev), vmapped",
                          "eigen": "torch.linalg.eigvalsh, batched"}}
    pc.report(args, wl, "torch", torch.__version__, device_name, stages, compile_s, validation, extra)


if __name__ == "__main__":
    main()

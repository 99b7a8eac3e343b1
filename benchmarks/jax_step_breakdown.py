"""Where one training step of the article's DCGAN spends its time on Keras' JAX backend.

The GPU investigation behind the README's batch-256 numbers: ``GAN.fit`` and the
minimal loop of ``jax_gpu_train.py`` both stay below the issue's reference there, and
``--steps-per-execution`` changes nothing, so the time is inside the compiled step.
This script times, on one fixed batch that stays on the accelerator:

* the minimal step (simultaneous update, as ``jax_gpu_train.py``) without and with
  donated state buffers (Keras' own ``fit()`` donates them);
* the same step under each matmul/convolution precision JAX offers;
* eight steps in one compiled call, as a ``lax.scan`` and unrolled (what ``GAN.fit``
  runs for ``steps_per_execution=8`` on JAX);
* its parts: generator forward, discriminator forward, each one's forward and backward,
  and one Adam update;
* pgan's own step, the one ``GAN.fit`` compiles (``GAN.train_step`` with its metrics),
  for the simultaneous and the alternating update, donated (``--variants fit``);

and for each compiled step the number of kernels XLA emitted and its FLOP count.
``--trace DIR`` also writes a JAX profiler trace of 20 donated steps (read it with
``benchmarks/jax_trace_summary.py``). ``--xla-flags-sweep`` reruns the donated step in
fresh processes under a few ``XLA_FLAGS`` settings. Each result is one JSON line on
stdout as soon as it is measured, so a run cut short still reports what it did.

    python benchmarks/jax_step_breakdown.py --steps 5 --batch-size 32        # CPU smoke test
    python benchmarks/jax_step_breakdown.py --trace build/trace --xla-flags-sweep   # on the GPU
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "jax")

# XLA_FLAGS settings the sweep tries, each in a fresh process (flags are read at start-up).
SWEEP_FLAGS = {
    "default": "",
    "no_command_buffer": "--xla_gpu_enable_command_buffer=",
    "latency_hiding_scheduler": "--xla_gpu_enable_latency_hiding_scheduler=true",
    "no_triton_gemm": "--xla_gpu_enable_triton_gemm=false",
}


def emit(record: dict) -> None:
    print(json.dumps(record), flush=True)


def kernel_count(hlo_text: str) -> int:
    """Instructions of the entry computation that launch work (fusions, library calls, copies)."""
    entry = hlo_text[hlo_text.index("ENTRY"):]
    entry = entry[: entry.index("\n}") if "\n}" in entry else len(entry)]
    idle = ("parameter(", "get-tuple-element(", "tuple(", "constant(", "bitcast(", "after-all(", "partition-id(")
    count = 0
    for line in entry.splitlines()[1:]:
        match = re.search(r"=\s*\S+\s+([a-z-]+\()", line)
        if match and match.group(1) not in idle:
            count += 1
    return count


def _load_sibling(name: str):
    """A script of this folder as a module (the minimal step lives in jax_gpu_train.py)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name(f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--steps", type=int, default=200, help="timed steps per variant (after a warm-up)")
    parser.add_argument("--variants", default="all",
                        help="comma-separated: step,donate,fit,precision,scan,parts (default all)")
    parser.add_argument("--trace", type=Path, default=None, help="write a profiler trace of 20 donated steps here")
    parser.add_argument("--hlo", type=Path, default=None, help="write the donated step's optimised HLO here")
    parser.add_argument("--xla-flags-sweep", action="store_true",
                        help="also time the donated step in fresh processes under SWEEP_FLAGS")
    parser.add_argument("--label", default=None, help="added to every record (the sweep's flag name)")
    args = parser.parse_args(argv)
    variants = {"step", "donate", "fit", "precision", "scan", "parts"} if args.variants == "all" \
        else set(args.variants.split(","))

    import jax
    import keras
    import numpy as np

    from pgan import models

    base = {"batch_size": args.batch_size, "device": str(jax.devices()[0]), "jax": jax.__version__,
            "keras": keras.__version__, "xla_flags": os.environ.get("XLA_FLAGS", "")}
    if args.label:
        base["label"] = args.label
    keras.utils.set_random_seed(0)
    generator, discriminator = models.build_gan_models("dcgan", (28, 28, 1))
    latent = generator.input_shape[-1]
    g_opt, d_opt = (keras.optimizers.Adam(2e-4, beta_1=0.5) for _ in range(2))
    g_opt.build(generator.trainable_variables)
    d_opt.build(discriminator.trainable_variables)
    real = jax.device_put(np.random.default_rng(0).uniform(-1, 1, (args.batch_size, 28, 28, 1)).astype("float32"))
    key = jax.random.key(0)

    gpu_train = _load_sibling("jax_gpu_train")
    step = gpu_train.minimal_step(generator, discriminator, g_opt, d_opt)

    def fresh_state():  # copies: each timed run donates (and so deletes) its state
        return jax.tree_util.tree_map(jax.numpy.array, gpu_train.initial_state(generator, discriminator, g_opt, d_opt))

    def describe(jitted, *example):
        compiled = jitted.lower(*example).compile()
        cost = compiled.cost_analysis()
        cost = cost[0] if isinstance(cost, (list, tuple)) else cost
        return compiled, {"kernels": kernel_count(compiled.as_text()),
                          "gflop": round(float((cost or {}).get("flops", 0.0)) / 1e9, 2)}

    def time_step(name, jitted, images_per_call=args.batch_size, steps_per_call=1, precision=None, extra=None):
        unrolled = "unrolled" in name
        """Compile, warm up, then time ``args.steps`` steps of a state-carrying step function."""
        context = jax.default_matmul_precision(precision) if precision else contextlib.nullcontext()
        with context:
            compiled, info = describe(jitted, fresh_state(), batches(steps_per_call), key)
            state, keys = fresh_state(), jax.random.split(key, 3 + args.steps)
            for index in range(3):
                state, loss = compiled(state, batches(steps_per_call), keys[index])
            float(loss)
            calls = max(1, args.steps // steps_per_call)
            start = time.perf_counter()
            for index in range(calls):
                state, loss = compiled(state, batches(steps_per_call), keys[3 + index])
            loss = float(loss)
            seconds = time.perf_counter() - start
        per_step = seconds / (calls * steps_per_call)
        record = {**base, "variant": name, "ms_per_step": round(per_step * 1e3, 3),
                  "img_per_s": round(images_per_call / steps_per_call / per_step, 1),
                  # XLA's cost analysis counts a loop body once: gflop is per step for the scan,
                  # for all steps when they are unrolled
                  "tflop_per_s": round(info["gflop"] / (per_step * (steps_per_call if unrolled else 1)) / 1e3, 2),
                  "finite": bool(np.isfinite(loss)), **info, **(extra or {})}
        if precision:
            record["precision"] = precision
        emit(record)
        return compiled

    stacked = {}

    def batches(count):
        if count == 1:
            return real
        if count not in stacked:
            stacked[count] = jax.numpy.stack([real] * count)
        return stacked[count]

    if "step" in variants:
        time_step("minimal_no_donation", jax.jit(step))
    donated = jax.jit(step, donate_argnums=0)
    if "donate" in variants or args.hlo or args.trace:
        compiled = time_step("minimal_donated", donated)
        if args.hlo:
            args.hlo.mkdir(parents=True, exist_ok=True)
            (args.hlo / "minimal_donated.hlo.txt").write_text(compiled.as_text())
    if "fit" in variants:
        time_fit_steps(args, base, describe, real)
    if "precision" in variants:
        for precision in ("float32", "tensorfloat32", "bfloat16"):
            time_step(f"minimal_donated_{precision}", jax.jit(step, donate_argnums=0), precision=precision)
    if "scan" in variants:
        def scan_steps(state, stack, key):
            def body(carry, batch):
                state, key = carry
                key, step_key = jax.random.split(key)
                state, loss = step(state, batch, step_key)
                return (state, key), loss
            (state, _), loss = jax.lax.scan(body, (state, key), stack)
            return state, loss[-1]
        time_step("minimal_donated_scan8", jax.jit(scan_steps, donate_argnums=0),
                  images_per_call=8 * args.batch_size, steps_per_call=8)

        def unrolled_steps(state, stack, key):  # what GAN.fit runs for steps_per_execution=8 on JAX
            for index in range(stack.shape[0]):
                state, loss = step(state, stack[index], jax.random.fold_in(key, index))
            return state, loss
        time_step("minimal_donated_unrolled8", jax.jit(unrolled_steps, donate_argnums=0),
                  images_per_call=8 * args.batch_size, steps_per_call=8,
                  extra={"note": "gflop and kernels are for all 8 steps"})
    if "parts" in variants:
        time_parts(args, base, generator, discriminator, g_opt, fresh_state, real, key, latent, describe)
    if args.trace:
        state = fresh_state()
        for index in range(3):
            state, loss = donated(state, real, jax.random.fold_in(key, index))
        float(loss)
        jax.profiler.start_trace(str(args.trace))
        for index in range(20):
            state, loss = donated(state, real, jax.random.fold_in(key, 100 + index))
        float(loss)
        jax.profiler.stop_trace()
        emit({**base, "variant": "trace", "files": sorted(str(p.relative_to(args.trace))
                                                         for p in args.trace.rglob("*") if p.is_file())})
    if args.xla_flags_sweep:
        for label, flags in SWEEP_FLAGS.items():
            env = {**os.environ, "XLA_FLAGS": flags}
            command = [sys.executable, __file__, "--batch-size", str(args.batch_size), "--steps", str(args.steps),
                       "--variants", "donate", "--label", label]
            done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
            lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
            if done.returncode or not lines:
                emit({**base, "variant": "minimal_donated", "label": label, "xla_flags": flags,
                      "error": (done.stderr.strip().splitlines() or ["no output"])[-1][:300]})
            for line in lines:
                print(line, flush=True)
    return 0


def time_fit_steps(args, base, describe, real):
    """pgan's ``GAN.train_step`` jitted with its state donated, as ``GAN.fit`` runs it, on ``real``.

    One ``fit()`` step first builds the optimizers' and metrics' variables; then the step
    runs on Keras' state tuple (weights, optimizer slots, metrics) for each update rule.
    """
    import jax
    import keras
    import numpy as np

    from pgan import pipelines, runs

    for update in ("simultaneous", "alternating"):
        keras.utils.set_random_seed(0)
        config = runs.TrainConfig(preset="dcgan", batch_size=args.batch_size, update=update)
        gan = runs.build_gan(config, (28, 28, 1))
        warm_up = np.zeros((args.batch_size, 28, 28, 1), np.uint8)
        gan.fit(pipelines.ImageBatches(warm_up, args.batch_size, on_device=False), epochs=1, verbose=0)

        def fresh_state(gan=gan):
            return gan._get_jax_state(trainable_variables=True, non_trainable_variables=True,
                                      optimizer_variables=True, metrics_variables=True)

        compiled, info = describe(jax.jit(gan.train_step, donate_argnums=0), fresh_state(), (real,))
        state = jax.tree_util.tree_map(jax.numpy.array, fresh_state())
        for _ in range(3):
            logs, state = compiled(state, (real,))
        float(logs["d_loss"])
        start = time.perf_counter()
        for _ in range(args.steps):
            logs, state = compiled(state, (real,))
        loss = float(logs["d_loss"])
        per_step = (time.perf_counter() - start) / args.steps
        emit({**base, "variant": f"pgan_fit_step_{update}_donated", "ms_per_step": round(per_step * 1e3, 3),
              "img_per_s": round(args.batch_size / per_step, 1),
              "tflop_per_s": round(info["gflop"] / per_step / 1e3, 2),
              "state_arrays": len(jax.tree_util.tree_leaves(state)), "finite": bool(np.isfinite(loss)), **info})


def time_parts(args, base, generator, discriminator, g_opt, fresh_state, real, key, latent, describe):
    """Forward and forward+backward of each network, and one Adam update, each jitted alone."""
    import jax
    import numpy as np
    from keras import ops

    g_tv, g_ntv, d_tv, d_ntv, g_slots, _ = fresh_state()
    z = jax.random.normal(key, (args.batch_size, latent))

    def g_forward(g_tv):
        return ops.sum(generator.stateless_call(g_tv, g_ntv, z, training=True)[0])

    def d_forward(d_tv, images):
        return ops.sum(discriminator.stateless_call(d_tv, d_ntv, images, training=True)[0])

    fake = jax.jit(lambda g_tv: generator.stateless_call(g_tv, g_ntv, z, training=True)[0])(g_tv)
    parts = {
        "g_forward": (jax.jit(g_forward), (g_tv,)),
        "g_forward_backward": (jax.jit(jax.grad(g_forward)), (g_tv,)),
        "d_forward": (jax.jit(d_forward), (d_tv, real)),
        "d_forward_backward_params_and_input": (jax.jit(jax.grad(d_forward, argnums=(0, 1))), (d_tv, fake)),
        "adam_g": (jax.jit(lambda slots, grads, tv: g_opt.stateless_apply(slots, grads, tv)),
                   (g_slots, [ops.ones_like(v) for v in g_tv], g_tv)),
    }
    for name, (jitted, example) in parts.items():
        compiled, info = describe(jitted, *example)
        out = compiled(*example)
        jax.block_until_ready(out)
        start = time.perf_counter()
        for _ in range(args.steps):
            out = compiled(*example)
        jax.block_until_ready(out)
        per_call = (time.perf_counter() - start) / args.steps
        leaves = jax.tree_util.tree_leaves(out)
        emit({**base, "variant": f"part_{name}", "ms_per_call": round(per_call * 1e3, 3),
              "tflop_per_s": round(info["gflop"] / per_call / 1e3, 2),
              "finite": bool(all(np.isfinite(np.asarray(leaf)).all() for leaf in leaves)), **info})


if __name__ == "__main__":
    sys.exit(main())

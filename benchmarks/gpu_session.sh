#!/usr/bin/env bash
# One GPU session: the JAX throughput benchmark, then the GPU part of the recipe study.
#
# For a machine with JAX (CUDA) and Keras but no TensorFlow. Run from the repository
# root with the Fashion-MNIST files in data/fashion-mnist/ (or $PGAN_DATA):
#
#     OUT=build/gpu bash benchmarks/gpu_session.sh
#
# 1. benchmarks/jax_gpu_train.py alone on the GPU: 50 epochs of the article's DCGAN at
#    batch 256 (data kept on the GPU) with the simultaneous update and 10 epochs of a
#    minimal hand-written JAX loop of the same models, then 10 epochs with pgan's default
#    alternating update, then batch 1024 in bfloat16 (fit() and the minimal loop).
# 2. The gpu_* entries of benchmarks/recipe_study.py side by side (one process each,
#    GPU memory allocated on demand), each trained with `pgan train --minutes ...` and
#    scored with the judge. Back on the workstation:
#        python benchmarks/recipe_study.py --merge STUDY_DIR
#    adds their rows and grids to benchmarks/results/recipes.json.
# The work happens in $WORK (default $OUT/work). $OUT gets summary.txt, bench.jsonl and
# study.tgz.* (split at 15 MiB: cat study.tgz.* | tar xz): the study folder without
# checkpoints or per-epoch samples (runs, grids, rows, logs). STUDY_EXTRA appends
# pgan train options to every study run (a CPU smoke test: STUDY_EXTRA="--subset 256
# --epochs 1", BENCH_EXTRA="--subset 1024", BENCH_EPOCHS=1).
set -u
OUT=${OUT:-build/gpu}
WORK=${WORK:-$OUT/work}
# The session of 2026-11-26 ran STUDY="gpu_stable gpu_sngan gpu_wgan_gp gpu_conditional
# gpu_data10_aug gpu_data10_noaug gpu_data1_aug gpu_data1_noaug" with BENCH=alternating50.
STUDY=${STUDY:-gpu_conditional_long gpu_acgan gpu_data10_color gpu_data10_tc_p03 gpu_data10_t_p05 gpu_data1_color}
BENCH_EPOCHS=${BENCH_EPOCHS:-50}
SHORT_EPOCHS=$(( BENCH_EPOCHS < 10 ? BENCH_EPOCHS : 10 ))  # the shorter benchmark runs
STUDY_TIMEOUT=${STUDY_TIMEOUT:-420}
export KERAS_BACKEND=jax XLA_PYTHON_CLIENT_PREALLOCATE=false PYTHONUNBUFFERED=1
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
mkdir -p "$WORK/study"
start=$(date +%s)
stamp() { echo "[$(( $(date +%s) - start )) s] $*" | tee -a "$OUT/summary.txt"; }

stamp "start on $(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null || echo 'no GPU')"
python3 -c "import jax, keras; print('jax', jax.__version__, jax.devices(), 'keras', keras.__version__)" \
    | tee -a "$OUT/summary.txt"

# BENCH picks the benchmark runs: "all" (the first call of 2026-11-27), "bf16_b256" (its
# second call), "alternating50" (the 50-epoch alternating run alone, 2026-11-26), "dispatch"
# (per-call overhead at batch 256, run in the tenth session of 2026-11-27), "epoch_end" (what
# pgan train's callbacks cost per epoch: run in that session, then given a checkpoint_seconds
# row for the next) or "none".
BENCH=${BENCH:-all}
bench() {  # bench LABEL TIMEOUT ARGS...: one jax_gpu_train.py run, its JSON appended to bench.jsonl
    local label=$1 limit=$2
    shift 2
    if timeout "$limit" python3 benchmarks/jax_gpu_train.py "$@" ${BENCH_EXTRA:-} \
        >>"$OUT/bench.jsonl" 2>"$WORK/study/bench_$label.log"; then
        stamp "bench $label: $(tail -n 1 "$OUT/bench.jsonl")"
    else  # not the previous row's line: this run printed none
        stamp "bench $label: FAILED (exit $?): $(tail -n 1 "$WORK/study/bench_$label.log")"
    fi
}
if [ "$BENCH" = none ]; then  # the study only
    :
elif [ "$BENCH" = dispatch ]; then
    # Prepared in the sixth session of 2026-11-27, run in the tenth: the same compiled step ran
    # 120,500 img/s on a fixed batch where fit() ran 73,400, so fit() loses its time outside the
    # compiled step. fit() now keeps the images on the GPU (pipelines.ImageBatches) and, on JAX, runs
    # --steps-per-execution K steps in one compiled call; the minimal loop donates its state.
    bench b256_sim_spe1 90 --epochs "$SHORT_EPOCHS" --batch-size 256 --update simultaneous \
        --minimal-epochs "$(( SHORT_EPOCHS < 5 ? SHORT_EPOCHS : 5 ))"
    # pgan train's own callbacks (added 2026-11-27, ninth session): until then two of them made
    # Keras wait for every step's losses (1,826 ms to queue 20 steps on the CPU, 380 ms since).
    bench b256_alt_train 90 --epochs "$SHORT_EPOCHS" --batch-size 256 --train-callbacks
    bench b256_sim_spe8 120 --epochs "$SHORT_EPOCHS" --batch-size 256 --update simultaneous --steps-per-execution 8
    bench b256_alt_spe8 120 --epochs "$SHORT_EPOCHS" --batch-size 256 --steps-per-execution 8
    bench b256_sim_spe8_50 150 --epochs "$BENCH_EPOCHS" --batch-size 256 --update simultaneous --steps-per-execution 8
    timeout 150 python3 benchmarks/jax_step_breakdown.py --trace "$WORK/study/trace" --xla-flags-sweep ${BREAKDOWN_EXTRA:-} \
        >"$OUT/breakdown.jsonl" 2>"$WORK/study/breakdown.log"
    stamp "breakdown: $(wc -l <"$OUT/breakdown.jsonl") records"
    tar -C "$WORK/study" -czf "$OUT/trace.tgz" trace 2>/dev/null
elif [ "$BENCH" = epoch_end ]; then
    # Prepared in the tenth session of 2026-11-27: with the data on the GPU, fit() ran 102,100
    # img/s at batch 256 (alternating) but 80,600 with pgan train's callbacks, 156 ms more per
    # epoch. Checkpoints and grids are now written on a worker thread (run that session: 81,000),
    # and pgan train checkpoints at most every 10 s (checkpoint_seconds, added after that call and
    # not yet run on a GPU). Same call, same machine: the default, a checkpoint after every epoch,
    # the way before both changes, and no callbacks.
    bench b256_alt_train 90 --epochs "$SHORT_EPOCHS" --batch-size 256 --train-callbacks
    bench b256_alt_train_every_epoch 90 --epochs "$SHORT_EPOCHS" --batch-size 256 --train-callbacks \
        --checkpoint-seconds 0
    bench b256_alt_train_sync 90 --epochs "$SHORT_EPOCHS" --batch-size 256 --train-callbacks --sync-writes \
        --checkpoint-seconds 0
    bench b256_alt 90 --epochs "$SHORT_EPOCHS" --batch-size 256
    # pgan train itself, as a user runs it (its epoch times are in history.json).
    cli_epochs=$(( BENCH_EPOCHS < 20 ? BENCH_EPOCHS : 20 ))
    cli_start=$(date +%s.%N)
    timeout 120 python3 -m pgan train --epochs "$cli_epochs" --batch-size 256 --out "$WORK/study/cli_b256" \
        --verbose 0 ${BENCH_EXTRA:-} >"$WORK/study/cli_b256.log" 2>&1
    python3 - "$WORK/study/cli_b256" "$cli_start" >>"$OUT/bench.jsonl" <<'PY'
import json, statistics, sys, time
from pathlib import Path
run = Path(sys.argv[1])
info, history = json.loads((run / "run.json").read_text()), json.loads((run / "history.json").read_text())
steady = history["epoch_seconds"][1:] or history["epoch_seconds"]
print(json.dumps({"label": "pgan_train_cli_b256", "epochs": info["epochs_done"],
                  "num_train_images": info["num_train_images"], "batch_size": 256,
                  "first_epoch_seconds": round(history["epoch_seconds"][0], 2),
                  "steady_epoch_seconds": round(statistics.median(steady), 3),
                  "img_per_s_steady": round(info["num_train_images"] / statistics.median(steady), 1),
                  "train_seconds_total": info["train_seconds_total"],
                  "command_seconds": round(time.time() - float(sys.argv[2]), 1),
                  "gpus": info["hardware"]["gpus"], "final": info["final"]}))
PY
    stamp "pgan train: $(tail -n 1 "$OUT/bench.jsonl")"
    bench b1024_alt_bf16_train 90 --epochs "$SHORT_EPOCHS" --batch-size 1024 --mixed-precision mixed_bfloat16 \
        --train-callbacks
elif [ "$BENCH" = alternating50 ]; then
    bench b256 240 --epochs "$BENCH_EPOCHS" --batch-size 256 --out "$WORK/study/bench_dcgan_b256"
elif [ "$BENCH" = bf16_b256 ]; then  # the second call of 2026-11-27: bfloat16 at batch 256
    bench b256_alt_bf16 90 --epochs "$SHORT_EPOCHS" --batch-size 256 --mixed-precision mixed_bfloat16
    bench b256_sim_bf16 90 --epochs "$SHORT_EPOCHS" --batch-size 256 --update simultaneous \
        --mixed-precision mixed_bfloat16 --minimal-epochs "$(( SHORT_EPOCHS < 5 ? SHORT_EPOCHS : 5 ))"
else
    # The minimal loop takes one forward pass for both networks, so it is timed next to fit()
    # with the same (simultaneous) update; then pgan's default alternating update, and bfloat16.
    bench b256_sim 200 --epochs "$BENCH_EPOCHS" --batch-size 256 --update simultaneous \
        --minimal-epochs "$SHORT_EPOCHS" --out "$WORK/study/bench_dcgan_b256"
    bench b256_alt 90 --epochs "$SHORT_EPOCHS" --batch-size 256
    bench b1024_sim_bf16 120 --epochs "$SHORT_EPOCHS" --batch-size 1024 --update simultaneous \
        --mixed-precision mixed_bfloat16 --minimal-epochs "$SHORT_EPOCHS"
fi

for name in $STUDY; do
    timeout "$STUDY_TIMEOUT" python3 benchmarks/recipe_study.py --only "$name" --out-dir "$WORK/study" \
        ${STUDY_EXTRA:+--extra-args "$STUDY_EXTRA"} >"$WORK/study/$name.score.log" 2>&1 &
done
wait
for name in $STUDY; do
    stamp "$name: $(tail -n 1 "$WORK/study/$name.score.log")"
done
# The generators of the small-data runs and of the benchmark stay behind (scores and grids
# are enough; all together would pass the 64 MiB a device call brings back).
tar -C "$WORK" -czf - --exclude=checkpoints --exclude=samples --exclude='study/runs/gpu_data*/generator.keras' \
    --exclude='study/bench_dcgan_b256/generator.keras' study | split -b 15M - "$OUT/study.tgz."
# KEEP_RUNS="NAME ..." also brings back each named run's newest checkpoint (about 37 MB packed
# for the full-size conditional GAN: weights, optimizer state and EMA), so a later session can
# resume it. A run keeps two checkpoints; both together passed the 64 MiB a call brings back
# (2026-11-27, sixth session: nothing came back), so only the newest travels:
#     cat ckpt_NAME.tgz.* | tar xz -C STUDY_DIR/runs
for name in ${KEEP_RUNS:-}; do
    newest=$(ls "$WORK/study/runs/$name/checkpoints" | sort | tail -n 1)
    tar -C "$WORK/study/runs" -czf - "$name/checkpoints/$newest" | split -b 15M - "$OUT/ckpt_$name.tgz."
done
stamp "done: $(du -ch "$OUT"/*.tgz.* | tail -n 1)"

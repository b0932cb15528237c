#!/usr/bin/env bash
# The GPU benchmark (wgpu on Vulkan), in two halves because a GPU machine here has no network:
#
#   scripts/gpu-bench.sh build   # on a machine with the crates: builds the --features wgpu
#                                # binary into .gpu/ (stripped, gzipped: it must travel in
#                                # under 64 MiB) and copies MNIST into .gpu/mnist
#   scripts/gpu-bench.sh run     # on the GPU machine: runs it and prints one table
#
# `run` trains the paper-mnist-dendritic preset through the CLI, so every figure is a real
# training step with its data gather and loss:
#   - parity: one epoch on 10,000 images at batch 100 on wgpu and on flex (the CPU of the same
#     machine): the two test errors must agree within 0.3 points;
#   - step time on wgpu and on flex at batch 10, 100 and 1000 (short runs; ms per step);
#   - one full MNIST epoch (55,000 images) on wgpu at batch 100 and at batch 10.
# Without a GPU it runs on whatever Vulkan driver is there (Mesa's lavapipe); `run --quick`
# stops after the parity check.
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-}"
case "$mode" in
build)
  export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target-gpu}"
  mkdir -p .gpu/mnist
  cargo build --release --features wgpu --bin microcircuits
  strip -o .gpu/microcircuits "$CARGO_TARGET_DIR/release/microcircuits"
  gzip -9f .gpu/microcircuits
  cp "${MNIST_DIR:-../shared/data/mnist}"/*-ubyte.gz .gpu/mnist/
  du -sh .gpu
  ;;
run)
  [ -f .gpu/microcircuits.gz ] || { echo "error: .gpu/ is empty: run 'scripts/gpu-bench.sh build' first" >&2; exit 1; }
  bin=$(mktemp -d)/microcircuits
  gunzip -c .gpu/microcircuits.gz > "$bin" && chmod +x "$bin"
  command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
  echo "CPU: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores"
  work=$(mktemp -d)
  # train DEVICE BATCH LIMIT -> "seconds test_error steps"
  train() {
    rm -rf "$work/run"
    "$bin" --device "$1" --quiet train --preset paper-mnist-dendritic --epochs 1 --batch "$2" \
      --limit "$3" --data-dir .gpu/mnist --out "$work/run" > /dev/null
    IFS=, read -r _ _ _ test seconds < <(tail -1 "$work/run/metrics.csv")
    echo "$seconds $test $(( $3 / $2 ))"
  }
  echo "== parity: 10,000 images, batch 100, wgpu vs flex"
  read -r _ gpu_err _ < <(train wgpu 100 10000)
  read -r _ cpu_err _ < <(train flex 100 10000)
  echo "test error: wgpu $(awk -v t="$gpu_err" 'BEGIN {printf "%.2f", 100*t}') %, flex $(awk -v t="$cpu_err" 'BEGIN {printf "%.2f", 100*t}') %"
  parity=0
  awk -v a="$gpu_err" -v b="$cpu_err" 'BEGIN {d = 100*(a-b); if (d < 0) d = -d; if (d > 0.3) {print "parity FAILED"; exit 1} else print "parity ok"}' || parity=1
  [ "${2:-}" = "--quick" ] && exit "$parity"
  echo "== step time (ms per training step, paper-mnist-dendritic)"
  rows=()
  for batch in 10 100 1000; do
    limit=$(( batch == 1000 ? 55000 : batch * 300 ))
    read -r gs _ steps < <(train wgpu "$batch" "$limit")
    read -r cs _ _ < <(train flex "$batch" "$limit")
    rows+=("| $batch | $(awk -v s="$gs" -v n="$steps" 'BEGIN {printf "%.3f", 1e3*s/n}') | $(awk -v s="$cs" -v n="$steps" 'BEGIN {printf "%.3f", 1e3*s/n}') |")
  done
  echo "| batch | wgpu | flex (this machine's CPU) |"
  echo "| --- | --- | --- |"
  printf '%s\n' "${rows[@]}"
  echo "== one MNIST epoch on wgpu (55,000 images)"
  echo "| batch | epoch, train only (s) | test error after 1 epoch (%) |"
  echo "| --- | --- | --- |"
  for batch in 100 10; do
    read -r s t _ < <(train wgpu "$batch" 55000)
    echo "| $batch | $(printf '%.2f' "$s") | $(awk -v t="$t" 'BEGIN {printf "%.2f", 100*t}') |"
  done
  exit "$parity"
  ;;
*)
  echo "usage: scripts/gpu-bench.sh build|run [--quick]" >&2
  exit 2
  ;;
esac

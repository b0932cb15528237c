#!/usr/bin/env bash
# The GPU benchmark (wgpu on Vulkan), in two halves because a GPU machine here has no network:
#
#   scripts/gpu-bench.sh build   # on a machine with the crates: builds the --features wgpu
#                                # binaries into .gpu/bin and copies MNIST into .gpu/mnist
#   scripts/gpu-bench.sh run     # on the GPU machine: runs them and prints one table
#
# `run` does: the backend-parity tests (flex, ndarray and wgpu give the same updates), the step
# bench on wgpu at batch 10, 100 and 1000, and one dendritic MNIST training epoch on wgpu at
# batch 100 and at batch 10. Without a GPU it runs on whatever Vulkan driver is there (Mesa's
# lavapipe in CI); `run --quick` stops after the parity tests.
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-}"
bin=.gpu/bin
case "$mode" in
build)
  export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target-gpu}"
  mkdir -p "$bin" .gpu/mnist
  cargo build --release --features wgpu --bin microcircuits
  cp "$CARGO_TARGET_DIR/release/microcircuits" "$bin/"
  exe() { sed -n 's/.*"executable":"\([^"]*\)".*/\1/p' | tail -1; }
  cp "$(cargo test --release --features wgpu --test backend_parity --no-run --message-format json 2>/dev/null | exe)" "$bin/backend_parity"
  cp "$(cargo bench --features wgpu --bench step --no-run --message-format json 2>/dev/null | exe)" "$bin/step"
  mnist="${MNIST_DIR:-../shared/data/mnist}"
  cp "$mnist"/*-ubyte.gz .gpu/mnist/
  strip "$bin"/* 2>/dev/null || true
  du -sh .gpu
  ;;
run)
  [ -x "$bin/microcircuits" ] || { echo "error: $bin is empty: run 'scripts/gpu-bench.sh build' first" >&2; exit 1; }
  command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
  echo "== backend parity (flex, ndarray, wgpu)"
  "$bin/backend_parity" --test-threads 1
  [ "${2:-}" = "--quick" ] && exit 0
  echo "== step bench on wgpu"
  BENCH_DEVICES=wgpu BENCH_BATCHES=10,100,1000 "$bin/step" --bench 2>&1 | tee /tmp/gpu-step.txt | grep -E '^\|' || true
  echo "== one MNIST epoch on wgpu"
  rows=()
  for batch in 100 10; do
    out=$(mktemp -d)
    "$bin/microcircuits" --device wgpu --quiet train --preset paper-mnist-dendritic --epochs 1 \
      --batch "$batch" --data-dir .gpu/mnist --out "$out/run" > /dev/null
    IFS=, read -r _ _ _ test seconds < <(tail -1 "$out/run/metrics.csv")
    rows+=("| $batch | $(printf '%.2f' "$seconds") | $(awk -v t="$test" 'BEGIN {printf "%.2f", 100 * t}') |")
    rm -rf "$out"
  done
  echo
  echo "| batch | epoch, train only (s) | test error after 1 epoch (%) |"
  echo "| --- | --- | --- |"
  printf '%s\n' "${rows[@]}"
  ;;
*)
  echo "usage: scripts/gpu-bench.sh build|run [--quick]" >&2
  exit 2
  ;;
esac

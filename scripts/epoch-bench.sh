#!/usr/bin/env bash
# One dendritic MNIST training epoch (784-500-500-10, batch 10, 55,000 images) of this
# library against the plain batched NumPy script of the same scheme
# (../shared/peers/numpy_two_step_mnist.py), run back to back, alternating, RUNS times each.
# Prints the CPU, every run, the medians, the speed ratio, both processes' peak resident
# memory, and the machine's floor (examples/speed_floor.rs).
#
#   scripts/epoch-bench.sh [RUNS]        (default 3; MNIST_DIR, PEER_SCRIPT override paths)
#
# NumPy is installed into .venv-bench/ (git-ignored) the first time. Without python3 the
# NumPy half is skipped and the script says so.
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-3}"
mnist="${MNIST_DIR:-../shared/data/mnist}"
peer="${PEER_SCRIPT:-../shared/peers/numpy_two_step_mnist.py}"
[ -d "$mnist" ] || { echo "error: MNIST not found at $mnist (set MNIST_DIR)" >&2; exit 1; }
command -v /usr/bin/time >/dev/null || { echo "error: /usr/bin/time is needed for peak memory (apt-get install time)" >&2; exit 1; }

python=""
if [ ! -f "$peer" ]; then
  echo "NOTE: the NumPy script $peer is missing (set PEER_SCRIPT): only the library is timed"
elif ! command -v python3 >/dev/null; then
  echo "NOTE: python3 is not installed: only the library is timed (no NumPy comparison)"
else
  if [ ! -x .venv-bench/bin/python ]; then
    echo "installing numpy into .venv-bench/ (first run only)"
    python3 -m venv .venv-bench && .venv-bench/bin/pip install -q numpy
  fi
  python=.venv-bench/bin/python
fi

cargo build --release --quiet
bin=target/release/microcircuits
cpu=$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -1)
echo "CPU: ${cpu:-unknown}, $(nproc) cores"

lib_times=(); lib_mem=(); np_times=(); np_mem=()
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for i in $(seq 1 "$runs"); do
  rm -rf "$tmp/run"
  /usr/bin/time -o "$tmp/mem" -f "%M" "$bin" train --preset paper-mnist-dendritic --epochs 1 \
    --data-dir "$mnist" --out "$tmp/run" --quiet > "$tmp/out" 2>&1 || { cat "$tmp/out"; exit 1; }
  t=$(tail -1 "$tmp/run/metrics.csv" | cut -d, -f5)
  t=$(printf '%.2f' "$t")
  lib_times+=("$t"); lib_mem+=("$(( $(cat "$tmp/mem") / 1024 ))")
  echo "run $i: library $t s (train), peak ${lib_mem[-1]} MiB"
  if [ -n "$python" ]; then
    MNIST_DIR="$mnist" /usr/bin/time -o "$tmp/mem" -f "%M" "$python" "$peer" > "$tmp/out" 2>&1 || { cat "$tmp/out"; exit 1; }
    t=$(sed -n 's/.*(\([0-9.]*\)s)$/\1/p' "$tmp/out")
    np_times+=("$t"); np_mem+=("$(( $(cat "$tmp/mem") / 1024 ))")
    echo "run $i: numpy   $t s (train + its test pass), peak ${np_mem[-1]} MiB"
  fi
done

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
lt=$(median "${lib_times[@]}"); lm=$(median "${lib_mem[@]}")
echo
echo "| program | epoch (s, median of $runs) | peak memory (MiB) |"
echo "| --- | --- | --- |"
echo "| microcircuits train --preset paper-mnist-dendritic | $lt | $lm |"
if [ -n "$python" ]; then
  nt=$(median "${np_times[@]}"); nm=$(median "${np_mem[@]}")
  echo "| numpy_two_step_mnist.py | $nt | $nm |"
  echo
  awk -v a="$nt" -v b="$lt" 'BEGIN {printf "speed-up over NumPy: %.2fx\n", a / b}'
fi
echo
cargo run --release --quiet --example speed_floor | tee "$tmp/floor"
floor=$(sed -n 's/^floor \([0-9.]*\) s.*/\1/p' "$tmp/floor")
awk -v a="$lt" -v f="$floor" 'BEGIN {printf "library epoch / floor: %.2fx\n", a / f}'

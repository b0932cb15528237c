#!/usr/bin/env bash
# One MNIST epoch of the paper's microcircuit through a loopback `microcircuits serve` (flex)
# against local flex, for one network and for R stacked replicas (where the per-operation
# network cost is paid once per R networks). Prints the CPU and four tables of
# `examples/replica_bench.rs`; compare only figures of one run.
#
#   scripts/remote-bench.sh                 # one network x 55,000 images, 8 x 5,500
#   IMAGES=5500 R=4 scripts/remote-bench.sh # quicker
set -euo pipefail
cd "$(dirname "$0")/.."
IMAGES=${IMAGES:-55000}
R=${R:-8}
RIMAGES=${RIMAGES:-5500}
cargo build --release --quiet --bin microcircuits --example replica_bench
MICROCIRCUITS_REMOTE_TOKEN=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
export MICROCIRCUITS_REMOTE_TOKEN
log=$(mktemp)
target/release/microcircuits serve --port 0 >"$log" 2>/dev/null &
server=$!
trap 'kill $server 2>/dev/null; rm -f "$log"' EXIT
until grep -q '^serving ' "$log"; do sleep 0.1; done
url=$(sed -n 's/^serving //p' "$log")
bench=target/release/examples/replica_bench
echo "# local flex, one network"
$bench --replicas 1 --images "$IMAGES" --engines sequential,stacked
echo "# remote flex through $url (loopback), one network"
$bench --replicas 1 --images "$IMAGES" --engines sequential,stacked --device "remote:$url"
echo "# local flex, $R networks"
$bench --replicas "$R" --images "$RIMAGES" --engines sequential,stacked
echo "# remote flex through $url (loopback), $R networks"
$bench --replicas "$R" --images "$RIMAGES" --engines sequential,stacked --device "remote:$url"

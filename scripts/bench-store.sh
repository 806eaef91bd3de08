#!/usr/bin/env bash
# Broker store figures for docs/store.md: recovery of 100 000 sessions with 1 000 000 queued
# messages, and fsync'd commits per second with 1 and 100 concurrent committers.
# Usage: scripts/bench-store.sh [work directory on the disk to measure; default .build/bench-store]
set -euo pipefail
cd "$(dirname "$0")/.."
work="${1:-.build/bench-store}"
swift build -c release --product broker-store-bench
bin="$(swift build -c release --show-bin-path)/broker-store-bench"
rm -rf "$work" && mkdir -p "$work"
"$bin" recovery "$work/recovery" 100000 1000000 128
"$bin" commits "$work/commits-1" 1 10
"$bin" commits "$work/commits-100" 100 10
rm -rf "$work"

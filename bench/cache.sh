#!/bin/bash
# bench/cache.sh — record-cache hits and logo-store PNG reads (issue 8);
# the program is built by `make bench` from bench/cache.c.
set -eu
cd "$(dirname "$0")/.."
if [ ! -x build/bench/cache ]; then echo "bench/cache.sh: build/bench/cache not built (run make bench)"; exit 1; fi
build/bench/cache

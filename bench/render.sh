#!/bin/bash
# bench/render.sh — render time per size for the fixture logos: ours (libbimi in
# process, ours as one process per render like rsvg-convert) vs rsvg-convert
# (librsvg2-bin), and the ratio rsvg-convert / ours per process.
#
#   BENCH_RUNS   process runs per logo and size (default 10)
#   BENCH_REPEAT in-process renders per logo and size (default 50)
set -eu
BIMI=${BIMI:-build/bimi}
UP=${BIMI_UPSTREAM_DIR:-../shared/upstream}
RUNS=${BENCH_RUNS:-10}
REPEAT=${BENCH_REPEAT:-50}
SIZES=${BENCH_SIZES:-"16 64 256 512"}

if ! command -v rsvg-convert >/dev/null; then
  echo "render: rsvg-convert not installed (Debian package librsvg2-bin); skipped"
  exit 0
fi
[ -x "$BIMI" ] || { echo "render: $BIMI missing (run make)"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

now_ns() { date +%s%N; }

printf '%-22s %5s %14s %14s %14s %7s\n' logo px "ours-inproc-us" "ours-proc-us" "rsvg-proc-us" ratio
for logo in "$UP"/bimi/svg/extracted-from-vmc/*.svg fixtures/render/wide.svg fixtures/render/text.svg; do
  name=$(basename "$logo" .svg)
  for px in $SIZES; do
    inproc=$("$BIMI" render "$logo" --in-process --size "$px" -o "$tmp/in.png" --repeat "$REPEAT" 2>&1 >/dev/null |
             awk '/per render/ { for (i = 1; i <= NF; i++) if ($i == "us") print $(i - 1) }')
    t0=$(now_ns)
    for _ in $(seq "$RUNS"); do "$BIMI" render "$logo" --in-process --size "$px" -o "$tmp/ours.png" >/dev/null; done
    t1=$(now_ns)
    for _ in $(seq "$RUNS"); do rsvg-convert -w "$px" -h "$px" "$logo" -o "$tmp/ref.png"; done
    t2=$(now_ns)
    ours=$(( (t1 - t0) / RUNS / 1000 ))
    ref=$(( (t2 - t1) / RUNS / 1000 ))
    printf '%-22s %5s %14s %14s %14s %7s\n' "$name" "$px" "$inproc" "$ours" "$ref" \
      "$(awk -v a="$ref" -v b="$ours" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')"
  done
done
echo "(wide.svg is rendered by rsvg-convert stretched to the square: timing only)"

#!/bin/bash
# bench/fleet.sh — a fleet of bimi-fcgi nodes behind one nginx (issue 18), on the same cores.
#
# For each setup — 1 node with the memory cache (what `make run` is), 3 nodes each with its own memory
# cache, 3 nodes sharing one redis-server — scripts/demo-stack start DIR --nodes N --cache C on free
# ports, then:
#   cold start   64 concurrent evaluations of the demo messages through the front (tests/integration-fleet.py
#                burst), right after the start: prints how many logo / Evidence Document fetches the
#                origin served (its access log) and how many CRLs the CRL server served;
#   evaluate     POST /bimi/v1/evaluate of one demo message (bench/evaluate.lua) with wrk (2 threads,
#                64 connections, BENCH_DURATION s after a BENCH_WARMUP s warm-up): requests/s, p50, p99.
# Figures only, no assertion: all nodes share the machine's cores, so 3 nodes measure the overhead of
# the fleet (Redis round trips, nginx balancing), not a scale-out. Every process is stopped by PID.
#
#   BENCH_DURATION  seconds per measured run (default 10)
#   BENCH_WARMUP    seconds of warm-up (default 2)
set -u
cd "$(dirname "$0")/.."
DURATION=${BENCH_DURATION:-10}
WARMUP=${BENCH_WARMUP:-2}
PY=/usr/bin/python3
FLEET="$PY tests/integration-fleet.py"
INDEX=fixtures/demo/messages/index.json
MSGS=fixtures/demo/messages
for tool in wrk curl redis-server nginx; do
  command -v "$tool" >/dev/null 2>&1 || { echo "fleet.sh: $tool is missing (scripts/install-deps)"; exit 1; }
done
[ -x build/bimi-fcgi ] || { echo "fleet.sh: build/bimi-fcgi is not built"; exit 1; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/bimi-fleet.XXXXXX")
DIR=""
cleanup() {
  [ -n "$DIR" ] && scripts/demo-stack stop "$DIR" >/dev/null 2>&1
  rm -rf "$TMP"
}
trap cleanup EXIT

free_port() {
  $PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# The message and envelope of the first logo+checkmark row.
read -r msg_file msg_query < <($PY - "$INDEX" <<'EOF'
import json, sys, urllib.parse
for r in json.load(open(sys.argv[1])):
    if r["expect"]["decision"] == "logo+checkmark":
        q = {k: r[k] for k in ("ip", "helo", "mail_from") if r.get(k)}
        print(r["file"], urllib.parse.urlencode(q))
        break
EOF
)

ms() {  # wrk latency line "50%  1.23ms" -> milliseconds
  awk -v p="$1" '$1 == p { v = $2; if (v ~ /us$/) { sub(/us$/, "", v); v /= 1000 } else if (v ~ /ms$/) sub(/ms$/, "", v);
    else if (v ~ /s$/) { sub(/s$/, "", v); v *= 1000 } printf "%.2f", v }'
}

printf '%-22s %10s %10s %12s %9s %9s %s\n' setup fetches crls "evaluate/s" "p50 ms" "p99 ms" "non-2xx"
for setup in "1 memory" "3 memory" "3 redis"; do
  read -r nodes cache <<< "$setup"
  DIR=$TMP/n$nodes-$cache
  front=$(free_port); origin=$(free_port)
  if ! out=$(scripts/demo-stack start "$DIR" --front-port "$front" --origin-port "$origin" --nodes "$nodes" \
               --cache "$cache" 2>&1); then
    echo "fleet.sh: $setup did not start: $out"
    exit 1
  fi
  mkdir -p "$DIR/answers"
  burst=$($FLEET burst "http://127.0.0.1:$front" "$INDEX" "$MSGS" 64 "$DIR/answers" 2>&1 | head -n 1)
  fetches=$(awk '$6 == "\"GET" { n++ } END { print n + 0 }' "$DIR/origin-access.log")
  crls=$(awk '$6 == "\"GET" { n++ } END { print n + 0 }' "$DIR/crl-access.log" 2>/dev/null)
  url="http://127.0.0.1:$front/bimi/v1/evaluate?$msg_query"
  BENCH_BODY_FILE=$MSGS/$msg_file wrk -t 2 -c 64 -d "${WARMUP}s" -s bench/evaluate.lua "$url" >/dev/null 2>&1
  res=$(BENCH_BODY_FILE=$MSGS/$msg_file wrk -t 2 -c 64 -d "${DURATION}s" --latency -s bench/evaluate.lua "$url" 2>&1)
  rps=$(printf '%s\n' "$res" | awk '/^Requests\/sec:/ { print $2 }')
  p50=$(printf '%s\n' "$res" | ms 50%)
  p99=$(printf '%s\n' "$res" | ms 99%)
  non2xx=$(printf '%s\n' "$res" | awk '/Non-2xx/ { print $NF }')
  printf '%-22s %10s %10s %12s %9s %9s %s\n' "$nodes node(s), $cache" "$fetches" "$crls" "${rps:-?}" "${p50:-?}" \
    "${p99:-?}" "${non2xx:-0}"
  echo "  cold start: $burst"
  scripts/demo-stack stop "$DIR" >/dev/null 2>&1
  DIR=""
done
echo "(fetches: logo and Evidence Document GETs the origin served for the 64 cold evaluations; crls: CRL GETs)"

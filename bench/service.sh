#!/bin/bash
# bench/service.sh — the service through nginx (issue 9), beside what nginx alone
# and a trivial FastCGI responder do on the same machine in the same run.
#
# One front nginx on a free loopback port (bench/nginx-service.conf.in) answers:
#   (a) static    GET a small static file (the same bytes as (b) answers)
#   (b) fcgi      GET through fastcgi_pass (kept connections) to bench/fcgi-hello.c,
#                 which runs with the thread count of bimi-fcgi's configuration
#   (c) evaluate  POST /bimi/v1/evaluate?ip=&helo=&mail_from= with a demo message,
#                 through nginx to bimi-fcgi, DNS records and logos cached (warmed up)
#   (d) logo      GET /bimi/v1/logo/<sha256>/64.png, a cache hit nginx serves itself
# each measured by wrk (2 threads, 64 connections, BENCH_DURATION s, --latency)
# after a BENCH_WARMUP s run that is thrown away. Prints requests/s, p50/p99
# latency and non-2xx/socket errors per case, then the ratios evaluate/static,
# evaluate/fcgi, fcgi/static and logo/static (goal >= 0.90, says whether met).
# It prints figures; it never asserts times. Every process it starts is stopped
# by PID on exit.
#
#   BENCH_DURATION  seconds per measured case (default 10)
#   BENCH_WARMUP    seconds of warm-up per case (default 2)
#   BENCH_MESSAGE   a message of fixtures/demo/messages/index.json (file name) to post;
#                   default: the first one expected to get logo+checkmark
set -eu
cd "$(dirname "$0")/.."
DURATION=${BENCH_DURATION:-10}
WARMUP=${BENCH_WARMUP:-2}
THREADS=2
CONNECTIONS=64
NGINX=${NGINX:-/usr/sbin/nginx}
HELLO=build/bench/fcgi-hello

for tool in wrk curl python3; do
  command -v "$tool" >/dev/null || { echo "service: $tool not installed (scripts/install-deps); skipped"; exit 0; }
done
[ -x "$NGINX" ] || { echo "service: $NGINX not installed (scripts/install-deps); skipped"; exit 0; }
[ -x "$HELLO" ] || { echo "service: $HELLO not built (run make bench)"; exit 1; }

tmp=$(mktemp -d)
pids=()
stack_dir=""
# stop_pid PID: SIGTERM, then SIGKILL after 3 s.
stop_pid() {
  local i
  kill "$1" 2>/dev/null || return 0
  for i in $(seq 30); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$1" 2>/dev/null || true
}
cleanup() {
  local pid
  if [ -f "$tmp/nginx.pid" ]; then stop_pid "$(cat "$tmp/nginx.pid")"; fi
  for pid in "${pids[@]}"; do stop_pid "$pid"; wait "$pid" 2>/dev/null || true; done
  if [ -n "$stack_dir" ]; then scripts/demo-stack stop "$stack_dir" >/dev/null 2>&1 || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Waits until URL answers (any HTTP status), at most ~5 s.
wait_http() {
  local i
  for i in $(seq 50); do
    curl -s -o /dev/null --max-time 1 "$1" && return 0
    sleep 0.1
  done
  return 1
}

# --- bimi-fcgi's configuration: its thread count is fcgi-hello's -----------------
bimi_conf=$tmp/bimi.conf
printf '[server]\nlisten = unix:%s/hello.sock\nsocket_mode = 0666\n' "$tmp" > "$bimi_conf"
threads_from="built-in default"
# When the demo stack is available, fcgi-hello takes that configuration instead (see below).

# --- (c)/(d): the service, when it exists ---------------------------------------
bimi_http=""
bimi_locations=""
service_missing=""
if [ ! -x scripts/demo-stack ]; then
  service_missing="scripts/demo-stack is not in this tree yet (issue 9)"
elif [ ! -f fixtures/demo/messages/index.json ]; then
  service_missing="fixtures/demo/messages/index.json is not in this tree yet (issue 9)"
elif ! build/bimi-fcgi --help >/dev/null 2>&1; then
  service_missing="build/bimi-fcgi does not serve yet (issue 9)"
fi

# --- the front nginx -------------------------------------------------------------
port=$(free_port)
printf '%s' '{"decision":"none","reason":"no-record","ttl":3600}' > "$tmp/hello.json"
echo >> "$tmp/hello.json"
mkdir -p "$tmp/static"
mv "$tmp/hello.json" "$tmp/static/hello.json"
user=""
[ "$(id -u)" = 0 ] && user="user root;"
python3 - "$tmp" "$port" "$user" "$bimi_http" "$bimi_locations" <<'EOF'
import sys
tmp, port, user, bimi_http, bimi = sys.argv[1:6]
conf = open("bench/nginx-service.conf.in").read()
for key, value in (("@USER@", user), ("@TMP@", tmp), ("@PORT@", port),
                   ("@BIMI_HTTP@", bimi_http), ("@BIMI@", bimi)):
    conf = conf.replace(key, value)
open(tmp + "/nginx.conf", "w").write(conf)
EOF

"$HELLO" -c "$bimi_conf" 2> "$tmp/hello.log" &
pids+=($!)
"$NGINX" -p "$tmp" -c "$tmp/nginx.conf" -e "$tmp/error.log" 2>> "$tmp/error.log" ||
  { echo "service: nginx did not start:"; cat "$tmp/error.log"; exit 1; }
base=http://127.0.0.1:$port
wait_http "$base/static/hello.json" || { echo "service: nginx does not answer on $base"; exit 1; }
for i in $(seq 50); do [ -S "$tmp/hello.sock" ] && break; sleep 0.1; done
[ "$(curl -s "$base/hello")" = "$(cat "$tmp/static/hello.json")" ] ||
  { echo "service: fcgi-hello does not answer through nginx:"; cat "$tmp/hello.log" "$tmp/error.log"; exit 1; }

# --- wrk -------------------------------------------------------------------------
# Latency in ms from wrk's "50%  1.23ms" style.
to_ms() {
  awk -v v="$1" 'BEGIN {
    if (v ~ /us$/) { sub(/us$/, "", v); printf "%.3f", v / 1000 }
    else if (v ~ /ms$/) { sub(/ms$/, "", v); printf "%.3f", v }
    else if (v ~ /m$/) { sub(/m$/, "", v); printf "%.3f", v * 60000 }
    else if (v ~ /s$/) { sub(/s$/, "", v); printf "%.3f", v * 1000 }
    else printf "?" }'
}

declare -A RPS
# run_case NAME URL [LUA]: warm-up run, measured run, one table row.
run_case() {
  local name=$1 url=$2 lua=${3:-} out
  local script=()
  [ -n "$lua" ] && script=(-s "$lua")
  wrk -t "$THREADS" -c "$CONNECTIONS" -d "${WARMUP}s" "${script[@]}" "$url" > /dev/null 2>&1 || true
  out=$(wrk -t "$THREADS" -c "$CONNECTIONS" -d "${DURATION}s" --latency "${script[@]}" "$url" 2>&1) ||
    { echo "service: wrk failed on $url: $out"; return 1; }
  local rps p50 p99 non2xx sockerr
  rps=$(printf '%s\n' "$out" | awk '/^Requests\/sec:/ { printf "%.0f", $2 }')
  p50=$(to_ms "$(printf '%s\n' "$out" | awk '$1 == "50%" { print $2 }')")
  p99=$(to_ms "$(printf '%s\n' "$out" | awk '$1 == "99%" { print $2 }')")
  non2xx=$(printf '%s\n' "$out" | awk '/Non-2xx or 3xx responses:/ { print $NF }')
  sockerr=$(printf '%s\n' "$out" | awk '/Socket errors:/ { n = 0; for (i = 3; i <= NF; i += 2) { v = $(i + 1); sub(/,/, "", v); n += v }; print n }')
  RPS[$name]=$rps
  printf '%-10s %12s %10s %10s %8s %8s  %s\n' "$name" "$rps" "$p50" "$p99" "${non2xx:-0}" "${sockerr:-0}" "$url"
}

ratio() {  # ratio A B GOAL: A/B (and "goal met"/"goal NOT met" when GOAL is given)
  local a=${RPS[$1]:-} b=${RPS[$2]:-}
  if [ -z "$a" ] || [ -z "$b" ] || [ "$b" = 0 ]; then echo "not available"; return; fi
  awk -v a="$a" -v b="$b" -v g="${3:-}" 'BEGIN {
    r = a / b; printf "%.2f", r
    if (g != "") printf "  (goal >= %.2f: %s)", g, (r >= g ? "met" : "NOT met")
    printf "\n" }'
}

echo "wrk: $THREADS threads, $CONNECTIONS connections, ${DURATION} s per case after ${WARMUP} s warm-up;" \
     "nginx $("$NGINX" -v 2>&1 | sed 's|.*/||'), worker_processes auto on $(nproc) CPUs (load average $(cut -d' ' -f1-3 /proc/loadavg));" \
     "fcgi-hello: $(sed -n 's/^fcgi-hello: \([0-9]*\) threads.*/\1/p' "$tmp/hello.log") threads ($threads_from)"
printf '%-10s %12s %10s %10s %8s %8s  %s\n' case "requests/s" "p50-ms" "p99-ms" non-2xx sock-err url
run_case static "$base/static/hello.json"
run_case fcgi "$base/hello"
if [ -n "$service_missing" ]; then
  echo "evaluate   not available: $service_missing"
  echo "logo       not available: $service_missing"
fi

echo
echo "fcgi/static       $(ratio fcgi static)"
echo "evaluate/static   $(ratio evaluate static)"
echo "evaluate/fcgi     $(ratio evaluate fcgi)"
echo "logo/static       $(ratio logo static 0.90)"

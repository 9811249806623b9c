#!/bin/bash
# bench/service.sh — the service through nginx (issue 9), beside what nginx alone
# and a trivial FastCGI responder do on the same machine in the same run.
#
# scripts/demo-stack starts the demo (TLS origin, DNS from the fixture zones,
# bimi-fcgi) on free ports in a temp dir. One front nginx of our own on a free
# loopback port runs the shipped site conf/nginx/bimi.conf (pointed at that
# bimi-fcgi and its cache dir) with two bench locations added to the same server
# block (bench/nginx-service.conf.in, bench/nginx-service-locations.conf.in):
#   (a) static    GET a small static file (the same bytes as (b) answers)
#   static-png    GET the logo PNG's bytes from a plain static location (the fair reference for (d))
#   (b) fcgi      GET through fastcgi_pass (kept connections) to bench/fcgi-hello.c,
#                 which runs with the thread count of the stack's bimi.conf
#   (c) evaluate  POST /bimi/v1/evaluate?ip=&helo=&mail_from= with a demo message and
#                 its envelope from fixtures/demo/messages/index.json (bench/evaluate.lua),
#                 through nginx to bimi-fcgi; DNS records and the logo are cached by
#                 the warm-up requests
#   evaluate-nomemo  (c) again after bimi-fcgi reloaded its configuration with [auth]
#                 verify_memo_entries = 0: every DKIM/ARC signature is verified with RSA
#                 again, as for a message seen the first time (the memo answers the
#                 repeated demo message of (c) from the second request on)
#   (d) logo      GET /bimi/v1/logo/<sha256>/64.png of that message's logo: rendered
#                 once by the warm-up, then every request is a file nginx serves itself
# each measured by wrk (2 threads, 64 connections, BENCH_DURATION s, --latency)
# after a BENCH_WARMUP s run that is thrown away. Prints requests/s, p50/p99
# latency and non-2xx/socket-error counts per case, then the ratios fcgi/static,
# evaluate/static, evaluate/fcgi, evaluate-nomemo/fcgi, logo/static and logo/static-png (goal >= 0.90
# against the same bytes, says whether met).
# For the evaluate case it also prints the CPU time bimi-fcgi spent during the
# measured run, user and kernel apart (utime/stime of /proc/<pid>/stat, all its
# threads), as seconds, as cores busy and as CPU per request, and its p50/p99
# against the issue 21 goal (p99 <= 25 ms), and its context switches per request
# (all threads, voluntary and involuntary); the same figures of fcgi-hello for the
# fcgi case. On a shared machine requests/s follow the load; the CPU
# per request of the two responders is the steadier comparison.
# It prints figures; it never asserts times. Every process it starts is stopped
# by PID on exit (the stack by scripts/demo-stack stop).
#
#   BENCH_DURATION  seconds per measured case (default 10)
#   BENCH_WARMUP    seconds of warm-up per case (default 2)
#   BENCH_MESSAGE   file name of the demo message to post (default: the first one of
#                   index.json expected to get logo+checkmark)
#   BENCH_THREADS   [server] threads of bimi-fcgi (and so of fcgi-hello): demo-stack --threads;
#                   default: the built-in default (engine/limits.h BIMI_SERVER_DEFAULT_THREADS)
#   BENCH_CASES     the cases to run, space-separated (default: all of static fcgi evaluate evaluate-nomemo
#                   static-png logo); the ratios of cases not run print "not available"
#   BENCH_PERF      a file name: `perf record -g` bimi-fcgi during the measured evaluate
#                   run into it (then `perf report -i FILE`); needs perf
#   BENCH_PERF_CALLGRAPH  perf's --call-graph mode for BENCH_PERF (default fp; dwarf
#                   unwinds libraries built without frame pointers, GLib's and libc's)
set -eu
cd "$(dirname "$0")/.."
DURATION=${BENCH_DURATION:-10}
WARMUP=${BENCH_WARMUP:-2}
THREADS=2
CONNECTIONS=64
LOGO_PX=64
NGINX=${NGINX:-/usr/sbin/nginx}
HELLO=build/bench/fcgi-hello
SITE=conf/nginx/bimi.conf
MESSAGES=fixtures/demo/messages

for tool in wrk curl python3; do
  command -v "$tool" >/dev/null || { echo "service: $tool not installed (scripts/install-deps); skipped"; exit 0; }
done
[ -x "$NGINX" ] || { echo "service: $NGINX not installed (scripts/install-deps); skipped"; exit 0; }
[ -x "$HELLO" ] || { echo "service: $HELLO not built (run make bench)"; exit 1; }

tmp=$(mktemp -d)
pids=()
stack=""
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
  if [ -n "$stack" ]; then scripts/demo-stack stop "$stack" >/dev/null 2>&1 || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# --- the service: the demo stack, when this tree has it -------------------------------------------
missing=""
if [ ! -x scripts/demo-stack ]; then
  missing="scripts/demo-stack is not in this tree yet (issue 9)"
elif [ ! -f "$MESSAGES/index.json" ]; then
  missing="$MESSAGES/index.json is not in this tree yet (issue 9)"
elif [ ! -f "$SITE" ]; then
  missing="$SITE is not in this tree yet (issue 9)"
else
  stack=$tmp/stack
  if ! scripts/demo-stack start "$stack" --front-port "$(free_port)" --origin-port "$(free_port)" \
       ${BENCH_THREADS:+--threads "$BENCH_THREADS"} > "$tmp/stack.log" 2>&1; then
    missing="scripts/demo-stack start failed: $(grep -m1 'demo-stack:' "$tmp/stack.log" || tail -n 1 "$tmp/stack.log")"
  fi
fi

# --- bimi-fcgi's configuration: its thread count is fcgi-hello's ---------------------------------
if [ -z "$missing" ]; then
  bimi_conf=$stack/bimi.conf
  conf_from="the demo stack's bimi.conf"
else
  bimi_conf=$tmp/bimi.conf
  : > "$bimi_conf"
  conf_from="bimi.conf defaults"
fi

# --- the front nginx --------------------------------------------------------------------------------
port=$(free_port)
printf '%s\n' '{"decision":"none","reason":"no-record","ttl":3600}' > "$tmp/static.json"
mkdir -p "$tmp/bench" && mv "$tmp/static.json" "$tmp/bench/static.json"
user=""
[ "$(id -u)" = 0 ] && user="user root;"
python3 - "$tmp" "$port" "$user" "$SITE" "${stack:-$tmp/no-stack}" <<'EOF'
import os, re, sys
tmp, port, user, site_path, stack = sys.argv[1:6]
locations = open("bench/nginx-service-locations.conf.in").read().replace("@TMP@", tmp)
if os.path.exists(site_path):
    # The three values conf/nginx/bimi.conf says to adapt; a bind on loopback only.
    site = open(site_path).read()
    for old, new in (("unix:/run/bimi/bimi-fcgi.sock", "unix:" + stack + "/bimi-fcgi.sock"),
                     ("/var/cache/bimi", stack + "/cache"),
                     ("listen [::]:443 ssl;", ""),
                     ("listen 443 ssl;", "listen 127.0.0.1:%s;" % port)):
        if old not in site:
            sys.exit("service: %s no longer contains %r" % (site_path, old))
        site = site.replace(old, new)
    site = re.sub(r"(?m)^[ \t]*ssl_.*\n", "", site)  # plain HTTP on loopback
    at = site.index("\n    location ")
    site = site[:at] + "\n" + locations + site[at:]
else:
    site = "  server {\n    listen 127.0.0.1:%s;\n%s  }\n" % (port, locations)
conf = open("bench/nginx-service.conf.in").read()
for key, value in (("@USER@", user), ("@TMP@", tmp), ("@SITE@", site)):
    conf = conf.replace(key, value)
open(tmp + "/nginx.conf", "w").write(conf)
EOF

"$HELLO" -c "$bimi_conf" --listen "unix:$tmp/hello.sock" 2> "$tmp/hello.log" &
hello_pid=$!
pids+=($hello_pid)
"$NGINX" -p "$tmp" -c "$tmp/nginx.conf" -e "$tmp/error.log" 2>> "$tmp/error.log" ||
  { echo "service: nginx did not start:"; cat "$tmp/error.log"; exit 1; }
base=http://127.0.0.1:$port
for _ in $(seq 50); do
  [ -S "$tmp/hello.sock" ] && curl -s -o /dev/null --max-time 1 "$base/bench/static.json" && break
  sleep 0.1
done
[ "$(curl -s "$base/bench/static.json")" = "$(cat "$tmp/bench/static.json")" ] ||
  { echo "service: nginx does not serve the static file on $base:"; cat "$tmp/error.log"; exit 1; }
[ "$(curl -s "$base/bench/hello")" = "$(cat "$tmp/bench/static.json")" ] ||
  { echo "service: fcgi-hello does not answer through nginx:"; cat "$tmp/hello.log" "$tmp/error.log"; exit 1; }

# --- (c)/(d): the request, its warm-up, the logo it names ----------------------------------------
evaluate_url="" logo_url="" logo_missing=$missing
if [ -z "$missing" ]; then
  # "FILE QUERY EXPECTED-DECISION" of the chosen message.
  read -r msg_file msg_query msg_expect < <(python3 - "$MESSAGES/index.json" "${BENCH_MESSAGE:-}" <<'EOF'
import json, sys, urllib.parse
rows = json.load(open(sys.argv[1]))
want = sys.argv[2]
pick = [r for r in rows if r["file"] == want] if want else [r for r in rows if r["expect"]["decision"] == "logo+checkmark"]
r = (pick or rows)[0]
query = urllib.parse.urlencode([(k, r[k]) for k in ("ip", "helo", "mail_from") if r.get(k)])
print(r["file"], query, r["expect"]["decision"])
EOF
)
  evaluate_url="$base/bimi/v1/evaluate?$msg_query"
  export BENCH_BODY_FILE=$PWD/$MESSAGES/$msg_file
  for _ in 1 2 3; do
    status=$(curl -s -o "$tmp/decision.json" -w '%{http_code}' -H 'Content-Type: message/rfc822' \
             --data-binary "@$BENCH_BODY_FILE" "$evaluate_url") || status=000
  done
  read -r decision reason sha < <(python3 - "$tmp/decision.json" <<'EOF' || true
import json, re, sys
try:
    d = json.load(open(sys.argv[1]))
except ValueError:
    print("? ? -"); sys.exit()
hashes = re.findall(r"\b[0-9a-f]{64}\b", json.dumps(d.get("indicator") or {}))
print(d.get("decision", "?"), d.get("reason", "?"), hashes[0] if hashes else "-")
EOF
  )
  echo "evaluate: $msg_file (expect $msg_expect) -> HTTP $status, decision ${decision:-?} (${reason:-?})"
  if [ "$status" != 200 ]; then
    missing="POST /bimi/v1/evaluate answered HTTP $status: $(head -c 200 "$tmp/decision.json")"
    logo_missing=$missing
  elif [ "${sha:--}" = - ]; then
    logo_missing="the decision for $msg_file names no logo"
  else
    logo_url="$base/bimi/v1/logo/$sha/$LOGO_PX.png"
    first=$(curl -s -o "$tmp/logo.png" -w '%{http_code} %{content_type}' "$logo_url")
    png="$stack/cache/png/${sha:0:2}/$sha-$LOGO_PX.png"
    if [ "${first%% *}" != 200 ] || [ ! -f "$png" ]; then
      logo_missing="GET $LOGO_PX.png answered '$first' and left no $png"
      logo_url=""
    else
      echo "logo: $sha ${LOGO_PX}px, $(stat -c %s "$png") bytes, in the cache dir (nginx serves it: try_files)"
      # The same bytes from a plain static location: logo/static-png isolates the cost of
      # the logo location (regex, try_files, headers) from the cost of a larger body.
      cp "$png" "$tmp/bench/static.png"
    fi
  fi
fi

# --- wrk ----------------------------------------------------------------------------------------------
# Latency in ms from wrk's "50%  1.23ms" style.
to_ms() {
  awk -v v="$1" 'BEGIN {
    if (v ~ /us$/) { sub(/us$/, "", v); printf "%.3f", v / 1000 }
    else if (v ~ /ms$/) { sub(/ms$/, "", v); printf "%.3f", v }
    else if (v ~ /m$/) { sub(/m$/, "", v); printf "%.3f", v * 60000 }
    else if (v ~ /s$/) { sub(/s$/, "", v); printf "%.3f", v * 1000 }
    else printf "?" }'
}

declare -A RPS P50 P99
# CPU ticks (utime stime) of PID from /proc/PID/stat: fields 14 and 15, counted after
# the parenthesised command name, which may hold spaces.
cpu_ticks() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  # shellcheck disable=SC2086
  set -- $stat
  echo "${12} ${13}"
}
# Context switches (voluntary + involuntary) of all the threads of PID so far: each request
# crosses threads (dispatcher -> worker -> dispatcher), and this counts what that costs.
ctx_switches() {
  cat /proc/"$1"/task/*/status 2>/dev/null |
    awk '/^(voluntary|nonvoluntary)_ctxt_switches:/ { n += $2 } END { print n + 0 }'
}
fcgi_pid=""
[ -n "$stack" ] && fcgi_pid=$(cat "$stack/bimi-fcgi.pid" 2>/dev/null || true)
declare -A CPU_LINE
ROW='%-9s %11s %9s %9s %8s %8s  %s\n'
# run_case NAME URL [LUA]: warm-up run, measured run, one table row.
run_case() {
  local name=$1 url=$2 lua=${3:-} out
  case " ${BENCH_CASES:-static fcgi evaluate evaluate-nomemo static-png logo} " in *" $name "*) ;; *) return 0 ;; esac
  local script=()
  [ -n "$lua" ] && script=(-s "$lua")
  local watch="" before="" after="" perf_pid="" t0 t1 cs0=0 cs1=0
  wrk -t "$THREADS" -c "$CONNECTIONS" -d "${WARMUP}s" "${script[@]}" "$url" > /dev/null 2>&1 || true
  case $name in evaluate*) [ -n "$fcgi_pid" ] && watch=$fcgi_pid ;; esac
  [ "$name" = fcgi ] && watch=$hello_pid
  if [ -n "$watch" ]; then
    before=$(cpu_ticks "$watch") || watch=""
    cs0=$(ctx_switches "$watch")
    if [ "$name" = evaluate ] && [ -n "${BENCH_PERF:-}" ] && command -v perf > /dev/null; then
      perf record -q --call-graph "${BENCH_PERF_CALLGRAPH:-fp}" -p "$watch" -o "$BENCH_PERF" > /dev/null 2>&1 &
      perf_pid=$!
    fi
  fi
  t0=$(date +%s.%N)
  if ! out=$(wrk -t "$THREADS" -c "$CONNECTIONS" -d "${DURATION}s" --latency "${script[@]}" "$url" 2>&1); then
    echo "$name  wrk failed: $out"
    return 0
  fi
  t1=$(date +%s.%N)
  if [ -n "$perf_pid" ]; then kill -INT "$perf_pid" 2>/dev/null; wait "$perf_pid" 2>/dev/null || true; fi
  local rps p50 p99 non2xx sockerr requests
  rps=$(printf '%s\n' "$out" | awk '/^Requests\/sec:/ { printf "%.0f", $2 }')
  requests=$(printf '%s\n' "$out" | awk '/ requests in / { print $1 }')
  if [ -n "$watch" ] && after=$(cpu_ticks "$watch"); then
    cs1=$(ctx_switches "$watch")
    CPU_LINE[$name]=$(awk -v b="$before" -v a="$after" -v hz="$(getconf CLK_TCK)" -v t0="$t0" -v t1="$t1" -v cs=$((cs1 - cs0)) \
      -v n="${requests:-0}" -v who="$([ "$name" = fcgi ] && echo fcgi-hello || echo bimi-fcgi)" -v case="$name" 'BEGIN {
      split(b, x, " "); split(a, y, " ")
      u = (y[1] - x[1]) / hz; k = (y[2] - x[2]) / hz; w = t1 - t0
      printf "%s CPU during %s: user %.2f s, sys %.2f s over %.1f s (%.2f + %.2f cores busy; kernel %.0f%% of its CPU)",
        who, case, u, k, w, u / w, k / w, (u + k > 0 ? 100 * k / (u + k) : 0)
      if (n > 0) printf "; %.3f ms CPU, %.2f context switches per request", 1000 * (u + k) / n, cs / n }')
  fi
  p50=$(to_ms "$(printf '%s\n' "$out" | awk '$1 == "50%" { print $2 }')")
  p99=$(to_ms "$(printf '%s\n' "$out" | awk '$1 == "99%" { print $2 }')")
  non2xx=$(printf '%s\n' "$out" | awk '/Non-2xx or 3xx responses:/ { print $NF }')
  sockerr=$(printf '%s\n' "$out" | awk '/Socket errors:/ { n = 0; for (i = 3; i <= NF; i += 2) { v = $(i + 1); sub(/,/, "", v); n += v }; print n }')
  RPS[$name]=$rps P50[$name]=$p50 P99[$name]=$p99
  # shellcheck disable=SC2059
  printf "$ROW" "$name" "$rps" "$p50" "$p99" "${non2xx:-0}" "${sockerr:-0}" "${url#"$base"}"
}

ratio() {  # ratio A B [GOAL]: A/B, and whether A/B >= GOAL
  local a=${RPS[$1]:-} b=${RPS[$2]:-}
  if [ -z "$a" ] || [ -z "$b" ] || [ "$b" = 0 ]; then echo "not available"; return; fi
  awk -v a="$a" -v b="$b" -v g="${3:-}" 'BEGIN {
    r = a / b; printf "%.2f", r
    if (g != "") printf "  (goal >= %.2f: %s)", g, (r >= g ? "met" : "NOT met")
    printf "\n" }'
}

echo "wrk $THREADS threads, $CONNECTIONS connections, ${DURATION} s per case after ${WARMUP} s warm-up;" \
     "$("$NGINX" -v 2>&1 | sed 's|.*/|nginx |') worker_processes auto; $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg);" \
     "fcgi-hello $(sed -n 's/^fcgi-hello: \([0-9]*\) threads.*/\1/p' "$tmp/hello.log") threads ($conf_from)"
# shellcheck disable=SC2059
printf "$ROW" case "requests/s" "p50-ms" "p99-ms" non-2xx sock-err path
run_case static "$base/bench/static.json"
run_case fcgi "$base/bench/hello"
if [ -n "$evaluate_url" ] && [ -z "$missing" ]; then
  run_case evaluate "$evaluate_url" bench/evaluate.lua
  case " ${BENCH_CASES:-evaluate-nomemo} " in
  *" evaluate-nomemo "*)
    # [auth] verify_memo_entries = 0 in the stack's bimi.conf, then SIGHUP: the reload builds a new
    # evaluator (cold caches: the case's warm-up run fills them again).
    reloads=$(grep -c 'reload: .* in force' "$stack/bimi-fcgi.log" || true)
    sed -i 's/^\[auth\]$/[auth]\nverify_memo_entries = 0/' "$stack/bimi.conf"
    grep -q '^verify_memo_entries = 0$' "$stack/bimi.conf" || printf '[auth]\nverify_memo_entries = 0\n' >> "$stack/bimi.conf"
    kill -HUP "$fcgi_pid"
    for _ in $(seq 100); do
      [ "$(grep -c 'reload: .* in force' "$stack/bimi-fcgi.log" || true)" -gt "$reloads" ] && break
      sleep 0.1
    done
    if [ "$(grep -c 'reload: .* in force' "$stack/bimi-fcgi.log" || true)" -gt "$reloads" ]; then
      run_case evaluate-nomemo "$evaluate_url" bench/evaluate.lua
    else
      echo "evaluate-nomemo  not available: bimi-fcgi did not reload $stack/bimi.conf"
    fi
    ;;
  esac
else
  echo "evaluate  not available: $missing"
fi
if [ -n "$logo_url" ]; then
  # bimi-fcgi logs one line per request: none for this path during the run means nginx served every hit.
  fcgi_log=$stack/bimi-fcgi.log
  logo_path=${logo_url#"$base"}
  before=$(grep -c -F "$logo_path" "$fcgi_log" 2>/dev/null || true)
  run_case static-png "$base/bench/static.png"
  run_case logo "$logo_url"
  after=$(grep -c -F "$logo_path" "$fcgi_log" 2>/dev/null || true)
  [ -f "$fcgi_log" ] && echo "          (bimi-fcgi log lines for this path: ${before:-0} before the case (the miss" \
    "that rendered it), $(( ${after:-0} - ${before:-0} )) during it)"
else
  echo "logo      not available: $logo_missing"
fi

echo
echo "fcgi/static      $(ratio fcgi static)"
echo "evaluate/static  $(ratio evaluate static)"
echo "evaluate/fcgi    $(ratio evaluate fcgi 0.5)"
echo "evaluate-nomemo/fcgi $(ratio evaluate-nomemo fcgi)  (no DKIM verification memo: each signature verified again)"
echo "logo/static      $(ratio logo static)"
if [ -n "${RPS[evaluate]:-}" ]; then
  echo "evaluate latency p50 ${P50[evaluate]} ms, p99 ${P99[evaluate]} ms  $(awk -v p="${P99[evaluate]}" 'BEGIN {
    printf "(goal p99 <= 25 ms: %s)", (p != "?" && p + 0 <= 25 ? "met" : "NOT met") }')"
  echo "${CPU_LINE[evaluate]:-bimi-fcgi CPU during evaluate: not measured (no bimi-fcgi pid)}"
  [ -n "${RPS[evaluate-nomemo]:-}" ] && echo "${CPU_LINE[evaluate-nomemo]:-bimi-fcgi CPU during evaluate-nomemo: not measured}"
  echo "${CPU_LINE[fcgi]:-fcgi-hello CPU during fcgi: not measured}"
fi
echo "logo/static-png  $(ratio logo static-png 0.90)   (the same PNG bytes served by a plain static location)"

#!/bin/bash
# tests/run-demo-cli.t — scripts/run-demo refuses instead of surprising (issue 22, "Say it right"):
# --check does not stop a demo stack already running in its directory (a `make run` elsewhere) but says
# so, naming the process; a port in use is refused naming the port, its process and the option
# (--front-port / --origin-port) that moves the demo. Neither case starts anything. TAP, run by make check.
set -u
cd "$(dirname "$0")/.." || exit 1
PY=/usr/bin/python3; [ -x "$PY" ] || PY=python3
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bimi-run-demo.XXXXXX")
pids=""
cleanup() { for p in $pids; do kill "$p" 2>/dev/null; done; rm -rf "$tmp"; }
trap cleanup EXIT

. tests/lib/tap.sh
echo "1..4"

# A listener on a free port, held by a python process: prints the port.
"$PY" -c 'import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", 0)); s.listen(1)
print(s.getsockname()[1], flush=True); time.sleep(120)' > "$tmp/port" &
pids="$pids $!"
for _ in $(seq 50); do [ -s "$tmp/port" ] && break; sleep 0.1; done
busy=$(cat "$tmp/port")
free=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

out=$(scripts/run-demo --check --dir "$tmp/a" --front-port "$busy" --origin-port "$free" 2>&1); rc=$?
[ "$rc" = 1 ] && printf '%s\n' "$out" | grep -qF "port $busy on 127.0.0.1 is in use by \"python3\"" \
  && printf '%s\n' "$out" | grep -qF -- "--front-port PORT"
ok $? "a busy front port is refused, naming the port, its process and --front-port"
[ "$rc" = 1 ] || printf '# %s\n' "$out"

out=$(scripts/run-demo --check --dir "$tmp/b" --front-port "$free" --origin-port "$busy" 2>&1); rc=$?
[ "$rc" = 1 ] && printf '%s\n' "$out" | grep -qF -- "in use by \"python3\"" && printf '%s\n' "$out" | grep -qF -- "--origin-port PORT"
ok $? "a busy origin port is refused, naming --origin-port"

# A stack "running" in the directory: a live process behind its pid file.
mkdir -p "$tmp/c"
sleep 120 & running=$!
pids="$pids $running"
echo "$running" > "$tmp/c/bimi-fcgi.pid"
out=$(scripts/run-demo --check --dir "$tmp/c" --front-port "$free" --origin-port "$free" 2>&1); rc=$?
[ "$rc" = 1 ] && printf '%s\n' "$out" | grep -qF "a demo stack is already running in $tmp/c (bimi-fcgi, pid $running"
ok $? "--check refuses a demo stack already running in its directory, naming it"
kill -0 "$running" 2>/dev/null && [ -f "$tmp/c/bimi-fcgi.pid" ]
ok $? "... and leaves it running"
[ "$fails" = 0 ]

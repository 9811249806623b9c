#!/bin/bash
# tests/integration-restart.t — SIGTERM and restarts of bimi-fcgi under load through nginx lose nothing.
#
# The stack of tests/integration-load.t (nsd, the TLS origin with the real logos and Evidence
# Documents, the nginx front of the shipped conf/nginx/bimi.conf), but bimi-fcgi runs socket-activated
# as under conf/bimi-fcgi.socket: tests/helpers/socket-activate.py holds the listening socket and
# passes it as fd 3 (LISTEN_FDS=1, LISTEN_PID), so the socket outlives each instance.
# 64 clients post the brand messages through nginx for 10 s (bounded: 30 s per request, 120 s for
# the run); meanwhile bimi-fcgi is restarted three times:
#   at ~2 s  as `systemctl restart` does: SIGTERM, the old instance drains and exits, then a new one
#            starts (connections made in the gap wait in the socket's backlog);
#   at ~5 s  the same again;
#   at ~7 s  with overlap: a new instance first, then SIGTERM to the old one.
# Checks: every request nginx accepted was answered 200 with JSON (0 non-2xx, 0 transport errors,
# sent == answered); each stopped instance exited 0 after SIGTERM; each instance said it serves the
# inherited socket; after the run the service still answers.
#
# TAP; every process is stopped by PID in an EXIT trap. Missing components fail, never skip.
set -u
. "$(dirname "$0")/integration-lib.sh"
int_require
CLIENTS=64
SECONDS_LOAD=10
int_setup
int_plan 5

mapfile -t BRANDS < <(grep -v '^#' fixtures/e2e/brands.tsv)
int_start_e2e_backends
conf=$INT_TMP/bimi.conf
int_fcgi_conf "$conf" 2025-06-01T00:00:00Z

# The "service manager" and its first instance.
"$PY" tests/helpers/socket-activate.py "$INT_TMP/fcgi.sock" "$INT_TMP/fcgi.pid" -- "$FCGI" -c "$conf" \
  > "$INT_TMP/activate.log" 2>> "$INT_TMP/fcgi.log" &
SUP_PID=$!
INT_PIDS+=("$SUP_PID")
for i in $(seq 1 100); do
  grep -q "listening on" "$INT_TMP/fcgi.log" 2>/dev/null && break
  kill -0 "$SUP_PID" 2>/dev/null || break
  sleep 0.1
done
grep -q "listening on the socket passed by the service manager" "$INT_TMP/fcgi.log" ||
  int_bail "bimi-fcgi did not start on the inherited socket: $(tail -n 5 "$INT_TMP/fcgi.log")"
int_start_front

msgs=(fixtures/e2e/messages/*.eml)
url="http://127.0.0.1:$FRONT_PORT/bimi/v1/evaluate?ip=192.0.2.10&helo=mta.relay.example.net"
timeout 120 $CHECK load "$url" "$SECONDS_LOAD" "$CLIENTS" "${msgs[@]}" > "$INT_TMP/load.out" 2>&1 &
LOAD_PID=$!
# Each restart waits until the new instance says it listens (a loaded machine may take
# seconds to start one): a SIGTERM before that would test start-up, not the hand-over.
wait_listening() { # N: until N instances have logged that they serve the inherited socket
  for _ in $(seq 1 600); do
    [ "$(grep -c "listening on the socket passed by the service manager" "$INT_TMP/fcgi.log")" -ge "$1" ] && return 0
    sleep 0.1
  done
  return 1
}
sleep 2
kill -USR1 "$SUP_PID"
wait_listening 2
sleep 1
kill -USR1 "$SUP_PID"
wait_listening 3
sleep 1
kill -USR2 "$SUP_PID"
wait_listening 4
wait "$LOAD_PID"
rc=$?
summary=$(head -n 1 "$INT_TMP/load.out")
int_ok $rc "$CLIENTS clients x ${SECONDS_LOAD} s through nginx across 3 restarts: 0 non-2xx, 0 transport errors, sent == answered ($summary)" \
  "$(cat "$INT_TMP/load.out")" "$(grep -c ' 502 ' "$INT_TMP/front-access.log") 502s in the nginx access log" \
  "$(grep -E 'error|upstream' "$INT_TMP/front-error.log" | tail -n 5)"
echo "# restart load: $summary" >&2

starts=$(grep -c '^start ' "$INT_TMP/activate.log")
exits=$(grep -c '^exit ' "$INT_TMP/activate.log")
bad_exits=$(grep '^exit ' "$INT_TMP/activate.log" | grep -vc ' 0$')
[ "$starts" = 4 ] && [ "$exits" = 3 ] && [ "$bad_exits" = 0 ]
int_ok $? "3 restarts: 4 instances started, 3 stopped by SIGTERM, each exit 0" "$(cat "$INT_TMP/activate.log")"

inherited=$(grep -c "listening on the socket passed by the service manager" "$INT_TMP/fcgi.log")
[ "$inherited" = 4 ]
int_ok $? "every instance served the inherited socket (fd 3), none bound its own ($inherited of 4)" \
  "$(grep -E 'listening|error|CRITICAL' "$INT_TMP/fcgi.log" | tail -n 8)"

drained=$(grep -c "SIGTERM: no new connections" "$INT_TMP/fcgi.log")
[ "$drained" = 3 ]
int_ok $? "each stopped instance drained on SIGTERM ($drained of 3)" "$(grep -E 'SIGTERM|shutdown|stopped' "$INT_TMP/fcgi.log")"

status=$(int_post fixtures/e2e/messages/"$(IFS=$'\t' read -r n _ <<< "${BRANDS[0]}"; echo "$n")".eml \
  "$INT_TMP/after.json" "ip=192.0.2.10&helo=mta.relay.example.net")
[ "$status" = 200 ] && [ -S "$INT_TMP/fcgi.sock" ]
int_ok $? "after the restarts the service answers (HTTP $status) on the same socket" "$(cat "$INT_TMP/after.json")"

int_done

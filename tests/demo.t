#!/bin/bash
# tests/demo.t — `make run` end to end: scripts/run-demo --check on free ports starts the real demo stack
# (TLS origin nginx, bimi-fcgi with the demo zones, front nginx), posts every message of
# fixtures/demo/messages/index.json through the front and compares the decision and reason with the
# manifest (and fetches the PNG of every logo it shows, checks revocation through the stack's CRL server),
# and prints the header fields of the demo VMC message (bimi evaluate --headers), then stops the stack; and checks that the stack is really gone (no pid files left, ports free). DNS from
# the zone files here; tests/integration-demo.t runs the same cases with nsd. TAP, run by make check.
# Needs build/bimi-fcgi, nginx, nsd: a missing piece is a failure, not a skip.
set -u
cd "$(dirname "$0")/.." || exit 1
# Debian's interpreter: a python3 earlier in PATH may be a slow shim (pyenv) or lack the packages.
PY=/usr/bin/python3; [ -x "$PY" ] || PY=python3

. tests/lib/net.sh
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bimi-demo.XXXXXX")
cleanup() {
  for d in "$tmp"/stack-*; do [ -d "$d" ] && scripts/demo-stack stop "$d" >/dev/null 2>&1; done
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

echo "1..3"
. tests/lib/tap.sh

for dns in zones; do
  d="$tmp/stack-$dns"
  fp=$(free_port); op=$(free_port)
  while [ "$op" = "$fp" ]; do op=$(free_port); done
  out=$(scripts/run-demo --check --dir "$d" --front-port "$fp" --origin-port "$op" --dns "$dns" 2>&1); rc=$?
  ok $rc "run-demo --check --dns $dns: every manifest message gets its expected decision and reason"
  printf '%s\n' "$out" | sed 's/^/# /'
  printf '%s\n' "$out" | grep -qF "bimi evaluate --headers vmc.eml: Authentication-Results, BIMI-Location, BIMI-Indicator"
  ok $? "--dns $dns: bimi evaluate --headers prints the three header fields for the demo VMC message"
  if [ $rc != 0 ]; then
    for log in bimi-fcgi.log front-error.log origin-error.log nsd.log; do
      [ -s "$d/$log" ] && { echo "# --- $log"; tail -n 20 "$d/$log" | sed 's/^/# /'; }
    done
  fi
  alive=""
  for f in "$d"/*.pid; do [ -e "$f" ] && alive="$alive $(basename "$f")"; done
  busy=""
  for p in "$fp" "$op"; do (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && busy="$busy $p"; done
  [ -z "$alive$busy" ]
  ok $? "--dns $dns: everything stopped afterwards (no pid files${alive:+:$alive}, ports free${busy:+: busy$busy})"
done
exit $((fails > 0))

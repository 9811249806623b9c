#!/bin/bash
# tests/offline-netns.t — offline means no packet leaves (issue 13 item 3).
#
# Re-runs itself in an empty network namespace (`unshare -n`; only loopback,
# brought up with `ip link set lo up`): no resolver, no route. There
# `bimi evaluate --zone` of fixtures/evaluate/vmc.eml must show the logo: the
# zone (fixtures/evaluate/evaluate.zone.in plus A records) maps the logo host
# origin.test and the CRL host crl.pki.test to 127.0.0.1 (no --resolve pins),
# so the fetches resolve through engine/dns (the zone) and reach the loopback
# nginx origin; before, libcurl asked the system resolver and the logo fetch
# failed with "dns". Under `strace -f -e trace=connect` no socket connects to
# port 53 (DNS). Runs as root in CI; a clear TAP skip only when a namespace
# cannot be made (no privileges, no unshare/ip); strace missing skips that one
# check only. TAP, run by make check.
set -u
cd "$(dirname "$0")/.." || exit 1
. tests/lib/tap.sh
. tests/evaluate-origin.sh   # BIMI, NGINX and the origin of fixtures/evaluate
evaluate_origin_require

if [ -z "${BIMI_IN_NETNS:-}" ]; then
  why=
  command -v unshare >/dev/null 2>&1 || why="unshare is not installed"
  command -v ip >/dev/null 2>&1 || why="ip (iproute2) is not installed"
  [ -z "$why" ] && ! err=$(unshare -n true 2>&1) && why="unshare -n is impossible here: $err"
  if [ -n "$why" ]; then echo "1..0 # SKIP $why"; exit 0; fi
  BIMI_IN_NETNS=1 exec unshare -n "$0" "$@"
fi

ip link set lo up || { echo "Bail out! ip link set lo up failed in the new namespace"; exit 1; }

T=$(mktemp -d) || exit 1
cleanup() { evaluate_origin_stop; rm -rf "$T"; }
trap cleanup EXIT

evaluate_origin_start "$T"
{
  sed -e "s|@PORT@|$PORT|g" fixtures/evaluate/evaluate.zone.in
  echo "origin.test. IN A 127.0.0.1"
  echo "crl.pki.test. IN A 127.0.0.1"
} > "$T/offline.zone"

# No --resolve: every fetch host comes from the zone. The CRL URL names port
# 80; connect_to moves it to the test port, its host still resolves from the zone.
O=(--zone "$T/offline.zone" --timeout-ms 300 --at 2026-06-01T00:00:00Z --ca-file fixtures/tls/ca.pem
   --allow-private-addresses --connect-to "crl.pki.test:80::$PORT_CRL"
   --trust-store fixtures/pki/root.pem --ct-logs fixtures/pki/ct-logs.cnf)
F=fixtures/evaluate

echo "1..4"
out=$("$BIMI" evaluate "$F/vmc.eml" "${O[@]}" 2>&1); rc=$?
if [ "$rc" = 0 ] && printf '%s\n' "$out" | grep -q '^decision: logo+checkmark (vmc)'; then
  ok 0 "empty network namespace: the logo host resolves from the zone, the fetch reaches the loopback origin"
else
  echo "# exit $rc: $out" | head -40; ok 1 "empty network namespace: fetch through the zone"
fi
if grep -q 'GET /pki/logo.svg' "$T/access.log" 2>/dev/null && grep -q 'GET /[a-z-]*\.crl' "$T/crl-access.log" 2>/dev/null; then
  ok 0 "the origin served the logo and the CRL host (connect_to, zone address) was reached"
else
  echo "# access.log: $(cat "$T/access.log" 2>&1 | head -5)"; echo "# crl: $(cat "$T/crl-access.log" 2>&1 | head -5)"
  ok 1 "origin access logs"
fi
out=$("$BIMI" evaluate "$F/vmc.eml" "${O[@]}" --json 2>&1)
if printf '%s\n' "$out" | grep -Eq '"(reason|detail)" : "[^"]*: dns \('; then
  echo "# a fetch failed with reason dns:"; printf '%s\n' "$out" | grep -E ': dns \(' | head -3 | sed 's/^/# /'
  ok 1 "no fetch failed with reason dns"
else
  ok 0 "no fetch failed with reason dns"
fi
if command -v strace >/dev/null 2>&1; then
  strace -f -qq -e trace=connect -o "$T/strace.txt" "$BIMI" evaluate "$F/vmc.eml" "${O[@]}" >/dev/null 2>&1
  dns=$(grep -E 'sin6?_port=htons\(53\)' "$T/strace.txt")
  loop=$(grep -cE "sin_port=htons\($PORT\)" "$T/strace.txt")
  if [ -z "$dns" ] && [ "$loop" -gt 0 ]; then
    ok 0 "strace: $loop connect() to the origin port, none to a DNS port (53)"
  else
    echo "# connects to port 53: ${dns:-none}; to the origin: $loop"; ok 1 "strace: no connect() to a DNS port"
  fi
else
  echo "ok 4 # SKIP strace is not installed (scripts/install-deps installs it)"; n=$((n + 1))
fi
exit $((fails > 0))

#!/bin/bash
# tests/evaluate-cli.t — `bimi evaluate` end to end, offline: the messages of
# fixtures/evaluate/ with DNS from its zone template and a real nginx TLS origin
# (fixtures/evaluate/nginx.conf.in) on a free loopback port serving the test
# PKI of fixtures/pki, evaluated at 2026-06-01. Checks the decisions, the JSON
# object, the human summary, the exit codes of DESIGN.md §5 (0 logo shown,
# 1 none, 2 usage, 3 temperror), --config, --cache-dir and the removal of the
# default temporary cache directory. nginx is stopped by PID on exit.
# TAP, run by make check.
set -u
cd "$(dirname "$0")/.." || exit 1
BIMI=build/bimi
NGINX=/usr/sbin/nginx
if [ ! -x "$BIMI" ]; then echo "Bail out! $BIMI is not built"; exit 1; fi
if [ ! -x "$NGINX" ]; then echo "Bail out! $NGINX is not installed (scripts/install-deps installs it)"; exit 1; fi

T=$(mktemp -d) || exit 1
NGINX_PID=
cleanup() { [ -n "$NGINX_PID" ] && kill "$NGINX_PID" 2>/dev/null && wait "$NGINX_PID" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
PORT=$(free_port)
PORT_CRL=$(free_port)
while [ "$PORT_CRL" = "$PORT" ]; do PORT_CRL=$(free_port); done
USER_LINE=; [ "$(id -u)" = 0 ] && USER_LINE="user root;"
sed -e "s|@TMP@|$T|g" -e "s|@REPO@|$PWD|g" -e "s|@PORT_CRL@|$PORT_CRL|g" -e "s|@PORT@|$PORT|g" -e "s|@USER@|$USER_LINE|" \
  fixtures/evaluate/nginx.conf.in > "$T/nginx.conf"
sed -e "s|@PORT@|$PORT|g" fixtures/evaluate/evaluate.zone.in > "$T/evaluate.zone"
"$NGINX" -p "$T" -e "$T/error.log" -c "$T/nginx.conf" -g "daemon off;" &
NGINX_PID=$!
for _ in $(seq 200); do
  (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
  sleep 0.05
done

mkdir -p "$T/tmpdir"
export TMPDIR="$T/tmpdir"
O=(--zone "$T/evaluate.zone" --timeout-ms 300 --at 2026-06-01T00:00:00Z --ca-file fixtures/tls/ca.pem
   --allow-private-addresses --resolve "origin.test:$PORT:127.0.0.1"
   --connect-to "crl.pki.test:80::$PORT_CRL" --resolve "crl.pki.test:$PORT_CRL:127.0.0.1"
   --trust-store fixtures/pki/root.pem --ct-logs fixtures/pki/ct-logs.cnf)

n=0; fails=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fails=$((fails + 1)); fi; }
check() {
  local name=$1 want=$2 pattern=$3; shift 3
  local out rc
  out=$("$BIMI" evaluate "$@" 2>&1); rc=$?
  if [ "$rc" != "$want" ]; then echo "# $name: exit $rc, want $want; output: $out"; ok 1 "$name"; return; fi
  if [ -n "$pattern" ] && ! printf '%s\n' "$out" | grep -Eq -- "$pattern"; then
    echo "# $name: output lacks /$pattern/: $out"; ok 1 "$name"; return
  fi
  ok 0 "$name"
}
F=fixtures/evaluate

cat > "$T/arc.conf" <<CONF
[policy]
trusted_arc_sealers = lists.trusted.test
bimi_accept_arc_override = true
[auth]
authserv_id = mx.webmail.test
CONF

echo "1..17"
check "VMC: logo and checkmark" 0 '^decision: logo\+checkmark \(vmc\)' "$F/vmc.eml" "${O[@]}"
check "VMC, JSON: decision and mark" 0 '"mark_type" : "Registered Mark"' "$F/vmc.eml" "${O[@]}" --json
check "VMC, JSON: A-R with bimi=pass" 0 '"authentication_results" : ".*bimi=pass header.d=brand.test' \
  "$F/vmc.eml" "${O[@]}" --json
check "CMC: logo" 0 '^decision: logo \(cmc\)' "$F/cmc.eml" "${O[@]}"
check "no a=: none by default" 1 '^decision: none \(evidence-missing\)' "$F/noevidence.eml" "${O[@]}"
check "DMARC p=none: not enforcing" 1 '^decision: none \(dmarc-not-enforcing\)' "$F/lax.eml" "${O[@]}"
check "DMARC fail" 1 '^decision: none \(dmarc-fail\)' "$F/dmarc-fail.eml" "${O[@]}"
check "expired certificate" 1 '^decision: none \(evidence-invalid\)' "$F/expired.eml" "${O[@]}"
check "revoked certificate (CRL fetched)" 1 'revoked' "$F/revoked.eml" "${O[@]}"
check "bad SVG" 1 '^decision: none \(svg-invalid\)' "$F/badsvg.eml" "${O[@]}"
check "sender without FCrDNS" 1 '^decision: none \(no-fcrdns\)' "$F/vmc.eml" "${O[@]}" \
  --ip 192.0.2.66 --helo mail.brand.test --mail-from news@brand.test
check "full envelope: iprev and spf pass" 0 'iprev=pass policy.iprev=192.0.2.10; spf=pass' "$F/vmc.eml" "${O[@]}" \
  --ip 192.0.2.10 --helo mail.brand.test --mail-from news@brand.test
check "DNS temperror: exit 3" 3 '^decision: none \(temperror\)' "$F/norecord.eml" "${O[@]}" \
  --dns-timeout default._bimi.norecord.test
check "--config: trusted ARC sealer accepted for BIMI" 0 '^Authentication-Results: mx.webmail.test; .*policy.override=arc' \
  "$F/arc-forwarded.eml" "${O[@]}" --config "$T/arc.conf"
check "--cache-dir keeps the logo store" 0 '' "$F/vmc.eml" "${O[@]}" --cache-dir "$T/cache"
if ls "$T"/cache/svg/*/*.svg >/dev/null 2>&1 && [ -z "$(ls -A "$T/tmpdir")" ]; then
  ok 0 "logo stored under --cache-dir; default temporary cache directories removed"
else
  echo "# cache: $(ls -R "$T/cache" 2>&1 | head -5); tmpdir: $(ls -A "$T/tmpdir")"; ok 1 "cache directories"
fi
check "usage: no message" 2 'expected exactly one message' "${O[@]}"
exit $((fails > 0))

#!/bin/bash
# tests/evaluate-cli.t — what `bimi evaluate` adds to the library: the options
# instead of a configuration file (--zone, --resolve, --connect-to, --at,
# --ca-file, --trust-store, --ct-logs, --dns-timeout, --ip/--helo/--mail-from),
# the human summary, the exit codes of DESIGN.md §5 (0 logo shown, 3 temperror,
# 2 usage), --cache-dir and the removal of the default temporary cache
# directory. The decisions of the messages are data in tests/cases/, run through
# this CLI (with --config and --json) and the library by tests/test-cases.c.
# The world: the messages of fixtures/evaluate/ with DNS from its zone template
# and a real nginx TLS origin (fixtures/evaluate/nginx.conf.in) on a free
# loopback port serving the test PKI of fixtures/pki, evaluated at 2026-06-01.
# nginx is stopped by PID on exit. TAP, run by make check.
set -u
cd "$(dirname "$0")/.." || exit 1
. tests/lib/tap.sh
. tests/evaluate-origin.sh   # BIMI, NGINX and the origin of fixtures/evaluate
evaluate_origin_require

T=$(mktemp -d) || exit 1
cleanup() { evaluate_origin_stop; rm -rf "$T"; }
trap cleanup EXIT

evaluate_origin_start "$T"
sed -e "s|@PORT@|$PORT|g" fixtures/evaluate/evaluate.zone.in > "$T/evaluate.zone"

mkdir -p "$T/tmpdir"
export TMPDIR="$T/tmpdir"
O=(--zone "$T/evaluate.zone" --timeout-ms 300 --at 2026-06-01T00:00:00Z --ca-file fixtures/tls/ca.pem
   --allow-private-addresses --resolve "origin.test:$PORT:127.0.0.1"
   --connect-to "crl.pki.test:80::$PORT_CRL" --resolve "crl.pki.test:$PORT_CRL:127.0.0.1"
   --trust-store fixtures/pki/root.pem --ct-logs fixtures/pki/ct-logs.cnf)

CHECK_CMD=("$BIMI" evaluate)
F=fixtures/evaluate

echo "1..8"
check "human summary: the decision line" 0 '^decision: logo\+checkmark \(vmc\)' "$F/vmc.eml" "${O[@]}"
check "human summary, envelope options: the A-R line" 0 \
  '^Authentication-Results: .*iprev=pass policy.iprev=192.0.2.10; spf=pass' "$F/vmc.eml" "${O[@]}" \
  --ip 192.0.2.10 --helo mail.brand.test --mail-from news@brand.test
check "--dns-timeout: temperror, exit 3" 3 '^decision: none \(temperror\)' "$F/norecord.eml" "${O[@]}" \
  --dns-timeout default._bimi.norecord.test
check "--cache-dir keeps the logo store" 0 '' "$F/vmc.eml" "${O[@]}" --cache-dir "$T/cache"
if ls "$T"/cache/svg/*/*.svg >/dev/null 2>&1 && [ -z "$(ls -A "$T/tmpdir")" ]; then
  ok 0 "logo stored under --cache-dir; default temporary cache directories removed"
else
  echo "# cache: $(ls -R "$T/cache" 2>&1 | head -5); tmpdir: $(ls -A "$T/tmpdir")"; ok 1 "cache directories"
fi
check "usage: no message" 2 'expected exactly one message' "${O[@]}"
# issue 19: [caution] brands_file from -c; the options still apply over the file
printf '[Brand News]\ndomains = brand.test\n' > "$T/brands.conf"
printf '[caution]\nbrands_file = brands.conf\n' > "$T/caution.conf"
check "human summary: the caution line" 1 '^caution: Claims to be Brand News — not verified$' \
  "$F/dmarc-fail.eml" "${O[@]}" -c "$T/caution.conf"
check "human summary: the caution's signal and verified domains" 1 \
  '^  signal display-name, matched "Brand News", verified domains brand.test$' "$F/dmarc-fail.eml" "${O[@]}" \
  -c "$T/caution.conf"
exit $((fails > 0))

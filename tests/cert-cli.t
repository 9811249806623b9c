#!/bin/bash
# tests/cert-cli.t — `bimi cert verify` / `bimi cert logo` end to end: exit codes
# (0 valid, 1 invalid, 2 usage), the reason codes in --json, the extracted logos.
# Real chains from $BIMI_UPSTREAM_DIR/bimi/vmc-fixtures with the default trust store
# (data/), the test PKI of fixtures/pki with its own root and CT log. Prints TAP.
set -u

cd "$(dirname "$0")/.." || exit 1
BIMI=build/bimi
UP=${BIMI_UPSTREAM_DIR:-../shared/upstream}/bimi
if [ ! -x "$BIMI" ]; then
  echo "1..0 # SKIP $BIMI is not built"
  exit 0
fi
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); echo "not ok $n - $1"; }
expect_rc() { # WANT DESC CMD...
  local want=$1 desc=$2; shift 2
  "$@" > "$TMP/out" 2> "$TMP/err"
  local rc=$?
  if [ "$rc" = "$want" ]; then ok "$desc (exit $rc)"; else notok "$desc: exit $rc, wanted $want"; sed 's/^/# /' "$TMP/out" "$TMP/err"; fi
}
expect_in() { # NEEDLE DESC
  if grep -qF -- "$1" "$TMP/out"; then ok "$2"; else notok "$2: '$1' not in output"; sed 's/^/# /' "$TMP/out"; fi
}

echo "1..22"
V=$UP/vmc-fixtures
expect_rc 0 "cnn.pem valid at 2022-01-01" $BIMI cert verify "$V/postalsys-vmc/cnn.pem" --domain cnn.com --at 2022-01-01T00:00:00Z --revocation soft
expect_in "verified by DigiCert Gorgon" "cnn SCT verified against Gorgon"
expect_rc 1 "cnn.pem expired at 2026-11-29" $BIMI cert verify "$V/postalsys-vmc/cnn.pem" --domain cnn.com --at 2026-11-29T00:00:00Z
expect_in "FAIL expired" "cnn expired reason"
expect_rc 0 "xometry CMC valid" $BIMI cert verify "$V/postalsys-vmc/xometry_cmc.pem" --domain xometry.com --at @1735689600 --json
expect_in '"certificate_type" : "cmc"' "xometry is a CMC"
expect_in '"mark_type" : "Prior Use Mark"' "xometry Prior Use Mark"
expect_rc 1 "rspamd paypal: wrong intermediate" $BIMI cert verify "$V/rspamd-bimi-helper/paypal.pem" --domain paypal.com --at 2025-06-01T00:00:00Z --json
expect_in '"check" : "chain-incomplete"' "paypal reason chain-incomplete"
expect_rc 1 "catchall.delivery: TLS cert refused" $BIMI cert verify "$V/postalsys-vmc/catchall.delivery.pem" --at 2022-08-01T00:00:00Z --json
expect_in '"check" : "eku-leaf"' "catchall reason eku-leaf"
expect_rc 1 "valimail: SAN does not cover another domain" $BIMI cert verify "$V/rspamd-bimi-helper/valimail.pem" --domain example.com --at 2025-06-01T00:00:00Z
expect_rc 0 "valimail with the l= logo" $BIMI cert verify "$V/rspamd-bimi-helper/valimail.pem" --domain valimail.com --svg "$UP/svg/extracted-from-vmc/rspamd-valimail.svg" --at 2025-06-01T00:00:00Z
expect_rc 1 "valimail with another l= logo" $BIMI cert verify "$V/rspamd-bimi-helper/valimail.pem" --domain valimail.com --svg "$UP/svg/extracted-from-vmc/cnn.svg" --at 2025-06-01T00:00:00Z
expect_in "FAIL logo-mismatch" "logo-mismatch reason"
expect_rc 0 "cert logo globalsign" $BIMI cert logo "$V/postalsys-vmc/globalsign-vmc.pem" -o "$TMP/gs.svg"
if cmp -s "$TMP/gs.svg" "$UP/svg/extracted-from-vmc/globalsign-vmc.svg"; then ok "extracted logo equals upstream"; else notok "extracted logo differs"; fi
P="--trust-store fixtures/pki/root.pem --ct-logs fixtures/pki/ct-logs.cnf --domain brand.test --at 2026-06-01T00:00:00Z"
expect_rc 0 "test PKI good VMC" $BIMI cert verify fixtures/pki/good-vmc-registered.pem $P
expect_rc 1 "test PKI unknown log" $BIMI cert verify fixtures/pki/bad-sct-unknown-log.pem $P
expect_in "FAIL sct-unknown-log" "sct-unknown-log reason"
expect_rc 2 "bad --revocation" $BIMI cert verify fixtures/pki/good-vmc-registered.pem --revocation maybe
expect_rc 2 "missing file" $BIMI cert verify /nonexistent.pem

#!/bin/bash
# tests/cert-cli.t — `bimi cert verify` / `bimi cert logo` end to end: exit codes
# (0 valid, 1 invalid, 2 usage), the reason codes in --json, the extracted logos.
# Real chains from $BIMI_UPSTREAM_DIR/bimi/vmc-fixtures with the default trust store
# (data/), the test PKI of fixtures/pki with its own root and CT log. Revocation for
# real: nginx (fixtures/fetch/nginx-crl.conf.in) serves the test PKI's CRLs over plain
# http on free ports; --connect-to maps the certificates' crl.pki.test:80 there and
# --resolve pins crl.pki.test to 127.0.0.1. Prints TAP.
set -u

cd "$(dirname "$0")/.." || exit 1
BIMI=build/bimi
UP=${BIMI_UPSTREAM_DIR:-../shared/upstream}/bimi
if [ ! -x "$BIMI" ]; then
  echo "Bail out! $BIMI is not built"
  exit 1
fi
TMP=$(mktemp -d)
NGINX_PID=
cleanup() {
  if [ -n "$NGINX_PID" ]; then kill "$NGINX_PID" 2>/dev/null; wait "$NGINX_PID" 2>/dev/null; fi
  rm -rf "$TMP"
}
trap cleanup EXIT
. tests/lib/tap.sh
expect_rc() { # WANT DESC CMD...
  local want=$1 desc=$2; shift 2
  "$@" > "$TMP/out" 2> "$TMP/err"
  local rc=$?
  if [ "$rc" = "$want" ]; then ok 0 "$desc (exit $rc)"; else ok 1 "$desc: exit $rc, wanted $want"; sed 's/^/# /' "$TMP/out" "$TMP/err"; fi
}
expect_in() { # NEEDLE DESC
  if grep -qF -- "$1" "$TMP/out"; then ok 0 "$2"; else ok 1 "$2: '$1' not in output"; sed 's/^/# /' "$TMP/out"; fi
}

echo "1..40"
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
expect_in 'the issuer of the leaf, \"DigiCert Verified Mark RSA4096 SHA256 2021 CA1\", is neither' \
  "chain-incomplete names the missing issuer, not the leaf"
expect_rc 2 "an SVG given as the chain: usage" $BIMI cert verify fixtures/pki/logo.svg
if grep -qF "fixtures/pki/logo.svg: not a PEM certificate chain" "$TMP/err" && grep -qF -- "give the logo with --svg" "$TMP/err" \
   && [ ! -s "$TMP/out" ]; then ok 0 "... says the input is not a PEM chain, prints no certificate block"
else ok 1 "non-PEM input message"; sed 's/^/# /' "$TMP/out" "$TMP/err"; fi
expect_rc 1 "catchall.delivery: TLS cert refused" $BIMI cert verify "$V/postalsys-vmc/catchall.delivery.pem" --at 2022-08-01T00:00:00Z --json
expect_in '"check" : "eku-leaf"' "catchall reason eku-leaf"
expect_rc 1 "valimail: SAN does not cover another domain" $BIMI cert verify "$V/rspamd-bimi-helper/valimail.pem" --domain example.com --at 2025-06-01T00:00:00Z
expect_rc 0 "valimail with the l= logo" $BIMI cert verify "$V/rspamd-bimi-helper/valimail.pem" --domain valimail.com --svg "$UP/svg/extracted-from-vmc/rspamd-valimail.svg" --at 2025-06-01T00:00:00Z
expect_rc 1 "valimail with another l= logo" $BIMI cert verify "$V/rspamd-bimi-helper/valimail.pem" --domain valimail.com --svg "$UP/svg/extracted-from-vmc/cnn.svg" --at 2025-06-01T00:00:00Z
expect_in "FAIL logo-mismatch" "logo-mismatch reason"
expect_rc 0 "cert logo globalsign" $BIMI cert logo "$V/postalsys-vmc/globalsign-vmc.pem" -o "$TMP/gs.svg"
if cmp -s "$TMP/gs.svg" "$UP/svg/extracted-from-vmc/globalsign-vmc.svg"; then ok 0 "extracted logo equals upstream"; else ok 1 "extracted logo differs"; fi
P="--trust-store fixtures/pki/root.pem --ct-logs fixtures/pki/ct-logs.cnf --domain brand.test --at 2026-06-01T00:00:00Z"
expect_rc 0 "test PKI good VMC" $BIMI cert verify fixtures/pki/good-vmc-registered.pem $P
expect_rc 1 "test PKI unknown log" $BIMI cert verify fixtures/pki/bad-sct-unknown-log.pem $P
expect_in "FAIL sct-unknown-log" "sct-unknown-log reason"
expect_rc 2 "bad --revocation" $BIMI cert verify fixtures/pki/good-vmc-registered.pem --revocation maybe
expect_rc 2 "missing file" $BIMI cert verify /nonexistent.pem

# ---- revocation against a real CRL server (nginx) ----------------------------
REV_TESTS=15
. tests/lib/net.sh
start_nginx() {
  [ -x /usr/sbin/nginx ] && command -v python3 > /dev/null || return 1
  local ports=() p
  while [ ${#ports[@]} -lt 8 ]; do
    p=$(free_port) || return 1
    case " ${ports[*]} " in *" $p "*) ;; *) ports+=("$p") ;; esac
  done
  GOOD=${ports[0]} FORGED=${ports[1]} CLOSED=${ports[7]}
  head -c 16 /dev/zero > "$TMP/big.crl"
  sed -e "s|@USER@|$([ "$(id -u)" = 0 ] && echo 'user root;')|" -e "s|@TMP@|$TMP|g" -e "s|@PKI@|$PWD/fixtures/pki|g" \
      -e "s|@TLS@|$PWD/fixtures/tls|g" -e "s|@PORT_GOOD@|$GOOD|g" -e "s|@PORT_FORGED@|$FORGED|g" \
      -e "s|@PORT_BIG@|${ports[2]}|g" -e "s|@PORT_PRIVATE@|${ports[3]}|g" -e "s|@PORT_FTP@|${ports[4]}|g" \
      -e "s|@PORT_HTTPS@|${ports[5]}|g" -e "s|@PORT_TLS@|${ports[6]}|g" \
      fixtures/fetch/nginx-crl.conf.in > "$TMP/nginx.conf"
  /usr/sbin/nginx -p "$TMP" -e "$TMP/error.log" -c "$TMP/nginx.conf" -g 'daemon off;' > /dev/null 2>&1 &
  NGINX_PID=$!
  for _ in $(seq 100); do
    if (exec 3<> "/dev/tcp/127.0.0.1/$GOOD") 2> /dev/null && (exec 3<> "/dev/tcp/127.0.0.1/$FORGED") 2> /dev/null; then
      return 0
    fi
    sleep 0.05
  done
  return 1
}
via() { # PORT: the fetch options that send crl.pki.test:80 to nginx's PORT
  echo "--allow-private-addresses --connect-to crl.pki.test:80::$1 --resolve crl.pki.test:$1:127.0.0.1"
}
if ! start_nginx; then
  for _ in $(seq $REV_TESTS); do n=$((n + 1)); echo "not ok $n - the CRL server (nginx) did not start"; done
  exit 1
fi
CRL=http://crl.pki.test
# shellcheck disable=SC2086
{
expect_rc 0 "revocation=require, CRLs served: good VMC valid" $BIMI cert verify fixtures/pki/good-vmc-registered.pem $P --revocation require $(via "$GOOD")
expect_in "revocation:   good" "revocation status good"
expect_in "CRL $CRL/intermediate.crl (Test Brand, Inc.): good" "report names the leaf's CRL and its outcome"
expect_in "CRL $CRL/root.crl (Test BIMI Issuing CA): good" "report names the Issuing CA's CRL"
expect_rc 1 "revoked leaf invalid" $BIMI cert verify fixtures/pki/bad-revoked.pem $P --revocation require $(via "$GOOD")
expect_in "FAIL revoked: Test Brand, Inc. is revoked (CRL $CRL/intermediate.crl)" "revoked reason with the CRL URL"
expect_rc 0 "CRL server down, revocation=soft: valid" $BIMI cert verify fixtures/pki/good-vmc-registered.pem $P --revocation soft $(via "$CLOSED")
expect_in "warning: revocation unavailable: $CRL/intermediate.crl: connect:" "soft: warning names the URL and the reason"
expect_rc 3 "CRL server down, revocation=require: temperror" $BIMI cert verify fixtures/pki/good-vmc-registered.pem $P --revocation require $(via "$CLOSED")
expect_in "FAIL revocation-unknown" "require: revocation-unknown"
expect_rc 1 "forged CRL (another key) not used" $BIMI cert verify fixtures/pki/good-vmc-registered.pem $P --revocation require $(via "$FORGED")
expect_in "CRL $CRL/intermediate.crl (Test Brand, Inc.): unavailable: CRL not signed by the issuing CA" "forged CRL reason"
expect_rc 1 "SSRF guard: loopback CRL server refused without --allow-private-addresses" $BIMI cert verify fixtures/pki/good-vmc-registered.pem $P --revocation require --connect-to "crl.pki.test:80::$GOOD" --resolve "crl.pki.test:$GOOD:127.0.0.1" --json
expect_in "unavailable: forbidden-address: refused to connect to 127.0.0.1" "forbidden-address in the JSON revocation_crls"
expect_rc 2 "malformed --connect-to" $BIMI cert verify fixtures/pki/good-vmc-registered.pem $P --connect-to crl.pki.test:80
}
exit $((fails > 0))

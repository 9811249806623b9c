#!/bin/bash
# tests/integration-e2e.t — real VMC and CMC chains end to end through nginx + bimi-fcgi + nsd.
#
# The brands of fixtures/e2e/brands.tsv (the certificate bundles of
# $BIMI_UPSTREAM_DIR/bimi/vmc-fixtures, the logos extracted from them) with their DNS served by
# a real nsd on loopback (zones of fixtures/e2e/zones/, origin port filled in), the logos and
# Evidence Documents by a real nginx TLS origin (docroot copied here from upstream, test CA of
# fixtures/tls), and the DKIM-signed messages of fixtures/e2e/messages posted to
# POST /bimi/v1/evaluate through the nginx front of conf/nginx/bimi.conf, with the envelope of
# the relay 192.0.2.10 (forward-confirmed mta.relay.example.net, in every brand's SPF).
#
# Trust store data/bimi-roots.pem (the real BIMI roots), CT logs data/ct-logs.cnf (Gorgon),
# revocation soft. Two evaluation times: [testing] now = 2022-01-01 (cnn and redsift valid,
# the others not yet valid), then the same bimi-fcgi process gets the 2025-06-01 config by
# SIGHUP (cnn and redsift expired; paypal, valimail, globalsign VMC; xometry CMC → logo). The
# rspamd PayPal bundle (wrong intermediate), a Let's Encrypt TLS certificate and a self-signed
# one are none/evidence-invalid at both times, with the certificate check that failed.
#
# For each shown logo: indicator.sha256 = SHA-256 of the SVG extracted from the certificate,
# the certificate's organization is reported, the SVG comes back byte for byte from the front
# and PNGs of the asked sizes have those IHDR sizes. Every authentication_results parses with
# engine/authres (tests/helpers/authres-json) exactly as with python3-authres, dmarc=pass.
#
# TAP; every process is stopped by PID in an EXIT trap. Missing components fail, never skip.
set -u
. "$(dirname "$0")/integration-lib.sh"
int_require
HELPER=$INT_BUILD/tests/helpers/authres-json
[ -x "$HELPER" ] || int_bail "$HELPER is not built (make check builds it)"
VMCDIR=$BIMI_UPSTREAM_DIR/bimi/vmc-fixtures
SVGDIR=$BIMI_UPSTREAM_DIR/bimi/svg
int_setup

mapfile -t BRANDS < <(grep -v '^#' fixtures/e2e/brands.tsv)
# 2 times x (decision with its authres) per brand, + 4 per shown logo, + setup/reload checks
shown=0
for row in "${BRANDS[@]}"; do
  IFS=$'\t' read -r _ _ _ _ d22 _ _ d25 _ _ <<< "$row"
  [ "$d22" != none ] && shown=$((shown + 1))
  [ "$d25" != none ] && shown=$((shown + 1))
done
int_plan $(( ${#BRANDS[@]} * 2 + shown * 4 + 3 ))

# --- the TLS origin: docroot from upstream -------------------------------------
docroot=$INT_TMP/docroot
int_e2e_docroot "$docroot"
int_start_origin "$docroot"

# --- DNS: nsd with the brand zones ---------------------------------------------
int_zone_dir fixtures/e2e/zones "$INT_TMP/zones"
int_start_nsd "$INT_TMP/zones"
out=$("$INT_ROOT/build/bimi" dns TXT default._bimi.cnn.com --forwarder "127.0.0.1@$NSD_PORT" 2>&1)
printf '%s' "$out" | grep -q "l=https://origin.test:$ORIGIN_PORT/cnn/logo.svg"
int_ok $? "nsd on 127.0.0.1:$NSD_PORT serves default._bimi.cnn.com with the origin's port" "$out"

# --- bimi-fcgi at 2022-01-01, nginx front ---------------------------------------
conf=$INT_TMP/bimi.conf
int_fcgi_conf "$conf" 2022-01-01T00:00:00Z
int_start_fcgi "$conf"
int_start_front

org_of() { # the O= of the leaf certificate, read by openssl (a peer of engine/vmc)
  openssl x509 -in "$1" -noout -subject -nameopt multiline,utf8,-esc_msb 2>/dev/null |
    sed -n 's/^ *organizationName *= *//p' | head -n 1
}

run_time() { # COLUMN-OFFSET LABEL
  local col=$1 label=$2 row name domain evidence logo f want reason check out status d sha px
  for row in "${BRANDS[@]}"; do
    IFS=$'\t' read -r -a f <<< "$row"
    name=${f[0]} domain=${f[1]} evidence=${f[2]} logo=${f[3]}
    want=${f[$col]} reason=${f[$((col + 1))]} check=${f[$((col + 2))]}
    out=$INT_TMP/$name-$label.json
    status=$(int_post "fixtures/e2e/messages/$name.eml" "$out" \
      "ip=192.0.2.10&helo=mta.relay.example.net&mail_from=bounce%40$domain")
    local args=(--decision "$want" --reason "$reason" --check "$check" --authres "$HELPER"
                --ar dkim=pass,spf=pass,dmarc=pass --print-sha)
    if [ "$want" != none ]; then
      args+=(--svg "$SVGDIR/$logo" --value "$(org_of "$VMCDIR/$evidence")")
    fi
    d=$($CHECK decision "$out" "${args[@]}" 2>&1)
    local rc=$?
    local what="$want $reason"
    [ "$check" != - ] && what="$what ($check)"
    [ "$status" = 200 ] && [ "$rc" = 0 ]
    int_ok $? "$label $name ($domain): $what; authentication_results parses alike in engine/authres and python3-authres" \
      "HTTP $status" "$d" "$(head -c 600 "$out")"

    [ "$want" = none ] && continue
    sha=$(printf '%s\n' "$d" | tail -n 1)
    curl -sS -o "$INT_TMP/$name.svg" --max-time 20 "http://127.0.0.1:$FRONT_PORT/bimi/v1/logo/$sha.svg"
    cmp -s "$INT_TMP/$name.svg" "$SVGDIR/$logo"
    int_ok $? "$label $name: GET /bimi/v1/logo/$sha.svg is the certificate's SVG"
    for px in 32 64 128; do
      status=$(curl -sS -o "$INT_TMP/$name-$px.png" -w '%{http_code}' --max-time 20 \
        "http://127.0.0.1:$FRONT_PORT/bimi/v1/logo/$sha/$px.png")
      d=$(int_png_size "$INT_TMP/$name-$px.png")
      [ "$status" = 200 ] && [ "$d" = "${px}x$px" ]
      int_ok $? "$label $name: /bimi/v1/logo/<sha256>/$px.png is a ${px}x$px PNG" "HTTP $status, $d"
    done
  done
}

run_time 4 2022

# --- SIGHUP: the same process now evaluates at 2025-06-01 ----------------------
pid_before=$FCGI_PID
lines_before=$(wc -l < "$INT_TMP/fcgi.log")
int_fcgi_conf "$conf" 2025-06-01T00:00:00Z
kill -HUP "$FCGI_PID"
# The reload is done when the service answers the cnn message the 2025 way; bounded.
ok=1
for _ in $(seq 1 50); do
  status=$(int_post fixtures/e2e/messages/cnn.eml "$INT_TMP/probe.json" "ip=192.0.2.10&helo=mta.relay.example.net&mail_from=bounce%40cnn.com")
  if [ "$status" = 200 ] && grep -q '"decision" *: *"none"' "$INT_TMP/probe.json"; then ok=0; break; fi
  sleep 0.2
done
kill -0 "$pid_before" 2>/dev/null && [ "$ok" = 0 ]
int_ok $? "SIGHUP: bimi-fcgi (pid $pid_before) reloads the config with [testing] now = 2025-06-01 and keeps running" \
  "$(tail -n +"$((lines_before + 1))" "$INT_TMP/fcgi.log" | tail -n 20)"

run_time 7 2025

# The origin saw only GETs of the files it has (no 404: every URL in the records exists).
bad=$(awk '$3 != 200 && $3 != 304' "$INT_TMP/origin-access.log")
[ -z "$bad" ] && [ -s "$INT_TMP/origin-access.log" ]
int_ok $? "the TLS origin answered every fetch with 200/304" "$bad"

int_done

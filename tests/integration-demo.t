#!/bin/bash
# tests/integration-demo.t — the demo cases through the whole stack, DNS from a real nsd.
#
# scripts/demo-stack start DIR --dns nsd (nginx TLS origin + CRL server, nsd with the demo zones
# on a free port as bimi-fcgi's [dns] forwarder, bimi-fcgi, the nginx front), free ports for
# everything. For each row of fixtures/demo/messages/index.json, POST /bimi/v1/evaluate with the
# row's envelope through the front:
#   - decision, reason and the caution's signal (issue 19; null: none) equal the row's expect;
#   - a logo row's indicator gives PNGs of the asked sizes (IHDR width and height) at
#     /bimi/v1/logo/<sha256>/<px>.png, and its SVG's SHA-256 is the indicator's;
#   - authentication_results parses with engine/authres (tests/helpers/authres-json) to exactly
#     what python3-authres makes of it.
# The EXIT trap runs demo-stack stop and then kills, by PID, whatever DIR/*.pid still names.
# TAP. Missing components (the demo stack, nsd, nginx, bimi-fcgi) fail, never skip.
set -u
. "$(dirname "$0")/integration-lib.sh"
int_require
HELPER=$INT_BUILD/tests/helpers/authres-json
[ -x "$HELPER" ] || int_bail "$HELPER is not built (make check builds it)"
[ -x scripts/demo-stack ] || int_bail "scripts/demo-stack missing"
INDEX=fixtures/demo/messages/index.json
[ -f "$INDEX" ] || int_bail "$INDEX missing"
int_setup
DEMO=$INT_TMP/demo

demo_cleanup() {
  int_demo_stop "$DEMO"
  int_cleanup
}
trap demo_cleanup EXIT

# One row per line: file, ip, helo, mail_from, decision, reason, caution (tab-separated, "-" = absent).
mapfile -t ROWS < <("$PY" -c 'import json, sys
for r in json.load(open(sys.argv[1])):
    e = r["expect"]
    print("\t".join([r["file"], r.get("ip") or "-", r.get("helo") or "-", r.get("mail_from") or "-",
                     e["decision"], e["reason"], e.get("caution") or "-"]))' "$INDEX")
[ "${#ROWS[@]}" -gt 0 ] || int_bail "no rows in $INDEX"
logos=0
for row in "${ROWS[@]}"; do
  IFS=$'\t' read -r -a f <<< "$row"
  [ "${f[4]}" != none ] && logos=$((logos + 1))
done
SIZES=(32 64 128)
int_plan $(( 1 + ${#ROWS[@]} * 2 + logos * (${#SIZES[@]} + 1) ))

FRONT_PORT=$(int_free_port)
origin=$(int_free_port)
dnsport=$(int_free_port)
out=$(scripts/demo-stack start "$DEMO" --front-port "$FRONT_PORT" --origin-port "$origin" \
        --dns nsd --dns-port "$dnsport" 2>&1)
rc=$?
fwd=$(grep -h '^forwarders' "$DEMO/bimi.conf" 2>/dev/null)
[ "$rc" = 0 ] && printf '%s' "$fwd" | grep -q "127.0.0.1@$dnsport"
int_ok $? "demo-stack start --dns nsd: the front on $FRONT_PORT, bimi-fcgi forwards to nsd ($fwd)" "$out" \
  "$(tail -n 20 "$DEMO"/*.log 2>/dev/null)"
[ "$rc" = 0 ] || int_bail "the demo stack did not start"

urlenc() { "$PY" -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"; }

for row in "${ROWS[@]}"; do
  IFS=$'\t' read -r -a f <<< "$row"
  file=${f[0]} want=${f[4]} reason=${f[5]} caution=${f[6]}
  q=""
  [ "${f[1]}" != - ] && q="${q}&ip=$(urlenc "${f[1]}")"
  [ "${f[2]}" != - ] && q="${q}&helo=$(urlenc "${f[2]}")"
  [ "${f[3]}" != - ] && q="${q}&mail_from=$(urlenc "${f[3]}")"
  out=$INT_TMP/${file%.eml}.json
  status=$(int_post "fixtures/demo/messages/$file" "$out" "${q#&}")
  d=$($CHECK decision "$out" --decision "$want" --reason "$reason" --caution "$caution" 2>&1)
  [ "$status" = 200 ] && [ -z "$d" ]
  int_ok $? "demo $file: $want ($reason), caution $caution" "HTTP $status" "$d" "$(head -c 600 "$out")"

  ar=$($CHECK get "$out" authentication_results 2>&1)
  d=$($CHECK authres "$ar" "$HELPER" 2>&1)
  int_ok $? "demo $file: authentication_results parses alike in engine/authres and python3-authres" "$d"

  [ "$want" = none ] && continue
  sha=$($CHECK get "$out" indicator.sha256 2>&1)
  curl -sS -o "$INT_TMP/logo.svg" --max-time 20 "http://127.0.0.1:$FRONT_PORT/bimi/v1/logo/$sha.svg"
  got=$(sha256sum "$INT_TMP/logo.svg" | cut -d' ' -f1)
  [ "$got" = "$sha" ]
  int_ok $? "demo $file: GET /bimi/v1/logo/$sha.svg hashes to the indicator" "got $got"
  for px in "${SIZES[@]}"; do
    status=$(curl -sS -o "$INT_TMP/logo-$px.png" -w '%{http_code}' --max-time 20 \
      "http://127.0.0.1:$FRONT_PORT/bimi/v1/logo/$sha/$px.png")
    d=$($CHECK png "$INT_TMP/logo-$px.png" "$px" 2>&1)
    int_ok $? "demo $file: /bimi/v1/logo/<sha256>/$px.png is ${px}x$px (HTTP $status)" "$d"
  done
done

int_done

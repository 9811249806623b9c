#!/bin/bash
# tests/lookup-cli.t — `bimi lookup` end to end on fixtures/bimi/bimi.zone through the
# real resolver: discovery outcomes (pass, org-domain fallback, selector, declined,
# several records, none, temperror), the DMARC gate, JSON, and the exit codes of
# DESIGN.md §5 (0 record found and gate ok, 1 none/declined/fail/not enforcing,
# 3 temperror, 2 usage). TAP, run by make check.
set -u
cd "$(dirname "$0")/.." || exit 1
BIMI=build/bimi
Z=(--zone fixtures/bimi/bimi.zone)
if [ ! -x "$BIMI" ]; then echo "Bail out! $BIMI is not built"; exit 1; fi

. tests/lib/tap.sh
CHECK_CMD=("$BIMI" lookup)

echo "1..14"
check "record at the Author Domain, gate enforcing" 0 \
  '^discovery: pass \(BIMI record at default._bimi.brand.example\)' brand.example "${Z[@]}"
check "JSON: l= and a= of the record" 0 '"result" : "pass"' --json brand.example "${Z[@]}"
check "selector promo" 0 'record: v=BIMI1; l=https://brand.example/promo.svg' brand.example --selector promo "${Z[@]}"
check "v=bimi1 is not v=BIMI1: fallback to the Organizational Domain" 0 \
  'BIMI record at default._bimi.brand.example' noise.brand.example "${Z[@]}"
check "the wrong-case v=bimi1 record is named in the query log, and why it does not count" 0 \
  'query: default._bimi.noise.brand.example NOERROR \(0 matching; TXT "v=bimi1;.*" does not count: the version must be exactly v=BIMI1' \
  noise.brand.example "${Z[@]}"
out=$("$BIMI" lookup --json brand.example "${Z[@]}" 2>&1)
printf '%s' "$out" | /usr/bin/python3 -c '
import json, sys
d = json.load(sys.stdin)["dmarc"]
sys.exit(0 if d["checked"] == "policy" and "result" not in d and d["record_found"] is True and d["enforcing"] is True
         and d["policy"] in ("quarantine", "reject") and "enforces" in d["reason"] else 1)'
ok $? "lookup --json: dmarc says what was checked (policy found, enforcing), no invented result"
check "declination record" 1 '^discovery: declined' optout.brand.example "${Z[@]}"
check "two records: fail" 1 '^discovery: fail \(2 BIMI records' multi.example "${Z[@]}"
check "no record: none" 1 '^discovery: none' nosuch.example "${Z[@]}"
check "record lookup times out: temperror" 3 'temperror' nosuch.example "${Z[@]}" \
  --dns-timeout default._bimi.nosuch.example
check "usage: no domain" 2 '' "${Z[@]}"
check "l= ending in .png: permanent error naming the suffix" 1 \
  '^discovery: fail \(invalid BIMI record at default._bimi.png.example: l= .*\.png image' png.example "${Z[@]}"
check "l= ending in .png: JSON result fail" 1 '"result" : "fail"' --json png.example "${Z[@]}"
check "an empty tag-spec (;;) makes the record invalid" 1 \
  '^discovery: fail \(invalid BIMI record at default._bimi.emptytag.example: record: empty tag-spec' \
  emptytag.example "${Z[@]}"
exit $((fails > 0))

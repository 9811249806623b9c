#!/bin/bash
# tests/dmarc-cli.t — `bimi dmarc` end to end: SPF + DKIM + DMARC of real RFC
# example messages through offline zones and the real resolver; exit codes of
# DESIGN.md §5 (0 dmarc=pass, 1 fail/none/permerror, 3 temperror, 2 usage)
# and the exact Authentication-Results text. TAP, run by make check.
set -u
cd "$(dirname "$0")/.." || exit 1
BIMI=build/bimi
UP=${BIMI_UPSTREAM_DIR:-../shared/upstream}
RFC=$UP/rfc-dkim-examples
if [ ! -d "$RFC" ]; then
  if [ -n "${BIMI_ALLOW_MISSING_UPSTREAM:-}" ]; then echo "1..0 # SKIP no upstream data"; exit 0; fi
  echo "1..1"; echo "not ok 1 - upstream data missing at $RFC"; exit 1
fi
ZONES=(--zone fixtures/dmarc/football.zone --zone "$RFC/rfc8463-keys.zone" --zone "$RFC/rfc6376-appendix-C.zone")
A3=$RFC/rfc8463-appendix-A3.eml
A2=$RFC/rfc6376-appendix-A2.eml

. tests/lib/tap.sh
CHECK_CMD=("$BIMI" dmarc)

echo "1..8"
# The HELO identity is checked on its own too (RFC 7208 §2.3), as the service does: the same A-R (issue 14).
check "RFC 8463 message, aligned SPF and DKIM: pass" 0 \
  '^Authentication-Results: mx.example.net; spf=pass smtp.mailfrom=joe@football.example.com; spf=none smtp.helo=mail.football.example.com; dkim=pass header.d=football.example.com header.s=brisbane .*; dmarc=pass header.from=football.example.com' \
  "${ZONES[@]}" --ip 192.0.2.25 --helo mail.football.example.com --mail-from joe@football.example.com \
  --authserv-id mx.example.net "$A3"
check "SPF fails, aligned DKIM still passes DMARC" 0 'dmarc=pass' \
  "${ZONES[@]}" --ip 203.0.113.9 --helo evil.example --mail-from x@evil.example "$A3"
check "JSON fills aligned_with_from" 0 '"aligned_with_from" : true' --json "${ZONES[@]}" "$A3"
# RFC 6376 A.2: the body hash fails, the d=example.com signature cannot align; SPF from outside fails.
check "broken DKIM + foreign SPF: fail, disposition from sp" 1 'dmarc=fail .*policy.dmarc=quarantine' \
  "${ZONES[@]}" --ip 203.0.113.9 --helo evil.example --mail-from joe@football.example.com "$A2"
check "broken DKIM + aligned SPF: pass via SPF" 0 'spf aligned via football.example.com' \
  "${ZONES[@]}" --ip 192.0.2.25 --helo mail.football.example.com --mail-from joe@football.example.com "$A2"
check "policy lookup times out: temperror" 3 'dmarc=temperror' \
  --zone "$RFC/rfc6376-appendix-C.zone" --dns-timeout _dmarc.football.example.com --dns-timeout _dmarc.example.com "$A2"
check "no DMARC record: none" 1 'dmarc=none' --zone "$RFC/rfc6376-appendix-C.zone" "$A2"
check "usage: --ip without identity" 2 'needs --mail-from' --ip 192.0.2.1 "$A3"
exit $((fails > 0))

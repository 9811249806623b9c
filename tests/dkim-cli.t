#!/bin/bash
# tests/dkim-cli.t — `bimi dkim` end to end: offline zone files through the
# real resolver (engine/dns), the text and JSON outputs, the exit codes of
# DESIGN.md §5 (0 a signature passes, 1 none passes, 3 temperror and no
# pass, 2 usage). Data: $BIMI_UPSTREAM_DIR/rfc-dkim-examples and the dkimpy
# corpus in fixtures/dkim/. Prints TAP; run by `make check` through prove.
set -u
cd "$(dirname "$0")/.." || exit 1
BIMI=build/bimi
UP=${BIMI_UPSTREAM_DIR:-../shared/upstream}
RFC=$UP/rfc-dkim-examples
if [ ! -x "$BIMI" ]; then echo "Bail out! $BIMI is not built"; exit 1; fi

. tests/lib/tap.sh

# check NAME WANT_RC WANT_GREP ARGS...
CHECK_CMD=("$BIMI" dkim)

echo "1..12"
check "rfc8463 both pass" 0 'dkim=pass header.d=football.example.com header.s=test header.a=rsa-sha256' \
  --zone "$RFC/rfc8463-keys.zone" --at 2018-06-10T13:38:29Z "$RFC/rfc8463-appendix-A3.eml"
check "rfc8463 json" 0 '"a" : "ed25519-sha256"' --json --zone "$RFC/rfc8463-keys.zone" "$RFC/rfc8463-appendix-A3.eml"
check "rfc8463 json aligned_with_from null" 0 '"aligned_with_from" : null' --json --zone "$RFC/rfc8463-keys.zone" "$RFC/rfc8463-appendix-A3.eml"
check "rfc6376 A.2 body hash" 1 'dkim=fail .*\(body hash mismatch\)' --zone "$RFC/rfc6376-appendix-C.zone" "$RFC/rfc6376-appendix-A2.eml"
check "no key" 1 'dkim=permerror .*\(no key\)' --zone "$RFC/rfc8463-keys.zone" "$RFC/rfc6376-appendix-A2.eml"
check "key lookup timeout" 3 'dkim=temperror' --zone "$RFC/rfc8463-keys.zone" \
  --dns-timeout brisbane._domainkey.example.com "$RFC/rfc6376-appendix-A2.eml"
check "one of two signatures verified" 0 'too many signatures' --max-signatures 1 \
  --zone "$RFC/rfc8463-keys.zone" "$RFC/rfc8463-appendix-A3.eml"
check "no signature" 1 'dkim=none' --zone "$RFC/rfc8463-keys.zone" fixtures/messages/simple-crlf.eml
check "stdin" 0 'dkim=pass' --zone "$RFC/rfc8463-keys.zone" - < "$RFC/rfc8463-appendix-A3.eml"
check "bad --at" 2 'not RFC 3339' --at yesterday "$RFC/rfc8463-appendix-A3.eml"
check "no file" 2 'exactly one message' --zone "$RFC/rfc8463-keys.zone"
check "bad --max-signatures" 2 'max-signatures' --max-signatures 999 "$RFC/rfc8463-appendix-A3.eml"
exit $((fails > 0))

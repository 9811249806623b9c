#!/bin/bash
# tests/arc-cli.t — `bimi arc` and the ARC part of `bimi dmarc` end to end on
# the dkimpy-sealed list messages of fixtures/arc/ (offline zone): exit codes,
# JSON shape, the arc= A-R resinfo and the trusted-sealer override. TAP.
set -u
cd "$(dirname "$0")/.." || exit 1
BIMI=build/bimi
Z=(--zone fixtures/arc/arc.zone --at @1700000100)
. tests/lib/tap.sh
CHECK_CMD=("$BIMI")
echo "1..13"
check "two-set chain passes" 0 '^arc=pass header.oldest-pass=0 \(2 ARC sets verified\)' arc "${Z[@]}" fixtures/arc/list-trusted-fwd.eml
check "JSON shape" 0 '"oldest_pass" : 0' arc --json "${Z[@]}" fixtures/arc/list-trusted.eml
check "JSON sets carry the sealer" 0 '"d" : "lists.trusted.example"' arc --json "${Z[@]}" fixtures/arc/list-trusted.eml
check "no key: fail, exit 1" 1 '^arc=fail .*no key' arc --zone /dev/null fixtures/arc/list-trusted.eml
check "no ARC: none, exit 1" 1 '^arc=none' arc "${Z[@]}" fixtures/dkim/rsa1024-simple-simple.eml
check "usage: exit 2" 2 '' arc
check "trusted sealer: policy.override=arc, disposition none" 1 \
  'arc=pass header.oldest-pass=0 smtp.remote-ip=198.51.100.7; dmarc=fail header.from=brand.example policy.dmarc=none polrec.p=reject policy.override=arc policy.arc-sealer=lists.trusted.example$' \
  dmarc "${Z[@]}" --authserv-id mx.example --trusted-arc-sealer lists.trusted.example --ip 198.51.100.7 \
  --mail-from list-bounces@lists.trusted.example fixtures/arc/list-trusted.eml
check "untrusted sealer: plain fail, disposition reject" 1 'dmarc=fail header.from=brand.example policy.dmarc=reject polrec.p=reject$' \
  dmarc "${Z[@]}" --authserv-id mx.example --trusted-arc-sealer lists.trusted.example --ip 198.51.100.7 \
  --mail-from list-bounces@lists.untrusted.example fixtures/arc/list-untrusted.eml
# The trusted sealer's AAR variants (fixtures/arc/generate.py VARIANTS).
D=(dmarc --authserv-id mx.example --trusted-arc-sealer lists.trusted.example --ip 198.51.100.7
   --mail-from list-bounces@lists.trusted.example)
check "trusted sealer saw dmarc=fail: no override" 1 'dmarc=fail header.from=brand.example policy.dmarc=reject polrec.p=reject$' \
  "${D[@]}" "${Z[@]}" fixtures/arc/list-trusted-dmarc-fail.eml
check "trusted sealer, spf=pass smtp.mfrom of a subdomain, relaxed: override" 1 \
  'policy.dmarc=none polrec.p=reject policy.override=arc policy.arc-sealer=lists.trusted.example$' \
  "${D[@]}" "${Z[@]}" fixtures/arc/list-trusted-spf-mfrom.eml
# The same keys under a strict record (adkim=s aspf=s).
strict=$(mktemp) || exit 1
trap 'rm -f "$strict"' EXIT
grep -v '^_dmarc\.' fixtures/arc/arc.zone > "$strict"
echo '_dmarc.brand.example. IN TXT "v=DMARC1; p=reject; adkim=s; aspf=s"' >> "$strict"
S=(--zone "$strict" --at @1700000100)
check "strict record: AAR dkim=pass of a subdomain does not align" 1 \
  'dmarc=fail header.from=brand.example policy.dmarc=reject polrec.p=reject$' "${D[@]}" "${S[@]}" fixtures/arc/list-trusted-dkim-sub.eml
check "strict record: AAR spf=pass smtp.mfrom of a subdomain does not align" 1 \
  'dmarc=fail header.from=brand.example policy.dmarc=reject polrec.p=reject$' "${D[@]}" "${S[@]}" fixtures/arc/list-trusted-spf-mfrom.eml
check "strict record: AAR dkim=pass header.i=news@brand.example aligns" 1 \
  'policy.dmarc=none polrec.p=reject policy.override=arc policy.arc-sealer=lists.trusted.example$' \
  "${D[@]}" "${S[@]}" fixtures/arc/list-trusted-dkim-i.eml
exit $((fails > 0))

#!/bin/bash
# tests/arc-cli.t — `bimi arc` and the ARC part of `bimi dmarc` end to end on
# the dkimpy-sealed list messages of fixtures/arc/ (offline zone): exit codes,
# JSON shape, the arc= A-R resinfo and the trusted-sealer override. TAP.
set -u
cd "$(dirname "$0")/.." || exit 1
BIMI=build/bimi
Z=(--zone fixtures/arc/arc.zone --at @1700000100)
n=0; fails=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fails=$((fails + 1)); fi; }
check() {
  local name=$1 want=$2 pattern=$3; shift 3
  local out rc
  out=$("$BIMI" "$@" 2>&1); rc=$?
  if [ "$rc" != "$want" ]; then echo "# $name: exit $rc, want $want; output: $out"; ok 1 "$name"; return; fi
  if [ -n "$pattern" ] && ! printf '%s\n' "$out" | grep -Eq -- "$pattern"; then
    echo "# $name: output lacks /$pattern/: $out"; ok 1 "$name"; return
  fi
  ok 0 "$name"
}
echo "1..8"
check "two-set chain passes" 0 '^arc=pass header.oldest-pass=0 \(2 ARC sets verified\)' arc "${Z[@]}" fixtures/arc/list-trusted-fwd.eml
check "JSON shape" 0 '"oldest_pass" : 0' arc --json "${Z[@]}" fixtures/arc/list-trusted.eml
check "JSON sets carry the sealer" 0 '"d" : "lists.trusted.example"' arc --json "${Z[@]}" fixtures/arc/list-trusted.eml
check "no key: fail, exit 1" 1 '^arc=fail .*no key' arc --zone /dev/null fixtures/arc/list-trusted.eml
check "no ARC: none, exit 1" 1 '^arc=none' arc "${Z[@]}" fixtures/dkim/rsa1024-simple-simple.eml
check "usage: exit 2" 2 '' arc
check "trusted sealer: policy.override=arc, disposition none" 1 \
  'arc=pass header.oldest-pass=0 smtp.remote-ip=198.51.100.7; dmarc=fail header.from=brand.example policy.dmarc=none policy.override=arc policy.arc-sealer=lists.trusted.example$' \
  dmarc "${Z[@]}" --authserv-id mx.example --trusted-arc-sealer lists.trusted.example --ip 198.51.100.7 \
  --mail-from list-bounces@lists.trusted.example fixtures/arc/list-trusted.eml
check "untrusted sealer: plain fail, disposition reject" 1 'dmarc=fail header.from=brand.example policy.dmarc=reject$' \
  dmarc "${Z[@]}" --authserv-id mx.example --trusted-arc-sealer lists.trusted.example --ip 198.51.100.7 \
  --mail-from list-bounces@lists.untrusted.example fixtures/arc/list-untrusted.eml
exit $((fails > 0))

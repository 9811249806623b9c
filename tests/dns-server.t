#!/bin/bash
# tests/dns-server.t — the DNS layer against a real authoritative server.
#
# Starts nsd on 127.0.0.1 (a free high port) serving fixtures/dns/example.zone
# (split into its two zones, each given the SOA and NS that nsd requires),
# then asks `build/bimi dns ... --forwarder 127.0.0.1@PORT` the same questions
# as `build/bimi dns ... --zone fixtures/dns/example.zone` and checks that both
# give the same exit code, status, canonical name and records (TTLs aside:
# offline negative answers have TTL 0, nsd's carry the SOA minimum).
#
# libunbound in forward mode accepts nsd's authoritative answers (AA set, RA
# clear) as they are: no stub zone is needed.
#
# Prints TAP; run by `make check` through prove. nsd is stopped by PID in an
# EXIT trap, also when a check fails. Skips only when the nsd binary is not
# installed; an nsd that is installed but does not start (or a bimi that is
# not built) is a failure, not a skip: a broken test server must not hide
# the online checks.
set -u

cd "$(dirname "$0")/.." || exit 1
BIMI=build/bimi
FIXTURE=fixtures/dns/example.zone

NSD=$(command -v nsd 2>/dev/null || true)
[ -z "$NSD" ] && [ -x /usr/sbin/nsd ] && NSD=/usr/sbin/nsd
if [ -z "$NSD" ]; then
  echo "Bail out! nsd is not installed (scripts/install-deps installs it)"
  exit 1
fi
if [ ! -x "$BIMI" ]; then
  echo "Bail out! $BIMI is not built"
  exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/bimi-nsd.XXXXXX")
nsd_pid=""
cleanup() {
  if [ -n "$nsd_pid" ]; then
    kill "$nsd_pid" 2>/dev/null
    wait "$nsd_pid" 2>/dev/null
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# --- zones: the fixture split at its second $ORIGIN, SOA and NS added --------
soa_ns() {
  printf '$ORIGIN %s.\n$TTL 3600\n@ IN SOA ns.example.com. hostmaster.example.com. 1 3600 600 86400 300\n' "$1"
  printf '@ IN NS ns.example.com.\n'
}
{
  soa_ns example.com
  echo 'ns IN A 127.0.0.1'
  awk '/^\$ORIGIN 2\.0\.192\.in-addr\.arpa\./ { exit } { print }' "$FIXTURE"
} > "$tmp/example.com.zone"
{
  soa_ns 2.0.192.in-addr.arpa
  awk '/^\$ORIGIN 2\.0\.192\.in-addr\.arpa\./ { on = 1 } on { print }' "$FIXTURE"
} > "$tmp/2.0.192.in-addr.arpa.zone"

. tests/lib/net.sh

start_nsd() {
  { nsd_server_conf "$tmp" "$tmp" "$port"; cat <<EOF; } > "$tmp/nsd.conf"
zone:
  name: "example.com"
  zonefile: "example.com.zone"
zone:
  name: "2.0.192.in-addr.arpa"
  zonefile: "2.0.192.in-addr.arpa.zone"
EOF
  "$NSD" -d -c "$tmp/nsd.conf" >> "$tmp/nsd.log" 2>&1 &
  nsd_pid=$!
  for _ in $(seq 1 50); do
    if ! kill -0 "$nsd_pid" 2>/dev/null; then
      wait "$nsd_pid" 2>/dev/null
      nsd_pid=""
      return 1
    fi
    if "$BIMI" dns A example.com --forwarder "127.0.0.1@$port" --timeout-ms 300 >/dev/null 2>&1; then
      return 0
    fi
    sleep 0.1
  done
  return 1
}

started=""
for attempt in 1 2 3 4 5; do
  port=$(free_port)
  [ -z "$port" ] && port=$((20000 + RANDOM % 30000))
  if start_nsd; then
    started=1
    break
  fi
  [ -n "$nsd_pid" ] && { kill "$nsd_pid" 2>/dev/null; wait "$nsd_pid" 2>/dev/null; nsd_pid=""; }
done
if [ -z "$started" ]; then
  echo "1..1"
  echo "not ok 1 - nsd ($NSD) is installed but did not start (its log below)"
  sed 's/^/# /' "$tmp/nsd.log" 2>/dev/null
  exit 1
fi

# --- the questions -----------------------------------------------------------
queries=(
  "TXT _dmarc.example.com"
  "AAAA _dmarc.example.com"
  "A nothing.example.com"
  "TXT _bimi.example.com"
  "TXT default._bimi.example.com"
  "TXT brisbane._domainkey.example.com"
  "TXT escaped.example.com"
  "TXT example.com"
  "SPF example.com"
  "A example.com"
  "AAAA example.com"
  "MX example.com"
  "A www.example.com"
  "A smtp.example.com"
  "TXT smtp.example.com"
  "CNAME www.example.com"
  "A mail.example.com"
  "AAAA mail2.example.com"
  "PTR 10.2.0.192.in-addr.arpa"
  "PTR 25.2.0.192.in-addr.arpa"
  "PTR 26.2.0.192.in-addr.arpa"
  "PTR 99.2.0.192.in-addr.arpa"
  "A 25.2.0.192.in-addr.arpa"
)
echo "1..$(( ${#queries[@]} + 5 ))"
n=0
fail=0

# The human output without TTLs, lines sorted (record order may differ):
# "NAME TYPE: STATUS", "canonical name: ...", one "TYPE DATA" line per record.
normalize() {
  grep -v '^ttl: ' | sed -E 's/^([A-Z]+) [0-9]+ /\1 /' | LC_ALL=C sort
}

for q in "${queries[@]}"; do
  n=$((n + 1))
  # shellcheck disable=SC2086
  offline=$("$BIMI" dns $q --zone "$FIXTURE" 2>&1); off_rc=$?
  # shellcheck disable=SC2086
  online=$("$BIMI" dns $q --forwarder "127.0.0.1@$port" 2>&1); on_rc=$?
  a=$(printf '%s\n' "$offline" | normalize)
  b=$(printf '%s\n' "$online" | normalize)
  status=$(printf '%s\n' "$offline" | head -n 1 | sed -E 's/^.*: //')
  if [ "$off_rc" = "$on_rc" ] && [ "$a" = "$b" ] && [ "$off_rc" != 2 ]; then
    echo "ok $n - $q: $status (exit $on_rc) online and offline"
  else
    echo "not ok $n - $q: offline (exit $off_rc) and online (exit $on_rc) differ"
    printf '%s\n' "offline:" "$a" "online:" "$b" | sed 's/^/# /'
    fail=1
  fi
done

# The three outcomes really occur (the comparison alone could pass on two).
n=$((n + 1))
nx=$("$BIMI" dns A nothing.example.com --forwarder "127.0.0.1@$port"); nx_rc=$?
nd=$("$BIMI" dns AAAA _dmarc.example.com --forwarder "127.0.0.1@$port"); nd_rc=$?
ok=$("$BIMI" dns TXT _dmarc.example.com --forwarder "127.0.0.1@$port"); ok_rc=$?
if [ "$nx_rc" = 1 ] && [ "$nd_rc" = 1 ] && [ "$ok_rc" = 0 ] &&
   printf '%s' "$nx" | grep -q ': NXDOMAIN$' && printf '%s' "$nd" | grep -q ': NODATA$' &&
   printf '%s' "$ok" | grep -q '"v=DMARC1; p=reject; rua=mailto:dmarc@example.com"'; then
  echo "ok $n - online NOERROR, NODATA and NXDOMAIN told apart"
else
  echo "not ok $n - online NOERROR, NODATA and NXDOMAIN told apart"
  printf '%s\n' "$nx" "$nd" "$ok" | sed 's/^/# /'
  fail=1
fi

# The fault list online: data still answers, the rest times out.
n=$((n + 1))
out=$("$BIMI" dns AAAA _dmarc.example.com --forwarder "127.0.0.1@$port" --dns-timeout _dmarc.example.com); rc=$?
out2=$("$BIMI" dns TXT _dmarc.example.com --forwarder "127.0.0.1@$port" --dns-timeout _dmarc.example.com); rc2=$?
if [ "$rc" = 3 ] && printf '%s' "$out" | grep -q 'TEMPERROR (timeout)' && [ "$rc2" = 0 ]; then
  echo "ok $n - --dns-timeout online: AAAA temperror, TXT answers"
else
  echo "not ok $n - --dns-timeout online: AAAA temperror (exit $rc), TXT answers (exit $rc2)"
  printf '%s\n' "$out" "$out2" | sed 's/^/# /'
  fail=1
fi

# Positive TTLs come from the zone (nsd serves the fixture's TTLs).
n=$((n + 1))
out=$("$BIMI" dns A mail.example.com --forwarder "127.0.0.1@$port")
if printf '%s\n' "$out" | grep -Eq '^A (300|29[0-9]) 192\.0\.2\.25$'; then
  echo "ok $n - TTL of mail.example.com A is the zone's 300 s"
else
  echo "not ok $n - TTL of mail.example.com A is the zone's 300 s"
  printf '%s\n' "$out" | sed 's/^/# /'
  fail=1
fi

# DNSSEC: a trust anchor for example.com (a made-up DS: no key of the zone
# matches it) makes nsd's unsigned answers bogus, which is TEMPERROR with a
# "bogus: ..." detail (exit 3); without an anchor the same question is NOERROR.
printf '%s\n' 'example.com. 3600 IN DS 12345 13 2 0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF' \
  > "$tmp/bogus.ds"
n=$((n + 1))
out=$("$BIMI" dns TXT _dmarc.example.com --forwarder "127.0.0.1@$port" --trust-anchor "$tmp/bogus.ds" 2>&1); rc=$?
if [ "$rc" = 3 ] && printf '%s\n' "$out" | head -n 1 | grep -q '^_dmarc.example.com TXT: TEMPERROR (bogus: '; then
  echo "ok $n - --trust-anchor with a DS the zone does not match: TEMPERROR (bogus), exit 3"
  printf "%s\n" "$out" | head -n 1 | sed "s/^/# /"
else
  echo "not ok $n - --trust-anchor with a DS the zone does not match: TEMPERROR (bogus), exit 3 (got exit $rc)"
  printf '%s\n' "$out" | sed 's/^/# /'
  fail=1
fi
n=$((n + 1))
out=$("$BIMI" dns TXT _dmarc.example.com --forwarder "127.0.0.1@$port" 2>&1); rc=$?
if [ "$rc" = 0 ] && printf '%s\n' "$out" | head -n 1 | grep -q '^_dmarc.example.com TXT: NOERROR$'; then
  echo "ok $n - the same question without the anchor: NOERROR"
else
  echo "not ok $n - the same question without the anchor: NOERROR (got exit $rc)"
  printf '%s\n' "$out" | sed 's/^/# /'
  fail=1
fi

exit $fail

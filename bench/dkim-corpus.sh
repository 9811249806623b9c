#!/bin/bash
# bench/dkim-corpus.sh — DKIM verification over a corpus of real-shaped
# messages, ours against `opendkim -t` over the same files (issue 21).
#
# 1. bench/dkim-corpus.py generates the corpus once (deterministic; kept in
#    build/bench/dkim-corpus-N until the generator or the fixture keys change):
#    N messages (BENCH_DKIM_MESSAGES, default 2000), ~47 KB mean, signed by
#    dkimpy with the fixture keys (rsa2048, rsa1024, ed25519; r/r, r/s, s/s;
#    one in ten twice).
# 2. nsd serves fixtures/dkim/dkim.zone on a loopback address, port 53 (OpenDKIM's
#    Nameservers setting takes addresses, not ports).
# 3. Alternately, BENCH_DKIM_ROUNDS times (default 3): build/bench/dkim-corpus
#    (one process: read, bimi_message_parse, bimi_dkim_verify, keys through
#    engine/dns and the decoded-key cache, as bimi-fcgi does), then
#    `opendkim -t` over the same files (one process, QueryCache on, keys from
#    the same nsd). Prints messages/s of each per CPU second (user + sys of the
#    process) and per wall second, and the ratio ours / OpenDKIM.
# OpenDKIM missing (Debian packages opendkim, opendkim-tools) or port 53 not
# bindable (not root): the peer is skipped with a line saying so.
set -eu
cd "$(dirname "$0")/.."
N=${BENCH_DKIM_MESSAGES:-2000}
ROUNDS=${BENCH_DKIM_ROUNDS:-3}
PY=/usr/bin/python3
variant=$(cat build/.variant 2>/dev/null || echo release)
# the Makefile links every bench/*.c as build/bench/<name> against the library `make` built
make -s --no-print-directory build/bench/dkim-corpus
[ "$variant" = release ] || echo "# note: library variant is '$variant', not release: figures are not representative"

# ---- the corpus ----
corpus=build/bench/dkim-corpus-$N
stamp=$(cat bench/dkim-corpus.py fixtures/dkim/keys/*.pem | sha256sum | cut -c1-16)
if [ "$(cat "$corpus/.stamp" 2>/dev/null)" != "$stamp" ]; then
  echo "# generating $N messages in $corpus (once; dkimpy)"
  rm -rf "$corpus" "$corpus.tmp"
  "$PY" bench/dkim-corpus.py "$corpus.tmp" "$N"
  echo "$stamp" > "$corpus.tmp/.stamp"
  mv "$corpus.tmp" "$corpus"
fi
awk -F'\t' 'NR > 1 { n++; b += $2; s += split($3, x, " "); if (split($3, x, " ") > 1) d++ }
  END { printf "corpus: %d messages, %.1f KB mean, %d signatures (%d messages signed twice)\n", n, b / n / 1000, s, d }' \
  "$corpus/manifest.tsv"
awk -F'\t' 'NR > 1 { n = split($3, x, " "); for (i = 1; i <= n; i++) { split(x[i], y, ":"); c[y[1] " " y[2]]++ } }
  END { for (k in c) printf "  %-26s %d\n", k, c[k] }' "$corpus/manifest.tsv" | sort

# ---- nsd on loopback, port 53 ----
tmp=$(mktemp -d)
nsd_pid=
cleanup() { [ -n "$nsd_pid" ] && kill "$nsd_pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
addr=
for try in 1 2 3 4 5; do
  a="127.$((RANDOM % 200 + 20)).$((RANDOM % 250 + 1)).53"
  if "$PY" -c 'import socket, sys
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind((sys.argv[1], 53))
t = socket.socket(); t.bind((sys.argv[1], 53))' "$a" 2>/dev/null; then addr=$a; break; fi
done
if [ -z "$addr" ]; then
  echo "dkim-corpus: cannot bind port 53 on loopback (not root?): benchmark skipped"
  exit 0
fi
mkdir -p "$tmp/zones"
{ printf '$ORIGIN example.com.\n$TTL 3600\n@ IN SOA ns.example.com. hostmaster.example.com. 1 3600 600 86400 300\n'
  printf '@ IN NS ns.example.com.\nns IN A %s\n' "$addr"
  grep -v '^\$ORIGIN\|^\$TTL' fixtures/dkim/dkim.zone; } > "$tmp/zones/example.com.zone"
cat > "$tmp/nsd.conf" <<CONF
server:
  ip-address: $addr@53
  do-ip6: no
  username: ""
  chroot: ""
  zonesdir: "$tmp/zones"
  pidfile: "$tmp/nsd.pid"
  database: ""
  zonelistfile: "$tmp/zone.list"
  xfrdfile: "$tmp/xfrd.state"
  xfrdir: "$tmp"
  logfile: "$tmp/nsd.log"
  server-count: 1
  verbosity: 1
zone:
  name: example.com
  zonefile: example.com.zone
CONF
/usr/sbin/nsd -d -c "$tmp/nsd.conf" > /dev/null 2>&1 &
nsd_pid=$!
for _ in $(seq 50); do
  grep -q "zone example.com read with success" "$tmp/nsd.log" 2>/dev/null && break
  sleep 0.1
done
grep -q "read with success" "$tmp/nsd.log" || { cat "$tmp/nsd.log"; echo "dkim-corpus: nsd did not start"; exit 1; }

have_peer=1
if ! command -v opendkim > /dev/null && [ ! -x /usr/sbin/opendkim ]; then
  have_peer=0
  echo "opendkim: not installed (Debian packages opendkim, opendkim-tools): peer skipped"
fi
OPENDKIM=$(command -v opendkim || echo /usr/sbin/opendkim)
printf 'Mode v\nSyslog no\nQueryCache yes\nNameservers %s\n' "$addr" > "$tmp/opendkim.conf"

files=$(cd "$corpus" && ls ./*.eml)
list=$(printf '%s\n' $files | paste -sd,)
ours_bin=$PWD/build/bench/dkim-corpus
div() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.4f", a / b }'; }
# run NAME CMD...: one timed run in the corpus directory; sets cpu, wall
run() {
  local name=$1 out
  shift
  out=$( { TIMEFORMAT='%R %U %S'; time ( cd "$corpus" && "$@" > "$tmp/$name.out" 2> "$tmp/$name.err" ); } 2>&1 )
  wall=$(echo "$out" | awk '{ print $1 }')
  cpu=$(echo "$out" | awk '{ print $2 + $3 }')
}
printf '%-6s %-10s %10s %10s %12s %12s\n' round verifier "cpu s" "wall s" "msgs/cpu-s" "msgs/wall-s"
for r in $(seq "$ROUNDS"); do
  run ours "$ours_bin" "$addr@53" $files
  ours_check=$(cat "$tmp/ours.out")
  echo "$cpu $wall" >> "$tmp/ours.times"
  printf '%-6s %-10s %10.2f %10.2f %12.0f %12.0f\n' "$r" ours "$cpu" "$wall" "$(div $N $cpu)" \
    "$(div $N $wall)"
  if [ "$have_peer" = 1 ]; then
    run opendkim "$OPENDKIM" -x "$tmp/opendkim.conf" -t "$list"
    echo "$cpu $wall" >> "$tmp/opendkim.times"
    printf '%-6s %-10s %10.2f %10.2f %12.0f %12.0f\n' "$r" opendkim "$cpu" "$wall" "$(div $N $cpu)" \
      "$(div $N $wall)"
  fi
done
echo "ours: $ours_check"
grep -q "pass $(echo "$ours_check" | awk '{ print $4 }') fail 0 other 0" <<< "$ours_check" ||
  { head -5 "$tmp/ours.err"; echo "dkim-corpus: not every signature passed"; exit 1; }
# best round of each (least disturbed by the rest of the machine)
best() { sort -n "$1" | head -1; }
read -r ours_cpu ours_wall <<< "$(best "$tmp/ours.times")"
printf 'ours      best of %d: %.0f msgs/cpu-s, %.0f msgs/wall-s\n' "$ROUNDS" "$(div $N $ours_cpu)" \
  "$(div $N $ours_wall)"
if [ "$have_peer" = 1 ]; then
  ok=$(cat "$tmp/opendkim.out" "$tmp/opendkim.err" | grep -c "succeeded" || true)
  echo "opendkim: $ok of $N messages reported 'verification ... succeeded'"
  read -r od_cpu od_wall <<< "$(best "$tmp/opendkim.times")"
  printf 'opendkim  best of %d: %.0f msgs/cpu-s, %.0f msgs/wall-s\n' "$ROUNDS" "$(div $N $od_cpu)" \
    "$(div $N $od_wall)"
  printf 'ratio ours / opendkim -t: %.2f per CPU second, %.2f per wall second (goal >= 4)\n' \
    "$(div $od_cpu $ours_cpu)" "$(div $od_wall $ours_wall)"
fi

#!/bin/bash
# tests/integration-unrenderable.t — issue 13: logos that validate as SVG Tiny PS but cannot be rendered
# within the render workers' limits are never promised, and cannot starve the renders of other brands.
#
# scripts/demo-stack start DIR (zone files), then DIR/bimi.conf gets [policy] logo_without_evidence = logo
# and [render] deadline_ms = 1000 and bimi-fcgi reloads (SIGHUP). The demo brand noevidence.demo.test
# publishes three more selectors (fixtures/demo/demo.zone.in) whose l= logos are fixtures/render/
# use-bomb.svg (<use> amplification), nan-viewbox.svg and heavy-path.svg (thousands of crossing beziers,
# just under 32 KiB), served by the demo origin. Through the nginx front:
#   - GET /bimi/v1/domain/noevidence.demo.test?selector=S: decision none, reason svg-unrenderable, no indicator;
#   - their PNG and SVG URLs (the hashes are computable offline) never answer 5xx;
#   - the normal brands' render misses (the PNG deleted from the store, then requested) measured alone and
#     while 8 clients loop on the hostile PNG URLs (and their domain status): every miss is a 200 PNG, and
#     the p50s are PRINTED alone, under a control load (8 clients on never-stored hashes: plain 404s) and
#     under the hostile load, with the ratios (the issue wants loaded <= 2x unloaded; no time is asserted);
#   - the metrics count the three unrenderable logos, each probed once.
# The EXIT trap stops the load clients and the demo stack by PID. TAP.
set -u
. "$(dirname "$0")/integration-lib.sh"
int_require
[ -x scripts/demo-stack ] || int_bail "scripts/demo-stack missing"
int_setup
DEMO=$INT_TMP/demo
LOAD_PIDS=()

unrenderable_cleanup() {
  local pid
  touch "$INT_TMP/stop" 2>/dev/null
  for pid in "${LOAD_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  int_demo_stop "$DEMO"
  int_cleanup
}
trap unrenderable_cleanup EXIT

SELECTORS=(usebomb nanbox heavy)
FILES=(fixtures/render/use-bomb.svg fixtures/render/nan-viewbox.svg fixtures/render/heavy-path.svg)
SIZES=(16 32 64 128 256 512)
MISSES=15
int_plan $(( 2 + ${#SELECTORS[@]} + 5 ))

FRONT_PORT=$(int_free_port)
origin=$(int_free_port)
out=$(scripts/demo-stack start "$DEMO" --front-port "$FRONT_PORT" --origin-port "$origin" 2>&1)
rc=$?
int_ok $rc "demo-stack start: the front on $FRONT_PORT" "$out" "$(tail -n 20 "$DEMO"/*.log 2>/dev/null)"
[ "$rc" = 0 ] || int_bail "the demo stack did not start"
API=http://127.0.0.1:$FRONT_PORT/bimi/v1

# The policy that shows a logo without evidence, and a 1 s render deadline; reload.
sed -i -e 's/^logo_without_evidence = none/logo_without_evidence = logo/' \
       -e 's/^\[render\]$/[render]\ndeadline_ms = 1000/' "$DEMO/bimi.conf"
kill -HUP "$(cat "$DEMO/bimi-fcgi.pid")"
reason=""
for _ in $(seq 100); do
  curl -sS -o "$INT_TMP/noevidence.json" --max-time 20 "$API/domain/noevidence.demo.test" 2>/dev/null
  reason=$($CHECK get "$INT_TMP/noevidence.json" reason 2>/dev/null)
  [ "$reason" = logo-without-evidence ] && break
  sleep 0.1
done
[ "$reason" = logo-without-evidence ]
int_ok $? "reload: logo_without_evidence = logo, noevidence.demo.test shows its logo ($reason)" \
  "$(head -c 600 "$INT_TMP/noevidence.json")" "$(tail -n 20 "$DEMO/bimi-fcgi.log" 2>/dev/null)"

# 1. each hostile selector: none (svg-unrenderable), no indicator
HASHES=()
for i in "${!SELECTORS[@]}"; do
  sel=${SELECTORS[$i]}
  HASHES+=("$(sha256sum "${FILES[$i]}" | cut -d' ' -f1)")
  t0=$(date +%s%N)
  status=$(curl -sS -o "$INT_TMP/$sel.json" -w '%{http_code}' --max-time 30 \
    "$API/domain/noevidence.demo.test?selector=$sel")
  ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  d=$($CHECK decision "$INT_TMP/$sel.json" --decision none --reason svg-unrenderable 2>&1)
  ind=$($CHECK get "$INT_TMP/$sel.json" indicator 2>&1)
  [ "$status" = 200 ] && [ -z "$d" ] && { [ "$ind" = None ] || [ "$ind" = null ] || [ -z "$ind" ]; }
  int_ok $? "selector $sel (${FILES[$i]}): none (svg-unrenderable), no indicator, HTTP $status in $ms ms" \
    "$d" "indicator: $ind" "$(head -c 800 "$INT_TMP/$sel.json")"
  echo "# $sel: $($CHECK get "$INT_TMP/$sel.json" auth.bimi.reason 2>/dev/null | head -c 300)"
done

# The normal brands' logos (their hashes from their domain status).
GOOD=()
for dom in vmc.demo.test cmc.demo.test noevidence.demo.test; do
  curl -sS -o "$INT_TMP/good.json" --max-time 20 "$API/domain/$dom"
  h=$($CHECK get "$INT_TMP/good.json" indicator.sha256 2>/dev/null)
  [[ "$h" =~ ^[0-9a-f]{64}$ ]] && GOOD+=("$h")
done
[ "${#GOOD[@]}" = 3 ]
int_ok $? "the three normal brands show a logo (${#GOOD[@]} hashes)" "$(head -c 600 "$INT_TMP/good.json")"

# One render miss: the PNG leaves the store, the front passes the request to bimi-fcgi, which renders.
# Prints "STATUS MILLISECONDS".
render_miss() { # HASH PX
  rm -f "$DEMO/cache/png/${1:0:2}/$1-$2.png"
  curl -sS -o /dev/null -w '%{http_code} %{time_total}\n' --max-time 30 "$API/logo/$1/$2.png" |
    awk '{ printf "%s %d\n", $1, $2 * 1000 }'
}
measure() { # OUTFILE
  local k h px
  : > "$1"
  for k in $(seq "$MISSES"); do
    h=${GOOD[$(( k % ${#GOOD[@]} ))]}
    px=${SIZES[$(( k % ${#SIZES[@]} ))]}
    render_miss "$h" "$px" >> "$1"
  done
}
p50() { awk '{ print $2 }' "$1" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

measure "$INT_TMP/unloaded.txt"

# 8 clients loop on the hostile PNG URLs (every size), on their SVGs and their domain status: one curl
# per batch of URLs (one kept-alive connection; forks would load the machine more than the requests).
# The control: the same 8 clients on hashes that were never stored (plain 404s) and a normal domain
# status, so the printed ratios tell the cost of any such load on this machine from what hostile logos add.
CONTROL=()
for k in 1 2 3; do CONTROL+=("$(printf 'never-stored-%s' "$k" | sha256sum | cut -c1-64)"); done
client() { # N hostile|control
  local n=$1 k h px args
  while [ ! -e "$INT_TMP/stop" ]; do
    args=()
    for k in $(seq 24); do
      if [ "$2" = hostile ]; then h=${HASHES[$(( (n + k) % ${#HASHES[@]} ))]}; else h=${CONTROL[$(( (n + k) % 3 ))]}; fi
      px=${SIZES[$(( k % ${#SIZES[@]} ))]}
      args+=(-o /dev/null "$API/logo/$h/$px.png")
    done
    args+=(-o /dev/null "$API/logo/$h.svg")
    if [ "$2" = hostile ]; then
      args+=(-o /dev/null "$API/domain/noevidence.demo.test?selector=${SELECTORS[$(( n % ${#SELECTORS[@]} ))]}")
    else
      args+=(-o /dev/null "$API/domain/noevidence.demo.test")
    fi
    curl -sS -w '%{http_code}\n' --max-time 30 "${args[@]}"
  done > "$INT_TMP/client-$2-$n.txt" 2>&1
}
under_load() { # hostile|control OUTFILE
  rm -f "$INT_TMP/stop"
  for n in 1 2 3 4 5 6 7 8; do
    client "$n" "$1" &
    LOAD_PIDS+=($!)
  done
  sleep 1
  measure "$2"
  sleep 1
  touch "$INT_TMP/stop"
  for pid in "${LOAD_PIDS[@]}"; do wait "$pid"; done
  LOAD_PIDS=()
}
under_load control "$INT_TMP/control.txt"
under_load hostile "$INT_TMP/loaded.txt"

bad=$(awk '$1 != 200' "$INT_TMP/unloaded.txt" "$INT_TMP/loaded.txt")
[ -z "$bad" ]
int_ok $? "all $((2 * MISSES)) render misses of the normal brands are 200, alone and under load" "$bad"

cat "$INT_TMP"/client-hostile-*.txt > "$INT_TMP/hostile.txt"
total=$(wc -l < "$INT_TMP/hostile.txt")
fivexx=$(grep -c '^5' "$INT_TMP/hostile.txt")
codes=$(sort "$INT_TMP/hostile.txt" | uniq -c | tr '\n' ' ')
[ "$total" -gt 0 ] && [ "$fivexx" = 0 ]
int_ok $? "no hostile PNG, SVG or domain-status request answered 5xx ($total requests: $codes)"

u=$(p50 "$INT_TMP/unloaded.txt")
c=$(p50 "$INT_TMP/control.txt")
l=$(p50 "$INT_TMP/loaded.txt")
ratio=$(awk -v u="$u" -v l="$l" 'BEGIN { printf "%.2f", (u > 0 ? l / u : 0) }')
cratio=$(awk -v c="$c" -v l="$l" 'BEGIN { printf "%.2f", (c > 0 ? l / c : 0) }')
echo "# render misses of the normal brands, p50: unloaded $u ms; 8 clients on never-stored hashes $c ms;" \
     "8 clients on the hostile PNGs $l ms"
echo "# ratio hostile/unloaded $ratio (issue 13 wants <= 2); hostile/control $cratio (what hostile logos add" \
     "beyond the same request load)"
echo "# unloaded ms: $(awk '{ printf "%s ", $2 }' "$INT_TMP/unloaded.txt")"
echo "# control ms:  $(awk '{ printf "%s ", $2 }' "$INT_TMP/control.txt")"
echo "# hostile ms:  $(awk '{ printf "%s ", $2 }' "$INT_TMP/loaded.txt")"

curl -sS -o "$INT_TMP/metrics.txt" --max-time 20 "$API/metrics"
unr=$(awk '$1 == "bimi_logos_unrenderable_total" { print $2 }' "$INT_TMP/metrics.txt")
probes_bad=$(awk '$1 ~ /^bimi_renders_total[{]/ { n += $2 } END { print n + 0 }' "$INT_TMP/metrics.txt")
[ "$unr" = 3 ]
int_ok $? "metrics: bimi_logos_unrenderable_total 3 (got $unr; render requests $probes_bad)" \
  "$(grep -E '^bimi_(render|logos)_' "$INT_TMP/metrics.txt")"

# the hostile logos never entered the public store
found=""
for h in "${HASHES[@]}"; do
  [ -e "$DEMO/cache/svg/${h:0:2}/$h.svg" ] && found="$found $h"
  ls "$DEMO/cache/png/${h:0:2}/$h-"*.png >/dev/null 2>&1 && found="$found $h(png)"
done
[ -z "$found" ]
int_ok $? "no hostile SVG or PNG in the logo store" "$found"

int_done

#!/bin/bash
# tests/integration-fleet.t — a fleet of 3 bimi-fcgi nodes sharing one redis-server (issue 18).
#
# scripts/demo-stack start DIR --nodes 3 --cache redis: the demo's TLS origin and CRL server (nginx),
# one redis-server on a unix socket, three bimi-fcgi nodes with [cache] backend = redis (each with its
# own logo store), the front nginx with an upstream of the three sockets and fastcgi_next_upstream
# error timeout. All on loopback, free ports, stopped by PID. Checks (tests/integration-fleet.py):
#   - 64 concurrent cold evaluations of the demo messages through the front: all 200, all answers of a
#     message identical; the origin's access log has each logo and Evidence Document at most once and
#     every one the brands need (fetched exactly once across the fleet), the CRL server's likewise;
#   - every shown logo's PNG through the front from any node (a node without the SVG takes it from Redis);
#   - SIGKILL of one node mid-load: 0 non-2xx (nginx retries on the others);
#   - redis-server stopped mid-load, then started again: 0 non-2xx; each live node's metrics show the
#     fallback (bimi_cache_redis_down_total, _fallbacks_total) and the recovery (_recoveries_total,
#     _up 1); afterwards Redis holds the entries again (the fleet shares again);
#   - a truncated value in Redis: a miss (counted in bimi_cache_redis_invalid_values_total), answers
#     unchanged, the key repaired with a valid entry.
# TAP. Missing components fail, never skip.
set -u
. "$(dirname "$0")/integration-lib.sh"
int_require
REDIS_SERVER=/usr/bin/redis-server
REDIS_CLI=/usr/bin/redis-cli
for x in "$REDIS_SERVER" "$REDIS_CLI"; do [ -x "$x" ] || int_bail "required component missing: $x (install-deps)"; done
FLEET="$PY $INT_ROOT/tests/integration-fleet.py"
INDEX=fixtures/demo/messages/index.json
MSGS=fixtures/demo/messages
int_setup
DEMO=$INT_TMP/d
NODES=3

fleet_cleanup() {
  int_demo_stop "$DEMO"
  int_cleanup
}
trap fleet_cleanup EXIT

int_plan 13

FRONT_PORT=$(int_free_port)
origin=$(int_free_port)
out=$(scripts/demo-stack start "$DEMO" --front-port "$FRONT_PORT" --origin-port "$origin" --nodes $NODES \
        --cache redis 2>&1)
rc=$?
socks=$(ls "$DEMO"/bimi-fcgi*.sock 2>/dev/null | wc -l)
ups=$(grep -c 'server unix:.*bimi-fcgi.*\.sock;' "$DEMO/nginx-site.conf" 2>/dev/null)
[ "$rc" = 0 ] && [ "$socks" = $NODES ] && [ "$ups" = $NODES ] && kill -0 "$(cat "$DEMO/redis-server.pid")"
int_ok $? "demo-stack start --nodes $NODES --cache redis: $socks node sockets, $ups upstream servers, redis-server" \
  "$out" "$(tail -n 20 "$DEMO"/*.log 2>/dev/null)"
[ "$rc" = 0 ] || int_bail "the fleet did not start"
BASE="http://127.0.0.1:$FRONT_PORT"
SOCK=("$DEMO/bimi-fcgi.sock" "$DEMO/bimi-fcgi-2.sock" "$DEMO/bimi-fcgi-3.sock")
PIDF=("$DEMO/bimi-fcgi.pid" "$DEMO/bimi-fcgi-2.pid" "$DEMO/bimi-fcgi-3.pid")
rcli() { "$REDIS_CLI" -s "$DEMO/redis.sock" "$@"; }
metric() { # SOCKET NAME: the value, or empty
  $FLEET metrics "$1" "$2" 2>/dev/null | awk '{ print $2 }'
}

# 1. 64 concurrent cold evaluations through the front
mkdir -p "$INT_TMP/answers"
out=$($FLEET burst "$BASE" "$INDEX" "$MSGS" 64 "$INT_TMP/answers" 2>&1)
int_ok $? "64 concurrent cold evaluations over $NODES nodes: all 200, identical per message" "$out"
echo "# burst: $(printf '%s\n' "$out" | head -n 1)" >&2

log=$DEMO/origin-access.log
paths=$(awk '$6 == "\"GET" { print $7 }' "$log")
dups=$(printf '%s\n' "$paths" | sort | uniq -d)
fetches=$(printf '%s\n' "$paths" | grep -c .)
[ -z "$dups" ] && [ "$fetches" -gt 0 ]
int_ok $? "the origin served each logo and Evidence Document at most once across the fleet ($fetches fetches)" \
  "twice: $dups" "$(printf '%s\n' "$paths" | sort | uniq -c)"
# every shown brand's Evidence Document (or, without a=, its logo) was fetched: once, by one node
need=$("$PY" - "$INDEX" "$INT_TMP/answers" "$DEMO/demo.zone" <<'PY'
import json, os, re, sys
zone = open(sys.argv[3]).read()
need = set()
for r in json.load(open(sys.argv[1])):
    path = os.path.join(sys.argv[2], r["file"].replace(".eml", ".json"))
    if not os.path.exists(path) or json.load(open(path)).get("decision") in (None, "none"):
        continue
    label = r["from"].split("@")[1].rstrip(">").split(".")[0]
    m = re.search(r'^default\._bimi\.%s\s.*"(v=BIMI1;[^"]*)"' % re.escape(label), zone, re.M)
    tags = dict(t.strip().split("=", 1) for t in m.group(1).split(";") if "=" in t)
    need.add(re.sub(r"^https://[^/]+", "", tags.get("a") or tags["l"]))
print("\n".join(sorted(need)))
PY
)
missing=""
for p in $need; do printf '%s\n' "$paths" | grep -qxF "$p" || missing="$missing $p"; done
[ -n "$need" ] && [ -z "$missing" ]
int_ok $? "every shown brand's Evidence Document (or logo) was fetched exactly once: $(echo $need)" \
  "not fetched:$missing"
# CRLs are shared by brands of one chain and cached per node by its trust store: at most once per node
crl_over=$(awk '$6 == "\"GET" { print $7 }' "$DEMO/crl-access.log" 2>/dev/null | sort | uniq -c |
  awk -v n=$NODES '$1 > n { print $2 " x" $1 }')
[ -z "$crl_over" ]
int_ok $? "the CRL server served each CRL at most once per node ($(awk '$6 == "\"GET"' "$DEMO/crl-access.log" 2>/dev/null | wc -l) fetches)" \
  "more than $NODES: $crl_over"

shared=0
for k in 0 1 2; do
  r=$(metric "${SOCK[$k]}" bimi_cache_redis_remote_hits_total)
  w=$(metric "${SOCK[$k]}" bimi_cache_redis_lock_waits_total)
  shared=$((shared + ${r:-0} + ${w:-0}))
  echo "# node $((k + 1)): remote_hits ${r:-?} lock_waits ${w:-?} up $(metric "${SOCK[$k]}" bimi_cache_redis_up)" >&2
done
keys=$(rcli --scan --pattern 'bimi-demo:rec:*' | grep -vc ':lock$')
[ "$shared" -gt 0 ] && [ "$keys" -gt 0 ]
int_ok $? "the nodes shared through Redis: $keys entries, $shared remote hits + lock waits"

# 2. every shown logo as PNG through the front (any node; a node without the SVG takes it from Redis)
bad=""
n=0
for f in "$INT_TMP"/answers/*.json; do
  sha=$($CHECK get "$f" indicator.sha256 2>/dev/null)
  [[ "$sha" =~ ^[0-9a-f]{64}$ ]] || continue
  for px in 32 64 128; do
    n=$((n + 1))
    st=$(curl -sS -o "$INT_TMP/p.png" -w '%{http_code}' --max-time 20 "$BASE/bimi/v1/logo/$sha/$px.png")
    [ "$st" = 200 ] && $CHECK png "$INT_TMP/p.png" "$px" >/dev/null 2>&1 || bad="$bad $sha/$px:$st"
  done
done
# each (logo, size) rendered at most once per node: a node's renders never exceed the distinct PNGs asked
over=""
for k in 0 1 2; do
  r=$(metric "${SOCK[$k]}" bimi_render_requests_total); p=$(metric "${SOCK[$k]}" bimi_render_probes_total)
  [ $(( ${r:-0} - ${p:-0} )) -le "$n" ] || over="$over node$((k + 1)):${r}-${p}"
done
[ "$n" -gt 0 ] && [ -z "$bad" ] && [ -z "$over" ]
int_ok $? "$n logo PNGs through the front from the fleet, each rendered at most once per node" "failed:$bad" \
  "renders over $n:$over"
echo "# logos from Redis: $(for s in "${SOCK[@]}"; do metric "$s" bimi_cache_redis_logos_total; done | paste -sd+)" >&2

# 3. SIGKILL one node mid-load
$FLEET load "$BASE" "$INDEX" "$MSGS" 8 16 > "$INT_TMP/load-kill.out" 2>&1 &
load=$!
sleep 2
victim=$(cat "${PIDF[2]}")
kill -KILL "$victim"
wait "$load"
rc=$?
int_ok $rc "node 3 (pid $victim) killed with SIGKILL mid-load: 0 non-2xx ($(head -n 1 "$INT_TMP/load-kill.out"))" \
  "$(cat "$INT_TMP/load-kill.out")"
echo "# kill: $(head -n 1 "$INT_TMP/load-kill.out")" >&2
rm -f "${PIDF[2]}"

# 4. redis-server stopped mid-load, then started again
redis_pid=$(cat "$DEMO/redis-server.pid")
$FLEET load "$BASE" "$INDEX" "$MSGS" 14 16 > "$INT_TMP/load-redis.out" 2>&1 &
load=$!
sleep 2
kill -TERM "$redis_pid"
for i in $(seq 1 50); do kill -0 "$redis_pid" 2>/dev/null || break; sleep 0.1; done
sleep 4
setsid "$REDIS_SERVER" --port 0 --unixsocket "$DEMO/redis.sock" --unixsocketperm 700 --save "" --appendonly no \
  --dir "$DEMO" --maxmemory 64mb --maxmemory-policy allkeys-lru --daemonize no </dev/null >> "$DEMO/redis.log" 2>&1 &
echo $! > "$DEMO/redis-server.pid"
wait "$load"
rc=$?
int_ok $rc "redis-server stopped 4 s mid-load and started again: 0 non-2xx ($(head -n 1 "$INT_TMP/load-redis.out"))" \
  "$(cat "$INT_TMP/load-redis.out")"
echo "# redis down: $(head -n 1 "$INT_TMP/load-redis.out")" >&2
# Recovery needs traffic after the backoff (at most 5 s): a few more evaluations until both live nodes are up.
for i in $(seq 1 20); do
  $FLEET load "$BASE" "$INDEX" "$MSGS" 0.5 4 >/dev/null 2>&1
  u1=$(metric "${SOCK[0]}" bimi_cache_redis_up); u2=$(metric "${SOCK[1]}" bimi_cache_redis_up)
  [ "$u1" = 1 ] && [ "$u2" = 1 ] && [ "$(metric "${SOCK[0]}" bimi_cache_redis_recoveries_total)" -ge 1 ] &&
    [ "$(metric "${SOCK[1]}" bimi_cache_redis_recoveries_total)" -ge 1 ] && break
  sleep 0.5
done
diag=""
ok=0
for k in 0 1; do
  m=$($FLEET metrics "${SOCK[$k]}" 2>&1)
  diag="$diag
node $((k + 1)): $(printf '%s\n' "$m" | tr '\n' ' ')"
  d=$(printf '%s\n' "$m" | awk '$1 == "bimi_cache_redis_down_total" { print $2 }')
  f=$(printf '%s\n' "$m" | awk '$1 == "bimi_cache_redis_fallbacks_total" { print $2 }')
  r=$(printf '%s\n' "$m" | awk '$1 == "bimi_cache_redis_recoveries_total" { print $2 }')
  u=$(printf '%s\n' "$m" | awk '$1 == "bimi_cache_redis_up" { print $2 }')
  [ "${d:-0}" -ge 1 ] && [ "${f:-0}" -ge 1 ] && [ "${r:-0}" -ge 1 ] && [ "$u" = 1 ] || ok=1
  echo "# node $((k + 1)) after the outage: down_total $d fallbacks $f recoveries $r up $u" >&2
done
int_ok $ok "the live nodes' metrics show the fallback to memory and the recovery" "$diag"
warned=$(grep -c 'cache: redis .* unavailable' "$DEMO/bimi-fcgi.log")
back=$(grep -c 'cache: redis .* reachable again' "$DEMO/bimi-fcgi.log")
[ "$warned" -ge 1 ] && [ "$back" -ge 1 ] && [ "$warned" -le 3 ]
int_ok $? "node 1 logged the outage once per state change ($warned down, $back up)" \
  "$(grep 'cache: redis' "$DEMO/bimi-fcgi.log")"
keys=$(rcli --scan --pattern 'bimi-demo:rec:*' | grep -vc ':lock$')
[ "$keys" -gt 0 ]
int_ok $? "after the recovery Redis holds the fleet's entries again ($keys)"

# 5. a truncated value in Redis is a miss
key=$(rcli --scan --pattern 'bimi-demo:rec:default._bimi.vmc.demo.test' | head -n 1)
[ -n "$key" ] || key=$(rcli --scan --pattern 'bimi-demo:rec:*' | grep -v ':lock$' | head -n 1)
len=$(rcli STRLEN "$key")
pttl=$(rcli PTTL "$key")
rcli GET "$key" | head -c $((len - 5)) > "$INT_TMP/trunc"
rcli -x SET "$key" < "$INT_TMP/trunc" >/dev/null
rcli PEXPIRE "$key" "$pttl" >/dev/null
trunc_len=$(rcli STRLEN "$key")
before=0
for s in "${SOCK[0]}" "${SOCK[1]}"; do before=$((before + $(metric "$s" bimi_cache_redis_invalid_values_total))); done
sleep 1.2   # past BIMI_CACHE_REDIS_LOCAL_FRESH_MS: node memory asks Redis again
mkdir -p "$INT_TMP/answers2"
out=$($FLEET burst "$BASE" "$INDEX" "$MSGS" 16 "$INT_TMP/answers2" 2>&1)
rc=$?
after=0
for s in "${SOCK[0]}" "${SOCK[1]}"; do after=$((after + $(metric "$s" bimi_cache_redis_invalid_values_total))); done
same=0
for f in "$INT_TMP"/answers2/*.json; do
  cmp -s <($PY -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d.get("decision"), d.get("reason"), (d.get("indicator") or {}).get("sha256"))' "$f") \
         <($PY -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d.get("decision"), d.get("reason"), (d.get("indicator") or {}).get("sha256"))' "$INT_TMP/answers/$(basename "$f")") || same=1
done
head=$(rcli GET "$key" | head -c 9)
hdr_len=$(rcli GET "$key" | head -n 1 | awk '{ print $6 }')
total=$(rcli STRLEN "$key")
first=$(rcli GET "$key" | head -n 1 | wc -c)
[ "$rc" = 0 ] && [ "$same" = 0 ] && [ "$after" -gt "$before" ] && [ "$head" = "bimi-rc/1" ] &&
  [ "$((first + hdr_len))" = "$total" ] && [ "$trunc_len" = $((len - 5)) ]
int_ok $? "a truncated value of $key ($len -> $trunc_len bytes): a miss (invalid values $before -> $after), answers unchanged, the key repaired ($total bytes)" \
  "$out" "head '$head' header length $hdr_len + $first = $total?"

int_done

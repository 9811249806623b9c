#!/bin/bash
# tests/integration-load.t — 64 parallel clients through nginx + bimi-fcgi for 10 s.
#
# The stack of tests/integration-e2e.t (nsd with the brand zones, the TLS origin with the real
# logos and Evidence Documents, bimi-fcgi at [testing] now = 2025-06-01 with a cold cache, the
# nginx front of conf/nginx/bimi.conf). The nine brand messages mix every outcome (VMC, CMC,
# expired, wrong intermediate, TLS certificate, self-signed). 64 python3 threads with keep-alive
# connections post them round robin for 10 s (bounded: each request has a 30 s timeout, the
# whole run is killed after 120 s). Checks:
#   - zero 5xx and zero transport errors: every request answered 200 with a JSON body;
#   - zero lost requests: requests sent == responses received;
#   - the answers are the right ones (each brand's decision after the run equals brands.tsv);
#   - cache + single-flight: the origin's access log has exactly one GET per Evidence Document
#     URL and per logo URL of a shown brand, and no URL twice.
#
# TAP; every process is stopped by PID in an EXIT trap. Missing components fail, never skip.
set -u
. "$(dirname "$0")/integration-lib.sh"
int_require
SVGDIR=$BIMI_UPSTREAM_DIR/bimi/svg
CLIENTS=64
SECONDS_LOAD=10
int_setup

mapfile -t BRANDS < <(grep -v '^#' fixtures/e2e/brands.tsv)
int_plan $(( 3 + ${#BRANDS[@]} ))

int_start_e2e_backends
conf=$INT_TMP/bimi.conf
int_fcgi_conf "$conf" 2025-06-01T00:00:00Z
int_start_fcgi "$conf"
int_start_front

msgs=(fixtures/e2e/messages/*.eml)
url="http://127.0.0.1:$FRONT_PORT/bimi/v1/evaluate?ip=192.0.2.10&helo=mta.relay.example.net"
out=$(timeout 120 $CHECK load "$url" "$SECONDS_LOAD" "$CLIENTS" "${msgs[@]}" 2>&1)
rc=$?
summary=$(printf '%s\n' "$out" | head -n 1)
int_ok $rc "$CLIENTS clients x ${SECONDS_LOAD} s over ${#msgs[@]} messages: no 5xx, no transport error, sent == answered ($summary)" "$out"
echo "# load: $summary" >&2

# bimi-fcgi survived and still answers right.
for row in "${BRANDS[@]}"; do
  IFS=$'\t' read -r -a f <<< "$row"
  name=${f[0]} domain=${f[1]} logo=${f[3]}
  status=$(int_post "fixtures/e2e/messages/$name.eml" "$INT_TMP/after.json" \
    "ip=192.0.2.10&helo=mta.relay.example.net&mail_from=bounce%40$domain")
  args=(--decision "${f[7]}" --reason "${f[8]}" --check "${f[9]}")
  [ "${f[7]}" != none ] && args+=(--svg "$SVGDIR/$logo")
  d=$($CHECK decision "$INT_TMP/after.json" "${args[@]}" 2>&1)
  [ "$status" = 200 ] && [ -z "$d" ]
  int_ok $? "after the load: $name is ${f[7]} ${f[8]}" "HTTP $status" "$d"
done

# One fetch per URL: the evidence of every brand, the logo of every shown brand, nothing twice.
log=$INT_TMP/origin-access.log
dups=$(awk '{ print $2 }' "$log" | sort | uniq -d)
[ -z "$dups" ] && [ -s "$log" ]
int_ok $? "the origin served no URL twice ($(wc -l < "$log") fetches)" "twice: $dups" "$(sort "$log" | uniq -c)"
missing=""
for row in "${BRANDS[@]}"; do
  IFS=$'\t' read -r -a f <<< "$row"
  grep -q "^GET /${f[0]}/evidence.pem 200$" "$log" || missing="$missing /${f[0]}/evidence.pem"
  if [ "${f[7]}" != none ]; then grep -q "^GET /${f[0]}/logo.svg 200$" "$log" || missing="$missing /${f[0]}/logo.svg"; fi
done
[ -z "$missing" ]
int_ok $? "every Evidence Document and every shown logo was fetched (once)" "not fetched:$missing"

int_done

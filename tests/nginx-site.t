#!/bin/bash
# tests/nginx-site.t — the lockdown of the shipped nginx site, conf/nginx/bimi.conf (issue 22), with a real
# nginx in front of bimi-fcgi on loopback (tests/integration-lib.sh renders the site: listen on a free
# port, TLS lines dropped, socket and cache paths). The site allows 127.0.0.1 and ::1; requests are
# sent from 127.0.0.2 (a second loopback address, outside the allowed networks) and from 127.0.0.1:
#   /bimi/v1/metrics and /health: 403 from 127.0.0.2 (even with an API token), 200 from 127.0.0.1;
#   /bimi/v1/evaluate and /domain/: 403 (JSON) from 127.0.0.2 without a token, with a wrong token;
#     answered with a token listed in the site's map (the commented example line, enabled here);
#   any other /bimi/v1/ path: 403 from 127.0.0.2;  logos: public (404 for an unknown hash, not 403),
#     with the immutable Cache-Control on a stored one.
# TAP; every process is stopped by PID in an EXIT trap.
set -u
. "$(dirname "$0")/integration-lib.sh"
for x in "$NGINX" /usr/bin/curl "$FCGI"; do [ -x "$x" ] || int_bail "required component missing: $x"; done
int_setup

TOKEN=t0ken-$(od -An -tx1 -N12 /dev/urandom | tr -d ' \n')
cat > "$INT_TMP/bimi.conf" <<CONF
[server]
listen = unix:$INT_TMP/fcgi.sock
threads = 2
[dns]
zone_files = $INT_ROOT/fixtures/demo/demo.zone
[trust]
bimi_roots = $INT_ROOT/data/bimi-roots.pem
ct_logs = $INT_ROOT/data/ct-logs.cnf
[cache]
dir = $INT_TMP/cache
[render]
worker_path = $INT_ROOT/build/bimi
workers = 1
CONF
int_start_fcgi "$INT_TMP/bimi.conf"
# The token: the site's commented example line, enabled with this run's token.
grep -q '^    # "Bearer REPLACE-WITH-A-LONG-RANDOM-TOKEN" 1;$' conf/nginx/bimi.conf ||
  int_bail "conf/nginx/bimi.conf: the token example line is gone (the test enables it)"
INT_FRONT_SED="s|^    # \"Bearer REPLACE-WITH-A-LONG-RANDOM-TOKEN\" 1;|    \"Bearer $TOKEN\" 1;|" int_start_front
BASE=http://127.0.0.1:$FRONT_PORT/bimi/v1

code() { curl -sS -o "$INT_TMP/body" -w '%{http_code}' --max-time 30 "$@" 2>"$INT_TMP/curl.err" || cat "$INT_TMP/curl.err"; }
"$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.2", 0))' 2>/dev/null ||
  int_bail "cannot bind 127.0.0.2 (a second loopback address) on this machine"

c=$(code --interface 127.0.0.2 "$BASE/metrics")
[ "$c" = 403 ] && grep -q '"error"' "$INT_TMP/body"
int_ok $? "GET /bimi/v1/metrics from 127.0.0.2 (outside the monitoring network): 403 JSON (got $c)" "$(cat "$INT_TMP/body")"
c=$(code --interface 127.0.0.2 -H "Authorization: Bearer $TOKEN" "$BASE/metrics")
[ "$c" = 403 ]; int_ok $? "GET /bimi/v1/metrics from 127.0.0.2 with the API token: still 403 (got $c)"
c=$(code --interface 127.0.0.2 "$BASE/health")
[ "$c" = 403 ]; int_ok $? "GET /bimi/v1/health from 127.0.0.2: 403 (got $c)"
c=$(code "$BASE/metrics")
[ "$c" = 200 ] && grep -q '^bimi_health_ok ' "$INT_TMP/body"
int_ok $? "GET /bimi/v1/metrics from 127.0.0.1: 200, Prometheus text (got $c)"
c=$(code "$BASE/health")
[ "$c" = 200 ]; int_ok $? "GET /bimi/v1/health from 127.0.0.1: 200 (got $c)" "$(cat "$INT_TMP/body")"

MSG=fixtures/demo/messages/pnone.eml
Q='ip=192.0.2.40&helo=mail.pnone.demo.test&mail_from=bounces%40pnone.demo.test'
c=$(code --interface 127.0.0.2 -H 'Content-Type: message/rfc822' --data-binary "@$MSG" "$BASE/evaluate?$Q")
[ "$c" = 403 ] && grep -q '"error"' "$INT_TMP/body"
int_ok $? "POST /bimi/v1/evaluate from 127.0.0.2 without a token: 403 JSON (got $c)"
c=$(code --interface 127.0.0.2 -H 'Authorization: Bearer wrong' -H 'Content-Type: message/rfc822' \
  --data-binary "@$MSG" "$BASE/evaluate?$Q")
[ "$c" = 403 ]; int_ok $? "POST /bimi/v1/evaluate from 127.0.0.2 with a wrong token: 403 (got $c)"
c=$(code --interface 127.0.0.2 -H "Authorization: Bearer $TOKEN" -H 'Content-Type: message/rfc822' \
  --data-binary "@$MSG" "$BASE/evaluate?$Q")
[ "$c" = 200 ] && grep -q '"reason":"dmarc-not-enforcing"' "$INT_TMP/body"
int_ok $? "POST /bimi/v1/evaluate from 127.0.0.2 with the token: 200, a decision (got $c)" "$(head -c 300 "$INT_TMP/body")"
c=$(code -H 'Content-Type: message/rfc822' --data-binary "@$MSG" "$BASE/evaluate?$Q")
[ "$c" = 200 ]; int_ok $? "POST /bimi/v1/evaluate from 127.0.0.1: 200 (got $c)"
c=$(code --interface 127.0.0.2 "$BASE/domain/vmc.demo.test")
[ "$c" = 403 ]; int_ok $? "GET /bimi/v1/domain/ from 127.0.0.2 without a token: 403 (got $c)"
c=$(code --interface 127.0.0.2 -H "Authorization: Bearer $TOKEN" "$BASE/domain/vmc.demo.test")
[ "$c" = 200 ]; int_ok $? "GET /bimi/v1/domain/ from 127.0.0.2 with the token: 200 (got $c)"
c=$(code --interface 127.0.0.2 "$BASE/nothing-here")
[ "$c" = 403 ]; int_ok $? "GET /bimi/v1/nothing-here from 127.0.0.2: 403, other paths count as the API (got $c)"

c=$(code --interface 127.0.0.2 "$BASE/logo/$(printf '%064d' 0).svg")
[ "$c" = 404 ]; int_ok $? "GET /bimi/v1/logo/<unknown>.svg from 127.0.0.2: 404, logos are public (got $c)"
svg=fixtures/pki/logo.svg
h=$(sha256sum "$svg" | cut -c1-64)
mkdir -p "$INT_TMP/cache/svg/${h:0:2}" && cp "$svg" "$INT_TMP/cache/svg/${h:0:2}/$h.svg"
hdr=$(curl -sS -D - -o /dev/null --max-time 30 --interface 127.0.0.2 "$BASE/logo/$h.svg" 2>&1)
printf '%s' "$hdr" | grep -q '^HTTP/1.1 200' && printf '%s' "$hdr" | grep -qi '^cache-control: public, max-age=31536000, immutable'
int_ok $? "GET /bimi/v1/logo/<stored>.svg from 127.0.0.2: 200, public immutable" "$hdr"

int_plan "$INT_N"
int_done

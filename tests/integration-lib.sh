# tests/integration-lib.sh — shared harness of the tests/integration-*.t scripts (sourced, not run).
#
# Starts real servers on loopback, each on a free port chosen at runtime (never 8080/8443):
#   int_start_nsd ZONEDIR            nsd serving every ZONEDIR/<zone>.zone      → $NSD_PORT
#   int_start_origin DOCROOT         nginx TLS origin (fixtures/tls/server.pem, SAN origin.test) → $ORIGIN_PORT
#   int_start_fcgi CONF              build/bimi-fcgi -c CONF (listen from CONF)  → $FCGI_PID
#   int_start_front                  nginx front with fastcgi_pass to bimi-fcgi  → $FRONT_PORT
#   int_start_e2e_backends           the origin and nsd for the brands of fixtures/e2e/brands.tsv
# Every PID goes to INT_PIDS; the EXIT trap stops them all by PID (TERM, then KILL after 5 s),
# also when a check fails or the script is interrupted. A missing component (nginx, nsd, curl,
# python3 modules, build/bimi-fcgi) is a failure, never a skip: int_require prints "Bail out!".
#
# TAP helpers: int_ok CONDITION_RC NAME [DIAG...], int_plan N, int_done.

INT_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$INT_ROOT" || exit 1
INT_BUILD=${BIMI_BUILD:-build/obj/$(cat build/.variant 2>/dev/null || echo release)}
BIMI_UPSTREAM_DIR=${BIMI_UPSTREAM_DIR:-$INT_ROOT/../shared/upstream}
PY=/usr/bin/python3
NGINX=/usr/sbin/nginx
NSD=/usr/sbin/nsd
FCGI=$INT_ROOT/build/bimi-fcgi
CHECK="$PY $INT_ROOT/tests/integration-check.py"
INT_PIDS=()
INT_N=0
INT_FAILS=0

int_bail() {
  echo "Bail out! $*"
  exit 1
}

# int_require: every component the test needs, or fail (not skip).
int_require() {
  local x
  for x in "$NGINX" "$NSD" /usr/bin/curl "$PY" "$FCGI" "$INT_ROOT/build/bimi"; do
    [ -x "$x" ] || int_bail "required component missing: $x (install-deps / make)"
  done
  "$PY" -c 'import dkim, authres' 2>/dev/null || int_bail "python3-dkim and python3-authres are required"
  [ -d "$BIMI_UPSTREAM_DIR/bimi" ] || int_bail "upstream data missing at $BIMI_UPSTREAM_DIR"
}

int_stop_all() {
  local pid i
  for pid in "${INT_PIDS[@]}"; do
    kill -TERM "$pid" 2>/dev/null
  done
  for pid in "${INT_PIDS[@]}"; do
    for i in $(seq 1 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  INT_PIDS=()
}

# int_demo_stop DIR: scripts/demo-stack stop DIR, then KILL by PID whatever DIR/*.pid still names.
int_demo_stop() {
  local f pid
  [ -d "$1" ] || return 0
  scripts/demo-stack stop "$1" >/dev/null 2>&1
  for f in "$1"/*.pid; do
    [ -f "$f" ] || continue
    pid=$(cat "$f" 2>/dev/null)
    [[ "$pid" =~ ^[0-9]+$ ]] && kill -KILL "$pid" 2>/dev/null
  done
}

int_cleanup() {
  int_stop_all
  if [ -n "${INT_TMP:-}" ] && [ -z "${INT_KEEP:-}" ]; then rm -rf "$INT_TMP"; fi
}

int_setup() {
  INT_TMP=$(mktemp -d "${TMPDIR:-/tmp}/bimi-int.XXXXXX")
  trap int_cleanup EXIT
  trap 'exit 1' INT TERM HUP
}

int_plan() { echo "1..$1"; }

# int_ok RC NAME [DIAGNOSTIC LINES...]
int_ok() {
  local rc=$1 name=$2
  shift 2
  INT_N=$((INT_N + 1))
  if [ "$rc" = 0 ]; then
    echo "ok $INT_N - $name"
  else
    echo "not ok $INT_N - $name"
    INT_FAILS=$((INT_FAILS + 1))
    local l
    for l in "$@"; do printf '%s\n' "$l" | sed 's/^/# /'; done
  fi
}

int_done() { exit $((INT_FAILS > 0)); }

. "$INT_ROOT/tests/lib/net.sh"
int_free_port() { free_port; }

int_wait_tcp() { # PORT PID
  local i
  for i in $(seq 1 100); do
    kill -0 "$2" 2>/dev/null || return 1
    "$PY" -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 0.2)' "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

# int_zone_dir SRC_DIR OUT_DIR: SRC/*.zone.in with @ORIGIN_PORT@ filled → OUT/<zone>.zone
int_zone_dir() {
  local f
  mkdir -p "$2"
  for f in "$1"/*.zone.in; do
    sed "s/@ORIGIN_PORT@/$ORIGIN_PORT/g" "$f" > "$2/$(basename "$f" .in)"
  done
}

# int_e2e_docroot DIR: the TLS origin's files for the brands of fixtures/e2e/brands.tsv (BRANDS):
# DIR/<name>/evidence.pem and DIR/<name>/logo.svg from the upstream VMC fixtures and SVGs.
int_e2e_docroot() {
  local row name evidence logo
  for row in "${BRANDS[@]}"; do
    IFS=$'\t' read -r name _ evidence logo _ <<< "$row"
    mkdir -p "$1/$name"
    cp "$BIMI_UPSTREAM_DIR/bimi/vmc-fixtures/$evidence" "$1/$name/evidence.pem" || int_bail "missing $evidence"
    cp "$BIMI_UPSTREAM_DIR/bimi/svg/$logo" "$1/$name/logo.svg" || int_bail "missing $logo"
  done
}

# int_start_e2e_backends: the TLS origin with int_e2e_docroot's files and nsd with the zones of
# fixtures/e2e/zones (ports filled in): the back ends of the e2e brands (BRANDS).
int_start_e2e_backends() {
  int_e2e_docroot "$INT_TMP/docroot"
  int_start_origin "$INT_TMP/docroot"
  int_zone_dir fixtures/e2e/zones "$INT_TMP/zones"
  int_start_nsd "$INT_TMP/zones"
}

# int_start_nsd ZONEDIR: nsd on 127.0.0.1:$NSD_PORT (UDP and TCP), one zone per ZONEDIR/*.zone
# (root.zone is the zone "."; with one, every name outside the others is NXDOMAIN, not REFUSED).
int_start_nsd() {
  local dir=$1 f z attempt conf=$INT_TMP/nsd.conf
  for attempt in 1 2 3 4 5; do
    NSD_PORT=$(int_free_port)
    {
      nsd_server_conf "$INT_TMP" "$dir" "$NSD_PORT"
      for f in "$dir"/*.zone; do
        z=$(basename "$f" .zone)
        [ "$z" = root ] && z=.
        printf 'zone:\n  name: "%s"\n  zonefile: "%s"\n' "$z" "$f"
      done
    } > "$conf"
    "$NSD" -d -c "$conf" >> "$INT_TMP/nsd.log" 2>&1 &
    NSD_PID=$!
    INT_PIDS+=("$NSD_PID")
    local i
    for i in $(seq 1 50); do
      kill -0 "$NSD_PID" 2>/dev/null || break
      # Any answer from nsd itself (a raw UDP SOA query; libunbound would hide special names).
      if "$PY" -c 'import socket, struct, sys
q = struct.pack(">HHHHHH", 0x4242, 0, 1, 0, 0, 0) + b"\0" + struct.pack(">HH", 6, 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(0.3)
s.sendto(q, ("127.0.0.1", int(sys.argv[1])))
sys.exit(0 if s.recv(512)[:2] == b"\x42\x42" else 1)' "$NSD_PORT" 2>/dev/null; then
        return 0
      fi
      sleep 0.1
    done
    kill "$NSD_PID" 2>/dev/null; wait "$NSD_PID" 2>/dev/null
  done
  sed 's/^/# /' "$INT_TMP/nsd.log"
  int_bail "nsd did not start"
}

# The http{} preamble of every nginx this harness starts (temp paths inside INT_TMP).
int_nginx_head() { # NAME
  cat <<EOF
user root;
worker_processes 2;
pid $INT_TMP/$1.pid;
error_log $INT_TMP/$1-error.log warn;
events { worker_connections 1024; }
http {
  types { image/svg+xml svg; image/png png; application/pem-certificate-chain pem; application/json json; }
  default_type application/octet-stream;
  client_body_temp_path $INT_TMP/$1-body;
  proxy_temp_path $INT_TMP/$1-proxy;
  fastcgi_temp_path $INT_TMP/$1-fastcgi;
  uwsgi_temp_path $INT_TMP/$1-uwsgi;
  scgi_temp_path $INT_TMP/$1-scgi;
EOF
}

# int_start_nginx NAME CONF: nginx -g 'daemon off;' in the foreground, its PID recorded.
int_start_nginx() {
  "$NGINX" -e "$INT_TMP/$1-error.log" -c "$2" -g 'daemon off;' >> "$INT_TMP/$1-error.log" 2>&1 &
  local pid=$!
  INT_PIDS+=("$pid")
  eval "${1^^}_PID=$pid"
}

# int_start_origin DOCROOT: TLS origin for logos and Evidence Documents. Access log: one
# line per request, "$request_uri $status", in $INT_TMP/origin-access.log.
int_start_origin() {
  local attempt
  for attempt in 1 2 3 4 5; do
    ORIGIN_PORT=$(int_free_port)
    {
      int_nginx_head origin
      cat <<EOF
  log_format uri '\$request_method \$request_uri \$status';
  access_log $INT_TMP/origin-access.log uri;
  server {
    listen 127.0.0.1:$ORIGIN_PORT ssl;
    server_name origin.test;
    ssl_certificate $INT_ROOT/fixtures/tls/server.pem;
    ssl_certificate_key $INT_ROOT/fixtures/tls/server.key;
    root $1;
  }
}
EOF
    } > "$INT_TMP/origin.conf"
    int_start_nginx origin "$INT_TMP/origin.conf"
    int_wait_tcp "$ORIGIN_PORT" "$ORIGIN_PID" && return 0
    kill "$ORIGIN_PID" 2>/dev/null; wait "$ORIGIN_PID" 2>/dev/null
  done
  sed 's/^/# /' "$INT_TMP/origin-error.log"
  int_bail "origin nginx did not start"
}

# int_fcgi_conf OUT NOW [EXTRA...]: a bimi-fcgi configuration: unix socket in INT_TMP, DNS
# forwarded to nsd, the TLS origin pinned to 127.0.0.1 with the test CA, the real BIMI roots,
# the Gorgon CT log, soft revocation (CRL hosts sent to a dead loopback port), [testing] now = NOW
# (empty: the clock).
int_fcgi_conf() {
  local out=$1 now=$2
  shift 2
  [ -n "${INT_DEAD_PORT:-}" ] || INT_DEAD_PORT=$(int_free_port)
  cat > "$out" <<EOF
[server]
listen = unix:$INT_TMP/fcgi.sock
socket_mode = 0666
threads = 16
max_queue = 1024
log_level = info

[dns]
forwarders = 127.0.0.1@$NSD_PORT
timeout_ms = 3000

[fetch]
allow_private_addresses = true
ca_file = $INT_ROOT/fixtures/tls/ca.pem
resolve = origin.test:$ORIGIN_PORT:127.0.0.1
# The real chains name their CRLs on the Internet; the tests stay offline and deterministic:
# every CRL host goes to a loopback port where nothing listens (unavailable → soft: a warning).
connect_to = $(for h in crl3.digicert.com crl4.digicert.com crl.entrust.net crl.globalsign.com \
                 crl.identrust.com x1.c.lencr.org; do printf '%s:80:127.0.0.1:%s,' "$h" "$INT_DEAD_PORT"; done | sed 's/,$//')

[trust]
bimi_roots = $INT_ROOT/data/bimi-roots.pem
ct_logs = $INT_ROOT/data/ct-logs.cnf
revocation = soft

[cache]
dir = $INT_TMP/cache

[auth]
authserv_id = mx.int.test

[testing]
now = $now
EOF
  local extra
  for extra in "$@"; do printf '%s\n' "$extra" >> "$out"; done
}

# int_start_fcgi CONF: bimi-fcgi in the foreground, stderr to $INT_TMP/fcgi.log.
int_start_fcgi() {
  rm -f "$INT_TMP/fcgi.sock"
  "$FCGI" -c "$1" >> "$INT_TMP/fcgi.log" 2>&1 &
  FCGI_PID=$!
  INT_PIDS+=("$FCGI_PID")
  local i
  for i in $(seq 1 100); do
    kill -0 "$FCGI_PID" 2>/dev/null || break
    [ -S "$INT_TMP/fcgi.sock" ] && return 0
    sleep 0.1
  done
  sed 's/^/# /' "$INT_TMP/fcgi.log"
  int_bail "bimi-fcgi did not start (config $1)"
}

# int_start_front: nginx on 127.0.0.1:$FRONT_PORT in front of bimi-fcgi: the shipped site
# conf/nginx/bimi.conf with its socket and cache paths pointed at this test's.
int_start_front() {
  local attempt site=$INT_ROOT/conf/nginx/bimi.conf
  [ -f "$site" ] || int_bail "conf/nginx/bimi.conf missing"
  for attempt in 1 2 3 4 5; do
    FRONT_PORT=$(int_free_port)
    sed -e '/^[[:space:]]*listen[[:space:]]*\[::\]/d' -e "s#listen[[:space:]][^;]*;#listen 127.0.0.1:$FRONT_PORT;#" \
        -e "s#unix:[^;[:space:]]*bimi-fcgi.sock#unix:$INT_TMP/fcgi.sock#g" \
        -e "s#/var/cache/bimi#$INT_TMP/cache#g" "$site" > "$INT_TMP/front-site.conf"
    {
      int_nginx_head front
      printf '  access_log %s/front-access.log;\n  include %s/front-site.conf;\n}\n' "$INT_TMP" "$INT_TMP"
    } > "$INT_TMP/front.conf"
    int_start_nginx front "$INT_TMP/front.conf"
    int_wait_tcp "$FRONT_PORT" "$FRONT_PID" && return 0
    kill "$FRONT_PID" 2>/dev/null; wait "$FRONT_PID" 2>/dev/null
  done
  sed 's/^/# /' "$INT_TMP/front-error.log"
  int_bail "front nginx did not start"
}

# int_png_size FILE: "WIDTHxHEIGHT" from the IHDR of a PNG, or "not a PNG".
int_png_size() {
  local head
  head=$(od -An -tx1 -N24 "$1" 2>/dev/null | tr -d ' \n')
  if [ "${head:0:16}" != 89504e470d0a1a0a ] || [ "${head:24:8}" != 49484452 ]; then
    echo "not a PNG"
    return 1
  fi
  echo "$((16#${head:32:8}))x$((16#${head:40:8}))"
}

# int_post MSG OUT [QUERY]: POST /bimi/v1/evaluate; body to OUT, prints the HTTP status.
int_post() {
  curl -sS -o "$2" -w '%{http_code}' --max-time 30 -H 'Content-Type: message/rfc822' \
    --data-binary "@$1" "http://127.0.0.1:$FRONT_PORT/bimi/v1/evaluate${3:+?$3}"
}

# tests/evaluate-origin.sh — the nginx TLS origin of fixtures/evaluate/ for the shell tests
# (tests/evaluate-cli.t, tests/offline-netns.t); sourced, not run.
#
# evaluate_origin_start DIR: fills fixtures/evaluate/nginx.conf.in into DIR/nginx.conf with two free
# loopback ports (PORT: the TLS origin.test, PORT_CRL: the plain-http crl.pki.test), starts nginx
# (NGINX_PID, stopped by evaluate_origin_stop) and waits until PORT accepts. Logs: DIR/access.log,
# DIR/crl-access.log, DIR/error.log.
#
# evaluate_origin_require: "Bail out!" unless $BIMI (build/bimi) is built and $NGINX installed
# (need_program of tests/lib/tap.sh, which the caller sources first).
BIMI=build/bimi
NGINX=${NGINX:-/usr/sbin/nginx}
NGINX_PID=

. tests/lib/net.sh

evaluate_origin_require() {
  need_program "$BIMI" "is not built"
  need_program "$NGINX" "is not installed (scripts/install-deps installs it)"
}

evaluate_origin_start() {
  local dir=$1 user_line=
  PORT=$(free_port)
  PORT_CRL=$(free_port)
  while [ "$PORT_CRL" = "$PORT" ]; do PORT_CRL=$(free_port); done
  [ "$(id -u)" = 0 ] && user_line="user root;"
  sed -e "s|@TMP@|$dir|g" -e "s|@REPO@|$PWD|g" -e "s|@PORT_CRL@|$PORT_CRL|g" -e "s|@PORT@|$PORT|g" \
    -e "s|@USER@|$user_line|" fixtures/evaluate/nginx.conf.in > "$dir/nginx.conf"
  "$NGINX" -p "$dir" -e "$dir/error.log" -c "$dir/nginx.conf" -g "daemon off;" &
  NGINX_PID=$!
  for _ in $(seq 200); do
    (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
    sleep 0.05
  done
}

evaluate_origin_stop() {
  [ -n "$NGINX_PID" ] && kill "$NGINX_PID" 2>/dev/null && wait "$NGINX_PID" 2>/dev/null
  NGINX_PID=
}

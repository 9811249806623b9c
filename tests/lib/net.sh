# tests/lib/net.sh — loopback helpers of the shell tests (sourced, bash):
#   free_port                      prints a port free for both UDP and TCP on 127.0.0.1 (nsd takes
#                                  both, nginx TCP); 100 tries, fails when none is found
#   nsd_server_conf DIR ZONES PORT prints the server: and remote-control: sections of an nsd.conf for an
#                                  nsd on 127.0.0.1@PORT that reads its zone files from ZONES and keeps
#                                  its pid, state and log files in DIR; the caller appends its zone:s
free_port() {
  "${PY:-python3}" -c 'import socket
for _ in range(100):  # retry when the UDP port is taken for TCP
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", 0)); p = u.getsockname()[1]
    t = socket.socket()
    try:
        t.bind(("127.0.0.1", p))
    except OSError:
        continue
    print(p)
    break
else:
    raise SystemExit("no free port")'
}

nsd_server_conf() {
  local dir=$1 zones=$2 port=$3
  cat <<CONF
server:
  ip-address: 127.0.0.1@$port
  port: $port
  do-ip6: no
  username: ""
  chroot: ""
  zonesdir: "$zones"
  pidfile: "$dir/nsd.pid"
  database: ""
  zonelistfile: "$dir/zone.list"
  xfrdfile: "$dir/xfrd.state"
  xfrdir: "$dir"
  logfile: "$dir/nsd.log"
  server-count: 1
  verbosity: 1
remote-control:
  control-enable: no
CONF
}

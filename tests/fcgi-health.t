#!/usr/bin/env python3
# tests/fcgi-health.t — GET /bimi/v1/health and its gauges (issue 22): "ok" (200) when every component
# bimi-fcgi depends on works; "degraded" (503) naming the failing check when the render worker cannot start
# ([render] worker_path to a missing program), when no trust anchor is valid ([testing] now past every
# root's notAfter), or when the cache directory is not writable (removed while the service runs; it
# recovers when the directory is back); bimi_health_ok and bimi_health_check_ok{check} in /metrics follow.
# An empty trust store is refused at start. Raw FastCGI on bimi-fcgi's socket (tests/helpers/fcgi_raw.py).
# TAP on stdout; every process started here is stopped by PID at exit.
import atexit
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "helpers"))
import tap  # noqa: E402
from tap import ok  # noqa: E402
ROOT = tap.enter_repository()
from fcgi_raw import BEGIN, PARAMS, STDIN, fcgi_read, nv, record  # noqa: E402

FCGI = tap.built("bimi-fcgi")
BIMI = os.path.abspath(tap.built("bimi"))
tap.need_program(FCGI)

tmp = tempfile.mkdtemp(prefix="bimi-health-t.")
procs = []


def cleanup():
    tap.stop_processes(procs)
    shutil.rmtree(tmp, ignore_errors=True)


atexit.register(cleanup)


def config(name, cache, worker=BIMI, roots=os.path.abspath("data/bimi-roots.pem"), now=""):
    path = os.path.join(tmp, name + ".conf")
    with open(path, "w") as f:
        f.write("[server]\nlisten = unix:%s\nthreads = 2\n" % os.path.join(tmp, name + ".sock"))
        f.write("[dns]\nzone_files = %s\n" % os.path.abspath("fixtures/bimi/bimi.zone"))
        f.write("[trust]\nbimi_roots = %s\nct_logs = %s\n" % (roots, os.path.abspath("data/ct-logs.cnf")))
        f.write("[cache]\ndir = %s\n[render]\nworker_path = %s\nworkers = 1\n" % (cache, worker))
        if now:
            f.write("[testing]\nnow = %s\n" % now)
    return path


def start(name, conf):
    sock = os.path.join(tmp, name + ".sock")
    log = open(os.path.join(tmp, name + ".log"), "w")
    p = subprocess.Popen([FCGI, "-c", conf], stdout=log, stderr=log)
    procs.append(p)
    tap.wait_for_socket(p, sock, os.path.join(tmp, name + ".log"))
    return sock


def get(sock, path):
    """(status, headers text, body) of a GET over raw FastCGI."""
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(30)
    s.connect(sock)
    params = nv(b"REQUEST_METHOD", b"GET") + nv(b"REQUEST_URI", path.encode()) + nv(b"SCRIPT_NAME", path.encode())
    s.sendall(record(BEGIN, b"\x00\x01\x00\x00\x00\x00\x00\x00") + record(PARAMS, params) + record(PARAMS, b"")
              + record(STDIN, b""))
    out = fcgi_read(s) or b""
    s.close()
    head, _, body = out.partition(b"\r\n\r\n")
    status = 200
    for line in head.decode("latin-1").split("\r\n"):
        if line.lower().startswith("status:"):
            status = int(line.split()[1])
    return status, head.decode("latin-1"), body.decode("utf-8", "replace")


def health(sock):
    status, _, body = get(sock, "/bimi/v1/health")
    try:
        return status, json.loads(body)
    except ValueError:
        return status, {"unparsed": body}


def gauge(sock, line_start):
    _, _, body = get(sock, "/bimi/v1/metrics")
    for line in body.splitlines():
        if line.startswith(line_start + " "):
            return line.split()[-1]
    return None


# ---- healthy ------------------------------------------------------------------------------------------
cache = os.path.join(tmp, "cache-ok")
sock = start("ok", config("ok", cache))
status, h = health(sock)
checks = h.get("checks", {})
ok(status == 200 and h.get("status") == "ok" and sorted(checks) == ["cache_dir", "render_worker", "trust_store"]
   and all(c.get("ok") is True for c in checks.values()),
   "all components working: 200, status ok, the three checks ok", h)
ok(checks.get("trust_store", {}).get("detail", "").startswith("5 of 5 trust anchors"),
   "trust_store detail counts the anchors valid now: %s" % checks.get("trust_store", {}).get("detail"), h)
ok(gauge(sock, "bimi_health_ok") == "1" and gauge(sock, 'bimi_health_check_ok{check="render_worker"}') == "1",
   "metrics: bimi_health_ok 1, bimi_health_check_ok{check=\"render_worker\"} 1")

# ---- the cache directory goes away, then comes back ---------------------------------------------------
shutil.rmtree(cache)
status, h = health(sock)
c = h.get("checks", {}).get("cache_dir", {})
ok(status == 503 and h.get("status") == "degraded" and c.get("ok") is False and cache in c.get("detail", "")
   and h["checks"]["render_worker"]["ok"] is True,
   "cache dir removed: 503 degraded, cache_dir fails naming the directory: %s" % c.get("detail"), h)
ok(gauge(sock, "bimi_health_ok") == "0" and gauge(sock, 'bimi_health_check_ok{check="cache_dir"}') == "0",
   "metrics: bimi_health_ok 0, bimi_health_check_ok{check=\"cache_dir\"} 0")
os.makedirs(cache)
status, h = health(sock)
ok(status == 200 and h.get("status") == "ok", "cache dir back: ok again", h)
ok(not [f for f in os.listdir(cache) if f.startswith(".health")], "the write probe leaves no file behind",
   os.listdir(cache))

# ---- the render worker cannot start -------------------------------------------------------------------
missing = os.path.join(tmp, "no-such-dir", "bimi")
sock = start("noworker", config("noworker", os.path.join(tmp, "cache-nw"), worker=missing))
status, h = health(sock)
c = h.get("checks", {}).get("render_worker", {})
ok(status == 503 and h.get("status") == "degraded" and c.get("ok") is False and missing in c.get("detail", ""),
   "render worker missing: 503 degraded, render_worker fails naming the program: %s" % c.get("detail"), h)
ok(gauge(sock, 'bimi_health_check_ok{check="render_worker"}') == "0" and gauge(sock, "bimi_health_ok") == "0",
   "metrics: bimi_health_check_ok{check=\"render_worker\"} 0")

# ---- no trust anchor valid now ------------------------------------------------------------------------
sock = start("expired", config("expired", os.path.join(tmp, "cache-ex"), now="2100-01-01T00:00:00Z"))
status, h = health(sock)
c = h.get("checks", {}).get("trust_store", {})
ok(status == 503 and h.get("status") == "degraded" and c.get("ok") is False
   and c.get("detail", "").startswith("0 of 5 trust anchors"),
   "every trust anchor expired ([testing] now 2100): 503 degraded, trust_store: %s" % c.get("detail"), h)
ok(gauge(sock, 'bimi_health_check_ok{check="trust_store"}') == "0", "metrics: bimi_health_check_ok{check=\"trust_store\"} 0")

# ---- an empty trust store is refused at start ---------------------------------------------------------
empty = os.path.join(tmp, "empty.pem")
open(empty, "w").close()
conf = config("empty", os.path.join(tmp, "cache-em"), roots=empty)
p = subprocess.run([FCGI, "-c", conf], capture_output=True, text=True, timeout=30)
ok(p.returncode == 1 and "[trust]" in p.stderr, "an empty trust store: bimi-fcgi refuses to start, exit 1 naming [trust]",
   p.stderr)

print("1..%d" % tap.count)
sys.exit(tap.exit_status())

#!/usr/bin/env python3
# tests/fcgi-slow-clients.t — slow and idle clients straight on bimi-fcgi's FastCGI socket (no nginx).
#
# bimi-fcgi with 8 workers, offline DNS (fixtures/bimi/bimi.zone). Checks:
#   - trickle: 12 connections send a POST /bimi/v1/evaluate a byte at a time (more connections
#     than workers); a health request on a new connection is answered while every trickle is
#     still open (its latency is printed, not asserted); when the trickles finish, each request
#     is answered;
#   - BIMI_SERVER_REQUEST_TIMEOUT_S: a request that keeps trickling (a byte every 2 s, which
#     would renew any per-read timeout) is closed once it is that old (the age is printed);
#   - BIMI_SERVER_READAHEAD_BYTES: a body larger than it, sent at full speed, is answered;
#   - BIMI_SERVER_MAX_CONNECTIONS: 5000 idle connections, then a new request is answered; the
#     connection idle the longest was closed to make room, the newest idle one is still open;
#   - BIMI_SERVER_FD_RESERVE: under RLIMIT_NOFILE 600 (cannot be raised) bimi-fcgi says how many
#     connections fit, and with 700 idle ones a new request is still answered.
#
# TAP on stdout. Every process started here is stopped by PID at exit.
import os
import resource
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "helpers"))
import tap  # noqa: E402
from tap import ok  # noqa: E402
ROOT = tap.enter_repository()
FCGI = tap.built("bimi-fcgi")
BIMI = os.path.abspath(tap.built("bimi"))
# engine/limits.h
REQUEST_TIMEOUT_S = 10
READAHEAD_BYTES = 64 * 1024
MAX_CONNECTIONS = 4096
FD_RESERVE = 256

tap.need_program(FCGI)

tmp = tempfile.mkdtemp(prefix="bimi-slow-t.")
procs = []


def cleanup():
    tap.stop_processes(procs)
    subprocess.call(["rm", "-rf", tmp])


signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
signal.signal(signal.SIGINT, lambda *_: sys.exit(1))


def start_fcgi(name, sock, nofile=None, **server):
    conf = os.path.join(tmp, name + ".conf")
    opts = {"listen": "unix:" + sock, "threads": "8", "max_message_bytes": "1048576", "log_level": "info"}
    opts.update(server)
    with open(conf, "w") as f:
        f.write("[server]\n" + "".join("%s = %s\n" % kv for kv in opts.items()))
        f.write("[dns]\nzone_files = %s\ntimeout_ms = 1000\n" % os.path.abspath("fixtures/bimi/bimi.zone"))
        f.write("[cache]\ndir = %s\n[render]\nworker_path = %s\n" % (os.path.join(tmp, name + "-cache"), BIMI))
    log = open(os.path.join(tmp, name + ".log"), "w")

    def limit():
        if nofile is not None:
            resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))
    p = subprocess.Popen([FCGI, "-c", conf], stderr=log, stdout=log, preexec_fn=limit)
    procs.append(p)
    tap.wait_for_socket(p, sock, os.path.join(tmp, name + ".log"), connect=False)
    return p


# ---- raw FastCGI (fastcgi-spec §3, §5) ----------------------------------------------------
from fcgi_raw import BEGIN, PARAMS, STDIN, fcgi_read, nv, record  # noqa: E402


def head(params):
    body = b"".join(nv(k.encode(), v.encode()) for k, v in params.items())
    return record(BEGIN, struct.pack(">HB5x", 1, 0)) + record(PARAMS, body) + record(PARAMS, b"")


def read_status(s):
    """The Status line of the answer, or None on EOF first."""
    out = fcgi_read(s)
    return None if out is None else out.split(b"\r\n", 1)[0].decode("latin-1")


def connect(sock, timeout=30):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(timeout)
    s.connect(sock)
    return s


def health(sock, timeout):
    s = connect(sock, timeout)
    try:
        s.sendall(head({"REQUEST_METHOD": "GET", "REQUEST_URI": "/bimi/v1/health", "CONTENT_LENGTH": "0"})
                  + record(STDIN, b""))
        return read_status(s)
    except OSError as e:
        return "error: %r" % e
    finally:
        s.close()


def peer_closed(s, wait):
    """True when the server closed @s (EOF or reset) within @wait seconds."""
    s.settimeout(wait)
    try:
        return s.recv(1) == b""
    except socket.timeout:
        return False
    except OSError:
        return True


MESSAGE = (b"From: Joe <joe@brand.example>\r\nTo: you@example.net\r\nSubject: hi\r\n"
           b"Message-ID: <1@brand.example>\r\nDate: Mon, 1 Jun 2026 10:00:00 +0000\r\n\r\nhello\r\n")
EVALUATE = {"REQUEST_METHOD": "POST", "REQUEST_URI": "/bimi/v1/evaluate?ip=192.0.2.10&helo=mail.brand.example",
            "QUERY_STRING": "ip=192.0.2.10&helo=mail.brand.example", "CONTENT_TYPE": "message/rfc822",
            "CONTENT_LENGTH": str(len(MESSAGE))}

try:
    print("1..8")
    SOCK = os.path.join(tmp, "a.sock")
    start_fcgi("a", SOCK)

    # ---- trickle: 12 connections, 8 workers --------------------------------------------------
    TRICKLERS, STEP = 12, 0.1
    stop = threading.Event()
    state = [{"open": False, "status": None, "error": None} for _ in range(TRICKLERS)]

    def trickle(k):
        st = state[k]
        try:
            s = connect(SOCK)
            s.sendall(head(EVALUATE))
            st["open"] = True
            sent = 0
            while not stop.is_set() and sent < len(MESSAGE) - 1:  # all but the last byte, slowly
                s.sendall(record(STDIN, MESSAGE[sent:sent + 1]))
                sent += 1
                time.sleep(STEP)
            stop.wait()
            s.sendall(record(STDIN, MESSAGE[sent:]) + record(STDIN, b""))
            st["status"] = read_status(s)
            s.close()
        except OSError as e:
            st["error"] = repr(e)
        st["open"] = False

    threads = [threading.Thread(target=trickle, args=(k,)) for k in range(TRICKLERS)]
    for t in threads:
        t.start()
    time.sleep(1.0)  # every trickle is connected and sending
    t0 = time.monotonic()
    status = health(SOCK, timeout=len(MESSAGE) * STEP)
    latency = time.monotonic() - t0
    still_open = sum(1 for st in state if st["open"])
    print("# health with %d trickling clients: %.1f ms" % (TRICKLERS, latency * 1000))
    sys.stderr.write("# health with %d trickling clients: %.1f ms\n" % (TRICKLERS, latency * 1000))
    ok(status == "Status: 200 OK" and still_open == TRICKLERS,
       "%d clients trickling a body (8 workers): a health request is answered while all still trickle"
       % TRICKLERS, (status, still_open, state))
    stop.set()
    for t in threads:
        t.join(60)
    answered = [st["status"] for st in state]
    ok(all(a is not None and a.startswith("Status: ") for a in answered),
       "each trickled request is answered once whole", state)

    # ---- BIMI_SERVER_REQUEST_TIMEOUT_S ---------------------------------------------------------
    s = connect(SOCK)
    s.sendall(head(EVALUATE))
    t0 = time.monotonic()
    closed = False
    while time.monotonic() - t0 < REQUEST_TIMEOUT_S + 15:
        try:
            s.sendall(record(STDIN, b"x"))  # a byte every 2 s: renews any per-read timeout
        except OSError:
            closed = True
            break
        if peer_closed(s, 2.0):
            closed = True
            break
    age = time.monotonic() - t0
    s.close()
    print("# a never-finished trickle was closed after %.1f s" % age)
    ok(closed and age < REQUEST_TIMEOUT_S + 15,
       "a request still incomplete after BIMI_SERVER_REQUEST_TIMEOUT_S (%d s) is closed" % REQUEST_TIMEOUT_S, age)

    # ---- BIMI_SERVER_READAHEAD_BYTES -----------------------------------------------------------
    big = MESSAGE.replace(b"hello\r\n", b"x" * 76 + b"\r\n") + (b"y" * 76 + b"\r\n") * (2 * READAHEAD_BYTES // 78)
    params = dict(EVALUATE, CONTENT_LENGTH=str(len(big)))
    s = connect(SOCK)
    chunks = [big[i:i + 32768] for i in range(0, len(big), 32768)]
    s.sendall(head(params) + b"".join(record(STDIN, c) for c in chunks) + record(STDIN, b""))
    st = read_status(s)
    s.close()
    ok(st is not None and st.startswith("Status: 200"),
       "a %d-byte body (over BIMI_SERVER_READAHEAD_BYTES) sent at once is evaluated" % len(big), st)

    # ---- BIMI_SERVER_MAX_CONNECTIONS: 5000 idle connections -------------------------------------
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = 5000 + 200
    if hard != resource.RLIM_INFINITY and hard < want:
        print("Bail out! this test needs RLIMIT_NOFILE %d (hard limit %d)" % (want, hard))
        sys.exit(1)
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    idle = []
    for _ in range(5000):
        idle.append(connect(SOCK, 5))
    time.sleep(0.5)
    status = health(SOCK, timeout=10)
    ok(status == "Status: 200 OK", "5000 idle connections (bound %d): a new request is answered" % MAX_CONNECTIONS,
       status)
    oldest_closed = peer_closed(idle[0], 2.0)
    newest_open = not peer_closed(idle[-1], 0.5)
    ok(oldest_closed and newest_open, "the connection idle the longest made room; the newest idle one stays open",
       (oldest_closed, newest_open))
    for s in idle:
        s.close()
    idle = []

    # ---- BIMI_SERVER_FD_RESERVE: RLIMIT_NOFILE that cannot be raised ---------------------------
    SOCK_B = os.path.join(tmp, "b.sock")
    start_fcgi("b", SOCK_B, nofile=600)
    time.sleep(0.3)
    log = open(os.path.join(tmp, "b.log")).read()
    bound = 600 - FD_RESERVE - 64
    ok("at most %d FastCGI connections" % bound in log, "RLIMIT_NOFILE 600: bimi-fcgi bounds connections to %d" % bound,
       log[-1500:])
    for _ in range(700):  # more than its 600 descriptors
        idle.append(connect(SOCK_B, 5))
    time.sleep(0.5)
    status = health(SOCK_B, timeout=10)
    for s in idle:
        s.close()
    ok(status == "Status: 200 OK", "700 idle connections under RLIMIT_NOFILE 600 (bound %d): a new request is answered"
       % bound, (status, open(os.path.join(tmp, "b.log")).read()[-1500:]))
finally:
    cleanup()
sys.exit(tap.exit_status())

#!/usr/bin/env python3
# tests/fcgi-service.t — bimi-fcgi behind a real nginx (conf/nginx/bimi.conf), driven with curl.
#
# Phase A (offline DNS from fixtures/bimi/bimi.zone, 4 workers): health, metrics
# format, 404/405, 400s that name the field, 413 (through nginx, and raw FastCGI
# with a Content-Length and no body at all: answered without the body), the
# decision with its Cache-Control, domain status with ETag/304, logos: an SVG put
# in the store layout is served by nginx alone; a PNG miss is rendered by
# bimi-fcgi, stored, then served by nginx (IHDR of the asked size), bad size /
# hash / unknown hash; raw FastCGI: keep-alive, garbage, early close; one log
# line per request; SIGHUP reloads (new max_queue in force, no request lost)
# and a bad config is refused with the old one kept; SIGTERM exits 0.
#
# Phase B (DNS forwarded to a UDP socket that never answers, so every
# evaluation waits [dns] timeout_ms; 1 worker, max_queue 1): the keep-alive
# trap (two kept nginx connections, one worker, every request answered), 503
# with Retry-After while a slow request runs and another waits, and SIGTERM
# with a slow request in flight: it is answered and the process exits 0.
#
# Also: systemd-analyze verify of conf/bimi-fcgi.socket and conf/bimi-fcgi.service (when installed).
#
# TAP on stdout. Every process started here is stopped by PID at exit, also
# when a check fails or the script is interrupted.
import hashlib
import json
import os
import re
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
NGINX = "/usr/sbin/nginx"
SLOW_DNS_MS = 2000

if not os.path.exists(NGINX):
    print("Bail out! nginx is not installed (scripts/install-deps installs it)")
    sys.exit(1)
tap.need_program(FCGI)

tmp = tempfile.mkdtemp(prefix="bimi-fcgi-t.")
procs = {}   # name -> Popen


def cleanup():
    tap.stop_processes(procs.values())
    subprocess.call(["rm", "-rf", tmp])


def on_signal(signo, frame):
    sys.exit(1)


signal.signal(signal.SIGTERM, on_signal)
signal.signal(signal.SIGINT, on_signal)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


SOCK = os.path.join(tmp, "bimi-fcgi.sock")
CACHE = os.path.join(tmp, "cache")
PORT = free_port()
BASE = "http://127.0.0.1:%d" % PORT


# [caution] brands_file (issue 19): the operator protects "Acme Rockets" at brand.example
BRANDS = os.path.join(tmp, "brands.conf")
with open(BRANDS, "w") as f:
    f.write("[Acme Rockets]\ndomains = brand.example\n")


def write_config(path, **over):
    server = {"listen": "unix:" + SOCK, "threads": "4", "max_message_bytes": "4096", "max_queue": "8",
              "shutdown_timeout_ms": "20000", "log_level": "info"}
    dns = {"zone_files": os.path.abspath("fixtures/bimi/bimi.zone"), "timeout_ms": "1000"}
    for k, v in over.items():
        group, key = k.split("__")
        (server if group == "server" else dns)[key] = v
    with open(path, "w") as f:
        f.write("[server]\n" + "".join("%s = %s\n" % kv for kv in server.items()))
        f.write("[dns]\n" + "".join("%s = %s\n" % kv for kv in dns.items()))
        f.write("[cache]\ndir = %s\n[render]\nworker_path = %s\n" % (CACHE, BIMI))
        f.write("[caution]\nbrands_file = %s\n" % BRANDS)


def start_fcgi(conf, name):
    log = open(os.path.join(tmp, name + ".log"), "w")
    p = subprocess.Popen([FCGI, "-c", conf], stderr=log, stdout=log)
    procs[name] = p
    tap.wait_for_socket(p, SOCK, os.path.join(tmp, name + ".log"))
    return p


def log_text(name):
    with open(os.path.join(tmp, name + ".log")) as f:
        return f.read()


def log_count(name, text):
    return log_text(name).count(text)


def wait_log(name, text, count, timeout=30):
    """Waits until @text occurs @count times in the service's log (debug lines say when a
    request is queued and when a worker starts it): ordering without guessing at timings."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if log_count(name, text) >= count:
            return True
        time.sleep(0.02)
    return False


def curl(path, method="GET", data=None, headers=(), timeout=30):
    """One request through nginx; returns (status, {header: value}, body bytes)."""
    hfile = os.path.join(tmp, "h.%d.%d" % (os.getpid(), threading.get_ident()))
    bfile = hfile + ".body"
    for stale in (hfile, bfile):  # curl writes no body file for an empty body: never read the last one
        if os.path.exists(stale):
            os.unlink(stale)
    args = ["curl", "-sS", "-m", str(timeout), "-X", method, "-D", hfile, "-o", bfile, "-w", "%{http_code}"]
    for h in headers:
        args += ["-H", h]
    if data is not None:
        dfile = hfile + ".data"
        with open(dfile, "wb") as f:
            f.write(data)
        args += ["--data-binary", "@" + dfile, "-H", "Content-Type: message/rfc822"]
    out = subprocess.run(args + [BASE + path], capture_output=True)
    status = int(out.stdout or b"0")
    hdrs = {}
    if os.path.exists(hfile):
        for line in open(hfile, encoding="latin-1", newline="").read().split("\r\n")[1:]:
            if ":" in line:
                k, v = line.split(":", 1)
                hdrs[k.strip().lower()] = v.strip()
    body = open(bfile, "rb").read() if os.path.exists(bfile) else b""
    return status, hdrs, body


def curl_bg(path, method="GET", data=None, timeout=60):
    """Starts curl in the background; returns the Popen (stdout: status line, then the body)."""
    args = ["curl", "-sS", "-m", str(timeout), "-X", method, "-o", "-", "-w", "\n%{http_code}"]
    if data is not None:
        args += ["--data-binary", "@-"]
    p = subprocess.Popen(args + [BASE + path], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    procs["curl-%d" % p.pid] = p
    if data is not None:
        p.stdin.write(data)
    p.stdin.close()
    return p


def bg_result(p):
    out = p.stdout.read()
    p.wait()
    body, _, status = out.rpartition(b"\n")
    return int(status or b"0"), body


def metrics():
    status, _, body = curl("/bimi/v1/metrics")
    return body.decode() if status == 200 else ""


def metric(text, name):
    m = re.search("^" + re.escape(name) + r" ([0-9.e+-]+)$", text, re.M)
    return float(m.group(1)) if m else None


# ---- raw FastCGI (fastcgi-spec §3, §5) ------------------------------------------
from fcgi_raw import BEGIN, PARAMS, STDIN, fcgi_read, nv, record  # noqa: E402


def fcgi_send(s, params, stdin=b"", send_stdin=True, keep=True):
    body = b"".join(nv(k.encode(), v.encode()) for k, v in params.items())
    s.sendall(record(BEGIN, struct.pack(">HB5x", 1, 1 if keep else 0)) + record(PARAMS, body) + record(PARAMS, b""))
    if send_stdin:
        s.sendall((record(STDIN, stdin) if stdin else b"") + record(STDIN, b""))


def fcgi_connect():
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(20)
    s.connect(SOCK)
    return s


def get_params(uri, method="GET", **extra):
    p = {"REQUEST_METHOD": method, "REQUEST_URI": uri, "QUERY_STRING": uri.partition("?")[2],
         "CONTENT_LENGTH": "0"}
    p.update(extra)
    return p


def png_size(data):
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        return None
    return struct.unpack(">II", data[16:24])


try:
    # ---- the service and nginx ----------------------------------------------------
    conf = os.path.join(tmp, "bimi.conf")
    write_config(conf)
    out = subprocess.run([FCGI, "--version"], capture_output=True, text=True)
    ok(out.returncode == 0 and re.match(r"^bimi-fcgi \d+\.\d+\.\d+$", out.stdout.strip()), "--version", out)
    out = subprocess.run([FCGI, "-c", conf, "--check-config"], capture_output=True, text=True)
    ok(out.returncode == 0 and "configuration ok" in out.stdout, "--check-config accepts the test config", out)
    bad_conf = os.path.join(tmp, "bad.conf")
    with open(bad_conf, "w") as f:
        f.write("[server]\nthreads = 0\n")
    out = subprocess.run([FCGI, "-c", bad_conf, "--check-config"], capture_output=True, text=True)
    ok(out.returncode == 1 and "threads" in out.stderr, "--check-config refuses threads = 0 and names the key", out)
    out = subprocess.run([FCGI], capture_output=True, text=True)
    ok(out.returncode == 2 and "usage" in out.stderr, "no -c: usage, exit 2", out)

    # The systemd unit: systemd-analyze verify, ExecStart pointed at the built binary.
    analyze = "/usr/bin/systemd-analyze"
    if os.access(analyze, os.X_OK):
        os.makedirs(os.path.join(tmp, "unit"))
        unit = os.path.join(tmp, "unit", "bimi-fcgi.service")
        with open(unit, "w") as f:
            f.write(open("conf/bimi-fcgi.service").read().replace("/usr/local/sbin/bimi-fcgi", os.path.abspath(FCGI)))
        sock_unit = os.path.join(tmp, "unit", "bimi-fcgi.socket")
        with open(sock_unit, "w") as f:
            f.write(open("conf/bimi-fcgi.socket").read())
        # Documentation= names man:bimi-fcgi(8) and man:bimi.conf(5), which verify looks up with man(1):
        # the pages of man/, built with scdoc into a MANPATH of this test.
        env = dict(os.environ)
        mandir = os.path.join(tmp, "man")
        for src, sect in (("man/bimi-fcgi.8.scd", "8"), ("man/bimi.conf.5.scd", "5")):
            os.makedirs(os.path.join(mandir, "man" + sect), exist_ok=True)
            page = os.path.join(mandir, "man" + sect, os.path.basename(src)[:-4])
            subprocess.run(["scdoc"], stdin=open(src), stdout=open(page, "w"), check=True)
        env["MANPATH"] = mandir
        out = subprocess.run([analyze, "verify", sock_unit, unit], capture_output=True, text=True, env=env)
        ok(out.returncode == 0 and out.stderr.strip() == "",
           "systemd-analyze verify conf/bimi-fcgi.socket and conf/bimi-fcgi.service", out)
    else:
        ok(True, "systemd-analyze verify conf/bimi-fcgi.service # SKIP no systemd-analyze")

    # The logo store: the demo logo placed in the layout of cache/store.h.
    svg = open("fixtures/pki/logo.svg", "rb").read()
    H = hashlib.sha256(svg).hexdigest()
    os.makedirs(os.path.join(CACHE, "svg", H[:2]))
    with open(os.path.join(CACHE, "svg", H[:2], H + ".svg"), "wb") as f:
        f.write(svg)

    fcgi = start_fcgi(conf, "fcgi-a")

    site = os.path.join(tmp, "site.conf")
    subprocess.run(["sed", "-e", "s#unix:/run/bimi/bimi-fcgi.sock#unix:%s#" % SOCK, "-e", "s#/var/cache/bimi#%s#" % CACHE,
                    "-e", "s#listen 443 ssl;#listen 127.0.0.1:%d;#" % PORT, "-e", r"/listen \[::\]:443 ssl;/d",
                    "-e", r"/^\s*ssl_/d",
                    "conf/nginx/bimi.conf"], stdout=open(site, "w"), check=True)
    for d in ("client_body", "fastcgi", "proxy", "uwsgi", "scgi"):
        os.makedirs(os.path.join(tmp, d))
    with open(os.path.join(tmp, "nginx.conf"), "w") as f:
        f.write("%s\nworker_processes 1;\npid %s/nginx.pid;\nerror_log %s/nginx-error.log warn;\n"
                "events { worker_connections 256; }\nhttp {\n  access_log %s/access.log;\n"
                "  client_body_temp_path %s/client_body;\n  fastcgi_temp_path %s/fastcgi;\n"
                "  proxy_temp_path %s/proxy;\n  uwsgi_temp_path %s/uwsgi;\n  scgi_temp_path %s/scgi;\n"
                "  include %s;\n}\n" % ("user root;" if os.getuid() == 0 else "", tmp, tmp, tmp, tmp, tmp, tmp, tmp,
                                       tmp, site))
    procs["nginx"] = subprocess.Popen([NGINX, "-p", tmp, "-c", os.path.join(tmp, "nginx.conf"), "-g", "daemon off;"],
                                      stdout=subprocess.DEVNULL, stderr=open(os.path.join(tmp, "nginx.stderr"), "w"))
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", PORT), 0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    ok(procs["nginx"].poll() is None, "nginx runs the rendered conf/nginx/bimi.conf",
       open(os.path.join(tmp, "nginx.stderr")).read())

    # ---- health, metrics, 404, 405 ---------------------------------------------------
    st, h, body = curl("/bimi/v1/health")
    ok(st == 200 and h.get("content-type") == "application/json" and h.get("cache-control") == "no-store"
       and json.loads(body)["status"] == "ok", "health: 200 JSON, no-store", (st, h, body))

    st, h, body = curl("/bimi/v1/nothing")
    ok(st == 404 and h.get("content-type") == "application/json" and "error" in json.loads(body),
       "unknown path: 404 JSON", (st, h, body))
    st, h, body = curl("/bimi/v1/evaluate")
    ok(st == 405 and h.get("allow") == "POST" and "error" in json.loads(body), "GET evaluate: 405 with Allow: POST",
       (st, h, body))
    st, h, body = curl("/bimi/v1/health", method="DELETE")
    ok(st == 405 and h.get("allow") == "GET, HEAD", "DELETE health: 405 with Allow: GET, HEAD", (st, h, body))

    # ---- evaluate -----------------------------------------------------------------------
    msg = (b"From: Brand <news@brand.example>\r\nTo: you@example.org\r\nSubject: hello\r\n"
           b"Date: Mon, 1 Jan 2024 00:00:00 +0000\r\nMessage-ID: <1@brand.example>\r\n\r\nHello.\r\n")
    st, h, body = curl("/bimi/v1/evaluate?ip=192.0.2.10&helo=mail.brand.example&mail_from=news%40brand.example",
                       method="POST", data=msg)
    try:
        d = json.loads(body)
    except ValueError:
        d = {}
    ok(st == 200 and h.get("content-type") == "application/json", "evaluate: 200 JSON", (st, h, body))
    ok(d.get("decision") == "none" and d.get("reason") == "dmarc-fail",
       "evaluate: unsigned mail from a p=reject domain: none, dmarc-fail", body)
    ok(isinstance(d.get("ttl"), int) and h.get("cache-control") == "private, max-age=%d" % d.get("ttl", -1),
       "evaluate: Cache-Control private, max-age = the decision's ttl", (h, body))
    ok(isinstance(d.get("authentication_results"), str) and d["authentication_results"] != "",
       "evaluate: an Authentication-Results value", body)

    ok(d.get("caution", "absent") is None, "evaluate: \"caution\": null for a name that claims no brand", body)
    # issue 19: the display name claims the operator's brand from another domain: a caution, the decision unchanged
    spoof = msg.replace(b"From: Brand <news@brand.example>", b"From: ACME Rockets Support <help@other.example>")
    st, h, body = curl("/bimi/v1/evaluate", method="POST", data=spoof)
    try:
        d = json.loads(body)
    except ValueError:
        d = {}
    c = d.get("caution") or {}
    ok(st == 200 and d.get("decision") == "none" and c.get("brand") == "Acme Rockets"
       and c.get("signal") == "display-name" and c.get("domains") == ["brand.example"]
       and c.get("matched") == "ACME Rockets Support"
       and c.get("text") == "Claims to be Acme Rockets \u2014 not verified"
       and "caution" not in d.get("authentication_results", "caution"),
       "evaluate: a display name claiming a registered brand from another domain: caution, A-R unchanged", body)
    st, h, body = curl("/bimi/v1/domain/brand.example")
    ok(st == 200 and json.loads(body).get("caution", "absent") is None, "domain status: \"caution\": null", body)

    st, h, body = curl("/bimi/v1/evaluate?ip=192.0.2.300", method="POST", data=msg)
    ok(st == 400 and json.loads(body).get("field") == "ip" and h.get("cache-control") == "no-store",
       "bad ip: 400 naming the field ip", (st, body))
    st, h, body = curl("/bimi/v1/evaluate?helo=a%20b", method="POST", data=msg)
    ok(st == 400 and json.loads(body).get("field") == "helo", "bad helo: 400 naming helo", (st, body))
    st, h, body = curl("/bimi/v1/evaluate?ip=192.0.2.1&ip=192.0.2.2", method="POST", data=msg)
    ok(st == 400 and json.loads(body).get("field") == "ip", "ip given twice: 400 naming ip", (st, body))
    st, h, body = curl("/bimi/v1/evaluate?sender=x", method="POST", data=msg)
    ok(st == 400 and json.loads(body).get("field") == "query", "unknown parameter: 400 naming the query", (st, body))
    st, h, body = curl("/bimi/v1/evaluate", method="POST", data=b"this is not a message\n")
    ok(st == 400 and json.loads(body).get("field") == "message", "not a message: 400 naming the message", (st, body))
    st, h, body = curl("/bimi/v1/evaluate", method="POST", data=b"")
    ok(st == 400 and json.loads(body).get("field") == "message", "empty body: 400 naming the message", (st, body))
    st, h, body = curl("/bimi/v1/evaluate", method="POST", data=b"X-Pad: " + b"a" * 9000 + b"\r\n\r\n")
    ok(st == 413 and json.loads(body).get("field") == "message" and b"4096" in body,
       "body over max_message_bytes: 413 from bimi-fcgi, naming the message", (st, body))

    # 413 without reading the body: a Content-Length and no FCGI_STDIN at all.
    s = fcgi_connect()
    fcgi_send(s, get_params("/bimi/v1/evaluate", "POST", CONTENT_LENGTH="100000000"), send_stdin=False)
    resp = fcgi_read(s)
    try:
        after = s.recv(1)
    except OSError:
        after = b""
    s.close()
    ok(resp is not None and resp.startswith(b"Status: 413") and after == b"",
       "raw FastCGI: 413 answered with no body sent, then the connection is closed", resp)

    # Raw FastCGI: two requests on one kept connection; garbage and early close harm nothing.
    s = fcgi_connect()
    fcgi_send(s, get_params("/bimi/v1/health"))
    r1 = fcgi_read(s)
    fcgi_send(s, get_params("/bimi/v1/nope"))
    r2 = fcgi_read(s)
    s.close()
    ok(r1 is not None and r1.startswith(b"Status: 200") and r2 is not None and r2.startswith(b"Status: 404"),
       "raw FastCGI: a kept connection serves a second request", (r1, r2))
    s = fcgi_connect()
    s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n" + os.urandom(256))
    try:
        garbage = s.recv(100)
    except OSError:
        garbage = b""
    s.close()
    s = fcgi_connect()
    s.close()
    s = fcgi_connect()
    s.sendall(record(BEGIN, struct.pack(">HB5x", 1, 1)) + record(PARAMS, b"\x7f\x7fabc"))  # truncated pair, then gone
    s.close()
    st, _, _ = curl("/bimi/v1/health")
    ok(garbage == b"" and st == 200 and fcgi.poll() is None,
       "garbage, an early close and a truncated record: connections closed, the service lives", garbage)

    # ---- domain status --------------------------------------------------------------------
    st, h, body = curl("/bimi/v1/domain/brand.example")
    ok(st == 200 and json.loads(body).get("decision") in ("none", "logo", "logo+checkmark")
       and re.match(r"^public, max-age=\d+$", h.get("cache-control", "")) and h.get("etag", "").startswith('W/"'),
       "domain status: 200 JSON, public max-age, weak ETag", (st, h, body))
    st2, h2, _ = curl("/bimi/v1/domain/brand.example", headers=["If-None-Match: " + h.get("etag", "x")])
    ok(st2 == 304 and h2.get("etag") == h.get("etag"), "domain status: If-None-Match gives 304", (st2, h2))
    time.sleep(1.1)  # the ttl counts down; the weak tag names the status, not its age
    st3, h3, body3 = curl("/bimi/v1/domain/brand.example")
    st4, h4, _ = curl("/bimi/v1/domain/brand.example", headers=["If-None-Match: " + h.get("etag", "x")])
    ok(st3 == 200 and h3.get("etag") == h.get("etag") and st4 == 304,
       "domain status: a second later the same tag (ttl %s then %s), If-None-Match still 304"
       % (json.loads(body).get("ttl"), json.loads(body3).get("ttl") if st3 == 200 else "-"), (st3, h3, st4, body, body3))
    st, h, body = curl("/bimi/v1/domain/brand.example?selector=no_such!")
    ok(st == 400 and json.loads(body).get("field") == "selector", "domain status: bad selector, 400 naming it",
       (st, body))
    st, h, body = curl("/bimi/v1/domain/not..a..domain")
    ok(st == 400 and json.loads(body).get("field") == "domain", "domain status: not a domain, 400 naming it",
       (st, body))
    st, h, body = curl("/bimi/v1/domain/brand.example?selectr=x")
    ok(st == 400 and json.loads(body).get("field") == "query", "domain status: unknown parameter, 400", (st, body))

    # ---- logos ---------------------------------------------------------------------------
    st, h, body = curl("/bimi/v1/logo/%s.svg" % H)
    ok(st == 200 and body == svg and h.get("content-type") == "image/svg+xml", "SVG from the store", (st, h))
    ok(h.get("etag") == '"%s"' % H and h.get("cache-control") == "public, max-age=31536000, immutable"
       and h.get("content-security-policy") == "default-src 'none'",
       "SVG: ETag the hash, immutable, CSP default-src 'none'", h)
    m = metrics()
    ok(m and (metric(m, 'bimi_fcgi_requests_total{route="logo_svg",status="200"}') or 0) == 0,
       "SVG hit served by nginx alone (bimi-fcgi counted no logo_svg request)", m[:2000])

    png_path = os.path.join(CACHE, "png", H[:2], "%s-64.png" % H)
    st, h, png = curl("/bimi/v1/logo/%s/64.png" % H)
    ok(st == 200 and h.get("content-type") == "image/png" and png_size(png) == (64, 64),
       "PNG miss: rendered by bimi-fcgi, 64 x 64 (IHDR)", (st, h, png[:32]))
    ok(h.get("etag") == '"%s-64"' % H and h.get("cache-control") == "public, max-age=31536000, immutable",
       "PNG: ETag hash-px, immutable", h)
    ok(os.path.exists(png_path) and open(png_path, "rb").read() == png, "PNG stored in the layout nginx serves",
       png_path)
    st, h2, png2 = curl("/bimi/v1/logo/%s/64.png" % H)
    m = metrics()
    ok(st == 200 and png2 == png and h2.get("etag") == h.get("etag")
       and metric(m, 'bimi_fcgi_requests_total{route="logo_png",status="200"}') == 1,
       "PNG second time: the same bytes and ETag, from nginx (bimi-fcgi rendered once)", (st, h2, m[:1500]))
    st, h3, body = curl("/bimi/v1/logo/%s/64.png" % H, headers=["If-None-Match: " + h.get("etag", "x")])
    ok(st == 304 and not body and h3.get("etag") == h.get("etag"),
       "PNG revalidation: If-None-Match with its ETag gives 304 from nginx", (st, h3))
    st, h3, body = curl("/bimi/v1/logo/%s.svg" % H, headers=['If-None-Match: W/"%s"' % H])
    ok(st == 304 and not body, "SVG revalidation: If-None-Match with its (weak) ETag gives 304 from nginx", (st, h3))
    st, h, png = curl("/bimi/v1/logo/%s/128.png" % H)
    ok(st == 200 and png_size(png) == (128, 128), "PNG 128: 128 x 128", (st, png[:32]))
    st, h, body = curl("/bimi/v1/logo/%s/65.png" % H)
    ok(st == 400 and json.loads(body).get("field") == "size", "size outside [render] sizes: 400 naming size",
       (st, body))
    st, h, body = curl("/bimi/v1/logo/%s.svg" % H.upper())
    ok(st == 400 and json.loads(body).get("field") == "hash", "uppercase hash: 400 naming hash", (st, body))
    st, h, body = curl("/bimi/v1/logo/%s.svg" % ("0" * 64))
    ok(st == 404 and "error" in json.loads(body), "unknown logo: 404 JSON", (st, body))
    # bimi-fcgi's own SVG answer (what nginx falls back to) carries the same headers.
    s = fcgi_connect()
    fcgi_send(s, get_params("/bimi/v1/logo/%s.svg" % H))
    r = fcgi_read(s) or b""
    s.close()
    head, _, rbody = r.partition(b"\r\n\r\n")
    ok(head.startswith(b"Status: 200") and b"\r\nContent-Security-Policy: default-src 'none'" in head
       and b'\r\nETag: "%s"' % H.encode() in head and b"immutable" in head and rbody == svg,
       "bimi-fcgi's SVG answer: same ETag, CSP, immutable", head)

    # ---- metrics format --------------------------------------------------------------------
    m = metrics()
    st, h, _ = curl("/bimi/v1/metrics")
    sample = re.compile(r'^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="[^"]*"(,[a-zA-Z_][a-zA-Z0-9_]*="[^"]*")*\})? '
                        r'[-+]?([0-9.]+(e[-+]?[0-9]+)?|Inf|NaN)$')
    bad = [line for line in m.splitlines() if line and not line.startswith("#") and not sample.match(line)]
    ok(st == 200 and h.get("content-type", "").startswith("text/plain; version=0.0.4") and m and not bad,
       "metrics: Prometheus text, every sample line well-formed", bad[:5])
    counts = [metric(m, 'bimi_fcgi_request_duration_seconds_bucket{route="evaluate",le="%s"}' % le)
              for le in ("0.001", "0.01", "0.1", "1", "10", "+Inf")]
    ok(None not in counts and counts == sorted(counts)
       and counts[-1] == metric(m, 'bimi_fcgi_request_duration_seconds_count{route="evaluate"}')
       and metric(m, 'bimi_fcgi_requests_total{route="evaluate",status="400"}') >= 5
       and sum(float(v) for v in re.findall(r'^bimi_decisions_total\{decision="none",reason="[a-z-]+"\} ([0-9.]+)$',
                                             m, re.M)) >= 1
       and metric(m, "bimi_fcgi_workers") == 4,
       "metrics: cumulative latency buckets, requests by route and status, decisions by reason, workers", m[:3000])
    types = re.findall(r"^# TYPE (\S+) ", m, re.M)
    ok(len(types) == len(set(types)) and "bimi_fcgi_decisions_total" not in types
       and {"bimi_decisions_total", "bimi_auth_results_total", "bimi_dns_answers_total", "bimi_dns_timeouts_total",
            "bimi_fetches_total", "bimi_certificate_verdicts_total", "bimi_cache_lookups_total", "bimi_renders_total",
            "bimi_fcgi_request_duration_seconds"} <= set(types),
       "metrics: one family per thing, decisions counted once, the families of issue 22 there", types)
    # every metric a query of the Grafana dashboard names exists in this /metrics
    with open(os.path.join(ROOT, "conf", "grafana", "bimi-engine.json")) as f:
        dash = json.load(f)
    exprs = [t["expr"] for p in dash["panels"] for t in p.get("targets", [])]
    exprs += [v["query"] for v in dash.get("templating", {}).get("list", []) if v.get("type") == "query"]
    named = set(n for e in exprs for n in re.findall(r"\b(bimi_[a-z0-9_]+)", e))
    missing = [n for n in named if n not in types and re.sub(r"_(bucket|sum|count)$", "", n) not in types]
    ok(exprs and named and not missing, "grafana: the %d metrics its %d queries name all exist in /metrics"
       % (len(named), len(exprs)), missing)

    # ---- the log: one line per request ---------------------------------------------------
    lg = log_text("fcgi-a")
    ok(re.search(r" info: POST /bimi/v1/evaluate 200 decision=none reason=[a-z-]+ (author_domain=\S+ )?"
                 r"(selector=\S+ )?dns_ms=[0-9.]+ fetch_ms=[0-9.]+ total_ms=[0-9.]+$", lg, re.M)
       and re.search(r" info: GET /bimi/v1/nothing 404 total_ms=[0-9.]+$", lg, re.M),
       "log: one line per request: method, path, status, decision, reason, domain, selector, times", lg[-2000:])
    ok(re.search(r" info: POST /bimi/v1/evaluate 200 decision=none reason=[a-z-]+ author_domain=other\.example "
                 r"(selector=\S+ )?caution=display-name caution_brand=Acme\\x20Rockets dns_ms=", lg, re.M),
       "log: the caution's signal and brand on the request line", [l for l in lg.splitlines() if "caution" in l])

    # ---- SIGHUP ---------------------------------------------------------------------------
    def children(pid):
        kids = set()
        for tid in os.listdir("/proc/%d/task" % pid):
            with open("/proc/%d/task/%s/children" % (pid, tid)) as f:
                kids.update(int(k) for k in f.read().split())
        return kids
    # The render workers of the PNG misses above belong to the evaluator that a reload replaces.
    old_workers = children(fcgi.pid)
    stop = threading.Event()
    results = []

    def hammer():
        while not stop.is_set():
            results.append(curl("/bimi/v1/health")[0])
            results.append(curl("/bimi/v1/evaluate", method="POST", data=msg)[0])

    t = threading.Thread(target=hammer)
    t.start()
    write_config(conf, server__max_queue="5", server__log_format="json")
    os.kill(fcgi.pid, signal.SIGHUP)
    reloaded = False
    for _ in range(200):
        if metric(metrics(), "bimi_fcgi_queue_limit") == 5:
            reloaded = True
            break
        time.sleep(0.05)
    os.kill(fcgi.pid, signal.SIGHUP)
    for _ in range(400):
        if len(results) >= 20:
            break
        time.sleep(0.05)
    stop.set()
    t.join()
    m = metrics()
    ok(reloaded and metric(m, 'bimi_fcgi_reloads_total{result="ok"}') >= 1, "SIGHUP: the new max_queue is in force",
       m[-1500:])
    ok(len(results) >= 4 and all(r == 200 for r in results),
       "SIGHUP: %d requests during two reloads, all answered 200" % len(results), results)
    jlines = []
    for line in log_text("fcgi-a").splitlines():
        if line.startswith("{"):
            try:
                jlines.append(json.loads(line))
            except ValueError:
                jlines = [None]
                break
    ev_lines = [j for j in jlines if j and j.get("path") == "/bimi/v1/evaluate"]
    ok(jlines and None not in jlines and ev_lines
       and all(j["level"] == "info" and j["decision"] and j["reason"] and "total_ms" in j for j in ev_lines),
       "log_format = json after reload: JSON lines, a request's decision and reason as members", jlines[-3:])
    for _ in range(100):  # the old evaluator goes with its last request, its pool with it
        left = old_workers & children(fcgi.pid)
        if not left:
            break
        time.sleep(0.05)
    ok(old_workers and not left, "SIGHUP: the render workers of the replaced evaluator are gone (%d before, %d left)"
       % (len(old_workers), len(left)), (old_workers, left))
    with open(conf, "w") as f:
        f.write("[server]\nthreads = many\n")
    os.kill(fcgi.pid, signal.SIGHUP)
    failed_reload = False
    for _ in range(200):
        m = metrics()
        if metric(m, 'bimi_fcgi_reloads_total{result="failed"}') == 1:
            failed_reload = True
            break
        time.sleep(0.05)
    st, _, _ = curl("/bimi/v1/health")
    ok(failed_reload and metric(m, "bimi_fcgi_queue_limit") == 5 and st == 200
       and "keeping the running configuration" in log_text("fcgi-a"),
       "SIGHUP with a bad config: logged, the running one kept, still serving", log_text("fcgi-a")[-1500:])

    # ---- SIGTERM (idle) ---------------------------------------------------------------------
    fcgi.send_signal(signal.SIGTERM)
    try:
        rc = fcgi.wait(timeout=30)
    except subprocess.TimeoutExpired:
        rc = None
    ok(rc == 0 and not os.path.exists(SOCK), "SIGTERM: exit 0, socket removed", (rc, log_text("fcgi-a")[-800:]))

    # ---- phase B: slow DNS, one worker, max_queue 1 ----------------------------------------
    blackhole = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # bound, never read: queries time out
    blackhole.bind(("127.0.0.1", 0))
    write_config(conf, server__threads="1", server__max_queue="1", server__log_level="debug", dns__zone_files="",
                 dns__forwarders="127.0.0.1@%d" % blackhole.getsockname()[1], dns__timeout_ms=str(SLOW_DNS_MS))
    fcgi = start_fcgi(conf, "fcgi-b")
    slow = msg.replace(b"brand.example", b"slow.example")

    STARTED = "POST /bimi/v1/evaluate: started"
    QUEUED = ": request queued"

    # The keep-alive trap: two nginx connections kept alive, one worker.
    a = curl_bg("/bimi/v1/evaluate", "POST", slow)
    wait_log("fcgi-b", STARTED, 1)
    b = curl_bg("/bimi/v1/health")
    ra, rb = bg_result(a), bg_result(b)
    m = metrics()
    conns = metric(m, "bimi_fcgi_connections") or 0
    ok(ra[0] == 200 and rb[0] == 200 and conns >= 2,
       "keep-alive: a slow and a fast request, both answered; %d kept connections" % conns, (ra, rb, m[-800:]))
    seq = [curl("/bimi/v1/health", timeout=10)[0] for _ in range(10)]
    ok(seq == [200] * 10, "keep-alive: 10 requests over kept connections with 1 worker, none starved", seq)

    # 503: one slow request running, one waiting (= max_queue), the next is refused at once.
    started, queued = log_count("fcgi-b", STARTED), log_count("fcgi-b", QUEUED)
    a = curl_bg("/bimi/v1/evaluate", "POST", slow)
    wait_log("fcgi-b", STARTED, started + 1)
    b = curl_bg("/bimi/v1/evaluate", "POST", slow)
    wait_log("fcgi-b", QUEUED, queued + 2)
    st, h, body = curl("/bimi/v1/health")
    a_running = a.poll() is None
    ra, rb = bg_result(a), bg_result(b)
    ok(st == 503 and h.get("retry-after") == "1" and "error" in json.loads(body or b"{}") and a_running,
       "more than max_queue waiting: 503 with Retry-After, before the slow request ends", (st, h, body))
    ok(ra[0] == 200 and rb[0] == 200, "the running and the waiting request are both answered", (ra, rb))
    ok(metric(metrics(), "bimi_fcgi_rejected_total") >= 1, "metrics count the 503")

    # SIGTERM with a slow request in flight: it is answered, then exit 0.
    started = log_count("fcgi-b", STARTED)
    a = curl_bg("/bimi/v1/evaluate", "POST", slow)
    wait_log("fcgi-b", STARTED, started + 1)
    fcgi.send_signal(signal.SIGTERM)
    ra = bg_result(a)
    try:
        rc = fcgi.wait(timeout=60)
    except subprocess.TimeoutExpired:
        rc = None
    ok(ra[0] == 200 and json.loads(ra[1]).get("decision") == "none" and rc == 0
       and "finishing 1 request(s)" in log_text("fcgi-b"),
       "SIGTERM: the slow request in flight is answered, exit 0", (ra, rc, log_text("fcgi-b")[-1000:]))
    blackhole.close()
finally:
    print("1..%d" % tap.count)
    cleanup()
sys.exit(tap.exit_status())

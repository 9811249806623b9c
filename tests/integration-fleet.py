#!/usr/bin/python3
"""tests/integration-fleet.py — client side of tests/integration-fleet.t and bench/fleet.sh.

  burst BASE INDEX MSGDIR N OUT       N concurrent POST /bimi/v1/evaluate, released together (a barrier),
                                      row i % rows of INDEX (fixtures/demo/messages/index.json) with the
                                      row's envelope; every answer must be 200 JSON, and all answers of one
                                      message identical (decision, reason, indicator, mark, bimi, auth);
                                      writes OUT/<file>.json; prints a summary
  load BASE INDEX MSGDIR SECONDS C    C clients post the rows round robin for SECONDS (keep-alive); prints
                                      "requests R seconds S req/s X status 200:R ..."; exits 1 on any
                                      non-2xx or transport error
  metrics SOCKET [NAME...]            GET /bimi/v1/metrics from one bimi-fcgi node over its FastCGI unix
                                      socket (FastCGI 1.0 Responder); prints "NAME VALUE" of each NAME
                                      (all bimi_cache_redis_* when none given)
"""
import http.client
import itertools
import json
import os
import socket
import struct
import sys
import threading
import time
import urllib.parse


def fail(msg):
    sys.stderr.write(msg + "\n")
    sys.exit(1)


def rows_of(index, msgdir):
    rows = []
    for r in json.load(open(index)):
        q = {k: r[k] for k in ("ip", "helo", "mail_from") if r.get(k)}
        rows.append((r["file"], "/bimi/v1/evaluate" + ("?" + urllib.parse.urlencode(q) if q else ""),
                     open(os.path.join(msgdir, r["file"]), "rb").read()))
    return rows


# The members that say what was decided; per-request ones (timings, ids) are left out.
STABLE = ("decision", "reason", "indicator", "mark", "bimi", "authentication_results")


class Client:
    """One keep-alive HTTP connection to the front, reopened after a transport error."""

    def __init__(self, host, port):
        self.host, self.port, self.conn = host, port, None

    def post(self, path, body):
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
        try:
            self.conn.request("POST", path, body=body, headers={"Content-Type": "message/rfc822"})
            resp = self.conn.getresponse()
            return resp.status, resp.read()
        except (OSError, http.client.HTTPException):
            self.close()
            raise

    def close(self):
        if self.conn is not None:
            self.conn.close()
        self.conn = None


def cmd_burst(args):
    base, index, msgdir, n, out = args[0], args[1], args[2], int(args[3]), args[4]
    u = urllib.parse.urlsplit(base)
    rows = rows_of(index, msgdir)
    barrier = threading.Barrier(n)
    results = [None] * n

    def one(i):
        name, path, body = rows[i % len(rows)]
        barrier.wait()
        c = Client(u.hostname, u.port)
        try:
            results[i] = (name,) + c.post(path, body)
        except (OSError, http.client.HTTPException) as e:
            results[i] = (name, 0, repr(e).encode())
        c.close()

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    elapsed = time.monotonic() - t0
    problems = []
    seen = {}
    for name, status, data in results:
        if status != 200 or data[:1] != b"{":
            problems.append("%s: HTTP %d %r" % (name, status, data[:200]))
            continue
        d = json.loads(data)
        view = json.dumps({k: d.get(k) for k in STABLE}, sort_keys=True)
        if name not in seen:
            seen[name] = view
            with open(os.path.join(out, name.replace(".eml", ".json")), "wb") as f:
                f.write(data)
        elif seen[name] != view:
            problems.append("%s: answers differ:\n  %s\n  %s" % (name, seen[name][:400], view[:400]))
    ok = sum(1 for r in results if r[1] == 200)
    print("%d requests, %d answered 200, %d messages, all answers of a message identical: %s, %.2f s"
          % (n, ok, len(seen), "yes" if not problems else "no", elapsed))
    for p in problems[:10]:
        print(p)
    sys.exit(1 if problems else 0)


def cmd_load(args):
    base, index, msgdir, seconds, clients = args[0], args[1], args[2], float(args[3]), int(args[4])
    u = urllib.parse.urlsplit(base)
    rows = rows_of(index, msgdir)
    lock = threading.Lock()
    stats = {"n": 0, "status": {}, "errors": []}
    deadline = time.monotonic() + seconds

    def note(status, problem):
        with lock:
            stats["n"] += status != 0
            stats["status"][status] = stats["status"].get(status, 0) + 1
            if problem and len(stats["errors"]) < 10:
                stats["errors"].append(problem)

    def client(k):
        c = Client(u.hostname, u.port)
        for i in itertools.count(k):
            if time.monotonic() >= deadline:
                break
            name, path, body = rows[i % len(rows)]
            try:
                status, data = c.post(path, body)
            except (OSError, http.client.HTTPException) as e:
                note(0, "%s: transport: %r" % (name, e))
                continue
            bad = status != 200 or data[:1] != b"{"
            note(status, "%s: HTTP %d %r" % (name, status, data[:200]) if bad else None)
        c.close()

    t0 = time.monotonic()
    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 120)
    elapsed = time.monotonic() - t0
    status = " ".join("%d:%d" % kv for kv in sorted(stats["status"].items()))
    print("requests %d seconds %.1f req/s %.1f status %s" % (stats["n"], elapsed, stats["n"] / elapsed, status))
    for e in stats["errors"]:
        print(e)
    sys.exit(1 if stats["errors"] or stats["n"] == 0 else 0)


def fcgi_record(rtype, content, req_id=1):
    pad = (8 - len(content) % 8) % 8
    return struct.pack(">BBHHBB", 1, rtype, req_id, len(content), pad, 0) + content + b"\0" * pad


def fcgi_pairs(params):
    out = b""
    for k, v in params.items():
        k, v = k.encode(), v.encode()
        for n in (len(k), len(v)):
            out += struct.pack(">B", n) if n < 128 else struct.pack(">I", n | 0x80000000)
        out += k + v
    return out


def fcgi_get(sock_path, path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(sock_path)
    params = {"REQUEST_METHOD": "GET", "REQUEST_URI": path, "DOCUMENT_URI": path, "SCRIPT_NAME": path,
              "QUERY_STRING": "", "SERVER_PROTOCOL": "HTTP/1.1", "GATEWAY_INTERFACE": "CGI/1.1",
              "REMOTE_ADDR": "127.0.0.1", "SERVER_NAME": "localhost", "SERVER_PORT": "80", "CONTENT_LENGTH": ""}
    s.sendall(fcgi_record(1, struct.pack(">HB5x", 1, 0)) + fcgi_record(4, fcgi_pairs(params)) +
              fcgi_record(4, b"") + fcgi_record(5, b""))
    buf, out = b"", b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        buf += chunk
        while len(buf) >= 8:
            _, rtype, _, clen, plen, _ = struct.unpack(">BBHHBB", buf[:8])
            if len(buf) < 8 + clen + plen:
                break
            content, buf = buf[8:8 + clen], buf[8 + clen + plen:]
            if rtype == 6:
                out += content
            elif rtype == 3:
                s.close()
                return out
    s.close()
    return out


def cmd_metrics(args):
    text = fcgi_get(args[0], "/bimi/v1/metrics").decode("utf-8", "replace")
    body = text.split("\r\n\r\n", 1)[-1]
    want = args[1:]
    found = 0
    for line in body.splitlines():
        if line.startswith("#") or " " not in line:
            continue
        name, value = line.rsplit(" ", 1)
        if (want and name in want) or (not want and name.startswith("bimi_cache_redis_")):
            print("%s %s" % (name, value))
            found += 1
    if found == 0:
        fail("no such metric in %s: %s" % (args[0], " ".join(want) or "bimi_cache_redis_*"))


def main():
    if len(sys.argv) < 2:
        fail(__doc__)
    cmd = {"burst": cmd_burst, "load": cmd_load, "metrics": cmd_metrics}.get(sys.argv[1])
    if cmd is None:
        fail("unknown subcommand %s" % sys.argv[1])
    cmd(sys.argv[2:])


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""tests/integration-check.py — checks of the tests/integration-*.t scripts (python3 stdlib +
python3-authres). Each subcommand prints what differs on stdout and exits 1 on a mismatch:

  decision JSON --decision D --reason R [--check C] [--svg FILE] [--value S] [--caution SIGNAL|-]
           [--authres HELPER [--ar M=R,...]] [--print-sha]
      the decision object of DESIGN.md §4: decision and reason exact; --check: the certificate
      failure code C appears in the object (a string value that is C, or lists "C: detail"); --svg: indicator.sha256
      equals the SHA-256 of FILE; a none decision has no indicator sha256; --value: some string
      member equals S (e.g. the certificate's organization); --caution: the caution member's
      signal (issue 19), "-" for a null caution; --authres: as the authres subcommand
      on authentication_results; --print-sha: print indicator.sha256 when all is well.
  field JSON PATH VALUE       the member at PATH (dots, [i] for arrays) equals VALUE (JSON text)
  get JSON PATH               prints the member at PATH (strings bare, else JSON)
  results JSON PATH           the "result" members of the array at PATH, sorted, comma-separated
  png FILE PX                 FILE is a PNG whose IHDR says PX x PX
  authres VALUE HELPER [METHOD=RESULT...]  python3-authres and the C helper (engine/authres)
                              parse VALUE to the same structure, whose first METHOD result is RESULT
  upstream CASES OUTDIR HELPER FIRST   TAP lines from FIRST for tests/integration-upstream.t
  load URL SECONDS CLIENTS MSG...   CLIENTS threads post the messages round robin for SECONDS
                              (keep-alive http.client); prints "sent N answered N status:count..."
                              and exits 1 on any 5xx, transport error, or sent != answered
"""
import hashlib
import re
import http.client
import json
import os
import struct
import subprocess
import sys
import threading
import time
import urllib.parse


def fail(msg):
    print(msg)
    sys.exit(1)


def load_json(path):
    try:
        with open(path, "rb") as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        fail("%s: not JSON: %s" % (path, e))


def walk(node):
    if isinstance(node, dict):
        for v in node.values():
            yield from walk(v)
    elif isinstance(node, list):
        for v in node:
            yield from walk(v)
    else:
        yield node


def member(obj, path):
    cur = obj
    for part in path.split("."):
        name, _, rest = part.partition("[")
        if name:
            if not isinstance(cur, dict) or name not in cur:
                raise KeyError(path)
            cur = cur[name]
        while rest:
            idx, _, rest = rest.partition("]")
            cur = cur[int(idx)]
            rest = rest.lstrip("[")
    return cur


def cmd_decision(args):
    path = args[0]
    rest = [a for a in args[1:] if a != "--print-sha"]
    opts = dict(zip(rest[0::2], rest[1::2]))
    d = load_json(path)
    problems = []
    if d.get("decision") != opts["--decision"]:
        problems.append("decision %r, want %r" % (d.get("decision"), opts["--decision"]))
    if d.get("reason") != opts["--reason"]:
        problems.append("reason %r, want %r" % (d.get("reason"), opts["--reason"]))
    check = opts.get("--check", "-")
    code = re.compile(r"(^|[\s;])" + re.escape(check) + r"(:|$)")
    if check != "-" and not any(isinstance(v, str) and code.search(v) for v in walk(d)):
        problems.append("certificate failure %r not reported" % check)
    if "--caution" in opts:  # issue 19: the caution's signal, "-" for null
        c = d.get("caution")
        got = "-" if c is None else (c.get("signal") if isinstance(c, dict) else repr(c))
        if got != opts["--caution"]:
            problems.append("caution %r, want %r" % (got, opts["--caution"]))
    if "--value" in opts and opts["--value"] not in set(v for v in walk(d) if isinstance(v, str)):
        problems.append("no member equals %r" % opts["--value"])
    ind = d.get("indicator") or {}
    if "--svg" in opts:
        want = hashlib.sha256(open(opts["--svg"], "rb").read()).hexdigest()
        if ind.get("sha256") != want:
            problems.append("indicator.sha256 %r, want sha256 of %s = %s" % (ind.get("sha256"), opts["--svg"], want))
    elif opts["--decision"] == "none" and ind.get("sha256"):
        problems.append("a none decision with an indicator %r" % ind.get("sha256"))
    if "--authres" in opts:
        ar = d.get("authentication_results")
        wants = [w for w in opts.get("--ar", "").split(",") if w]
        msg = authres_problem(ar if isinstance(ar, str) else "", opts["--authres"], wants)
        if msg:
            problems.append(msg)
    if problems:
        print("; ".join(problems))
        print(json.dumps({k: d.get(k) for k in ("decision", "reason", "indicator", "mark")}, sort_keys=True)[:1500])
        for k in ("auth",):
            print(json.dumps(d.get(k), sort_keys=True)[:3000])
        sys.exit(1)
    if "--print-sha" in args:
        print(ind.get("sha256") or "")


def cmd_field(args):
    d = load_json(args[0])
    try:
        got = member(d, args[1])
    except (KeyError, IndexError, TypeError):
        fail("%s: no member %s" % (args[0], args[1]))
    want = json.loads(args[2])
    if got != want:
        fail("%s = %s, want %s" % (args[1], json.dumps(got), json.dumps(want)))


def cmd_get(args):
    d = load_json(args[0])
    try:
        got = member(d, args[1])
    except (KeyError, IndexError, TypeError):
        fail("")
    print(got if isinstance(got, str) else json.dumps(got))


def cmd_results(args):
    d = load_json(args[0])
    try:
        got = member(d, args[1])
        print(",".join(sorted(str(x.get("result")) for x in got)))
    except (KeyError, IndexError, TypeError, AttributeError):
        fail("")


def cmd_png(args):
    data = open(args[0], "rb").read()
    px = int(args[1])
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        fail("%s: not a PNG (starts %r)" % (args[0], data[:16]))
    w, h = struct.unpack(">II", data[16:24])
    if (w, h) != (px, px):
        fail("%s: IHDR %dx%d, want %dx%d" % (args[0], w, h, px, px))


def py_authres(value):
    import authres
    ar = authres.AuthenticationResultsHeader.parse_value(value)
    ver = lambda v: None if v is None else int(v)
    return {
        "authserv_id": ar.authserv_id,
        "version": ver(ar.version),
        "results": [{
            "method": r.method.lower(),
            "version": ver(r.version),
            "result": r.result.lower(),
            "reason": r.reason,
            "properties": [[p.type.lower(), p.name.lower(), p.value] for p in r.properties],
        } for r in ar.results],
    }


def peer_quirk_only(value, ours, peer):
    """True when the two parses differ only by properties python3-authres 1.2.0 loses: a
    property whose value is a quoted-string directly followed by another property with a
    quoted-string value (`a.b="x" c.d="y"`: the first is dropped, a bug of its pvalue rule),
    and the RFC 9989 `polrec` ptype (polrec.p, polrec.domain), which it predates and drops."""
    if len(ours["results"]) != len(peer["results"]):
        return False
    for o, p in zip(ours["results"], peer["results"]):
        if {k: v for k, v in o.items() if k != "properties"} != {k: v for k, v in p.items() if k != "properties"}:
            return False
        it = iter(p["properties"])
        expected = next(it, None)
        for prop in o["properties"]:
            if prop == expected:
                expected = next(it, None)
                continue
            if prop[0] == "polrec":
                continue
            quoted = '%s.%s="%s"' % (prop[0], prop[1], prop[2].replace("\\", "\\\\").replace('"', '\\"'))
            if not re.search(re.escape(quoted) + r'\s+[A-Za-z0-9-]+\.[A-Za-z0-9-]+="', value):
                return False
        if expected is not None:
            return False
    return True


def authres_problem(value, helper, wants):
    """None when python3-authres and engine/authres (the helper) parse VALUE alike and the first
    result of each METHOD=RESULT in wants matches; else what differs."""
    out = subprocess.run([helper, value], capture_output=True, text=True)
    if out.returncode != 0:
        return "engine/authres rejects %r: %s" % (value, out.stdout.strip() + out.stderr.strip())
    ours = json.loads(out.stdout)
    try:
        peer = py_authres(value)
    except Exception as e:  # the peer's errors are of many classes
        if value.isascii():
            return "python3-authres rejects %r: %s" % (value, e)
        # python3-authres 1.2.0 knows no RFC 6532 (UTF-8 in quoted-strings), which engine/authres
        # writes: give the peer the value with every non-ASCII character as "?", and compare
        # with our parse folded the same way.
        fold = lambda x: "".join(ch if ord(ch) < 128 else "?" for ch in x) if isinstance(x, str) else x
        try:
            peer = py_authres(fold(value))
        except Exception as e2:
            return "python3-authres rejects %r even with ASCII only: %s" % (fold(value), e2)
        ours = json.loads(json.dumps(ours), object_hook=lambda o: {k: fold(v) for k, v in o.items()})
        for r in ours["results"]:
            r["properties"] = [[fold(x) for x in p] for p in r["properties"]]
        value = fold(value)
    if "\\" in value:
        # python3-authres 1.2.0 keeps quoted-pairs as written (`\"` stays two characters);
        # RFC 5322 §3.2.4 makes them the character itself, as engine/authres does.
        unq = lambda x: re.sub(r"\\(.)", r"\1", x) if isinstance(x, str) else x
        peer = json.loads(json.dumps(peer), object_hook=lambda o: {k: unq(v) for k, v in o.items()})
        for r in peer["results"]:
            r["properties"] = [[unq(x) for x in p] for p in r["properties"]]
    if ours != peer and not peer_quirk_only(value, ours, peer):
        return ("parsers differ on %r:\n engine/authres  %s\n python3-authres %s"
                % (value, json.dumps(ours, sort_keys=True), json.dumps(peer, sort_keys=True)))
    if not peer["results"]:
        return "no results in %r" % value
    for want in wants:
        method, _, result = want.partition("=")
        got = [r["result"] for r in ours["results"] if r["method"] == method]
        if got[:1] != [result]:
            return "%s=%s wanted, got %s in %r" % (method, result, got, value)
    return None


def cmd_authres(args):
    msg = authres_problem(args[0], args[1], args[2:])
    if msg:
        fail(msg)


def cmd_upstream(args):
    """upstream CASES.tsv OUTDIR HELPER FIRST: TAP lines numbered from FIRST for the
    tests/integration-upstream.t cases whose responses are OUTDIR/<file>.json (+ .status)."""
    cases, outdir, helper, n = args[0], args[1], args[2], int(args[3])
    fails = arc_total = arc_ok = 0
    for i, line in enumerate(open(cases).read().splitlines()):
        c = line.split("\t")
        kind, name = c[0], c[1]
        status = open(os.path.join(outdir, name + ".status")).read().strip()
        try:
            d = json.load(open(os.path.join(outdir, name + ".json")))
        except ValueError:
            d = {}
        diag = "HTTP %s %s" % (status, json.dumps(d)[:400])
        checks = []
        if kind == "arc-empty":
            ok = status == "400" and d.get("field") == "message"
            checks.append((ok, "ARC suite %s: the empty message is refused, 400 naming the field message" % name, diag))
        elif kind == "arc":
            want, todo = c[2], c[3]
            got = (d.get("auth") or {}).get("arc", {}).get("result")
            ok = status == "200" and got == want and d.get("decision") == "none"
            arc_total += 1
            arc_ok += ok
            text = "ARC suite %s: arc=%s, decision none" % (name, want)
            if not ok and todo == "todo":
                text = "ARC suite %s: arc=%s, suite says %s # TODO tests/test-arc-suite.c expected failure" % (name, got, want)
            checks.append((ok, text, diag))
        else:
            want, dmarc, reason = c[2], c[3], c[4]
            auth = d.get("auth") or {}
            got = ",".join(sorted(str(x.get("result")) for x in auth.get("dkim") or []))
            gd = (auth.get("dmarc") or {}).get("result")
            ok = (status == "200" and got == want and gd == dmarc and d.get("decision") == "none"
                  and d.get("reason") == reason)
            checks.append((ok, "DKIM vector %s: dkim=%s, dmarc=%s, none (%s)" % (name, want, dmarc, reason),
                           "got dkim=%s dmarc=%s %s reason %s; %s" % (got, gd, d.get("decision"), d.get("reason"), diag)))
        if kind == "dkim" or (kind == "arc" and i % 10 == 0):
            ar = d.get("authentication_results")
            msg = authres_problem(ar if isinstance(ar, str) else "", helper, [])
            checks.append((msg is None, "%s: authentication_results parses alike in engine/authres and python3-authres"
                           % name, msg or ""))
        for ok, text, why in checks:
            if ok:
                print("ok %d - %s" % (n, text))
            else:
                print("not ok %d - %s" % (n, text))
                if "# TODO" not in text:
                    fails += 1
                    for l in why.splitlines():
                        print("# " + l)
            n += 1
    ok = arc_ok >= arc_total - 1
    print("%s %d - ARC suite through the service: %d of %d as the suite says (at most the one documented exception)"
          % ("ok" if ok else "not ok", n, arc_ok, arc_total))
    sys.stderr.write("# ARC suite through POST /bimi/v1/evaluate: %d/%d\n" % (arc_ok, arc_total))
    fails += not ok
    print("# next %d fails %d" % (n + 1, fails))
    sys.exit(1 if fails else 0)


def cmd_load(args):
    url, seconds, clients = args[0], float(args[1]), int(args[2])
    bodies = [open(p, "rb").read() for p in args[3:]]
    u = urllib.parse.urlsplit(url)
    target = u.path + ("?" + u.query if u.query else "")
    lock = threading.Lock()
    stats = {"sent": 0, "answered": 0, "errors": [], "status": {}}
    deadline = time.monotonic() + seconds

    def client(k):
        conn = None
        i = k
        while time.monotonic() < deadline:
            body = bodies[i % len(bodies)]
            i += 1
            with lock:
                stats["sent"] += 1
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
                conn.request("POST", target, body=body, headers={"Content-Type": "message/rfc822"})
                resp = conn.getresponse()
                data = resp.read()
                ok = resp.status == 200 and data[:1] == b"{"
                with lock:
                    stats["answered"] += 1
                    stats["status"][resp.status] = stats["status"].get(resp.status, 0) + 1
                    if not ok and len(stats["errors"]) < 10:
                        stats["errors"].append("%d %r" % (resp.status, data[:200]))
                if resp.getheader("Connection", "").lower() == "close":
                    conn.close()
                    conn = None
            except (OSError, http.client.HTTPException) as e:
                with lock:
                    if len(stats["errors"]) < 10:
                        stats["errors"].append("transport: %r" % e)
                if conn is not None:
                    conn.close()
                conn = None
        if conn is not None:
            conn.close()

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 60)
    status = " ".join("%d:%d" % kv for kv in sorted(stats["status"].items()))
    print("sent %d answered %d status %s" % (stats["sent"], stats["answered"], status))
    bad = [s for s in stats["status"] if s != 200]
    if stats["errors"] or bad or stats["sent"] != stats["answered"] or stats["answered"] == 0:
        for e in stats["errors"]:
            print(e)
        sys.exit(1)


def main():
    if len(sys.argv) < 2:
        fail(__doc__)
    cmd = {"decision": cmd_decision, "field": cmd_field, "get": cmd_get, "results": cmd_results, "png": cmd_png,
           "authres": cmd_authres, "load": cmd_load,
           "upstream": cmd_upstream}.get(sys.argv[1])
    if cmd is None:
        fail("unknown subcommand %s" % sys.argv[1])
    cmd(sys.argv[2:])


if __name__ == "__main__":
    main()

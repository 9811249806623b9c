#!/usr/bin/python3
"""tests/integration-upstream-cases.py UPSTREAM OUTDIR — the upstream suites as service input.

Writes, for tests/integration-upstream.t:
  OUTDIR/zones/root.zone   one zone for "." holding every record the cases need, so that nsd
                           answers NXDOMAIN (not REFUSED) for every other name (DMARC tree walk):
                           the ValiMail ARC suite's txt-records (as tests/test-arc-suite.c does),
                           the Stalwart DKIM messages' key lines, rfc-dkim-examples' zones,
                           dkimpy's eximtest.dns at sed._domainkey.test.ex, and
                           fixtures/dmarc/football.zone (DMARC + SPF of football.example.com)
  OUTDIR/msg/*.eml         the messages, bytes as upstream has them (LF or CRLF)
  OUTDIR/cases.tsv         kind, file, expectation:
                             arc   FILE CV                   auth.arc result = the suite's cv
                                                             (lower case, empty = fail)
                             arc-empty FILE CV               the suite's empty message: HTTP 400
                             dkim  FILE R1,R2.. DMARC REASON  auth.dkim[] results (sorted) as the
                                                             vectors say; auth.dmarc result; reason:
                                                             no-record after a DMARC pass (nobody
                                                             publishes BIMI), dmarc-not-enforcing
                                                             without a policy, dmarc-fail

DKIM vectors with a clear expected result (upstream README.md §1, each FORMAT.md): Stalwart
dkim/001-006 (every signature passes at now = 1667843664, the [testing] now of the test), RFC 8463
A.3 (both pass), RFC 6376 A.2 (body hash fail), dkimpy ed25519test2.msg and rfc6376.signed.msg.
"""
import json
import re
import os
import sys

ARC_EXPECTED_FAILURES = {
    # tests/test-arc-suite.c expected_failures[]: no c= means simple/simple (RFC 6376 §3.5,
    # inherited by RFC 8617 §4.1.2); the suite signed relaxed/relaxed.
    "ams_fields_c_na",
}


def txt(name, value):
    chunks = [value[i:i + 200] for i in range(0, len(value), 200)] or [""]
    esc = lambda s: s.replace("\\", "\\\\").replace('"', '\\"')
    return "%s. 3600 IN TXT %s\n" % (name.rstrip("."), " ".join('"%s"' % esc(c) for c in chunks))


def zone_txt_records(text):
    """(owner, text) of each absolute-owner TXT record of a small zone file (the two RFC example
    files: `name. IN TXT "..."` or `( "..." "..." )` over several lines; comments after ';')."""
    text = re.sub(r';[^\n"]*(?=\n)', "", text)
    for m in re.finditer(r'^(\S+\.)\s+IN\s+TXT\s+(\([^)]*\)|"[^"\n]*")', text, re.M):
        yield m.group(1), "".join(re.findall(r'"([^"]*)"', m.group(2)))


def main():
    up, out = sys.argv[1], sys.argv[2]
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    os.makedirs(os.path.join(out, "zones"), exist_ok=True)
    os.makedirs(os.path.join(out, "msg"), exist_ok=True)
    zone = ["$ORIGIN .\n$TTL 3600\n",
            ". IN SOA ns.root-servers.test. hostmaster.example.net. 1 3600 600 86400 300\n",
            ". IN NS ns.root-servers.test.\n"]
    records = {}
    cases = []

    def add(name, value):
        key = name.lower().rstrip(".")
        if records.get(key, value).replace(" ", "") != value.replace(" ", ""):
            sys.exit("conflicting records for %s" % key)
        if key not in records:
            records[key] = value
            zone.append(txt(key, value))

    def write_msg(name, data):
        with open(os.path.join(out, "msg", name), "wb") as f:
            f.write(data)
        return name

    # ValiMail ARC validation suite
    suite = json.load(open(os.path.join(up, "arc-valimail", "arc-draft-validation-tests.json")))
    for scen in suite["scenarios"]:
        for name, value in scen["txt-records"].items():
            add(name, value)
        for test, t in scen["tests"].items():
            cv = (t.get("cv") or "fail").strip().lower() or "fail"
            f = write_msg("arc-%s.eml" % test, t["message"].encode())
            if not t["message"].strip():
                # cv_empty: no message at all, which the service refuses (400, field "message").
                cases.append(("arc-empty", f, cv, "-"))
                continue
            cases.append(("arc", f, cv, "todo" if test in ARC_EXPECTED_FAILURES else "-"))

    # Stalwart DKIM: "name value" lines, blank line, message
    for i in range(1, 7):
        data = open(os.path.join(up, "stalwart-mail-auth", "dkim", "%03d.txt" % i), "rb").read()
        sep = data.find(b"\n\n")
        for line in data[:sep].decode().splitlines():
            if line.strip():
                name, value = line.split(None, 1)
                add(name, value.strip())
        msg = data[sep + 2:]
        nsig = sum(1 for line in msg.split(b"\n") if line.lower().startswith(b"dkim-signature:"))
        cases.append(("dkim", write_msg("stalwart-%03d.eml" % i, msg), ",".join(["pass"] * nsig)))

    # The RFC key records (the same keys as Stalwart's lines for football.example.com: added once,
    # since two TXT records at one name would make a key lookup a permerror).
    for rel in ("rfc-dkim-examples/rfc8463-keys.zone", "rfc-dkim-examples/rfc6376-appendix-C.zone"):
        for name, value in zone_txt_records(open(os.path.join(up, rel)).read()):
            add(name, value)

    # dkimpy: the Ed25519 key of test.ex
    add("sed._domainkey.test.ex", open(os.path.join(up, "dkimpy", "eximtest.dns")).read().strip())
    for rel, name, want in [
        ("rfc-dkim-examples/rfc8463-appendix-A3.eml", "rfc8463-a3.eml", "pass,pass"),
        ("rfc-dkim-examples/rfc6376-appendix-A2.eml", "rfc6376-a2.eml", "fail"),
        ("dkimpy/ed25519test2.msg", "dkimpy-ed25519test2.eml", "pass"),
        ("dkimpy/rfc6376.signed.msg", "dkimpy-rfc6376-signed.eml", "pass,pass"),
    ]:
        cases.append(("dkim", write_msg(name, open(os.path.join(up, rel), "rb").read()), want))

    # DMARC result and decision reason per DKIM case: football.example.com publishes
    # p=reject at example.com (fixtures/dmarc/football.zone); no other From domain has a policy.
    dmarc = {
        "stalwart-001.eml": "pass",   # d=football.example.com aligned
        "stalwart-002.eml": "pass",   # d=example.com, relaxed alignment with football.example.com
        "stalwart-003.eml": "none",   # From jck.com: no policy
        "stalwart-004.eml": "none",   # facebookmail.com
        "stalwart-005.eml": "none",   # topicbox.com
        "stalwart-006.eml": "none",   # github.com
        "rfc8463-a3.eml": "pass",
        "rfc6376-a2.eml": "fail",     # the only signature fails, no SPF (no envelope)
        "dkimpy-ed25519test2.eml": "fail",  # From example.com (p=reject), d=test.ex not aligned
        "dkimpy-rfc6376-signed.eml": "pass",
    }
    rows = []
    for c in cases:
        if c[0] == "dkim":
            d = dmarc[c[1]]
            rows.append("\t".join([c[0], c[1], c[2], d, {"pass": "no-record", "none": "dmarc-not-enforcing"}.get(d, "dmarc-fail")]) + "\n")
        else:
            rows.append("\t".join(c) + "\n")

    zone_text = "".join(zone)
    zone_text += "\n; ---- fixtures/dmarc/football.zone\n" + open(os.path.join(root, "fixtures/dmarc/football.zone")).read()
    with open(os.path.join(out, "zones", "root.zone"), "w") as f:
        f.write(zone_text)
    with open(os.path.join(out, "cases.tsv"), "w") as f:
        f.writelines(rows)


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""tests/report-check.py — checks of tests/integration-report.t (python3 stdlib, python3-dkim,
libxml2-utils' xmllint). Each subcommand prints its findings on stdout and exits 1 on a problem.

  expect INDEX ZONE           "domain count" per policy domain that asks for reports (rua=), from the
                              demo messages that carry an envelope (the service records those)
  report FILE.xml.gz XSD      validates the gunzipped XML with xmllint --schema, prints
                              "domain messages records"
  mailbox MAILDIR DKIMZONE XSD  for each received message: its DKIM signature verified by dkimpy
                              against the TXT records of DKIMZONE, the application/gzip attachment
                              gunzipped and validated; prints "domain messages records to" per message
"""
import email
import email.policy
import gzip
import json
import mailbox
import os
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

NS = "{urn:ietf:params:xml:ns:dmarc-2.0}"


def fail(msg):
    print(msg)
    sys.exit(1)


def zone_txt(path):
    """owner (lower case, no trailing dot) -> joined TXT text, from an RFC 1035 zone file."""
    origin = ""
    out = {}
    for line in open(path, encoding="utf-8"):
        line = line.split(";", 1)[0] if '"' not in line else line
        if line.startswith("$ORIGIN"):
            origin = line.split()[1].rstrip(".")
            continue
        m = re.match(r'^(\S+)\s+(?:\d+\s+)?IN\s+TXT\s+(.*)$', line.strip())
        if not m:
            continue
        owner, rest = m.group(1), m.group(2)
        name = owner.rstrip(".") if owner.endswith(".") else f"{owner}.{origin}"
        out[name.lower()] = "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', rest))
    return out


def cmd_expect(index, zone):
    txt = zone_txt(zone)
    counts = {}
    for row in json.load(open(index)):
        if not row.get("ip"):
            continue
        dom = row["from"].rsplit("@", 1)[1].rstrip(">").lower()
        rec = txt.get(f"_dmarc.{dom}", "")
        if "rua=mailto:" in rec:
            counts[dom] = counts.get(dom, 0) + 1
    for d in sorted(counts):
        print(d, counts[d])


def check_xml(data, xsd):
    with tempfile.NamedTemporaryFile(suffix=".xml") as f:
        f.write(data)
        f.flush()
        r = subprocess.run(["xmllint", "--noout", "--schema", xsd, f.name], capture_output=True, text=True)
        if r.returncode != 0:
            fail("xmllint: " + r.stderr.strip())
    root = ET.fromstring(data)
    domain = root.find(f"{NS}policy_published/{NS}domain").text
    records = root.findall(f"{NS}record")
    messages = sum(int(r.find(f"{NS}row/{NS}count").text) for r in records)
    return domain, messages, len(records)


def cmd_report(path, xsd):
    d, m, r = check_xml(gzip.open(path).read(), xsd)
    print(d, m, r)


def cmd_mailbox(maildir, dkimzone, xsd):
    import dkim
    keys = zone_txt(dkimzone)

    def dnsfunc(name, timeout=5):
        return keys.get(name.decode().rstrip(".").lower(), "").encode()

    box = mailbox.Maildir(maildir, create=False)
    found = 0
    for key in sorted(box.keys()):
        raw = box.get_bytes(key)
        if not dkim.verify(raw, dnsfunc=dnsfunc):
            fail(f"{key}: dkimpy: the DKIM signature does not verify")
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        subject = " ".join(str(msg["Subject"]).split())
        m = re.match(r"^Report Domain: (\S+) Submitter: (\S+) Report-ID: <([^>]+)>$", subject)
        if not m:
            fail(f"{key}: Subject is not RFC 9990's: {subject!r}")
        att = [p for p in msg.iter_attachments() if p.get_content_type() == "application/gzip"]
        if len(att) != 1:
            fail(f"{key}: {len(att)} application/gzip attachments")
        name = att[0].get_filename()
        if not name.endswith(".xml.gz") or f"!{m.group(1)}!" not in name or not name.endswith(m.group(3) + ".xml.gz"):
            fail(f"{key}: attachment name {name!r} is not receiver!{m.group(1)}!begin!end!{m.group(3)}.xml.gz")
        d, n, r = check_xml(gzip.decompress(att[0].get_content()), xsd)
        if d != m.group(1):
            fail(f"{key}: Subject domain {m.group(1)} but report for {d}")
        # the raw file for our own verifier
        with open(os.path.join(maildir, f"msg-{found}.eml"), "wb") as f:
            f.write(raw)
        print(d, n, r, msg["To"])
        found += 1


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    {"expect": cmd_expect, "report": cmd_report, "mailbox": cmd_mailbox}[cmd](*args)

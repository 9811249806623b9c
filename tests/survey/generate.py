#!/usr/bin/env python3
"""tests/survey/generate.py — writes the Maildir `bimi survey` is tested and benchmarked on.

    generate.py DIR              the test set: the messages of CASES below, in DIR/new and DIR/cur
    generate.py DIR --count N    N messages drawn from the evaluable cases over a week, more mail by day and
                                 more from PTR-less clients at night (bench/survey.sh, the README chart)

Every message carries a Received field written by our MX, mx.survey.test (tests/survey/survey.conf,
[auth] trusted_receivers), with the client address, the HELO and the date the survey bins by, and a
Return-Path above it (the MAIL FROM). DMARC passes through SPF alignment (the zone's SPF records in
tests/survey/survey.zone): no DKIM signature is needed. tests/survey-cli.t holds the expected counts,
worked out by hand from the table here.
"""
import os
import random
import sys

# name, date of our MX's Received field (None: no date), client IP, From domain, MAIL FROM domain, kind
#   kind: "trusted" (our MX's Received field), "foreign" (only another host's Received: no envelope),
#         "bad-received" (our MX's field names an impossible address), "garbage" (not a message)
CASES = [
    # bin 2026-03-02 00:00 UTC
    ("a1-reject-pass",    "Mon, 02 Mar 2026 01:10:00 +0000", "192.0.2.1", "reject",     "reject",     "trusted"),
    ("a2-reject-spoof",   "Mon, 02 Mar 2026 01:20:00 +0000", "192.0.2.1", "reject",     "spoofer",    "trusted"),
    ("a3-quar-spoof-noptr", "Mon, 02 Mar 2026 02:00:00 +0000", "192.0.2.3", "quarantine", "spoofer",  "trusted"),
    ("a4-none-spoof-fail", "Mon, 02 Mar 2026 03:00:00 +0000", "192.0.2.2", "none",      "spoofer",    "trusted"),
    ("a5-nodmarc",        "Mon, 02 Mar 2026 05:59:59 +0000", "192.0.2.1", "nodmarc",    "nodmarc",    "trusted"),
    # bin 2026-03-02 06:00 UTC
    ("b1-reject-pass-noptr", "Mon, 02 Mar 2026 06:00:00 +0000", "192.0.2.3", "reject",  "reject",     "trusted"),
    ("b2-testmode-spoof", "Mon, 02 Mar 2026 07:00:00 +0000", "192.0.2.1", "testmode",   "spoofer",    "trusted"),
    ("b3-quar-pass-temperror", "Mon, 02 Mar 2026 08:00:00 +0000", "192.0.2.4", "quarantine", "quarantine", "trusted"),
    ("b4-none-pass",      "Mon, 02 Mar 2026 09:00:00 +0000", "192.0.2.1", "none",       "none",       "trusted"),
    ("b5-no-envelope",    "Mon, 02 Mar 2026 10:00:00 +0000", "198.51.100.7", "reject",  "spoofer",    "foreign"),
    # bin 2026-03-02 12:00 UTC (dates in +0900: 22:10 JST is 13:10 UTC)
    ("c1-quar-pass",      "Mon, 02 Mar 2026 22:10:00 +0900", "192.0.2.1", "quarantine", "quarantine", "trusted"),
    ("c2-reject-spoof-fail", "Mon, 02 Mar 2026 23:00:00 +0900", "192.0.2.2", "reject",  "spoofer",    "trusted"),
    ("c3-nodmarc-noptr",  "Tue, 03 Mar 2026 02:59:00 +0900", "192.0.2.3", "nodmarc",    "nodmarc",    "trusted"),
    ("c4-none-spoof-noptr", "Mon, 02 Mar 2026 12:00:00 +0000", "192.0.2.3", "none",     "spoofer",    "trusted"),
    # no date: in the total only
    ("d1-undated",        None,                              "192.0.2.1", "reject",     "reject",     "trusted"),
    # malformed: listed, not evaluated
    ("m1-bad-received",   "Mon, 02 Mar 2026 01:00:00 +0000", "192.0.2.1", "reject",     "reject",     "bad-received"),
    ("m2-garbage",        None,                              None,        None,         None,         "garbage"),
]

HELO = {"192.0.2.1": "mx1.sender.survey.test", "192.0.2.2": "mx2.sender.survey.test",
        "192.0.2.3": "unnamed.sender.survey.test", "192.0.2.4": "slow.sender.survey.test",
        "198.51.100.7": "relay.elsewhere.example"}


def message(name, date, ip, from_dom, mf_dom, kind, serial):
    if kind == "garbage":
        return b"\x00\x01 this is not a message\n\nno header section\n"
    helo = HELO[ip]
    stamp = "; " + date if date else ""
    lines = []
    if kind == "foreign":
        lines.append("Received: from %s ([%s])\n\tby relay.elsewhere.example with ESMTP id F%06d%s"
                     % (helo, ip, serial, stamp))
    else:
        addr = "[300.1.2.3]" if kind == "bad-received" else "[%s]" % ip
        lines.append("Return-Path: <bounces@%s.survey.test>" % mf_dom)
        lines.append("Received: from %s (%s %s)\n\tby mx.survey.test (Postfix) with ESMTPS id S%06d\n"
                     "\tfor <user@mx.survey.test>%s" % (helo, helo, addr, serial, stamp))
    lines += [
        "From: Survey Sender <news@%s.survey.test>" % from_dom,
        "To: <user@mx.survey.test>",
        "Subject: survey message %s" % name,
        "Date: %s" % (date or "Mon, 02 Mar 2026 00:00:00 +0000"),
        "Message-ID: <%s.%d@%s.survey.test>" % (name, serial, from_dom),
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "",
        "Message %s of the survey test." % name,
        "",
    ]
    return "\n".join(lines).encode()


def write(maildir, sub, fname, data):
    with open(os.path.join(maildir, sub, fname), "wb") as f:
        f.write(data)


def main():
    if len(sys.argv) not in (2, 4) or (len(sys.argv) == 4 and sys.argv[2] != "--count"):
        sys.exit("usage: generate.py DIR [--count N]")
    maildir = sys.argv[1]
    for sub in ("new", "cur", "tmp"):
        os.makedirs(os.path.join(maildir, sub), exist_ok=True)
    if len(sys.argv) == 2:
        for i, case in enumerate(CASES):
            # Maildir names "time.unique.host[:2,flags]"; half of them in cur/ (already seen)
            sub = "cur" if i % 2 else "new"
            fname = "1772409600.%s.survey%s" % (case[0], ":2,S" if sub == "cur" else "")
            write(maildir, sub, fname, message(*case, serial=i))
        return
    # --count: a week of mail with a day/night rhythm (more mail by day, more of it from clients without
    # a PTR at night), from a fixed seed so that every run writes the same mailbox.
    n = int(sys.argv[3])
    rnd = random.Random(17)
    usable = [c for c in CASES if c[5] in ("trusted", "foreign") and c[1] is not None]
    weight = {"a1": 30, "a2": 4, "a3": 5, "a4": 3, "a5": 10, "b1": 2, "b2": 2, "b3": 1, "b4": 8, "b5": 1,
              "c1": 20, "c2": 3, "c3": 3, "c4": 4}
    hours = [h for h in range(168) for _ in range(3 if 7 <= h % 24 < 19 else 1)]
    for i in range(n):
        hour = rnd.choice(hours)
        night = not 7 <= hour % 24 < 19
        w = [weight[c[0][:2]] * (4 if night and c[2] == "192.0.2.3" else 1) for c in usable]
        name, _, ip, from_dom, mf_dom, kind = rnd.choices(usable, weights=w)[0]
        day = hour // 24
        date = "%02d Mar 2026 %02d:%02d:%02d +0000" % (2 + day, hour % 24, rnd.randrange(60), rnd.randrange(60))
        write(maildir, "new", "1772409600.%07d.bench" % i, message(name, date, ip, from_dom, mf_dom, kind, i))

if __name__ == "__main__":
    main()

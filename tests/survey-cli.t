#!/usr/bin/env python3
# tests/survey-cli.t — `bimi survey` (issue 17) over the Maildir of tests/survey/generate.py with the DNS of
# tests/survey/survey.zone (offline) and our MX mx.survey.test as [auth] trusted_receivers: every count of
# every table, per 6-hour bin and in total, in the text tables, in --json and in --csv, worked out by hand
# from the cases of the generator; the malformed messages listed, exit 0; INPUT "-" (paths on stdin),
# --jobs 1 = --jobs 2, --from/--to, --bin, --report-db, --charts (three PNGs of the chart size, drawn in
# the legend's colours), nothing on stderr on a pipe, the same counts from an mbox, the progress on a
# pseudo-terminal (Maildir: count/total; mbox: the share of bytes read; "-": count and rate), usage
# errors. TAP, run by make check.
import csv
import io
import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
os.chdir(ROOT)
sys.path.insert(0, os.path.join(ROOT, "tests", "web"))
sys.path.insert(0, os.path.join(ROOT, "tests", "helpers"))
from harness import png_pixels  # noqa: E402
from tap import ok  # noqa: E402
import tap  # noqa: E402

BIMI = "build/bimi"
if not os.access(BIMI, os.X_OK):
    print("Bail out! build/bimi is not built")
    sys.exit(1)



T = tempfile.mkdtemp(prefix="survey-cli-")
MAILDIR = os.path.join(T, "Maildir")
subprocess.run([sys.executable, "tests/survey/generate.py", MAILDIR], check=True)
BASE = [BIMI, "survey", "-c", "tests/survey/survey.conf", "--trust-store", "data/bimi-roots.pem",
        "--ct-logs", "data/ct-logs.cnf", "--zone", "tests/survey/survey.zone",
        "--dns-timeout", "4.2.0.192.in-addr.arpa"]


def survey(*args, stdin=None):
    p = subprocess.run(BASE + list(args), input=stdin, capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


# The expected counts, data in tests/survey/expect.json (see the table in tests/survey/generate.py and the
# zone's comment):
#   bin A 2026-03-02 00:00  a1 reject pass .1 | a2 reject spoof .1 | a3 quarantine spoof .3 (no PTR)
#                           a4 none spoof .2 (PTR not confirmed) | a5 no DMARC record .1
#   bin B 06:00             b1 reject pass .3 | b2 testmode (p=reject t=y) spoof .1 | b3 quarantine pass .4
#                           (temperror) | b4 none pass .1 | b5 reject forged, no trusted Received (no envelope)
#   bin C 12:00 (+0900)     c1 quarantine pass .1 | c2 reject spoof .2 | c3 no record .3 | c4 none spoof .3
#   undated (total only)    d1 reject pass .1
def load_expected():
    """tests/survey/expect.json: the bins (A, B, C) and the total, each {table: {category: count}}."""
    with open("tests/survey/expect.json") as f:
        data = json.load(f)
    return [(b.pop("start"), b) for b in data["bins"]], data["total"]


BINS, TOTAL = load_expected()
(_, A), (_, B), (_, C) = BINS
TABLES = ["fcrdns", "dmarc", "policy", "policy_domains", "receiver_published", "receiver_refuse_p_none",
          "receiver_refuse_no_ptr", "bimi_record", "bimi_decision", "bimi_reason"]


def want_counts(exp, table):
    """The expected counts of one table as {category: count}; reasons not listed are 0."""
    d = {k.rstrip("_"): v for k, v in exp[table].items()}
    return d


def compare(got_counts, exp, table):
    """Differences between a table's counts and the expectation (categories absent from exp must be 0)."""
    want = want_counts(exp, table)
    diffs = []
    for cat in set(got_counts) | set(want):
        g = got_counts.get(cat, 0)
        w = want.get(cat, 0)
        if g != w:
            diffs.append("%s.%s: got %s, want %s" % (table, cat, g, w))
    return diffs


# ---- the default run: text table ------------------------------------------------------------------
rc, text, err = survey(MAILDIR)
ok(rc == 0, "survey of the test Maildir exits 0 (malformed messages do not abort it)", err)
ok(err == "", "nothing on stderr when it is not a terminal", err)
ok(re.search(r"^bimi survey: 17 messages read, 15 evaluated, 2 malformed; 6-hour bins", text, re.M) is not None,
   "summary line: 17 read, 15 evaluated, 2 malformed, 6-hour bins", text[:300])

# Parse the text tables: a title line, a head line, then rows "LABEL  N  c s%  c s% ...".
TITLES = {
    "fcrdns": "FCrDNS of the SMTP client", "dmarc": "DMARC result",
    "policy": "Published DMARC policy of the author domain, by messages",
    "policy_domains": "Published DMARC policy, by distinct author domains",
    "receiver_published": "A DMARC-enforcing receiver", "receiver_refuse_p_none": "The same, refusing the failures",
    "receiver_refuse_no_ptr": "The published policy, refusing clients without a PTR",
    "bimi_record": "BIMI: does the author domain", "bimi_decision": "BIMI decision\n",
    "bimi_reason": "BIMI decision by reason",
}
ORDER = {
    "fcrdns": ["pass", "fail", "none", "temperror", "no_envelope"],
    "dmarc": ["pass", "fail", "none", "temperror", "permerror", "no_from"],
    "policy": ["reject", "quarantine", "none", "no_record", "unknown"],
    "policy_domains": ["reject", "quarantine", "none", "no_record", "unknown"],
    "receiver_published": ["reject", "quarantine", "deliver", "refused"],
    "receiver_refuse_p_none": ["reject", "quarantine", "deliver", "refused"],
    "receiver_refuse_no_ptr": ["reject", "quarantine", "deliver", "refused"],
    "bimi_record": ["record", "no_record", "not_looked_up", "temperror"],
    "bimi_decision": ["logo+checkmark", "logo", "none"],
}
blocks = text.split("\n\n")
text_diffs = []
for table in TABLES:
    block = next((b for b in blocks if (b + "\n").startswith(TITLES[table])), None)
    if block is None:
        text_diffs.append("no table " + table)
        continue
    lines = block.splitlines()
    head = lines[1]
    rows = {}
    for line in lines[2:]:
        m = re.match(r"^(\d{4}-\d\d-\d\d \d\d:\d\d|total)\s+(\d+)\s+(.*)$", line)
        if m:
            rows[m.group(1)] = [int(c) for c in re.findall(r"(\d+)\s+\d+\.\d%", m.group(3))]
    if table == "bimi_reason":
        order = re.split(r"\s{2,}", head.strip())[1:]  # the reasons that occur, as the head names them
    else:
        order = ORDER[table]
    for label, exp in [("2026-03-02 00:00", A), ("2026-03-02 06:00", B), ("2026-03-02 12:00", C), ("total", TOTAL)]:
        got = dict(zip(order, rows.get(label, [])))
        if len(rows.get(label, [])) != len(order):
            text_diffs.append("%s %s: %d cells for %d columns" % (table, label, len(rows.get(label, [])), len(order)))
        text_diffs += ["%s %s" % (label, d) for d in compare(got, exp, table)]
ok(not text_diffs, "text tables: every count per bin and in total", "\n".join(text_diffs) + "\n" + text)
ok("33.3%" in [c for c in re.findall(r"\d+\.\d%", next(b for b in blocks if b.startswith("A DMARC-enforcing"))
                                        .splitlines()[-1])],
   "text: a third of the mail refused under the published policies (5 of 15 = 33.3%)", text)
mal = text[text.find("Malformed messages (2)"):]
ok(re.search(r"m2-garbage\.survey: line 1: not a header field", mal) is not None and
   re.search(r"m1-bad-received\.survey:2,S: .*address literal \[300\.1\.2\.3\]", mal) is not None,
   "text: the malformed messages listed with file and reason", mal)

# ---- --json -------------------------------------------------------------------------------------
rc, out, err = survey("--json", MAILDIR)
ok(rc == 0 and err == "", "--json exits 0, stderr empty", err)
js = json.loads(out)
ok(js["messages"] == {"read": 17, "evaluated": 15, "malformed": 2, "outside_period": 0, "undated": 1,
                      "beyond_bin_limit": 0},
   "--json messages: read 17, evaluated 15, malformed 2, undated 1", js["messages"])
json_diffs = []
ok([b["start"] for b in js["bins"]] == [s for s, _ in BINS] and
   [b["end"] for b in js["bins"]] == ["2026-03-02T06:00:00Z", "2026-03-02T12:00:00Z", "2026-03-02T18:00:00Z"],
   "--json: three 6-hour bins, UTC (the +0900 dates fall in the 12:00 bin)", [b["start"] for b in js["bins"]])
for label, got, exp in [("total", js["total"], TOTAL)] + [(s, b, e) for (s, e), b in zip(BINS, js["bins"])]:
    if got["messages"] != exp["messages"]:
        json_diffs.append("%s messages %s != %s" % (label, got["messages"], exp["messages"]))
    for table in TABLES:
        json_diffs += ["%s %s" % (label, d) for d in compare(got[table]["counts"], exp, table)]
ok(not json_diffs, "--json: every count of every table per bin and in total", "\n".join(json_diffs))
ok(js["total"]["receiver_published"]["shares"]["refused"] == 0.3333 and
   js["total"]["receiver_refuse_p_none"]["shares"]["refused"] == 0.4667 and
   js["total"]["fcrdns"]["shares"]["none"] == 0.2667,
   "--json shares: refused 0.3333 / 0.4667, FCrDNS none 0.2667", js["total"]["receiver_published"])
ok(js["total"]["policy_domains"]["capped"] is False and js["survey"]["bin_seconds"] == 21600,
   "--json: policy_domains not capped; bin_seconds 21600", js["survey"])
ok([os.path.basename(m["file"]) for m in js["malformed"]] ==
   ["1772409600.m2-garbage.survey", "1772409600.m1-bad-received.survey:2,S"] and
   "[300.1.2.3]" in js["malformed"][1]["reason"],
   "--json malformed: file and reason, in input order (new/ before cur/)", js["malformed"])
ok(isinstance(js["messages_per_second"], float) and js["messages_per_second"] > 0 and js["elapsed_seconds"] > 0,
   "--json: messages_per_second and elapsed_seconds", js.get("messages_per_second"))
print("# survey of 17 messages: %.1f messages/s" % js["messages_per_second"])

# ---- --csv --------------------------------------------------------------------------------------
p = subprocess.run(BASE + ["--csv", MAILDIR], capture_output=True)  # bytes: the CRLF line ends kept
rc, out, err = p.returncode, p.stdout.decode(), p.stderr.decode()
ok(rc == 0 and err == "" and out.startswith("bin_start,bin_end,table,category,count,share,note\r\n") and
   out.count("\r\n") == out.count("\n"), "--csv exits 0 with its head line, every line CRLF", out[:200])
rows = list(csv.reader(io.StringIO(out, newline="")))
got = {}
for r in rows[1:]:
    got.setdefault(r[0], {}).setdefault(r[2], {})[r[3]] = int(r[4])
csv_diffs = []
for label, exp in [("total", TOTAL)] + BINS:
    if got.get(label, {}).get("messages", {}).get("messages") != exp["messages"]:
        csv_diffs.append("%s messages" % label)
    for table in TABLES:
        csv_diffs += ["%s %s" % (label, d) for d in compare(got.get(label, {}).get(table, {}), exp, table)]
ok(not csv_diffs, "--csv: the same counts per bin and in total", "\n".join(csv_diffs))
ok(got["run"]["run"] == {"read": 17, "evaluated": 15, "malformed": 2, "outside_period": 0, "undated": 1,
                         "beyond_bin_limit": 0} and len(got["run"]["malformed"]) == 2,
   "--csv: the run's counters and the two malformed rows", got.get("run"))
share = [r[5] for r in rows if r[0] == "total" and r[2] == "receiver_published" and r[3] == "refused"]
ok(share == ["0.3333"], "--csv share of refused mail: 0.3333", share)

# ---- INPUT "-", --jobs --------------------------------------------------------------------------
rc, out, err = survey("--json", "--jobs", "1", "-", stdin=MAILDIR + "\n\n")
j1 = json.loads(out) if rc == 0 else {}
ok(rc == 0 and j1.get("total") == js["total"] and j1.get("bins") == js["bins"] and j1["survey"]["jobs"] == 1,
   "INPUT - (paths on stdin) with --jobs 1: the same counts as the directory with --jobs 2", err)
rc, out, err = survey("--json", "--jobs", "2", "-", stdin=os.path.join(T, "missing") + "\n")
jm = json.loads(out) if rc == 0 else {}
ok(rc == 0 and jm["messages"]["malformed"] == 1 and "missing" in jm["malformed"][0]["file"],
   "a path on stdin that cannot be opened is listed as malformed, the run goes on", out + err)

# ---- an mbox file, the progress on a terminal --------------------------------------------------------
# The same messages as one mbox (RFC 4155 From_ lines, mboxrd quoting): the same counts, the malformed
# named by message and line.
MBOX = os.path.join(T, "survey.mbox")
with open(MBOX, "wb") as mbox:
    for d in ("new", "cur"):
        for name in sorted(os.listdir(os.path.join(MAILDIR, d))):
            with open(os.path.join(MAILDIR, d, name), "rb") as f:
                data = re.sub(rb"(?m)^(>*From )", rb">\1", f.read())
            mbox.write(b"From MAILER-DAEMON Thu Jan  1 00:00:00 1970\n" + data + (b"" if data.endswith(b"\n") else b"\n")
                       + b"\n")
rc, out, err = survey("--json", MBOX)
jb = json.loads(out) if rc == 0 else {}
ok(rc == 0 and jb.get("total") == js["total"] and jb.get("bins") == js["bins"]
   and jb["messages"]["malformed"] == 2 and all(re.search(r"survey\.mbox, message \d+ \(line \d+\)", m["file"])
                                                 for m in jb["malformed"]),
   "an mbox of the same messages: the same counts, the malformed named by message and line", out[-2000:] + err)


def survey_tty(*args):
    """bimi survey with stderr on a pseudo-terminal: (exit, stdout, what the terminal showed)."""
    import pty
    master, slave = pty.openpty()
    with tempfile.TemporaryFile() as stdout:
        p = subprocess.Popen(BASE + list(args), stdout=stdout, stderr=slave, stdin=subprocess.DEVNULL)
        os.close(slave)
        shown = b""
        while True:
            try:
                data = os.read(master, 4096)
            except OSError:  # EIO: the last writer closed the terminal
                break
            if not data:
                break
            shown += data
        p.wait()
        os.close(master)
        stdout.seek(0)
        return p.returncode, stdout.read().decode(), shown.decode(errors="replace")


# The last progress line (drawn with \r) is the end of the run: every message, every byte.
rc, out, shown = survey_tty("--json", MAILDIR)
last = shown.replace("\r\n", "\n").split("\r")[-2] if "\r" in shown else shown
ok(rc == 0 and re.search(r"\[#{30}\] 17/17 +\d+ msg/s +ETA 0:00", last) is not None,
   "on a terminal, a Maildir: the bar, count/total, rate and ETA (last: %r)" % last.strip(), shown[-500:])
rc, out, shown = survey_tty("--json", MBOX)
last = shown.replace("\r\n", "\n").split("\r")[-2] if "\r" in shown else shown
ok(rc == 0 and re.search(r"\[#{30}\] 17 messages +100 % +\d+ msg/s +ETA 0:00", last) is not None,
   "on a terminal, an mbox: the bar and the share of bytes read, rate and ETA (last: %r)" % last.strip(), shown[-500:])
rc, out, shown = survey_tty("--json", "-")
ok(rc == 0 and re.search(r"^\r?0 messages +0 msg/s", shown.split("\n")[0]) is not None,
   "on a terminal, INPUT - (nothing known beforehand): the count and the rate only", shown[-500:])

# ---- --from / --to, --bin ------------------------------------------------------------------------
rc, out, err = survey("--json", "--from", "2026-03-02T06:00:00Z", "--to", "2026-03-02T12:00:00Z", MAILDIR)
jf = json.loads(out) if rc == 0 else {}
ok(rc == 0 and jf["messages"]["evaluated"] == 5 and jf["messages"]["outside_period"] == 11 and
   jf["messages"]["malformed"] == 1 and len(jf["bins"]) == 1 and not compare(jf["total"]["fcrdns"]["counts"], B, "fcrdns"),
   "--from/--to keep the 06:00 bin only (5 evaluated, 11 outside, the garbage still malformed)", out[:600] + err)
rc, out, err = survey("--json", "--bin", "1d", MAILDIR)
jd = json.loads(out) if rc == 0 else {}
ok(rc == 0 and [b["start"] for b in jd["bins"]] == ["2026-03-02T00:00:00Z"] and jd["bins"][0]["messages"] == 14,
   "--bin 1d: one bin of 14 messages", out[:300] + err)

# ---- --report-db ---------------------------------------------------------------------------------
db = os.path.join(T, "report.db")
rc, out, err = survey("--report-db", db, MAILDIR)
rows_db = sqlite3.connect(db).execute("SELECT count(*) FROM evaluation").fetchone()[0] if rc == 0 else -1
ok(rc == 0 and rows_db == 12,
   "--report-db records the 12 evaluations with a DMARC record and a client address", "%s rows; %s" % (rows_db, err))

# ---- --charts -----------------------------------------------------------------------------------


def png_colours(path):
    """(width, height, set of RGB colours) of a PNG the charts wrote."""
    with open(path, "rb") as f:
        width, height, ch, rows = png_pixels(f.read())
    return width, height, {row[x:x + 3] for row in rows for x in range(0, len(row), ch * 7)}


charts = os.path.join(T, "charts")
rc, out, err = survey("--charts", charts, MAILDIR)
ok(rc == 0 and err == "", "--charts exits 0", err)
want = {"fcrdns.png": [b"\x2e\x7d\x32", b"\xef\x6c\x00", b"\xc6\x28\x28"],  # pass green, fail orange, none red
        "dmarc.png": [b"\x2e\x7d\x32", b"\xc6\x28\x28", b"\xb7\x1c\x1c", b"\xf5\x7c\x00"],
        "refused.png": [b"\xb7\x1c\x1c", b"\xf5\x7c\x00"]}
for name, colours in sorted(want.items()):
    path = os.path.join(charts, name)
    if not os.path.exists(path):
        ok(False, "--charts wrote " + name)
        continue
    w, h, seen = png_colours(path)
    missing = [c.hex() for c in colours if c not in seen]
    ok((w, h) == (1200, 675) and len(seen) > 20 and not missing,
       "%s: 1200x675, not blank (%d colours), the legend's colours drawn" % (name, len(seen)),
       "size %dx%d, missing %s" % (w, h, missing))

# ---- usage ---------------------------------------------------------------------------------------
for args, pattern, name in [
    (["--bin", "10s", MAILDIR], r"--bin: '10s' is out of range", "--bin below a minute is refused"),
    (["--bin", "6x", MAILDIR], r"--bin: '6x' is not a duration", "--bin with an unknown unit is refused"),
    (["--json", "--csv", MAILDIR], r"--json and --csv are exclusive", "--json with --csv is refused"),
    (["--jobs", "257", MAILDIR], r"--jobs: 257 is out of range \(1 to 256\)", "--jobs over BIMI_SURVEY_MAX_JOBS"),
    ([os.path.join(T, "nowhere")], r"nowhere: No such file or directory", "an INPUT that does not exist"),
    ([], r"expected at least one INPUT", "no INPUT"),
    (["--from", "yesterday", MAILDIR], r"--from: 'yesterday' is not RFC 3339", "a bad --from"),
]:
    rc, out, err = survey(*args)
    ok(rc == 2 and re.search(pattern, err) is not None and out == "", "usage: " + name + " (exit 2)",
       "exit %d: %s" % (rc, err))

subprocess.run(["rm", "-rf", T])
tap.plan()
sys.exit(tap.exit_status())

#!/usr/bin/env python3
# tests/man-pages.t — the man pages (man/*.scd, scdoc) kept true to the programs (issue 22):
#   bimi(1):      every command of `bimi --help` has a "## bimi COMMAND" section, and every long option of
#                 `bimi COMMAND --help` (and of `bimi COMMAND SUB --help` for each "## bimi COMMAND SUB" the
#                 page has) appears in those sections (or in DNS OPTIONS, when the section says it takes
#                 them); every "## bimi X" section names a command that exists;
#   bimi-fcgi(8): every option of `bimi-fcgi --help`;
#   bimi.conf(5): every [group] and key of `bimi config example`, each key under its own group's section,
#                 and no key that the example does not have;
# and each page builds with scdoc (when installed). TAP, run by make check.
import os, re, shutil, subprocess, sys

os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path.insert(0, os.path.join("tests", "helpers"))
import tap  # noqa: E402

BIMI, FCGI = "build/bimi", "build/bimi-fcgi"


def ok(cond, name, detail=""):
    """A test line; on failure the first 20 lines of @detail."""
    return tap.ok(cond, name, detail, max_lines=20)


def run(*argv):
    p = subprocess.run(list(argv), capture_output=True, text=True)
    return p.stdout + p.stderr


def sections(text, level):
    """{heading: body} of the scdoc headings of `level` '#'s (a body runs to the next heading of that level
    or higher)."""
    out, cur = {}, None
    for line in text.splitlines():
        m = re.match(r"^(#+) (.*)$", line)
        if m and len(m.group(1)) <= level:
            cur = m.group(2).strip() if len(m.group(1)) == level else None
            if cur is not None:
                out[cur] = ""
            continue
        if cur is not None:
            out[cur] += line + "\n"
    return out


def long_options(help_text):
    return sorted(set(re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*)", help_text)) - {"--help"})


for prog in (BIMI, FCGI):
    if not os.access(prog, os.X_OK):
        print("Bail out! %s is not built" % prog)
        sys.exit(1)

# ---- bimi(1) ---------------------------------------------------------------------------------------
page = open("man/bimi.1.scd").read()
top = run(BIMI, "--help")
commands = re.findall(r"^  ([a-z]+)\s{2,}\S", top.split("Commands:", 1)[1], re.M)
ok(len(commands) >= 10, "bimi --help lists the commands (%d)" % len(commands), top)
subs = sections(page, 2)
by_command = {}
for head, body in subs.items():
    m = re.match(r"^bimi ([a-z]+)\b", head)
    if m:
        by_command[m.group(1)] = by_command.get(m.group(1), "") + head + "\n" + body
common = sections(page, 1).get("DNS OPTIONS", "")
for c in commands:
    if c not in by_command:
        ok(False, "bimi(1) has a section for 'bimi %s'" % c)
        continue
    body = by_command[c]
    text = body + (common if "DNS OPTIONS" in " ".join(body.split()) else "")
    # A command with subcommands (bimi report build, ...): the options of each subcommand the page names.
    subcommands = sorted(set(re.findall(r"^bimi %s ([a-z]+)(?: |$)" % c, body, re.M)))
    opts = sorted(set(long_options(run(BIMI, c, "--help"))).union(
        *[long_options(run(BIMI, c, s, "--help")) for s in subcommands]))
    missing = [o for o in opts if not re.search(r"\*%s\*" % re.escape(o), text)]
    ok(not missing, "bimi(1) 'bimi %s' documents its %d options" % (c, len(opts)), "missing: %s" % missing)
extra = sorted(set(by_command) - set(commands))
ok(not extra, "bimi(1) documents no command that bimi --help does not list", "extra: %s" % extra)

# ---- bimi-fcgi(8) ----------------------------------------------------------------------------------
page8 = open("man/bimi-fcgi.8.scd").read()
opts = long_options(run(FCGI, "--help"))
options8 = sections(page8, 1).get("OPTIONS", "")
missing = [o for o in opts if not re.search(r"\*%s\*" % re.escape(o), options8)]
ok(len(opts) >= 3 and not missing, "bimi-fcgi(8) OPTIONS documents the %d options of bimi-fcgi --help" % len(opts),
   "missing: %s" % missing)

# ---- bimi.conf(5) ----------------------------------------------------------------------------------
page5 = open("man/bimi.conf.5.scd").read()
example = run(BIMI, "config", "example")
keys, group = [], None
for line in example.splitlines():
    m = re.match(r"^\[([a-z]+)\]$", line)
    if m:
        group = m.group(1)
        continue
    m = re.match(r"^(?:# )?([a-z_]+) =( |$)", line)  # "# key = default": a default left commented out
    if m and group:
        keys.append((group, m.group(1)))
ok(len(keys) >= 40, "bimi config example has the keys (%d)" % len(keys))
groups5 = {h.strip("[]"): body for h, body in sections(page5, 2).items() if h.startswith("[")}
missing = [g + "." + k for g, k in keys if not re.search(r"^\*%s\* =" % re.escape(k), groups5.get(g, ""), re.M)]
ok(not missing, "bimi.conf(5) documents every key under its group", "missing: %s" % missing)
documented = {(g, k) for g, body in groups5.items() for k in re.findall(r"^\*([a-z_]+)\* =", body, re.M)}
extra = sorted("%s.%s" % gk for gk in documented - set(keys))
ok(not extra, "bimi.conf(5) documents no key that the key table does not have", "extra: %s" % extra)

# ---- scdoc -----------------------------------------------------------------------------------------
for src in sorted(os.listdir("man")):
    if not src.endswith(".scd"):
        continue
    if shutil.which("scdoc") is None:
        ok(True, "scdoc builds man/%s # SKIP scdoc not installed" % src)
        continue
    p = subprocess.run(["scdoc"], stdin=open("man/" + src), capture_output=True, text=True)
    ok(p.returncode == 0 and ".TH" in p.stdout, "scdoc builds man/%s" % src, p.stderr)

tap.plan()
sys.exit(tap.exit_status())

#!/usr/bin/python3
# tests/filter-consent.t — consent-aware filtering (issue 17) through the real demo stack.
#
# Starts scripts/demo-stack (front nginx, bimi-fcgi with the demo zones and [report] db, TLS origin) on
# free loopback ports and, for every message of fixtures/demo/messages/index.json:
#   - POST /bimi/v1/evaluate without consent= and with consent= "", none, dmarc, no-ptr, "dmarc,no-ptr":
#     filter.recommended (action and each filter's reason) and filter.label are the manifest's
#     expect.filter whatever the consent; filter.applied is deliver without consent (absent, "", none)
#     and otherwise the strongest recommended reason the consent covers, with exactly those reasons;
#     filter.consent and consent_source say what was taken into account;
#   - every other member (authentication_results byte for byte) is the same with and without consent;
#   - `bimi evaluate --json` with the stack's configuration gives the same filter member;
# then: consent=spam and an over-long consent are 400 with field "consent"; the report database
# records the spoof's applied disposition (none, local_policy with the consent comment), and
# `bimi evaluate --consent dmarc --report-db` records reject; /bimi/v1/metrics counts recommended and
# applied actions exactly; the demo inbox in headless Chromium: with the "Filter spoofed mail" switch off (the
# default) every message is in the inbox and the spoof shows its warning label, with ?filter=on the spoof is in the
# Spam view (the no-PTR message is not: the switch is the dmarc filter), and a click on the switch moves it there
# (the page asks again with consent=dmarc, seen in the front's access log).
#
# TAP, run by `make check`. The stack is stopped in every exit path; a stack that does not start is a
# failure, not a skip.
import html.parser
import json
import os
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
sys.path.insert(0, os.path.join(ROOT, 'tests', 'web'))
from harness import CHROMIUM, Tap, bail, chromium, chromium_noise_free, demo_stack  # noqa: E402

os.chdir(ROOT)
BUILD = os.environ.get('BIMI_BUILD', 'build/obj/release')
BIMI = 'build/bimi'
MANIFEST = 'fixtures/demo/messages/index.json'
STACK_START_SECONDS = 120
ORDER = ['deliver', 'quarantine', 'reject']
# consent= value (None: the parameter absent) → the filters it names
CONSENTS = [(None, []), ('', []), ('none', []), ('dmarc', ['dmarc']), ('no-ptr', ['no-ptr']),
            ('dmarc,no-ptr', ['dmarc', 'no-ptr'])]
tap = Tap()


def post(base, entry, consent):
    q = {k: entry[k] for k in ('ip', 'helo', 'mail_from') if entry.get(k)}
    if consent is not None:
        q['consent'] = consent
    with open(os.path.join('fixtures/demo/messages', entry['file']), 'rb') as f:
        body = f.read()
    req = urllib.request.Request(base + '/bimi/v1/evaluate?' + urllib.parse.urlencode(q), data=body,
                                 headers={'Content-Type': 'message/rfc822'})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        text = e.read()
        try:
            return e.code, json.loads(text)
        except ValueError:
            return e.code, {'raw': text.decode(errors='replace')}


def want_applied(expect, filters):
    """The strongest recommended reason among the consented filters, and those filters."""
    covered = [f for f in ('dmarc', 'no-ptr') if f in filters and f in expect['reasons']]
    action = max((expect['reasons'][f] for f in covered), key=ORDER.index, default='deliver')
    return action, covered


def check_filter(got, expect, consent, filters):
    """Problems of a decision's filter member against the manifest, for one consent."""
    p = []
    f = got.get('filter')
    if not isinstance(f, dict):
        return [f'filter is {f!r}']
    rec = f.get('recommended', {})
    if rec.get('action') != expect['recommended']:
        p.append(f"recommended.action {rec.get('action')!r}, want {expect['recommended']!r}")
    reasons = {r.get('filter'): r.get('action') for r in rec.get('reasons', [])}
    if reasons != expect['reasons'] or not all(r.get('detail') for r in rec.get('reasons', [])):
        p.append(f"recommended.reasons {rec.get('reasons')!r}, want {expect['reasons']!r} with details")
    action, covered = want_applied(expect, filters)
    app = f.get('applied', {})
    if app.get('action') != action:
        p.append(f"applied.action {app.get('action')!r}, want {action!r}")
    if [r.get('filter') for r in app.get('reasons', [])] != covered:
        p.append(f"applied.reasons {app.get('reasons')!r}, want the reasons of {covered!r}")
    if consent is None and app.get('action') != 'deliver':
        p.append('a request without consent got an applied action other than deliver')
    if f.get('consent') != filters:
        p.append(f"consent {f.get('consent')!r}, want {filters!r}")
    source = 'default' if consent is None else 'request'
    if f.get('consent_source') != source:
        p.append(f"consent_source {f.get('consent_source')!r}, want {source!r}")
    label = f.get('label')
    code = label.get('code') if isinstance(label, dict) else label
    if code != expect['label'] or (label is not None and not label.get('text')):
        p.append(f"label {label!r}, want code {expect['label']!r} with a text")
    return p


def without(decision, *names):
    return {k: v for k, v in decision.items() if k not in names}


def metric(text, name, labels):
    want = name + '{' + ','.join(f'{k}="{v}"' for k, v in labels.items()) + '}'
    for line in text.splitlines():
        if line.startswith(want + ' '):
            return int(line.split()[-1])
    return 0


def report_rows(db, source_ip):
    """(disposition, [(type, comment)]) of each recorded DMARC fail from @source_ip, waiting for the writer."""
    deadline = time.monotonic() + 20
    while True:
        try:
            con = sqlite3.connect(f'file:{db}?mode=ro', uri=True, timeout=5)
            rows = con.execute('SELECT id, disposition, dmarc_result FROM evaluation WHERE source_ip = ? '
                               'AND dmarc_result = ? ORDER BY id', (source_ip, 'fail')).fetchall()
            out = []
            for rid, disp, _ in rows:
                reasons = con.execute('SELECT type, comment FROM evaluation_reason WHERE evaluation_id = ? '
                                      'ORDER BY position', (rid,)).fetchall()
                out.append((disp, reasons))
            con.close()
            if out or time.monotonic() > deadline:
                return out
        except sqlite3.Error:
            if time.monotonic() > deadline:
                return []
        time.sleep(0.2)


class FolderDom(html.parser.HTMLParser):
    """Each element with data-file: its attributes, its text, and the id of the nearest enclosing list
    (<ol id="inbox"> or <ol id="spam">) — where the page really put the row."""

    VOID = {'area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link', 'meta', 'source', 'track', 'wbr'}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack = []     # (tag, id or None, row or None)
        self.rows = {}
        self.body = {}
        self.switch = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == 'body':
            self.body = a
        if tag == 'input' and a.get('id') == 'filter-switch':
            self.switch = a
        if tag in self.VOID:
            return
        row = None
        if 'data-file' in a:
            lists = [i for (_, i, _) in self.stack if i in ('inbox', 'spam')]
            row = {'attrs': a, 'list': lists[-1] if lists else None, 'text': ''}
            self.rows[a['data-file']] = row
        self.stack.append((tag, a.get('id'), row))

    def handle_endtag(self, tag):
        if tag in self.VOID:
            return
        while self.stack:
            t, _, _ = self.stack.pop()
            if t == tag:
                break

    def handle_data(self, data):
        for _, _, row in self.stack:
            if row is not None:
                row['text'] += data


def page_problems(dom, manifest, on):
    """What is wrong with the dumped inbox for the switch state @on."""
    p = []
    want_state = 'on' if on else 'off'
    if dom.body.get('data-ready') != 'true' or dom.body.get('data-filter') != want_state:
        p.append(f"body {dom.body}: want data-ready true, data-filter {want_state}")
    if dom.switch is None or dom.switch.get('role') != 'switch':
        p.append(f'switch input {dom.switch}: want <input id="filter-switch" role="switch">')
    for entry in manifest:
        exp = entry['expect']['filter']
        row = dom.rows.get(entry['file'])
        if row is None:
            p.append(f"{entry['file']}: no row")
            continue
        a = row['attrs']
        applied, _ = want_applied(exp, ['dmarc'] if on else [])
        folder = 'inbox' if applied == 'deliver' else 'spam'
        got = (a.get('data-state'), a.get('data-filter-recommended'), a.get('data-filter-applied'),
               a.get('data-label'), a.get('data-folder'), row['list'])
        want = ('done', exp['recommended'], applied, exp['label'] or '', folder, folder)
        if got != want:
            p.append(f"{entry['file']}: (state, recommended, applied, label, data-folder, list) {got}, want {want}")
        if exp['label'] and 'Failed sender authentication' not in row['text'] and 'verified host name' not in row['text']:
            p.append(f"{entry['file']}: the warning text is not shown: {row['text']!r}")
    return p


def page_tests(base, tmp, manifest, stack):
    """The demo inbox's "Filter spoofed mail" switch in headless Chromium: off by default, on by ?filter=on,
    and switched on by a click on the switch itself (the page re-asks the service with consent=dmarc)."""
    for name, query, on in (('switch off (the default): the spoof stays in the inbox with its warning', '/', False),
                            ('switch on (?filter=on): the spoof is in the Spam view, the no-PTR message is not',
                             '/?filter=on', True),
                            ('a click on the switch (off → on) moves the spoof to Spam',
                             '/?filter=off&click-filter=1', True)):
        rc, out, err = chromium(['--dump-dom', base + query], tmp, 'filter', (1100, 800))
        dom = FolderDom()
        dom.feed(out.decode('utf-8', errors='replace'))
        dom.close()
        problems = page_problems(dom, manifest, on)
        tap.ok(rc == 0 and not problems, f'demo page {query}: {name}',
               f'chromium exit {rc}\n' + '\n'.join(problems) + '\n' + chromium_noise_free(err))
    with open(os.path.join(stack, 'front-access.log'), encoding='utf-8', errors='replace') as f:
        log = f.read()
    asked = [l for l in log.splitlines() if '/bimi/v1/evaluate?' in l]
    tap.ok(any('consent=dmarc' in l for l in asked) and any('consent=none' in l for l in asked),
           'the page asked the service with consent=none (switch off) and consent=dmarc (switch on)',
           '\n'.join(asked[-5:]))


def main():
    with open(MANIFEST, encoding='utf-8') as f:
        manifest = json.load(f)
    if not isinstance(manifest, list) or not manifest or not all('filter' in e['expect'] for e in manifest):
        bail(f'{MANIFEST}: not a list of messages with expect.filter')
    if not os.access(BIMI, os.X_OK):
        bail(f'{BIMI} is not built')
    if not os.access(CHROMIUM, os.X_OK):
        bail(f'{CHROMIUM} is not installed (scripts/install-deps installs chromium)')
    tap.plan(1 + 3 * len(manifest) + 5 + 4)
    tmp, stack, front, origin, start_rc, start_out = demo_stack(tap, 'filter-consent-', STACK_START_SECONDS)
    base = f'http://127.0.0.1:{front}'
    if not tap.ok(start_rc == 0, f'demo stack up: front {front}, origin {origin}',
                  f'demo-stack start exit {start_rc}\n' + start_out.decode(errors='replace')[-3000:]):
        bail('the demo stack did not start')
    conf = os.path.join(stack, 'bimi.conf')

    evaluations = 0
    recommended = {a: 0 for a in ORDER}
    applied = {a: 0 for a in ORDER}
    for entry in manifest:
        expect = entry['expect']['filter']
        name = f"{entry['file']}: recommended {expect['recommended']}, label {expect['label']}"
        problems, answers = [], {}
        for consent, filters in CONSENTS:
            status, got = post(base, entry, consent)
            if status != 200:
                problems.append(f'consent={consent!r}: HTTP {status} {got}')
                continue
            evaluations += 1
            recommended[got['filter']['recommended']['action']] += 1
            applied[got['filter']['applied']['action']] += 1
            answers[consent] = got
            problems += [f'consent={consent!r}: {p}' for p in check_filter(got, expect, consent, filters)]
        tap.ok(not problems, f'service {name}; applied per consent', '\n'.join(problems))

        # Consent changes filter.applied and nothing else: the A-R states facts, byte for byte.
        problems = []
        plain = answers.get(None)
        for consent, got in answers.items():
            if plain is None or got.get('authentication_results') != plain.get('authentication_results'):
                problems.append(f"consent={consent!r}: authentication_results {got.get('authentication_results')!r}"
                                f" != {plain and plain.get('authentication_results')!r}")
            elif without(got, 'filter', 'ttl') != without(plain, 'filter', 'ttl'):
                problems.append(f'consent={consent!r}: members other than filter and ttl differ')
        tap.ok(plain is not None and not problems,
               f"service {entry['file']}: authentication_results and the decision unchanged by consent",
               '\n'.join(problems))

        # The CLI with the stack's configuration (its own report database: the service's stays the service's).
        problems = []
        for consent, filters in ((None, []), ('dmarc', ['dmarc']), ('dmarc,no-ptr', ['dmarc', 'no-ptr'])):
            cmd = [BIMI, 'evaluate', os.path.join('fixtures/demo/messages', entry['file']), '-c', conf, '--json',
                   '--ip', entry['ip'], '--helo', entry['helo'], '--mail-from', entry['mail_from'],
                   '--report-db', os.path.join(tmp, 'cli.sqlite')]
            if consent is not None:
                cmd += ['--consent', consent]
            r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
            try:
                got = json.loads(r.stdout)
            except ValueError:
                problems.append(f'{cmd}: exit {r.returncode}, not JSON: {r.stderr.decode(errors="replace")}')
                continue
            problems += [f'--consent {consent!r}: {p}' for p in check_filter(got, expect, consent, filters)]
            if plain is not None and got.get('authentication_results') != plain.get('authentication_results'):
                problems.append(f'--consent {consent!r}: authentication_results differs from the service')
        tap.ok(not problems, f"bimi evaluate --json --consent {entry['file']}", '\n'.join(problems))

    spoof = next(e for e in manifest if e['file'] == 'spoof.eml')
    status, got = post(base, spoof, 'dmarc,spam')
    tap.ok(status == 400 and got.get('field') == 'consent' and 'spam' in got.get('error', ''),
           'consent=dmarc,spam: 400, field "consent", naming the item', f'HTTP {status} {got}')
    status, got = post(base, spoof, 'dmarc' + ' ' * 64)
    tap.ok(status == 400 and got.get('field') == 'consent' and '64 bytes' in got.get('error', ''),
           'consent= over BIMI_FILTER_MAX_CONSENT_BYTES: 400, field "consent"', f'HTTP {status} {got}')

    # The report database: the service's first evaluation of the spoof had no consent (dedup keeps it).
    rows = report_rows(os.path.join(stack, 'reports.sqlite'), spoof['ip'])
    want = [('none', [('local_policy', 'policy asked for reject; this receiver applied none: reject recommended, '
                       'not applied without the user\'s consent (consent: none)')])]
    tap.ok(rows == want, 'report db (service): the spoof recorded with disposition none, local_policy naming '
           'the missing consent', f'got {rows!r}\nwant {want!r}')
    dbs = {}
    for consent in ('none', 'dmarc'):
        db = os.path.join(tmp, f'cli-{consent}.sqlite')
        r = subprocess.run([BIMI, 'evaluate', 'fixtures/demo/messages/spoof.eml', '-c', conf, '--ip', spoof['ip'],
                            '--helo', spoof['helo'], '--mail-from', spoof['mail_from'], '--consent', consent,
                            '--report-db', db], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
        dbs[consent] = (report_rows(db, spoof['ip']), r.stdout.decode(errors='replace'))
    want_dmarc = [('reject', [])]
    tap.ok(dbs['none'][0] == want and dbs['dmarc'][0] == want_dmarc
           and 'filter: recommended reject, applied deliver (consent: none, given)' in dbs['none'][1]
           and 'filter: recommended reject, applied reject (consent: dmarc, given)' in dbs['dmarc'][1],
           'report db (bimi evaluate --consent): none records none + local_policy, dmarc records reject',
           f"none: {dbs['none']!r}\ndmarc: {dbs['dmarc']!r}")

    try:
        with urllib.request.urlopen(base + '/bimi/v1/metrics', timeout=30) as r:
            text = r.read().decode()
    except OSError as e:
        text = str(e)
    got_rec = {a: metric(text, 'bimi_filter_actions_total', {'stage': 'recommended', 'action': a}) for a in ORDER}
    got_app = {a: metric(text, 'bimi_filter_actions_total', {'stage': 'applied', 'action': a}) for a in ORDER}
    tap.ok(got_rec == recommended and got_app == applied and sum(applied.values()) == evaluations,
           f'metrics: bimi_filter_actions_total counts {evaluations} evaluations by stage and action',
           f'recommended {got_rec} want {recommended}\napplied {got_app} want {applied}')

    page_tests(base, tmp, manifest, stack)
    return 1 if tap.fails else 0


if __name__ == '__main__':
    sys.exit(main())

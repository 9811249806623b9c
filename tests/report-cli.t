#!/usr/bin/python3
# tests/report-cli.t — `bimi report ingest|summary|html` (issue 16), end to end. TAP.
#
# A mixed batch: every report of ../shared/upstream/dmarc-aggregate-reports/ and
# ../shared/upstream/stalwart-mail-auth/dmarc-feedback/ (XML and report e-mails with
# zip and gzip attachments), the fixtures of fixtures/report-ingest/ as .xml.gz and
# .zip, an mbox and a Maildir of report e-mails (gzip attachment, inline text/xml),
# a duplicate, a truncated gzip, a zip bomb and an XXE report. Checks:
#   - each valid report is stored once (org_name, report_id), every broken one is
#     refused with a line naming the file and the reason, the exit status is the
#     number refused; a second run stores nothing and exits 0;
#   - `summary --json` totals equal the sums of <count> in the files (computed here
#     with Python's own XML parser, in the same order: the first copy of a report wins);
#   - the groups, FCrDNS (offline zone file) and recommendation of brand.example;
#     --domain, --from/--to, --csv;
#   - `html --out`: the page in headless Chromium (tests/web/harness.py, as the demo
#     inbox): every domain has its chart (SVG bars) and source table; a screenshot
#     that is not blank and shows the green "pass" bars.
import email.message
import email.policy
import gzip
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
import zipfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
sys.path.insert(0, os.path.join(ROOT, 'tests', 'web'))
from harness import CHROMIUM, Tap, bail, chromium, chromium_noise_free, parse_dom, png_pixels, png_size  # noqa: E402

os.chdir(ROOT)
BUILD = os.environ.get('BIMI_BUILD', 'build/obj/release')
BIMI = os.path.join(BUILD, 'bimi')
UP = os.environ.get('BIMI_UPSTREAM_DIR', os.path.join(ROOT, '..', 'shared', 'upstream'))
FIX = os.path.join(ROOT, 'fixtures', 'report-ingest')
WINDOW = (1100, 1400)
tap = Tap()


def run(args, **kw):
    p = subprocess.run([BIMI] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=600, **kw)
    return p.returncode, p.stdout.decode(errors='replace'), p.stderr.decode(errors='replace')


def local(tag):
    return tag.rsplit('}', 1)[-1]


def xml_report(data):
    """(org_name, report_id, domain, {count sum}) of a report document, or None when Python
    cannot read it as one (malformed)."""
    try:
        root = ET.fromstring(data)
    except ET.ParseError:
        return None
    if local(root.tag) != 'feedback':
        return None
    vals = {}
    total = 0
    for el in root.iter():
        name = local(el.tag)
        if name in ('org_name', 'report_id', 'domain') and name not in vals:
            vals[name] = (el.text or '').strip()
        if name == 'count':
            total += int(el.text)
    return vals['org_name'], vals['report_id'], vals['domain'].lower(), total


def report_email(subject, filename, ctype, payload, inline=False):
    m = email.message.EmailMessage(policy=email.policy.SMTP)
    m['From'] = 'noreply-dmarc@reporter.example'
    m['To'] = 'dmarc@brand.example'
    m['Subject'] = subject
    if inline:
        m.set_content(payload.decode(), subtype='xml')
    else:
        m.set_content('This is an aggregate report.')
        maintype, subtype = ctype.split('/')
        m.add_attachment(payload, maintype=maintype, subtype=subtype, filename=filename)
    return m.as_bytes()


def variant(path, report_id, domain):
    with open(path, 'rb') as f:
        data = f.read()
    data = data.replace(b'brand-2026-12-01', report_id.encode()).replace(b'brand.example', domain.encode())
    return data


def main():
    if not os.access(BIMI, os.X_OK):
        bail(f'{BIMI} is missing (make all)')
    tmp = tempfile.mkdtemp(prefix='report-cli-')
    db = os.path.join(tmp, 'reports.db')
    batch = os.path.join(tmp, 'batch')
    os.makedirs(batch)

    # Inputs in the order given to ingest; `expected` emulates "the first copy wins".
    inputs = []
    for sub in ('dmarc-aggregate-reports/opendmarc', 'dmarc-aggregate-reports/ietf-rfc9990'):
        d = os.path.join(UP, sub)
        inputs += [os.path.join(d, n) for n in sorted(os.listdir(d)) if n.endswith('.xml')]
    sw = os.path.join(UP, 'stalwart-mail-auth', 'dmarc-feedback')
    inputs += [os.path.join(sw, n) for n in sorted(os.listdir(sw)) if n.endswith(('.xml', '.eml'))]

    with open(os.path.join(FIX, 'brand-day1.xml'), 'rb') as f:
        day1 = f.read()
    with open(os.path.join(FIX, 'brand-day2.xml'), 'rb') as f:
        day2 = f.read()
    gz = os.path.join(batch, 'mail.example.net!brand.example!1764547200!1764633599.xml.gz')
    with open(gz, 'wb') as f:
        f.write(gzip.compress(day1))
    zpath = os.path.join(batch, 'mail.example.net!brand.example!1764633600!1764719999.zip')
    with zipfile.ZipFile(zpath, 'w', zipfile.ZIP_DEFLATED) as z:
        z.writestr('mail.example.net!brand.example!1764633600!1764719999.xml', day2)
    dup = os.path.join(batch, 'duplicate-of-day1.xml')
    shutil.copyfile(os.path.join(FIX, 'brand-day1.xml'), dup)
    truncated = os.path.join(batch, 'truncated.xml.gz')
    with open(truncated, 'wb') as f:
        f.write(gzip.compress(variant(os.path.join(FIX, 'brand-day1.xml'), 'truncated-1', 'cut.example'))[:300])
    bomb = os.path.join(batch, 'bomb.zip')
    with zipfile.ZipFile(bomb, 'w', zipfile.ZIP_DEFLATED) as z:
        z.writestr('report.xml', b'<feedback>' + b' ' * (64 * 1024 * 1024))
    xxe = os.path.join(batch, 'xxe.xml')
    with open(xxe, 'wb') as f:
        f.write(b'<?xml version="1.0"?>\n<!DOCTYPE feedback [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
                b'<feedback><report_metadata><org_name>&x;</org_name></report_metadata></feedback>\n')
    # An mbox of two report e-mails (gzip attachment; inline text/xml) and a Maildir of one (zip).
    mbox_reports = [variant(os.path.join(FIX, 'brand-day1.xml'), 'mbox-1', 'other.example'),
                    variant(os.path.join(FIX, 'brand-day1.xml'), 'mbox-2', 'other.example')]
    mbox = os.path.join(batch, 'inbox.mbox')
    with open(mbox, 'wb') as f:
        f.write(b'From dmarc@reporter.example Mon Dec  1 00:00:00 2025\n')
        f.write(report_email('Report 1', 'r1.xml.gz', 'application/gzip', gzip.compress(mbox_reports[0])))
        f.write(b'\nFrom dmarc@reporter.example Mon Dec  1 00:00:01 2025\n')
        f.write(report_email('Report 2', None, None, mbox_reports[1], inline=True))
        f.write(b'\n')
    maildir_report = variant(os.path.join(FIX, 'brand-day1.xml'), 'maildir-1', 'other.example')
    md = os.path.join(batch, 'Maildir')
    for s in ('cur', 'new', 'tmp'):
        os.makedirs(os.path.join(md, s))
    zb = io.BytesIO()
    with zipfile.ZipFile(zb, 'w', zipfile.ZIP_DEFLATED) as z:
        z.writestr('reporter.example!other.example!1!2.xml', maildir_report)
    with open(os.path.join(md, 'new', '1764547200.1.host'), 'wb') as f:
        f.write(report_email('Report 3', 'r3.zip', 'application/zip', zb.getvalue()))
    inputs.append(batch)   # a directory: files, an mbox, a Maildir

    # Expected: the documents, in the order the CLI reads them (directories sorted by name).
    docs = []
    for path in inputs:
        if path == batch:
            continue
        if path.endswith('.eml'):
            continue   # their reports are counted from the JSON twins below
        with open(path, 'rb') as f:
            docs.append((path, f.read()))
    stalwart_eml = {}
    for n in sorted(os.listdir(sw)):
        if n.startswith('1') and n.endswith('.json'):
            with open(os.path.join(sw, n)) as f:
                j = json.load(f)
            stalwart_eml[os.path.join(sw, n[:-5] + '.eml')] = (
                j['report_metadata']['org_name'], j['report_metadata']['report_id'],
                j['policy_published']['domain'], sum(r['row']['count'] for r in j['record']))
    ordered = []
    for path in inputs:
        if path in stalwart_eml:
            ordered.append(stalwart_eml[path])
        elif path != batch:
            ordered.append(xml_report(dict(docs)[path]))
    # The batch directory, sorted: Maildir, bomb.zip, duplicate, inbox.mbox, gz, zip, truncated, xxe.
    ordered += [xml_report(maildir_report), None, xml_report(day1)] + [xml_report(r) for r in mbox_reports]
    ordered += [xml_report(day1), xml_report(day2), None, None]
    seen, per_domain = set(), {}
    for r in ordered:
        if r is None or (r[0], r[1]) in seen:
            continue
        seen.add((r[0], r[1]))
        per_domain[r[2]] = per_domain.get(r[2], 0) + r[3]
    refused_names = ['bad.com!example.com!1337140800!1337227200.xml', 'truncated.xml.gz', 'bomb.zip', 'xxe.xml']

    tap.plan(18)
    rc, out, err = run(['report', 'ingest', '--db', db] + inputs)
    tap.ok(rc == len(refused_names), f'ingest: exit status {rc} = the number refused ({len(refused_names)})',
           out + err)
    lines = [l for l in err.splitlines() if ': refused: ' in l]
    problems = [n for n in refused_names if not any(n in l for l in lines)]
    tap.ok(len(lines) == len(refused_names) and not problems, 'one "refused" line per broken input, naming it',
           f'missing {problems}\n{err}')
    reasons = {'bomb.zip': 'decompression bomb', 'xxe.xml': 'DOCTYPE refused', 'truncated.xml.gz': 'gzip',
               'bad.com': '<disposition> is ""'}
    bad = [(k, v) for k, v in reasons.items() if not any(k in l and v in l for l in lines)]
    tap.ok(not bad, 'each refusal says why (bomb, XXE, truncated gzip, malformed report)', f'{bad}\n{err}')
    stored = len(seen)
    tap.ok(f'{stored} report(s) stored' in out, f'ingest: {stored} reports stored, each once', out)

    rc, out, err = run(['report', 'summary', '--db', db, '--json', '--no-dns'])
    s = json.loads(out) if rc == 0 else {}
    got = {d['domain']: d['messages'] for d in s.get('domains', [])}
    tap.ok(rc == 0 and got == per_domain, 'summary --json: messages per domain = the sums of <count> in the files',
           f'rc {rc}\ngot      {got}\nexpected {per_domain}\n{err}')
    tap.ok(s.get('reports') == stored and s.get('messages') == sum(per_domain.values()),
           f'summary --json: {stored} reports, {sum(per_domain.values())} messages in all',
           f"reports {s.get('reports')}, messages {s.get('messages')}")
    ok_days = all(sum(x['pass'] + x['fail'] for x in d['days']) == d['messages'] for d in s.get('domains', []))
    ok_groups = all(sum(d['groups'].values()) == d['messages'] for d in s.get('domains', []))
    tap.ok(ok_days and ok_groups, 'per domain, the days and the groups add up to the messages')

    rc, out, err = run(['report', 'ingest', '--db', db] + [p for p in inputs if 'bad.com' not in p and p != batch])
    tap.ok(rc == 0 and '0 report(s) stored' in out, 'a second ingest stores nothing (duplicates) and exits 0',
           f'rc {rc}\n{out}{err}')

    rc, out, err = run(['report', 'summary', '--db', db, '--json', '--domain', 'BRAND.example',
                        '--zone', os.path.join(FIX, 'brand.zone')])
    d = (json.loads(out)['domains'] or [{}])[0] if rc == 0 else {}
    src = {x['source_ip']: x for x in d.get('sources', [])}
    tap.ok(d.get('messages') == 1005 and d.get('dmarc_pass') == 970 and d.get('disposition', {}).get('quarantine') == 35,
           'brand.example: 1005 messages, 970 pass, 35 quarantined', out + err)
    want = {'192.0.2.10': ('authorised-passing', 'mx.brand.example', 'pass'),
            '198.51.100.7': ('authorised-failing', 'mail.lists.example.org', 'pass'),
            '203.0.113.66': ('unknown-failing', None, 'none')}
    gotg = {ip: (x['group'], x['ptr'], x['fcrdns']) for ip, x in src.items()}
    tap.ok(gotg == want, 'brand.example: own server passing, the list authorised but failing, the spoofer unknown; '
           'PTR and FCrDNS from the zone file', f'{gotg}')
    tap.ok(d.get('verdict') == 'not-yet' and d.get('recommendation', '').startswith(
        'not yet: mail.lists.example.org forwards 3 % of your mail and breaks DKIM'),
        'brand.example: "not yet: mail.lists.example.org forwards 3 % of your mail and breaks DKIM"',
        d.get('recommendation'))
    gd = {x['name']: x['messages'] for x in src.get('198.51.100.7', {}).get('dkim', [])}
    tap.ok(gd == {'d=brand.example fail': 30, 'd=lists.example.org pass': 30}, 'the list: the DKIM d= seen and results',
           f'{gd}')

    rc, out, err = run(['report', 'summary', '--db', db, '--json', '--no-dns', '--domain', 'brand.example',
                        '--from', '2025-12-02T00:00:00Z', '--to', '2025-12-03T00:00:00Z'])
    d = (json.loads(out)['domains'] or [{}])[0] if rc == 0 else {}
    tap.ok(d.get('messages') == 384 and d.get('reports') == 1, '--from/--to: only the second day (384 messages)',
           out + err)

    rc, out, err = run(['report', 'summary', '--db', db, '--csv', '--no-dns', '--domain', 'brand.example'])
    rows = out.strip('\r\n').split('\r\n')
    tap.ok(rc == 0 and rows[0].startswith('domain,group,source_ip') and len(rows) == 4
           and rows[2].startswith('brand.example,authorised-failing,198.51.100.7'), '--csv: a header and one row per source',
           out + err)

    html = os.path.join(tmp, 'reports.html')
    rc, out, err = run(['report', 'html', '--db', db, '--no-dns', '--out', html])
    page = open(html, encoding='utf-8').read() if os.path.exists(html) else ''
    tap.ok(rc == 0 and '<script' not in page and 'src="http' not in page and 'href="http' not in page,
           'html --out: one self-contained page (no script, no external asset)', err)

    if not os.access(CHROMIUM, os.X_OK):
        bail(f'{CHROMIUM} is not installed (scripts/install-deps installs chromium)')
    url = 'file://' + html
    rc, dom_out, err = chromium(['--dump-dom', url], tmp, 'dom', WINDOW)
    dom = parse_dom(dom_out.decode(errors='replace'), 'data-domain')
    names = sorted(r['attrs'].get('data-domain') for r in dom.rows)
    tap.ok(rc == 0 and names == sorted(per_domain), 'Chromium: a section per domain',
           f'chromium exit {rc}; sections {names}\n{chromium_noise_free(err)}')
    text = dom_out.decode(errors='replace')
    sections = text.split('data-domain=')[1:]
    missing = [s.split('"')[1] for s in sections
               if 'class="chart"' not in s or '<rect class="pass"' not in s or 'table class="sources"' not in s
               or 'data-source=' not in s]
    tap.ok(not missing, 'Chromium: every domain has its chart (SVG bars) and its source table', f'{missing}')

    shot = os.path.join(tmp, 'reports.png')
    rc, _, err = chromium([f'--screenshot={shot}', url], tmp, 'shot', WINDOW)
    data = open(shot, 'rb').read() if os.path.isfile(shot) else b''
    px = png_pixels(data) if png_size(data) == WINDOW else None
    nonwhite = green = 0
    if px:
        w, h, ch, rows = px
        for row in rows[::4]:
            for x in range(0, w * ch, ch * 4):
                r, g, b = row[x], row[x + 1], row[x + 2]
                if (r, g, b) != (255, 255, 255):
                    nonwhite += 1
                if abs(r - 0x2e) < 12 and abs(g - 0x8b) < 12 and abs(b - 0x3a) < 12:
                    green += 1
    tap.ok(rc == 0 and px is not None and nonwhite > 2000 and green > 200,
           f'screenshot {WINDOW[0]}x{WINDOW[1]}: not blank ({nonwhite} non-white samples), the pass bars drawn '
           f'({green} green samples)', f'chromium exit {rc}, {len(data)} bytes\n{chromium_noise_free(err)}')
    if data and os.path.isdir(BUILD):
        shutil.copyfile(shot, os.path.join(BUILD, 'report-html.png'))
    if tap.fails == 0:
        shutil.rmtree(tmp, ignore_errors=True)
    else:
        print(f'# kept {tmp} for inspection')
    return 1 if tap.fails else 0


if __name__ == '__main__':
    sys.exit(main())

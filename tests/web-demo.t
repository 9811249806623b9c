#!/usr/bin/python3
# tests/web-demo.t — the reference webmail integration (web/) in a real browser.
#
# Starts the demo stack (scripts/demo-stack: nginx front serving web/ at /, the demo
# messages at /demo/messages/ and bimi-fcgi at /bimi/v1/; a TLS origin for the brands'
# logos and Evidence Documents) on free loopback ports, loads the demo inbox in Debian's
# headless Chromium (--dump-dom with a virtual-time budget, so every fetch() the page
# makes has finished) and checks, for every message of fixtures/demo/messages/index.json:
#   - its row is there and settled (data-state="done"), with data-decision and
#     data-reason equal to the manifest's expectation;
#   - "logo" and "logo+checkmark" rows hold exactly one <img> with src = the 32 px PNG,
#     srcset "<32 px PNG> 1x, <64 px PNG> 2x" and the logo's <title> as alt, and those
#     URLs answer with PNGs of exactly 32x32 and 64x64 pixels;
#   - a "Verified brand" checkmark badge exactly on "logo+checkmark" rows;
#   - no <img> at all on "none" rows;
#   - the brand-impersonation caution (issue 19) exactly on the rows whose expect.caution is a
#     signal: data-caution = that signal, one .bimi-caution with its red triangle and the text
#     "Claims to be Acme Rockets — not verified"; none on the others (Acme Plumbing included).
# Then one --screenshot of the page into the test's temp dir (a PNG of the window size), and the
# caution view: ?open=display-name.eml shows that message with the caution and Acme Rockets'
# verified domain (DOM), and its screenshot (taller window: every row) is not blank and has the
# caution triangle's colour (png_pixels); it is kept as $BIMI_BUILD/web-demo-caution.png.
#
# TAP, run by `make check` through prove. The stack is stopped (scripts/demo-stack stop)
# in every exit path; Chromium runs with its own throw-away profile, as root in CI
# (--no-sandbox) and without a display (--headless). A missing chromium or a stack that
# does not start is a failure, not a skip.
import json
import os
import shutil
import sys
import time
import urllib.error
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
sys.path.insert(0, os.path.join(ROOT, 'tests', 'web'))
from harness import (CHROMIUM, Tap, bail, chromium, chromium_noise_free, colour_pixels, demo_stack,  # noqa: E402
                     parse_dom, png_size)

os.chdir(ROOT)
MANIFEST = os.path.join(ROOT, 'fixtures/demo/messages/index.json')
LOGO_PX = 32                 # the page's default logo size (web/demo.js)
WINDOW = (1100, 800)         # screenshot size, CSS pixels at scale 1
STACK_START_SECONDS = 120    # bound on scripts/demo-stack start and its first health answer
CAUTION_TEXT = 'Claims to be Acme Rockets \u2014 not verified'   # the demo's one impersonated brand
CAUTION_RGB = (0xd9, 0x30, 0x25)   # web/bimi-client.js CAUTION_COLOUR, the triangle's outline
CAUTION_WINDOW = (1100, 1400)      # tall enough for every row and the open message
CAUTION_VIEW = 'display-name.eml'
MIN_TRIANGLE_PIXELS = 25           # pixels of the caution colour per triangle (about 45 at 16 px)
tap = Tap()


def fetch(url):
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.status, r.headers.get('Content-Type', ''), r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get('Content-Type', ''), e.read()
    except OSError as e:
        return None, '', str(e).encode()


def main():
    if not os.path.isfile(MANIFEST):
        bail(f'{MANIFEST} is missing')
    with open(MANIFEST, encoding='utf-8') as f:
        manifest = json.load(f)
    if not isinstance(manifest, list) or not manifest:
        bail(f'{MANIFEST}: not a non-empty list')
    if not os.access(CHROMIUM, os.X_OK):
        bail(f'{CHROMIUM} is not installed (scripts/install-deps installs chromium)')

    # 2 tests for the stack and the page + 1 per manifest row + 1 for the screenshot + 2 for the caution view.
    tap.plan(5 + len(manifest))
    tmp, _, front, origin, start_rc, start_out = demo_stack(tap, 'web-demo-', STACK_START_SECONDS)
    base = f'http://127.0.0.1:{front}'
    up = start_rc == 0
    deadline = time.monotonic() + STACK_START_SECONDS
    status = None
    while up and time.monotonic() < deadline:
        status, _, _ = fetch(base + '/bimi/v1/health')
        if status == 200:
            break
        time.sleep(0.2)
    if not tap.ok(up and status == 200, f'demo stack up: front {front}, origin {origin}, /bimi/v1/health 200',
                  f'demo-stack start exit {start_rc}, health {status}\n'
                  + start_out.decode(errors='replace')[-3000:]):
        bail('the demo stack did not start')

    rc, out, err = chromium(['--dump-dom', base + '/'], tmp, 'dom', WINDOW)
    dom = parse_dom(out.decode('utf-8', errors='replace'), 'data-file')
    tap.ok(rc == 0 and dom.body.get('data-ready') == 'true' and len(dom.rows) == len(manifest),
           f'page loaded: body data-ready="true", {len(manifest)} rows',
           f'chromium exit {rc}, body {dom.body}, {len(dom.rows)} rows\n{chromium_noise_free(err)}')

    rows = {r['attrs'].get('data-file'): r for r in dom.rows}
    for entry in manifest:
        want = entry.get('expect', {})
        wd, wr = want.get('decision'), want.get('reason')
        name = f"{entry.get('file')} ({entry.get('label', '')}): {wd} ({wr})"
        row = rows.get(entry.get('file'))
        if row is None:
            tap.ok(False, name, 'no row with this data-file')
            continue
        a, problems = row['attrs'], []
        if a.get('data-state') != 'done':
            problems.append(f"data-state={a.get('data-state')!r} (error {a.get('data-error')!r})")
        if a.get('data-decision') != wd:
            problems.append(f"data-decision={a.get('data-decision')!r}, want {wd!r}")
        if a.get('data-reason') != wr:
            problems.append(f"data-reason={a.get('data-reason')!r}, want {wr!r}")
        badges = [b for b in row['badges'] if b.get('aria-label') == 'Verified brand']
        if wd == 'logo+checkmark':
            if len(badges) != 1 or len(row['badges']) != 1:
                problems.append(f"want one 'Verified brand' badge, got {row['badges']}")
        elif row['badges']:
            problems.append(f"checkmark badge on a {wd!r} row: {row['badges']}")
        if wd in ('logo', 'logo+checkmark'):
            if len(row['imgs']) != 1:
                problems.append(f"want one <img>, got {len(row['imgs'])}")
            else:
                img = row['imgs'][0]
                src, srcset = img.get('src') or '', img.get('srcset') or ''
                parts = [p.strip().rsplit(' ', 1) for p in srcset.split(',')]
                if len(parts) != 2 or any(len(p) != 2 for p in parts) or \
                        [p[1] for p in parts] != ['1x', '2x'] or parts[0][0] != src:
                    problems.append(f'srcset {srcset!r} is not "<src> 1x, <2x URL> 2x" (src {src!r})')
                else:
                    for url, px in ((parts[0][0], LOGO_PX), (parts[1][0], 2 * LOGO_PX)):
                        st, ctype, body = fetch(url)
                        if st != 200 or not ctype.startswith('image/png') or png_size(body) != (px, px):
                            problems.append(f'{url}: HTTP {st} {ctype!r}, PNG size {png_size(body)}, '
                                            f'want 200 image/png {px}x{px}')
                if img.get('width') != str(LOGO_PX) or img.get('height') != str(LOGO_PX):
                    problems.append(f"width/height {img.get('width')}/{img.get('height')}, want {LOGO_PX}")
                if not (img.get('alt') or '').strip():
                    problems.append('empty alt')
                # What the browser displayed (device scale 1: the 1x PNG), not only what it was told.
                if a.get('data-logo') != 'loaded' or a.get('data-logo-px') != str(LOGO_PX):
                    problems.append(f"logo in the page: data-logo={a.get('data-logo')!r}, "
                                    f"data-logo-px={a.get('data-logo-px')!r}, want 'loaded', '{LOGO_PX}'")
        elif row['imgs']:
            problems.append(f"<img> on a {wd!r} row: {row['imgs']}")
        wc = want.get('caution')
        cautions = [c for c in row['cautions'] if 'bimi-caution' in (c['attrs'].get('class') or '').split()]
        if wc:
            name += f', caution {wc}'
            if a.get('data-caution') != wc:
                problems.append(f"data-caution={a.get('data-caution')!r}, want {wc!r}")
            if len(cautions) != 1 or cautions[0]['attrs'].get('data-bimi-caution-signal') != wc or \
                    cautions[0]['text'].strip() != CAUTION_TEXT or len(row['icons']) != 1:
                problems.append(f'want one caution {wc!r} "{CAUTION_TEXT}" with its triangle, got {cautions}, '
                                f"{len(row['icons'])} triangle(s)")
        else:
            name += ', no caution'
            if cautions or 'data-caution' in a or row['icons']:
                problems.append(f"caution on a row that must not have one: {a.get('data-caution')!r} {cautions}")
        tap.ok(not problems, name, '\n'.join(problems))

    shot = os.path.join(tmp, 'inbox.png')
    rc, _, err = chromium([f'--screenshot={shot}', base + '/'], tmp, 'shot', WINDOW)
    data = b''
    if os.path.isfile(shot):
        with open(shot, 'rb') as f:
            data = f.read()
    tap.ok(rc == 0 and len(data) > 1000 and png_size(data) == WINDOW,
           f'screenshot {shot}: a {WINDOW[0]}x{WINDOW[1]} PNG',
           f'chromium exit {rc}, {len(data)} bytes, PNG size {png_size(data)}\n{chromium_noise_free(err)}')
    build = os.environ.get('BIMI_BUILD')
    if data and build and os.path.isdir(build):
        shutil.copyfile(shot, os.path.join(build, 'web-demo.png'))

    # The message view of a flagged message: the caution with the brand's verified domains.
    flagged = [e['file'] for e in manifest if e.get('expect', {}).get('caution')]
    view_url = f'{base}/?open={CAUTION_VIEW}'
    rc, out, err = chromium(['--dump-dom', view_url], tmp, 'view', CAUTION_WINDOW)
    views = parse_dom(out.decode('utf-8', errors='replace'), 'data-view-file').rows
    view = views[0] if len(views) == 1 else None
    problems = []
    if rc != 0 or view is None:
        problems.append(f'chromium exit {rc}, {len(views)} message views\n{chromium_noise_free(err)}')
    else:
        va, text = view['attrs'], ' '.join(view['text'].split())
        if va.get('data-view-file') != CAUTION_VIEW or 'hidden' in va:
            problems.append(f'view attributes {va}')
        details = [c for c in view['cautions'] if 'bimi-caution-details' in (c['attrs'].get('class') or '').split()]
        if len(details) != 1 or details[0]['attrs'].get('data-bimi-caution-signal') != 'display-name':
            problems.append(f"want one caution details (display-name), got {view['cautions']}")
        elif not details[0]['text'].rstrip().endswith('Mail really from Acme Rockets comes from:vmc.demo.test'):
            problems.append(f"the caution does not end with Acme Rockets' verified domain: {details[0]['text']!r}")
        for want_text in (CAUTION_TEXT, '(“Acme Rockets Support”)', 'Sign in within 24 hours'):
            if want_text not in text:
                problems.append(f'{want_text!r} not in the view: {text[:600]!r}')
    tap.ok(not problems, f'{view_url}: the message view shows the caution and vmc.demo.test', '\n'.join(problems))

    shot = os.path.join(tmp, 'caution.png')
    rc, _, err = chromium([f'--screenshot={shot}', view_url], tmp, 'caution-shot', CAUTION_WINDOW)
    near = colours = top = None
    if os.path.isfile(shot) and png_size(open(shot, 'rb').read(24)) == CAUTION_WINDOW:
        near, colours, top = colour_pixels(shot, CAUTION_RGB) or (None, None, None)
    want_near = MIN_TRIANGLE_PIXELS * (len(flagged) + 1)
    tap.ok(rc == 0 and near is not None and colours >= 100 and top < 0.9 and near >= want_near,
           f'screenshot {shot}: {CAUTION_WINDOW[0]}x{CAUTION_WINDOW[1]}, not blank ({colours} colours, commonest '
           f'{top and round(top * 100)} %), {near} pixels of the triangle colour #d93025 '
           f'(>= {want_near}: {len(flagged)} rows and the view)',
           f'chromium exit {rc}\n{chromium_noise_free(err)}')
    if os.path.isfile(shot) and build and os.path.isdir(build):
        shutil.copyfile(shot, os.path.join(build, 'web-demo-caution.png'))
        print(f"# caution screenshot: {os.path.join(build, 'web-demo-caution.png')}")
    return 1 if tap.fails else 0


if __name__ == '__main__':
    sys.exit(main())

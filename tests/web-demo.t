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
#   - no <img> at all on "none" rows.
# Then one --screenshot of the page into the test's temp dir (a PNG of the window size).
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
from harness import CHROMIUM, Tap, bail, chromium, chromium_noise_free, demo_stack, parse_dom, png_size  # noqa: E402

os.chdir(ROOT)
MANIFEST = os.path.join(ROOT, 'fixtures/demo/messages/index.json')
LOGO_PX = 32                 # the page's default logo size (web/demo.js)
WINDOW = (1100, 800)         # screenshot size, CSS pixels at scale 1
STACK_START_SECONDS = 120    # bound on scripts/demo-stack start and its first health answer
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

    # 2 tests for the stack and the page + 1 per manifest row + 1 for the screenshot.
    tap.plan(3 + len(manifest))
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
    return 1 if tap.fails else 0


if __name__ == '__main__':
    sys.exit(main())

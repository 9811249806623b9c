# tests/web/harness.py — what tests/web-demo.t, tests/web-client.t, tests/report-cli.t,
# tests/integration-roundcube.t and tests/filter-consent.t share: TAP output, free loopback ports, PNG sizes
# and pixels, a parser for the dumped DOM, headless Chromium, and the demo stack.
import html.parser
import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'helpers'))
import tap as _tap  # noqa: E402

CHROMIUM = os.environ.get('BIMI_CHROMIUM', '/usr/bin/chromium')
CHROMIUM_SECONDS = 120       # wall-clock bound on one Chromium run
VIRTUAL_TIME_MS = 15000      # virtual time a page gets (waiting on the network does not use it)


class Tap(_tap.Tap):
    """tests/helpers/tap.py's Tap (numbered TAP lines, plan, fails) with this harness's diagnostics:
    every line of a failure's diagnostic, as '#   ' lines under it."""

    def __init__(self):
        super().__init__(diag_prefix='#   ', max_lines=None)


def bail(msg):
    print(f'Bail out! {msg}', flush=True)
    sys.exit(1)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def png_size(data):
    """(width, height) from a PNG's IHDR chunk (PNG spec §11.2.2), or None when not a PNG."""
    if len(data) < 24 or data[:8] != b'\x89PNG\r\n\x1a\n' or data[12:16] != b'IHDR':
        return None
    return struct.unpack('>II', data[16:24])


def png_pixels(data):
    """RGB(A) pixels of a non-interlaced 8-bit PNG (what Chromium writes): (width, height, channels, rows)."""
    pos = 8
    idat = b''
    width = height = ctype = 0
    while pos < len(data):
        n, kind = struct.unpack('>I4s', data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b'IHDR':
            width, height, depth, ctype = struct.unpack('>IIBB', body[:10])
            if depth != 8 or body[12] != 0:
                return None
        elif kind == b'IDAT':
            idat += body
        pos += 12 + n
    ch = {2: 3, 6: 4}.get(ctype)
    if ch is None:
        return None
    raw = zlib.decompress(idat)
    stride = width * ch
    rows, prev = [], bytearray(stride)
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - ch] if i >= ch else 0
            b = prev[i]
            c = prev[i - ch] if i >= ch else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return width, height, ch, rows


class Dom(html.parser.HTMLParser):
    """Collects <body>'s attributes and every element that has attribute `key` (the "rows"):
    its attributes, its text, and the <img>s, checkmark badges (class bimi-checkmark), cautions
    (class bimi-caution: attributes and text) and caution triangles (svg.bimi-caution-icon) in it."""

    VOID = {'area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link', 'meta',
            'source', 'track', 'wbr'}

    def __init__(self, key):
        super().__init__(convert_charrefs=True)
        self.key = key
        self.body = {}
        self.rows = []
        self.row = None
        self.caution = None
        self.depth = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == 'body':
            self.body = a
        if self.row is None:
            if self.key in a and tag not in self.VOID:
                self.row = {'tag': tag, 'attrs': a, 'imgs': [], 'badges': [], 'cautions': [], 'icons': [],
                            'text': ''}
                self.caution = None
                self.rows.append(self.row)
                self.depth = 1
            return
        if tag == 'img':
            self.row['imgs'].append(a)
        classes = (a.get('class') or '').split()
        if 'bimi-checkmark' in classes:
            self.row['badges'].append(a)
        if 'bimi-caution-icon' in classes:
            self.row['icons'].append(a)
        if tag not in self.VOID:
            self.depth += 1
        if 'bimi-caution' in classes and self.caution is None and tag not in self.VOID:
            self.caution = {'attrs': a, 'text': '', 'depth': self.depth}
            self.row['cautions'].append(self.caution)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if self.row is not None and tag not in self.VOID:
            self.depth -= 1

    def handle_endtag(self, tag):
        if self.row is None or tag in self.VOID:
            return
        if self.caution is not None and self.depth == self.caution['depth']:
            self.caution = None
        self.depth -= 1
        if self.depth == 0:
            self.row = None

    def handle_data(self, data):
        if self.row is not None:
            self.row['text'] += data
            if self.caution is not None:
                self.caution['text'] += data


def colour_pixels(path, rgb, tolerance=30):
    """(pixels within `tolerance` (Euclidean, 0..255 per channel) of colour `rgb`, distinct colours,
    share of the commonest colour) of a PNG decoded by png_pixels, or None when it cannot be decoded."""
    with open(path, 'rb') as f:
        decoded = png_pixels(f.read())
    if decoded is None:
        return None
    width, height, ch, rows = decoded
    counts = {}
    for row in rows:
        for x in range(0, width * ch, ch):
            c = row[x:x + 3]
            counts[c] = counts.get(c, 0) + 1
    near = sum(n for c, n in counts.items() if sum((a - b) ** 2 for a, b in zip(c, rgb)) <= tolerance ** 2)
    return near, len(counts), max(counts.values()) / (width * height)


def parse_dom(text, key):
    dom = Dom(key)
    dom.feed(text)
    dom.close()
    return dom


def chromium(args, tmp, name, window=(1100, 800)):
    """Runs Debian's Chromium headless (no display), as root (--no-sandbox), with a private
    throw-away profile under `tmp`. Returns (exit code or None on timeout, stdout bytes,
    stderr text)."""
    profile = tempfile.mkdtemp(prefix=f'chromium-{name}-', dir=tmp)
    cmd = [CHROMIUM, '--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
           '--no-first-run', '--no-default-browser-check', '--disable-extensions',
           '--disable-background-networking', '--disable-component-update', '--disable-sync',
           '--mute-audio', f'--user-data-dir={profile}', '--hide-scrollbars',
           f'--window-size={window[0]},{window[1]}', f'--virtual-time-budget={VIRTUAL_TIME_MS}',
           '--run-all-compositor-stages-before-draw'] + args
    env = dict(os.environ, HOME=tmp, XDG_CONFIG_HOME=tmp, XDG_CACHE_HOME=tmp)
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                            start_new_session=True)
    try:
        out, err = proc.communicate(timeout=CHROMIUM_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        return None, out, err.decode(errors='replace')
    return proc.returncode, out, err.decode(errors='replace')


def chromium_noise_free(text):
    """Chromium's stderr without the D-Bus chatter of a machine without a session bus."""
    keep = [l for l in text.splitlines()
            if l.strip() and 'dbus' not in l and 'unexpected operator' not in l]
    return '\n'.join(keep[-20:])


def demo_stack(tap, prefix, start_seconds=120):
    """Starts scripts/demo-stack (run from the repository root) in a new temporary directory on free loopback
    ports, and registers its stop (and the directory's removal when no test failed; else it is kept and named)
    for the exit, SIGTERM, SIGINT and SIGHUP included. Returns (tmp, stack dir, front port, origin port,
    start_rc: 0 on success, else the exit status or a description of the timeout, start_out: its output)."""
    tmp = tempfile.mkdtemp(prefix=prefix)
    stack = os.path.join(tmp, 'stack')
    front, origin = free_port(), free_port()
    while origin == front:
        origin = free_port()

    def stop_stack():
        subprocess.run(['scripts/demo-stack', 'stop', stack], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=60)

    _tap.clean_up_at_exit(tap, tmp, stop_stack)
    try:
        start = subprocess.run(['scripts/demo-stack', 'start', stack, '--front-port', str(front),
                                '--origin-port', str(origin)], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, timeout=start_seconds)
        start_rc, start_out = start.returncode, start.stdout
    except subprocess.TimeoutExpired as e:
        start_rc, start_out = f'none (killed after {start_seconds} s)', e.stdout or b''
    return tmp, stack, front, origin, start_rc, start_out

#!/usr/bin/python3
# tests/web-client.t — unit tests of web/bimi-client.js in headless Chromium.
#
# The module's job is the browser side of DESIGN.md §4: post a message with its envelope,
# turn the answer into an indicator (or nothing), and never let a refused or failed request,
# or a hostile answer, become markup. Those paths need answers that the real service gives
# only in odd moments (503 under load, a 502 from nginx, a dropped connection), so this
# test scripts them: a small HTTP server on a free loopback port serves web/ at /web/,
# tests/web/ at /unit/, and /api/<case>/evaluate answering as CASES below says; Chromium
# runs tests/web/client-unit.js (real fetch(), real DOM) and the page lists one result per
# test, which become TAP lines here. The end-to-end page against the real stack is
# tests/web-demo.t.
#
# TAP, run by `make check` through prove. The server is a thread of this process; Chromium
# runs with a private profile and is killed on timeout.
import http.server
import json
import os
import shutil
import sys
import tempfile
import threading
import urllib.parse

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
sys.path.insert(0, os.path.join(ROOT, 'tests', 'web'))
from harness import CHROMIUM, Tap, bail, chromium, chromium_noise_free, free_port, parse_dom  # noqa: E402

# How many client-unit.js tests there are: a test that silently vanished fails the plan.
UNIT_TESTS = 23
MAX_BODY = 1 << 20

VMC = {
    'decision': 'logo+checkmark', 'reason': 'vmc',
    'indicator': {'sha256': 'a' * 64, 'alt': 'Brand <img src=x onerror="window.pwned=1"> & Co',
                  'svg': 'javascript:alert(1)',
                  'png': {'32': '/logo/aaaa/32.png', '64': '/logo/aaaa/64.png'}},
    'mark': {'type': 'VMC'}, 'auth': {}, 'authentication_results': 'mx.example; dmarc=pass', 'ttl': 3600,
}
CMC = {
    'decision': 'logo', 'reason': 'cmc',
    'indicator': {'sha256': 'b' * 64, 'alt': 'CMC Brand', 'svg': '/logo/bbbb.svg',
                  'png': {str(px): f'/logo/bbbb/{px}.png' for px in (16, 32, 64, 128)}},
    'ttl': 3600,
}
NONE = {'decision': 'none', 'reason': 'dmarc-fail',
        'indicator': {'alt': 'x', 'png': {'32': '/logo/cccc/32.png'}}, 'ttl': 600}
EVIL_URLS = {
    'decision': 'logo', 'reason': 'cmc',
    'indicator': {'alt': 'Evil', 'svg': 'data:image/svg+xml,<svg/>',
                  'png': {'16': 'javascript:alert(1)', '32': 'data:image/png;base64,AAAA',
                          '48': ' vbscript:x', 'abc': 'https://cdn.example/abc.png',
                          '64': 'https://cdn.example/logo/64.png'}},
}
EVIL_ONLY = {'decision': 'logo', 'reason': 'cmc',
             'indicator': {'alt': 'Evil', 'svg': 'javascript:1', 'png': {'32': 'javascript:alert(1)'}}}

# Issue 19: the caution member (shared JSON contract: brand, domains, signal, matched, text).
CAUTION = {
    'decision': 'none', 'reason': 'no-record', 'indicator': None,
    'caution': {'brand': 'Acme Rockets', 'domains': ['vmc.demo.test', 'acme.demo.test'],
                'signal': 'display-name', 'matched': 'Acme Rockets Support',
                'text': 'Claims to be Acme Rockets \u2014 not verified'},
    'ttl': 600,
}
CAUTION_EVIL = {
    'decision': 'none', 'reason': 'dmarc-fail',
    'caution': {'brand': '<b>Acme</b>', 'domains': ['vmc.demo.test', 7, None, '<i>x</i>', ''],
                'signal': 'telepathy', 'matched': '<img src=x onerror="window.pwned=2">',
                'text': '<img src=x onerror="window.pwned=3">Claims'},
}
CAUTION_NO_TEXT = {'decision': 'none', 'reason': 'dmarc-fail',
                   'caution': {'brand': 'Acme Rockets', 'domains': 'vmc.demo.test', 'signal': 'both'}}
CAUTION_ON_LOGO = dict(CMC, caution=CAUTION['caution'])
CAUTION_NO_BRAND = {'decision': 'none', 'reason': 'dmarc-fail',
                    'caution': {'brand': '  ', 'domains': ['vmc.demo.test'], 'signal': 'display-name',
                                'text': 'Claims to be  \u2014 not verified'}}


def err(status, message, field=None, headers=()):
    e = {'message': message}
    if field:
        e['field'] = field
    return status, 'application/json', json.dumps({'error': e}).encode(), list(headers)


def ok_json(obj):
    return 200, 'application/json', json.dumps(obj).encode(), []


def answer(case, n, request):
    """(status, content type, body, extra headers) for the n-th POST (1-based) of a case."""
    if case == 'echo':
        query = urllib.parse.parse_qs(request['query'], keep_blank_values=True)
        return ok_json({'decision': 'none', 'reason': 'echo', 'indicator': None,
                        'echo': {'method': request['method'], 'path': request['path'], 'query': query,
                                 'content_type': request['content_type'],
                                 'body_hex': request['body'].hex()}})
    fixed = {'vmc': VMC, 'cmc': CMC, 'none': NONE, 'evil-urls': EVIL_URLS, 'evil-only': EVIL_ONLY,
             'odd-decision': {'decision': 'maybe', 'reason': 'x'},
             'caution': CAUTION, 'caution-evil': CAUTION_EVIL, 'caution-no-text': CAUTION_NO_TEXT,
             'caution-on-logo': CAUTION_ON_LOGO, 'caution-no-brand': CAUTION_NO_BRAND}
    if case in fixed:
        return ok_json(fixed[case])
    if case == 'bad-ip':
        return err(400, 'ip is not an IP address', 'ip')
    if case == 'too-large':
        return err(413, f'message over {MAX_BODY} bytes')
    if case == 'busy-once':
        return err(503, 'overloaded', headers=[('Retry-After', '1')]) if n == 1 else ok_json(VMC)
    if case == 'busy':
        return err(503, 'overloaded', headers=[('Retry-After', '1')])
    if case == 'busy-long':
        return err(503, 'overloaded', headers=[('Retry-After', '120')])
    if case == 'bad-gateway':
        return 502, 'text/html', b'<html><body><h1>502 Bad Gateway</h1></body></html>', []
    if case == 'not-json':
        return 200, 'text/plain', b'hello', []
    return 404, 'text/plain', b'no such case', []


class Handler(http.server.BaseHTTPRequestHandler):
    counts = {}
    lock = threading.Lock()
    roots = {'web': os.path.join(ROOT, 'web'), 'unit': os.path.join(ROOT, 'tests', 'web')}
    types = {'.js': 'text/javascript', '.html': 'text/html; charset=utf-8', '.css': 'text/css',
             '.svg': 'image/svg+xml'}

    def log_message(self, *args):
        pass

    def send(self, status, ctype, body, headers=()):
        self.send_response(status)
        self.send_header('Content-Type', ctype)
        self.send_header('Content-Length', str(len(body)))
        self.send_header('Cache-Control', 'no-store')
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        parts = url.path.strip('/').split('/')
        if len(parts) == 3 and parts[0] == 'api' and parts[2] == 'count':
            with self.lock:
                count = self.counts.get(parts[1], 0)
            return self.send(*ok_json({'count': count}))
        if len(parts) == 2 and parts[0] in self.roots and parts[1] and not parts[1].startswith('.'):
            path = os.path.join(self.roots[parts[0]], parts[1])
            if os.path.isfile(path):
                with open(path, 'rb') as f:
                    return self.send(200, self.types.get(os.path.splitext(path)[1], 'application/octet-stream'),
                                     f.read())
        if url.path.startswith('/logo/') and url.path.endswith('.png'):
            return self.send(200, 'image/png', b'\x89PNG\r\n\x1a\n')
        return self.send(404, 'text/plain', b'not found')

    def do_POST(self):
        url = urllib.parse.urlsplit(self.path)
        parts = url.path.strip('/').split('/')
        length = int(self.headers.get('Content-Length') or 0)
        if length > MAX_BODY:
            return self.send(413, 'text/plain', b'too large')
        body = self.rfile.read(length)
        if len(parts) != 3 or parts[0] != 'api' or parts[2] != 'evaluate':
            return self.send(404, 'text/plain', b'not found')
        with self.lock:
            n = self.counts[parts[1]] = self.counts.get(parts[1], 0) + 1
        request = {'method': 'POST', 'path': url.path, 'query': url.query,
                   'content_type': self.headers.get('Content-Type', ''), 'body': body}
        return self.send(*answer(parts[1], n, request))


def main():
    if not os.access(CHROMIUM, os.X_OK):
        bail(f'{CHROMIUM} is not installed (scripts/install-deps installs chromium)')
    tap = Tap()
    tmp = tempfile.mkdtemp(prefix='web-client-')
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        port = server.server_address[1]
        closed = free_port()      # nothing listens there: the network-error case
        tap.plan(1 + UNIT_TESTS)
        url = f'http://127.0.0.1:{port}/unit/client-unit.html?closed={closed}'
        rc, out, stderr = chromium(['--dump-dom', url], tmp, 'unit')
        dom = parse_dom(out.decode('utf-8', errors='replace'), 'data-test')
        tap.ok(rc == 0 and dom.body.get('data-ready') == 'true' and len(dom.rows) == UNIT_TESTS,
               f'client-unit.html ran: body data-ready="true", {UNIT_TESTS} results',
               f'chromium exit {rc}, body {dom.body}, {len(dom.rows)} results\n{chromium_noise_free(stderr)}')
        for row in dom.rows[:UNIT_TESTS]:
            a = row['attrs']
            tap.ok(a.get('data-result') == 'pass', a.get('data-test', '?'), row['text'].strip())
        for _ in range(len(dom.rows), UNIT_TESTS):
            tap.ok(False, 'missing result', 'the page listed fewer results than UNIT_TESTS')
    finally:
        server.shutdown()
        server.server_close()
        shutil.rmtree(tmp, ignore_errors=True)
    return 1 if tap.fails else 0


if __name__ == '__main__':
    sys.exit(main())

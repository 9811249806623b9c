// client-unit.js — unit tests of web/bimi-client.js, run in headless Chromium by
// tests/web-client.t against the scripted HTTP server in that file: /api/<case>/evaluate
// answers what each case below needs (see CASES there), /api/<case>/count says how
// many POSTs the case received. Each test becomes <li data-test=NAME data-result=pass|fail>
// with the failure in its text; <body data-ready="true"> when all have run.
import {
  evaluateMessage, renderIndicator, renderCaution, BimiError, DECISIONS, CAUTION_SIGNALS, CAUTION_COLOUR,
  appliedAction, renderFilterLabel, FILTERS, FILTER_ACTIONS,
} from '/web/bimi-client.js';

const params = new URLSearchParams(location.search);
const CLOSED_PORT = params.get('closed');
const tests = [];

function test(name, fn) {
  tests.push({ name, fn });
}

class AssertionError extends Error {}

function assert(cond, message) {
  if (!cond) throw new AssertionError(message);
}

function eq(got, want, what) {
  const g = JSON.stringify(got);
  const w = JSON.stringify(want);
  assert(g === w, `${what}: got ${g}, want ${w}`);
}

async function rejects(promise, what) {
  try {
    await promise;
  } catch (e) {
    assert(e instanceof BimiError, `${what}: rejected with ${e?.name}: ${e?.message}, not a BimiError`);
    return e;
  }
  throw new AssertionError(`${what}: resolved, want a rejection`);
}

async function posts(name) {
  const r = await fetch(`/api/${name}/count`, { cache: 'no-store' });
  return (await r.json()).count;
}

const api = (name) => ({ baseUrl: `/api/${name}/` });
const abs = (path) => new URL(path, location.href).href;
const MESSAGE = 'From: Brand <news@brand.example>\r\nSubject: hi\r\n\r\nbody\r\n';

test('envelope goes in the query, the message bytes in the body', async () => {
  const bytes = new Uint8Array([0x46, 0x72, 0x6f, 0x6d, 0x3a, 0x20, 0xff, 0xe9, 0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x41]);
  const d = await evaluateMessage(bytes.buffer, { ip: '2001:db8::1', helo: 'mx.brand.example', mail_from: '' },
    api('echo'));
  eq(d.decision, 'none', 'decision');
  eq(d.echo.method, 'POST', 'method');
  eq(d.echo.path, '/api/echo/evaluate', 'path');
  eq(d.echo.query, { ip: ['2001:db8::1'], helo: ['mx.brand.example'], mail_from: [''] }, 'query');
  eq(d.echo.content_type, 'message/rfc822', 'Content-Type');
  eq(d.echo.body_hex, Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(''), 'body bytes');
});

test('absent envelope members are not sent; a string message is sent as UTF-8', async () => {
  const d = await evaluateMessage('Subject: é\r\n\r\n', { ip: '192.0.2.1', helo: undefined, mail_from: null },
    api('echo'));
  eq(d.echo.query, { ip: ['192.0.2.1'] }, 'query');
  eq(d.echo.body_hex, '5375626a6563743a20c3a90d0a0d0a', 'body bytes');
});

test('the API root may be given without its trailing slash', async () => {
  const d = await evaluateMessage(MESSAGE, {}, { baseUrl: '/api/echo' });
  eq(d.echo.path, '/api/echo/evaluate', 'path');
});

test('logo+checkmark: img with src, 1x/2x srcset, <title> as alt text, size, one badge', async () => {
  const d = await evaluateMessage(MESSAGE, {}, api('vmc'));
  eq(d.decision, 'logo+checkmark', 'decision');
  eq(d.reason, 'vmc', 'reason');
  eq(d.mark.type, 'VMC', 'mark passed through');
  eq(d.indicator.png[32], abs('/logo/aaaa/32.png'), 'png 32 resolved');
  eq(d.indicator.svg, null, 'javascript: svg URL dropped');
  const node = renderIndicator(d, { size: 32 });
  assert(node instanceof HTMLElement, 'a node');
  eq(node.dataset.bimiDecision, 'logo+checkmark', 'data-bimi-decision');
  const imgs = node.querySelectorAll('img');
  eq(imgs.length, 1, 'one img (the alt text made no element)');
  const img = imgs[0];
  eq(img.getAttribute('src'), abs('/logo/aaaa/32.png'), 'src');
  eq(img.getAttribute('srcset'), `${abs('/logo/aaaa/32.png')} 1x, ${abs('/logo/aaaa/64.png')} 2x`, 'srcset');
  eq(img.alt, 'Brand <img src=x onerror="window.pwned=1"> & Co', 'alt is the text, verbatim');
  eq([img.width, img.height], [32, 32], 'width/height');
  const badges = node.querySelectorAll('[aria-label="Verified brand"]');
  eq(badges.length, 1, 'one badge');
  eq(badges[0].getAttribute('role'), 'img', 'badge role');
  document.getElementById('scratch').append(node);
  await new Promise((r) => setTimeout(r, 50));
  eq(window.pwned, undefined, 'no handler ran');
});

test('logo: img, no badge; size 64 takes png 64 and png 128 as 2x', async () => {
  const d = await evaluateMessage(MESSAGE, {}, api('cmc'));
  eq(d.decision, 'logo', 'decision');
  const node = renderIndicator(d, { size: 64 });
  eq(node.querySelectorAll('img').length, 1, 'one img');
  eq(node.querySelectorAll('.bimi-checkmark, [aria-label="Verified brand"]').length, 0, 'no badge');
  const img = node.querySelector('img');
  eq(img.getAttribute('srcset'), `${abs('/logo/bbbb/64.png')} 1x, ${abs('/logo/bbbb/128.png')} 2x`, 'srcset');
  eq(img.alt, 'CMC Brand', 'alt');
});

test('no 2x PNG: no srcset; a missing size falls back to the next larger PNG', async () => {
  const d = await evaluateMessage(MESSAGE, {}, api('cmc'));
  const at128 = renderIndicator(d, { size: 128 }).querySelector('img');
  eq(at128.getAttribute('src'), abs('/logo/bbbb/128.png'), 'src 128');
  eq(at128.hasAttribute('srcset'), false, 'no srcset without png 256');
  const at40 = renderIndicator(d, { size: 40 }).querySelector('img');
  eq(at40.getAttribute('src'), abs('/logo/bbbb/64.png'), 'src for 40: the 64 px PNG');
  eq(at40.hasAttribute('srcset'), false, 'no srcset without png 40');
  eq([at40.width, at40.height], [40, 40], 'displayed at 40');
});

test('none: nothing to render, even if the answer carried an indicator', async () => {
  const d = await evaluateMessage(MESSAGE, {}, api('none'));
  eq(d.decision, 'none', 'decision');
  eq(d.reason, 'dmarc-fail', 'reason');
  eq(d.indicator, null, 'indicator');
  eq(renderIndicator(d, { size: 32 }), null, 'renderIndicator');
  eq(renderIndicator({ ...d, indicator: { png: { 32: abs('/x.png') } } }), null, 'renderIndicator, forced indicator');
});

test('unsafe logo URLs are dropped: a logo decision without a usable URL renders nothing', async () => {
  const d = await evaluateMessage(MESSAGE, {}, api('evil-urls'));
  eq(d.decision, 'logo', 'decision');
  eq(d.indicator.png, { 64: 'https://cdn.example/logo/64.png' }, 'only the https PNG kept');
  eq(d.indicator.svg, null, 'svg');
  // An inert document: its <img> never loads, so no lookup of cdn.example.
  const inert = document.implementation.createHTMLDocument('');
  const node = renderIndicator(d, { size: 32, document: inert });
  eq(node.ownerDocument === inert, true, 'built in the given document');
  eq(node.querySelector('img').getAttribute('src'), 'https://cdn.example/logo/64.png', 'the https PNG is used');
  const only = await evaluateMessage(MESSAGE, {}, api('evil-only'));
  eq(only.indicator.png, {}, 'nothing kept');
  eq(renderIndicator(only, { size: 32 }), null, 'no node');
});

// evaluateMessage() of MESSAGE with @envelope against the fake service's @scenario: rejected with a
// BimiError whose @fields hold @values, after @nPosts POSTs (not checked when undefined). Returns the error.
async function rejectsWith(scenario, envelope, fields, values, nPosts) {
  const e = await rejects(evaluateMessage(MESSAGE, envelope, api(scenario)), scenario);
  eq(fields.map((f) => e[f]), values, fields.join('/'));
  if (nPosts !== undefined) eq(await posts(scenario), nPosts, 'POSTs');
  return e;
}

test('HTTP 400: BimiError with the status, the field and the message the service named', async () => {
  const e = await rejectsWith('bad-ip', { ip: 'not-an-ip' }, ['code', 'status', 'field', 'retryAfter'],
    ['http-400', 400, 'ip', null], 1);
  assert(e.message.includes('ip is not an IP address'), `message ${e.message}`);
});

test('HTTP 413: BimiError, no retry', async () => {
  await rejectsWith('too-large', {}, ['code', 'status'], ['http-413', 413], 1);
});

test('HTTP 503 with Retry-After: 1, then 200: one retry, the decision', async () => {
  const d = await evaluateMessage(MESSAGE, {}, api('busy-once'));
  eq(d.decision, 'logo+checkmark', 'decision after the retry');
  eq(await posts('busy-once'), 2, 'two POSTs');
});

test('HTTP 503 twice: BimiError with retryAfter, after exactly one retry', async () => {
  await rejectsWith('busy', {}, ['code', 'status', 'retryAfter'], ['http-503', 503, 1], 2);
});

test('HTTP 503 with a long Retry-After: no retry, retryAfter reported', async () => {
  await rejectsWith('busy-long', {}, ['code', 'retryAfter'], ['http-503', 120], 1);
});

test('HTTP 502 from the front (HTML error page): BimiError http-502', async () => {
  await rejectsWith('bad-gateway', {}, ['code', 'status', 'field'], ['http-502', 502, null]);
});

test('network error: BimiError "network"', async () => {
  assert(/^\d+$/.test(CLOSED_PORT ?? ''), 'the test passes ?closed=PORT');
  const e = await rejects(evaluateMessage(MESSAGE, {}, { baseUrl: `http://127.0.0.1:${CLOSED_PORT}/bimi/v1/` }),
    'network');
  eq([e.code, e.status], ['network', 0], 'code/status');
});

test('aborted request: BimiError "aborted"', async () => {
  const c = new AbortController();
  c.abort();
  const e = await rejects(evaluateMessage(MESSAGE, {}, { ...api('echo'), signal: c.signal }), 'abort');
  eq(e.code, 'aborted', 'code');
});

test('200 that is not JSON, or not a decision: BimiError "bad-response"', async () => {
  const e1 = await rejects(evaluateMessage(MESSAGE, {}, api('not-json')), 'not JSON');
  eq(e1.code, 'bad-response', 'not JSON');
  const e2 = await rejects(evaluateMessage(MESSAGE, {}, api('odd-decision')), 'odd decision');
  eq(e2.code, 'bad-response', 'odd decision');
  eq(DECISIONS, ['logo+checkmark', 'logo', 'none'], 'DECISIONS');
});

test('caution: a red outline triangle and caution.text on one line; no logo, no badge', async () => {
  const d = await evaluateMessage(MESSAGE, {}, api('caution'));
  eq(d.caution, { brand: 'Acme Rockets', domains: ['vmc.demo.test', 'acme.demo.test'], signal: 'display-name',
    matched: 'Acme Rockets Support', text: 'Claims to be Acme Rockets — not verified' }, 'caution normalised');
  eq(renderIndicator(d, { size: 32 }), null, 'no indicator');
  const node = renderCaution(d);
  assert(node instanceof HTMLElement, 'a node');
  eq([node.tagName, node.className, node.getAttribute('role')], ['SPAN', 'bimi-caution', 'note'], 'element');
  eq(node.dataset.bimiCautionSignal, 'display-name', 'data-bimi-caution-signal');
  eq(node.querySelector('.bimi-caution-text').textContent, 'Claims to be Acme Rockets — not verified', 'text');
  eq(node.textContent, 'Claims to be Acme Rockets — not verified', 'nothing else as text');
  const svg = node.querySelector('svg.bimi-caution-icon');
  eq(svg?.getAttribute('aria-hidden'), 'true', 'the triangle is decoration');
  const outline = svg.querySelector('path');
  eq([outline.getAttribute('fill'), outline.getAttribute('stroke'), CAUTION_COLOUR], ['none', '#d93025', '#d93025'],
    'outline triangle in the caution colour');
  eq([svg.getAttribute('width'), renderCaution(d, { size: 24 }).querySelector('svg').getAttribute('width')],
    ['16', '24'], 'size');
  eq(node.title, 'Claims to be Acme Rockets — not verified. Verified domains of Acme Rockets: vmc.demo.test, ' +
    'acme.demo.test', 'title');
  eq(node.querySelectorAll('img, .bimi-checkmark').length, 0, 'no image, no badge');
  eq(CAUTION_SIGNALS, ['display-name', 'lookalike-domain', 'both'], 'CAUTION_SIGNALS');
});

test('caution details: what matched and the brand\'s verified domains, one <li> each', async () => {
  const d = await evaluateMessage(MESSAGE, {}, api('caution'));
  const node = renderCaution(d, { details: true });
  eq([node.tagName, node.className], ['DIV', 'bimi-caution bimi-caution-details'], 'element');
  eq(node.querySelector('.bimi-caution-text').textContent, 'Claims to be Acme Rockets — not verified', 'headline');
  eq(node.querySelector('.bimi-caution-matched').textContent,
    'Why: the sender\'s name claims the brand (“Acme Rockets Support”), but it is not authenticated as Acme Rockets.',
    'what matched');
  eq(Array.from(node.querySelectorAll('.bimi-caution-domains li'), (li) => li.textContent),
    ['vmc.demo.test', 'acme.demo.test'], 'verified domains');
});

test('caution strings with markup stay text; bad domains and signals are dropped, a missing text is written', async () => {
  const d = await evaluateMessage(MESSAGE, {}, api('caution-evil'));
  eq(d.caution.domains, ['vmc.demo.test', '<i>x</i>'], 'string domains kept, others dropped');
  eq(d.caution.signal, null, 'unknown signal');
  const node = renderCaution(d, { details: true });
  document.getElementById('scratch').append(node);
  eq(node.querySelectorAll('img, b, i').length, 0, 'no element from a string');
  eq(node.querySelector('.bimi-caution-text').textContent, '<img src=x onerror="window.pwned=3">Claims', 'text verbatim');
  eq(node.hasAttribute('data-bimi-caution-signal'), false, 'no signal attribute');
  eq(node.querySelector('.bimi-caution-matched').textContent,
    'Why: the message claims <b>Acme</b> (“<img src=x onerror="window.pwned=2">”), but it is not authenticated as ' +
    '<b>Acme</b>.', 'matched verbatim');
  await new Promise((r) => setTimeout(r, 50));
  eq(window.pwned, undefined, 'no handler ran');
  const t = await evaluateMessage(MESSAGE, {}, api('caution-no-text'));
  eq([t.caution.text, t.caution.domains, t.caution.signal], ['Claims to be Acme Rockets — not verified', [], 'both'],
    'text written from the brand; a domains string is not a list');
  eq(renderCaution(t, { details: true }).querySelector('.bimi-caution-domains-intro').textContent,
    'No verified domain of Acme Rockets is known.', 'no domains');
});

test('no caution: a null member, a member without a brand, a logo decision', async () => {
  const none = await evaluateMessage(MESSAGE, {}, api('none'));
  eq([none.caution, renderCaution(none)], [null, null], 'none without caution');
  const logo = await evaluateMessage(MESSAGE, {}, api('caution-on-logo'));
  eq([logo.decision, logo.caution], ['logo', null], 'a logo decision carries no caution');
  eq(renderCaution({ ...logo, caution: { brand: 'Acme Rockets' } }), null, 'renderCaution ignores it on a logo');
  const nobrand = await evaluateMessage(MESSAGE, {}, api('caution-no-brand'));
  eq([nobrand.caution, renderCaution(nobrand)], [null, null], 'blank brand');
  eq(renderCaution(null), null, 'null decision');
  const raw = renderCaution({ decision: 'none', caution: { brand: 'Acme Rockets', signal: 'lookalike-domain' } });
  eq([raw.dataset.bimiCautionSignal, raw.textContent], ['lookalike-domain', 'Claims to be Acme Rockets — not verified'],
    'a raw answer is checked the same way');
});

test('consent: sent as consent=, known filters only in a fixed order, [] as none, absent when not given', async () => {
  const both = await evaluateMessage(MESSAGE, {}, { ...api('echo'), consent: ['no-ptr', 'spam', 'dmarc'] });
  eq(both.echo.query.consent, ['dmarc,no-ptr'], 'two filters (spam dropped)');
  const none = await evaluateMessage(MESSAGE, {}, { ...api('echo'), consent: [] });
  eq(none.echo.query.consent, ['none'], 'no filter: consent=none');
  const absent = await evaluateMessage(MESSAGE, { ip: '192.0.2.1' }, api('echo'));
  eq(absent.echo.query, { ip: ['192.0.2.1'] }, 'no consent option: no consent= (the service default)');
  eq([FILTERS, FILTER_ACTIONS], [['dmarc', 'no-ptr'], ['deliver', 'quarantine', 'reject']], 'vocabulary');
});

test('filter: appliedAction is filter.applied.action, deliver for anything else; the label is text only', async () => {
  const spoof = {
    decision: 'none', reason: 'dmarc-fail',
    filter: {
      recommended: { action: 'reject', reasons: [{ filter: 'dmarc', action: 'reject', detail: 'x' }] },
      applied: { action: 'reject', reasons: [{ filter: 'dmarc', action: 'reject', detail: 'x' }] },
      consent: ['dmarc'], consent_source: 'request',
      label: { code: 'dmarc-fail-reject', text: 'Failed <b>sender</b> authentication' },
    },
  };
  eq(appliedAction(spoof), 'reject', 'applied');
  eq(appliedAction({ ...spoof, filter: { ...spoof.filter, applied: { action: 'discard' } } }), 'deliver',
    'an unknown action is deliver');
  eq([appliedAction({ decision: 'none' }), appliedAction(null)], ['deliver', 'deliver'], 'no filter member');
  const label = renderFilterLabel(spoof);
  eq([label.className, label.getAttribute('role'), label.dataset.bimiLabel], ['bimi-filter-label', 'note',
    'dmarc-fail-reject'], 'label node');
  eq([label.textContent, label.children.length], ['Failed <b>sender</b> authentication', 0], 'text, no markup');
  eq(renderFilterLabel({ ...spoof, filter: { ...spoof.filter, label: null } }), null, 'no label');
  const odd = renderFilterLabel({ filter: { label: { code: '"><x', text: 'Warning' } } });
  eq([odd.textContent, odd.dataset.bimiLabel], ['Warning', undefined], 'a bad code is dropped');
});

async function run() {
  const list = document.getElementById('results');
  for (const t of tests) {
    const li = document.createElement('li');
    li.dataset.test = t.name;
    try {
      await t.fn();
      li.dataset.result = 'pass';
    } catch (e) {
      li.dataset.result = 'fail';
      li.textContent = `${e?.name}: ${e?.message}`;
    }
    list.append(li);
  }
  document.body.dataset.ready = 'true';
}

run();

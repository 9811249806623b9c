// bimi-client.js — the reference webmail integration of bimi-engine's decision API.
//
// A dependency-free ES module. A webmail posts each message it displays to
// POST /bimi/v1/evaluate (DESIGN.md §4) and shows what the answer allows:
//   "logo+checkmark"  the brand's logo and a "Verified brand" badge (VMC: a registered Mark),
//   "logo"            the logo only (CMC, or a policy that shows unverified logos),
//   "none"            nothing at all — or, when the service flagged the message as claiming a
//                     verified brand it cannot prove (the `caution` member, issue 19), a caution:
//                     a red outline triangle and "Claims to be <brand> — not verified".
//
// Everything in an answer is attacker-influenced (the <title> of a sender's SVG becomes the
// alt text, reasons and URLs come from the service): this module never builds markup from
// strings. Text goes through textContent and attributes through setAttribute; URLs are
// resolved with URL() and only http: and https: are used.

/** Decisions the API can answer (DESIGN.md §3). */
export const DECISIONS = Object.freeze(['logo+checkmark', 'logo', 'none']);

/** What made the service flag a message (`caution.signal`): the From display name claims a
 *  registered brand, the author domain looks like one of its domains, or both. */
export const CAUTION_SIGNALS = Object.freeze(['display-name', 'lookalike-domain', 'both']);

/** Colour of the caution triangle's outline (tests/web-demo.t looks for it in the screenshot). */
export const CAUTION_COLOUR = '#d93025';

/** Default API root: the folder that holds `evaluate`, resolved against the page. */
export const DEFAULT_BASE_URL = '/bimi/v1/';

/** Filters a user may consent to (consent= of POST /bimi/v1/evaluate, issue 17). */
export const FILTERS = Object.freeze(['dmarc', 'no-ptr']);

/** Actions of the consent-aware filter, weakest first. */
export const FILTER_ACTIONS = Object.freeze(['deliver', 'quarantine', 'reject']);

/** Longest Retry-After this client waits for before retrying a 503, in seconds. */
export const MAX_RETRY_AFTER_SECONDS = 10;

const SVG_NS = 'http://www.w3.org/2000/svg';

/**
 * An evaluation that did not produce a decision: the service refused the request
 * (HTTP 400 malformed, 413 too large, 503 overloaded, any other non-200), the
 * network failed, or the answer was not a decision object. Show no indicator.
 */
export class BimiError extends Error {
  /**
   * @param {string} message  human-readable cause (plain text, never markup)
   * @param {object} details
   * @param {string} details.code  "http-400", "http-413", "http-503", "http-<status>",
   *   "network", "aborted" or "bad-response"
   * @param {number} [details.status]  HTTP status, 0 when no response arrived
   * @param {?number} [details.retryAfter]  seconds from the Retry-After field of a 503, else null
   * @param {?string} [details.field]  the request field the service named in its 400 answer, else null
   * @param {*} [details.cause]  the underlying exception, when there was one
   */
  constructor(message, { code, status = 0, retryAfter = null, field = null, cause } = {}) {
    super(message);
    this.name = 'BimiError';
    this.code = code;
    this.status = status;
    this.retryAfter = retryAfter;
    this.field = field;
    if (cause !== undefined) this.cause = cause;
  }
}

function pageHref() {
  return (typeof location !== 'undefined' && location.href) ? location.href : undefined;
}

function resolveApiRoot(baseUrl) {
  let root = new URL(baseUrl ?? DEFAULT_BASE_URL, pageHref());
  if (!root.pathname.endsWith('/')) root = new URL(root.pathname + '/' + root.search, root);
  return root;
}

/** Resolves an http(s) URL from an answer; anything else (javascript:, data:, junk) gives null. */
function safeUrl(value, base) {
  if (typeof value !== 'string' || value === '') return null;
  let url;
  try {
    url = new URL(value, base);
  } catch {
    return null;
  }
  return (url.protocol === 'https:' || url.protocol === 'http:') ? url.href : null;
}

/** Retry-After (RFC 9110 §10.2.3): delay-seconds or an HTTP-date; returns seconds or null. */
function parseRetryAfter(value) {
  if (value == null) return null;
  const v = value.trim();
  if (/^\d{1,9}$/.test(v)) return Number(v);
  const at = Date.parse(v);
  if (Number.isNaN(at)) return null;
  return Math.max(0, Math.ceil((at - Date.now()) / 1000));
}

function sleep(seconds, signal) {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, seconds * 1000);
    function onAbort() {
      clearTimeout(timer);
      reject(signal.reason);
    }
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

async function errorFromResponse(response) {
  const status = response.status;
  let message = `HTTP ${status}`;
  let field = null;
  try {
    const body = await response.json();
    if (body && typeof body === 'object') {
      const e = (body.error && typeof body.error === 'object') ? body.error : body;
      if (typeof e.message === 'string') message = `HTTP ${status}: ${e.message}`;
      else if (typeof body.error === 'string') message = `HTTP ${status}: ${body.error}`;
      if (typeof e.field === 'string') field = e.field;
    }
  } catch {
    // Not JSON (an nginx error page, say): the status says enough.
  }
  return new BimiError(message, {
    code: `http-${status}`,
    status,
    retryAfter: status === 503 ? parseRetryAfter(response.headers.get('Retry-After')) : null,
    field,
  });
}

function normaliseIndicator(raw, base) {
  if (!raw || typeof raw !== 'object') return null;
  const png = {};
  if (raw.png && typeof raw.png === 'object') {
    for (const [px, href] of Object.entries(raw.png)) {
      if (!/^\d{1,4}$/.test(px)) continue;
      const url = safeUrl(href, base);
      if (url) png[Number(px)] = url;
    }
  }
  return {
    sha256: typeof raw.sha256 === 'string' ? raw.sha256 : null,
    alt: typeof raw.alt === 'string' ? raw.alt : '',
    svg: safeUrl(raw.svg, base),
    png,
  };
}

/**
 * The `caution` member as this module uses it, or null: a brand name is required; the
 * domains keep their strings only; an unknown signal becomes null; a missing text is
 * written from the brand. Strings stay strings: they are shown as text, never parsed.
 */
function normaliseCaution(raw) {
  if (!raw || typeof raw !== 'object') return null;
  const brand = typeof raw.brand === 'string' ? raw.brand.trim() : '';
  if (!brand) return null;
  const domains = Array.isArray(raw.domains) ? raw.domains.filter((d) => typeof d === 'string' && d !== '') : [];
  return {
    brand,
    domains,
    signal: CAUTION_SIGNALS.includes(raw.signal) ? raw.signal : null,
    matched: typeof raw.matched === 'string' ? raw.matched : '',
    text: (typeof raw.text === 'string' && raw.text.trim()) ? raw.text : `Claims to be ${brand} — not verified`,
  };
}

/**
 * Asks bimi-fcgi what to show for one message: POST <baseUrl>evaluate?ip=&helo=&mail_from=
 * with the raw message as the body (DESIGN.md §4).
 *
 * A 503 with a Retry-After of at most MAX_RETRY_AFTER_SECONDS is retried once after that
 * delay; every other failure rejects at once.
 *
 * @param {string|Blob|ArrayBuffer|Uint8Array} rawMessage  the message as received
 *   (RFC 5322, CRLF or LF line ends), header block and body.
 * @param {{ip?: string, helo?: string, mail_from?: string}} [envelope]  the SMTP envelope:
 *   connecting client IP address, HELO/EHLO identity, MAIL FROM (RFC 5321.MailFrom, may be "").
 *   Absent members are not sent; the service then takes them from a trusted Received field.
 * @param {object} [options]
 * @param {string} [options.baseUrl="/bimi/v1/"]  API root, absolute or relative to the page.
 * @param {AbortSignal} [options.signal]  cancels the request (rejects with code "aborted").
 * @param {string[]} [options.consent]  the filters the user consented to (members of FILTERS; others
 *   are dropped), sent as consent=dmarc,no-ptr — an empty list as consent=none. Left out: the
 *   service's [filter] default_consent. Only `filter.applied` of the answer depends on it.
 * @returns {Promise<object>}  the decision object of DESIGN.md §4: `decision` (one of DECISIONS),
 *   `reason` (string), `indicator` (null, or {sha256, alt, svg, png: {px: URL}} with every URL
 *   absolute http(s), unsafe ones dropped), `caution` (null, or {brand, domains: [string],
 *   signal: one of CAUTION_SIGNALS or null, matched, text}; always null for a logo decision),
 *   and `mark`, `auth`, `authentication_results`, `ttl`, `filter` as the service sent them.
 * @throws {BimiError}  HTTP 400/413/503/other status (code "http-<status>", `status`,
 *   `retryAfter` for 503, `field` for 400), network failure ("network"), abort ("aborted"),
 *   or an answer that is not a decision object ("bad-response").
 */
export async function evaluateMessage(rawMessage, envelope = {}, { baseUrl, signal, consent } = {}) {
  const url = new URL('evaluate', resolveApiRoot(baseUrl));
  for (const key of ['ip', 'helo', 'mail_from']) {
    const value = envelope?.[key];
    if (value !== undefined && value !== null) url.searchParams.set(key, String(value));
  }
  if (Array.isArray(consent)) {
    const known = FILTERS.filter((f) => consent.includes(f));
    url.searchParams.set('consent', known.length ? known.join(',') : 'none');
  }

  let response;
  for (let attempt = 0; ; attempt++) {
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: { 'Content-Type': 'message/rfc822', Accept: 'application/json' },
        body: rawMessage,
        signal,
        credentials: 'same-origin',
        cache: 'no-store',
      });
    } catch (e) {
      if (signal?.aborted) throw new BimiError('request aborted', { code: 'aborted', cause: e });
      throw new BimiError(`network error: ${e?.message ?? e}`, { code: 'network', cause: e });
    }
    if (response.ok) break;
    const error = await errorFromResponse(response);
    if (error.status === 503 && attempt === 0 && error.retryAfter !== null &&
        error.retryAfter <= MAX_RETRY_AFTER_SECONDS) {
      try {
        await sleep(error.retryAfter, signal);
      } catch (e) {
        throw new BimiError('request aborted', { code: 'aborted', cause: e });
      }
      continue;
    }
    throw error;
  }

  let body;
  try {
    body = await response.json();
  } catch (e) {
    throw new BimiError('answer is not JSON', { code: 'bad-response', status: response.status, cause: e });
  }
  if (!body || typeof body !== 'object' || !DECISIONS.includes(body.decision)) {
    throw new BimiError('answer has no known "decision"', { code: 'bad-response', status: response.status });
  }
  const base = response.url || url.href;
  return {
    ...body,
    reason: typeof body.reason === 'string' ? body.reason : '',
    indicator: body.decision === 'none' ? null : normaliseIndicator(body.indicator, base),
    caution: body.decision === 'none' ? normaliseCaution(body.caution) : null,
  };
}

/**
 * What the service applied to a message under the user's consent (the decision's `filter.applied.action`,
 * issue 17): "deliver" (keep it in the inbox), "quarantine" or "reject" (a webmail that already holds the
 * message moves it to Spam). Anything else in the answer — no filter member (an older service, domain
 * status), an unknown action — is "deliver": a client never filters on its own.
 *
 * @param {object} decision  a decision object as returned by evaluateMessage().
 * @returns {string}  one of FILTER_ACTIONS.
 */
export function appliedAction(decision) {
  const action = decision?.filter?.applied?.action;
  return FILTER_ACTIONS.includes(action) ? action : 'deliver';
}

/**
 * The warning label of a decision (`filter.label`): shown with or without the user's consent, since
 * labelling is not filtering.
 *
 * @param {object} decision  a decision object as returned by evaluateMessage().
 * @param {object} [options]
 * @param {Document} [options.document=globalThis.document]  the document that owns the node.
 * @returns {?HTMLElement}  null when the decision has no label; else a new
 *   <span class="bimi-filter-label" role="note" data-bimi-label=CODE title=TEXT> holding TEXT (as text).
 */
export function renderFilterLabel(decision, { document: doc = globalThis.document } = {}) {
  const label = decision?.filter?.label;
  if (!label || typeof label !== 'object' || typeof label.text !== 'string' || label.text === '') return null;
  const node = doc.createElement('span');
  node.className = 'bimi-filter-label';
  node.setAttribute('role', 'note');
  if (typeof label.code === 'string' && /^[a-z0-9-]{1,64}$/.test(label.code)) node.dataset.bimiLabel = label.code;
  node.title = label.text;
  node.textContent = label.text;
  return node;
}

/** The PNG of exactly `px` pixels, else the smallest larger one, else the largest, else the SVG. */
function pickSource(indicator, px) {
  if (indicator.png[px]) return indicator.png[px];
  const sizes = Object.keys(indicator.png).map(Number).sort((a, b) => a - b);
  const larger = sizes.find((s) => s > px);
  if (larger !== undefined) return indicator.png[larger];
  if (sizes.length) return indicator.png[sizes[sizes.length - 1]];
  return indicator.svg;
}

// An SVG element of @doc with the attributes @attrs (name -> value, set in that order).
function svgElement(doc, name, attrs) {
  const el = doc.createElementNS(SVG_NS, name);
  for (const [key, value] of Object.entries(attrs)) el.setAttribute(key, value);
  return el;
}

// A decorative 24x24 icon of @px CSS pixels: hidden from assistive technology, never focused.
function iconSvg(doc, px, attrs = {}) {
  return svgElement(doc, 'svg', {
    ...attrs, viewBox: '0 0 24 24', width: String(px), height: String(px), 'aria-hidden': 'true', focusable: 'false',
  });
}

function checkmarkBadge(doc, size) {
  const badge = doc.createElement('span');
  badge.className = 'bimi-checkmark';
  badge.setAttribute('role', 'img');
  badge.setAttribute('aria-label', 'Verified brand');
  badge.title = 'Verified brand';
  const svg = iconSvg(doc, Math.max(12, Math.round(size * 0.45)));
  const disc = svgElement(doc, 'circle', { cx: '12', cy: '12', r: '11', fill: '#1a73e8' });
  const tick = svgElement(doc, 'path', {
    d: 'M6.5 12.5l3.5 3.5 7.5-8', fill: 'none', stroke: '#fff', 'stroke-width': '2.5', 'stroke-linecap': 'round',
    'stroke-linejoin': 'round',
  });
  svg.append(disc, tick);
  badge.append(svg);
  return badge;
}

/**
 * Builds what a mail list shows beside the sender for one decision.
 *
 * @param {object} decision  a decision object as returned by evaluateMessage().
 * @param {object} [options]
 * @param {number} [options.size=32]  logo edge in CSS pixels; the <img> uses png[size]
 *   (or the nearest available size), with srcset "png[size] 1x, png[2*size] 2x" when the
 *   answer has png[2*size].
 * @param {Document} [options.document=globalThis.document]  the document that owns the node.
 * @returns {?HTMLElement}  null for "none" (and for a logo decision without a usable logo URL);
 *   otherwise a new <span class="bimi-indicator" data-bimi-decision=...> (transfer full) holding
 *   an <img class="bimi-logo"> whose alt is the logo's <title> text, plus, only for
 *   "logo+checkmark", a <span class="bimi-checkmark" role="img" aria-label="Verified brand">.
 */
export function renderIndicator(decision, { size = 32, document: doc = globalThis.document } = {}) {
  if (!decision || (decision.decision !== 'logo' && decision.decision !== 'logo+checkmark')) return null;
  const indicator = decision.indicator;
  if (!indicator || typeof indicator !== 'object' || !indicator.png) return null;
  const px = Number.isInteger(size) && size > 0 ? size : 32;
  const src = pickSource(indicator, px);
  if (!src) return null;

  const wrap = doc.createElement('span');
  wrap.className = 'bimi-indicator';
  wrap.dataset.bimiDecision = decision.decision;

  const img = doc.createElement('img');
  img.className = 'bimi-logo';
  img.src = src;
  const x2 = indicator.png[2 * px];
  if (indicator.png[px] && x2 && !/[\s,]/.test(indicator.png[px] + x2)) {
    img.setAttribute('srcset', `${indicator.png[px]} 1x, ${x2} 2x`);
  }
  img.alt = indicator.alt || 'Sender logo';
  img.width = px;
  img.height = px;
  img.decoding = 'async';
  img.setAttribute('referrerpolicy', 'no-referrer');
  wrap.append(img);

  if (decision.decision === 'logo+checkmark') wrap.append(checkmarkBadge(doc, px));
  return wrap;
}

function cautionTriangle(doc, px) {
  const svg = iconSvg(doc, px, { class: 'bimi-caution-icon' });
  const triangle = svgElement(doc, 'path', {
    d: 'M12 2.8L22.2 20.5H1.8z', fill: 'none', stroke: CAUTION_COLOUR, 'stroke-width': '2.4',
    'stroke-linejoin': 'round',
  });
  const bar = svgElement(doc, 'path', {
    d: 'M12 9.2v5.3', stroke: CAUTION_COLOUR, 'stroke-width': '2.4', 'stroke-linecap': 'round',
  });
  const dot = svgElement(doc, 'circle', { cx: '12', cy: '17.6', r: '1.3', fill: CAUTION_COLOUR });
  svg.append(triangle, bar, dot);
  return svg;
}

const SIGNAL_WORDS = {
  'display-name': 'the sender\'s name claims the brand',
  'lookalike-domain': 'the sender\'s domain looks like one of the brand\'s domains',
  both: 'the sender\'s name claims the brand and its domain looks like one of the brand\'s',
};

/**
 * Builds the brand-impersonation caution for one decision (issue 19): the service found that
 * the message claims a registered brand (display name or lookalike author domain) but is not
 * authenticated as one of that brand's domains. It is advice to the reader, not an
 * authentication result: show it beside the sender, never instead of the message.
 *
 * @param {object} decision  a decision object as returned by evaluateMessage() (a raw answer
 *   works too: its `caution` is checked the same way).
 * @param {object} [options]
 * @param {boolean} [options.details=false]  false: one line for a mail list; true: for a
 *   message view, with what matched and the brand's verified domains as a list.
 * @param {number} [options.size=16]  triangle edge in CSS pixels.
 * @param {Document} [options.document=globalThis.document]  the document that owns the node.
 * @returns {?HTMLElement}  null when there is no caution (a null or malformed member, or a logo
 *   decision); otherwise a new (transfer full) <span class="bimi-caution" role="note"
 *   data-bimi-caution-signal=SIGNAL> (a <div> with details) holding an SVG red outline
 *   triangle (aria-hidden) and <span class="bimi-caution-text"> = `caution.text`; with details
 *   also <p class="bimi-caution-matched"> and <ul class="bimi-caution-domains"> (one <li> per
 *   verified domain). Every string reaches the page through textContent only.
 */
export function renderCaution(decision, { details = false, size = 16, document: doc = globalThis.document } = {}) {
  if (!decision || decision.decision !== 'none') return null;
  const caution = normaliseCaution(decision.caution);
  if (!caution) return null;
  const px = Number.isInteger(size) && size > 0 ? size : 16;

  const wrap = doc.createElement(details ? 'div' : 'span');
  wrap.className = details ? 'bimi-caution bimi-caution-details' : 'bimi-caution';
  wrap.setAttribute('role', 'note');
  if (caution.signal) wrap.dataset.bimiCautionSignal = caution.signal;
  const headline = doc.createElement('span');
  headline.className = 'bimi-caution-text';
  headline.textContent = caution.text;
  wrap.append(cautionTriangle(doc, px), headline);
  if (!details) {
    wrap.title = caution.domains.length
      ? `${caution.text}. Verified domains of ${caution.brand}: ${caution.domains.join(', ')}`
      : caution.text;
    return wrap;
  }

  const matched = doc.createElement('p');
  matched.className = 'bimi-caution-matched';
  const why = caution.signal ? SIGNAL_WORDS[caution.signal] : `the message claims ${caution.brand}`;
  matched.textContent = caution.matched
    ? `Why: ${why} (“${caution.matched}”), but it is not authenticated as ${caution.brand}.`
    : `Why: ${why}, but it is not authenticated as ${caution.brand}.`;
  wrap.append(matched);
  const intro = doc.createElement('p');
  intro.className = 'bimi-caution-domains-intro';
  intro.textContent = caution.domains.length
    ? `Mail really from ${caution.brand} comes from:`
    : `No verified domain of ${caution.brand} is known.`;
  wrap.append(intro);
  if (caution.domains.length) {
    const list = doc.createElement('ul');
    list.className = 'bimi-caution-domains';
    for (const domain of caution.domains) {
      const item = doc.createElement('li');
      item.textContent = domain;
      list.append(item);
    }
    wrap.append(list);
  }
  return wrap;
}

// demo.js — the demo inbox of `make run`: lists fixtures/demo/messages/ and asks the
// decision API about each message through bimi-client.js.
//
// The manifest /demo/messages/index.json is a list of
//   {"file", "label", "note", "from", "subject", "ip", "helo", "mail_from", "expect": {"decision", "reason"}}.
// Each row carries data-file, and once the answer is in data-decision, data-reason and
// data-state="done" (or data-state="error"), a row with a logo data-logo="loaded" (data-logo-px = the
// decoded PNG's width) or "failed", a row the service flagged (the `caution` member, issue 19)
// data-caution = its signal and a caution line; <body data-ready="true"> when every row and logo is
// settled. A click (or Enter) on a row opens the message view (#message-view, data-view-file = the
// open message's file). tests/web-demo.t reads those attributes from headless Chromium's DOM.
//
// Query parameters (all optional): size=<px> logo edge (default 32), manifest=<path> (same origin),
// open=<file> opens that message's view once every row is settled, filter=on|off sets the "Filter spoofed
// mail" switch (and remembers it), click-filter=1 clicks the switch once the inbox has settled
// (tests/filter-consent.t: the switch's own change handler, in headless Chromium).
//
// "Filter spoofed mail" (issue 17) is the user's consent to the DMARC filter, per user (localStorage), off by
// default. Every message is asked with consent=dmarc when it is on and consent=none when it is off; a message
// whose filter.applied is quarantine or reject moves to the Spam view, every other one stays in the inbox.
// filter.label (a warning) is shown either way: labelling is not filtering. Rows also carry
// data-filter-recommended, data-filter-applied, data-label (the label code, "" for none) and data-folder
// ("inbox" or "spam"); <body data-filter="on|off">.

import { evaluateMessage, renderIndicator, renderCaution, appliedAction, renderFilterLabel } from './bimi-client.js';

const MESSAGES_DIR = '/demo/messages/';
const PARALLEL = 4;

const params = new URLSearchParams(location.search);
const LOGO_SIZE = /^\d{1,3}$/.test(params.get('size') ?? '') ? Number(params.get('size')) : 32;

function sameOrigin(path, fallback) {
  try {
    const url = new URL(path ?? fallback, location.href);
    return url.origin === location.origin ? url : new URL(fallback, location.href);
  } catch {
    return new URL(fallback, location.href);
  }
}

const MANIFEST = sameOrigin(params.get('manifest'), MESSAGES_DIR + 'index.json');
const OPEN_FILE = params.get('open') ?? '';

// The user's consent to filtering spoofed mail: remembered per browser profile (one demo user), off by default.
const FILTER_KEY = 'bimi-demo.filter-spoofed';

function loadFilterSwitch() {
  const asked = params.get('filter');
  if (asked === 'on' || asked === 'off') {
    saveFilterSwitch(asked === 'on');
    return asked === 'on';
  }
  try {
    return localStorage.getItem(FILTER_KEY) === 'on';
  } catch {
    return false;
  }
}

function saveFilterSwitch(on) {
  try {
    localStorage.setItem(FILTER_KEY, on ? 'on' : 'off');
  } catch {
    // No storage (a private window): the switch lasts for this page only.
  }
}

let filterOn = loadFilterSwitch();

/** Per row: its manifest entry, the message bytes and the decision, for the message view. */
const rowData = new WeakMap();

function text(value) {
  return typeof value === 'string' ? value : '';
}

/** "Brand News <news@brand.example>" → {name: "Brand News", address: "news@brand.example"}. */
function splitFrom(from) {
  const m = /^\s*"?([^"<]*?)"?\s*<([^>]*)>\s*$/.exec(from);
  if (m) return m[1] ? { name: m[1], address: m[2] } : { name: m[2], address: '' };
  return { name: from, address: '' };
}

function setStatus(message) {
  document.getElementById('status').textContent = message;
}

function newRow(entry) {
  const row = document.getElementById('row-template').content.firstElementChild.cloneNode(true);
  const from = splitFrom(text(entry.from));
  row.dataset.file = text(entry.file);
  if (entry.label) row.dataset.label = text(entry.label);

  row.querySelector('.initial').textContent = (from.name.trim()[0] ?? '?').toUpperCase();
  const fromCell = row.querySelector('.from');
  const name = document.createElement('span');
  name.className = 'name';
  name.textContent = from.name;
  fromCell.append(name);
  if (from.address) {
    const address = document.createElement('span');
    address.className = 'address';
    address.textContent = from.address;
    fromCell.append(' ', address);
  }
  row.querySelector('.subject-text').textContent = text(entry.subject) || '(no subject)';
  row.querySelector('.case').textContent = text(entry.label);
  const title = [text(entry.label), text(entry.note)].filter(Boolean).join(': ');
  if (title) row.title = title;
  row.tabIndex = 0;
  row.addEventListener('click', () => openMessage(row, { scroll: true }));
  row.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      openMessage(row, { scroll: true });
    }
  });
  return row;
}

function showDecision(row, decision) {
  row.dataset.decision = decision.decision;
  row.dataset.reason = decision.reason;
  const indicator = renderIndicator(decision, { size: LOGO_SIZE });
  let logo = Promise.resolve();
  if (indicator) {
    const avatar = row.querySelector('.avatar');
    avatar.replaceChildren(indicator);
    avatar.classList.add('has-logo');
    logo = logoSettled(row, indicator.querySelector('img'));
  }
  row.querySelector('.decision').textContent = decision.decision;
  row.querySelector('.reason').textContent = decision.reason ? `(${decision.reason})` : '';
  showCaution(row, decision);
  showFilter(row, decision);
  row.dataset.state = 'done';
  return logo;
}

/** The consent-aware filter's answer on a row (issue 17): the warning label (always), and the folder it
 *  belongs in under the user's consent. */
function showFilter(row, decision) {
  const label = renderFilterLabel(decision);
  row.querySelector('.filter-label-slot').replaceChildren(...(label ? [label] : []));
  row.dataset.label = label?.dataset.bimiLabel ?? '';
  row.dataset.filterRecommended = text(decision.filter?.recommended?.action) || 'deliver';
  row.dataset.filterApplied = appliedAction(decision);
  row.dataset.folder = row.dataset.filterApplied === 'deliver' ? 'inbox' : 'spam';
}

/** Puts every row into its folder's list, in manifest order. */
function placeRows(rows) {
  const inbox = document.getElementById('inbox');
  const spam = document.getElementById('spam');
  for (const row of rows) (row.dataset.folder === 'spam' ? spam : inbox).append(row);
  const n = spam.children.length;
  document.getElementById('spam-count').textContent = `(${n})`;
  document.getElementById('spam-empty').hidden = n > 0;
}

/** The caution line of a flagged message (issue 19): the service's text beside a red outline
 *  triangle, in its own cell under the sender and subject. */
function showCaution(row, decision) {
  const caution = renderCaution(decision);
  row.querySelector(':scope > .bimi-caution')?.remove(); // asked again (the filter switch): one line
  if (!caution) return;
  row.dataset.caution = decision.caution?.signal ?? 'unknown';
  row.classList.add('has-caution');
  row.append(caution);
}

/** The headers and text of a message for the view: the body after the first empty line,
 *  decoded as UTF-8 (the demo messages are text/plain; charset=utf-8). */
function messageBody(raw) {
  const textOf = new TextDecoder('utf-8', { fatal: false }).decode(raw ?? new ArrayBuffer(0));
  const m = /\r?\n\r?\n/.exec(textOf);
  return m ? textOf.slice(m.index + m[0].length).replace(/\r\n/g, '\n') : '';
}

/** Shows one message in #message-view: sender, subject, the decision, the caution with the
 *  brand's verified domains, and the text. */
function openMessage(row, { scroll = false } = {}) {
  const data = rowData.get(row);
  const view = document.getElementById('message-view');
  if (!data || !view) return;
  const { entry, raw, decision } = data;
  const from = splitFrom(text(entry.from));
  for (const other of document.querySelectorAll('.mail-row[aria-current]')) other.removeAttribute('aria-current');
  row.setAttribute('aria-current', 'true');
  view.dataset.viewFile = text(entry.file);
  view.querySelector('.mv-subject').textContent = text(entry.subject) || '(no subject)';
  view.querySelector('.mv-name').textContent = from.name;
  view.querySelector('.mv-address').textContent = from.address ? `<${from.address}>` : '';
  const avatar = view.querySelector('.mv-avatar');
  const indicator = decision ? renderIndicator(decision, { size: 40 }) : null;
  if (indicator) {
    avatar.replaceChildren(indicator);
  } else {
    const initial = document.createElement('span');
    initial.className = 'initial';
    initial.setAttribute('aria-hidden', 'true');
    initial.textContent = (from.name.trim()[0] ?? '?').toUpperCase();
    avatar.replaceChildren(initial);
  }
  const caution = decision ? renderCaution(decision, { details: true, size: 20 }) : null;
  view.querySelector('.mv-caution').replaceChildren(...(caution ? [caution] : []));
  view.classList.toggle('has-caution', Boolean(caution));
  view.querySelector('.mv-verdict').textContent = decision
    ? `bimi-engine: ${decision.decision}${decision.reason ? ` (${decision.reason})` : ''}` +
      (text(entry.note) ? ` — ${text(entry.note)}` : '')
    : 'bimi-engine: no answer';
  view.querySelector('.mv-body').textContent = messageBody(raw);
  view.hidden = false;
  if (scroll) view.scrollIntoView({ block: 'nearest' });
}

/** Resolves once the logo has loaded or failed; data-logo="loaded" (with data-logo-px, the
 *  decoded width) or "failed", so a page test sees what the browser really displayed. */
function logoSettled(row, img) {
  return new Promise((resolve) => {
    const done = (ok) => {
      row.dataset.logo = ok ? 'loaded' : 'failed';
      if (ok) row.dataset.logoPx = String(img.naturalWidth);
      resolve();
    };
    if (img.complete) {
      done(img.naturalWidth > 0);
      return;
    }
    img.addEventListener('load', () => done(true), { once: true });
    img.addEventListener('error', () => done(false), { once: true });
  });
}

function showError(row, error) {
  row.dataset.error = text(error?.code) || 'error';
  row.querySelector('.decision').textContent = 'error';
  row.querySelector('.reason').textContent = `(${text(error?.message) || String(error)})`;
  row.dataset.state = 'error';
  row.dataset.folder = 'inbox'; // no answer: nothing may be filtered
}

async function evaluateRow(row, entry) {
  try {
    const file = new URL(text(entry.file), new URL(MESSAGES_DIR, location.href));
    const response = await fetch(file, { cache: 'no-store' });
    if (!response.ok) throw new Error(`cannot load ${text(entry.file)}: HTTP ${response.status}`);
    // Bytes, not text: a message may carry 8-bit content that is not UTF-8.
    const raw = await response.arrayBuffer();
    rowData.set(row, { entry, raw, decision: null });
    const envelope = {};
    for (const key of ['ip', 'helo', 'mail_from']) {
      if (typeof entry[key] === 'string') envelope[key] = entry[key];
    }
    const decision = await evaluateMessage(raw, envelope, { consent: filterOn ? ['dmarc'] : [] });
    rowData.set(row, { entry, raw, decision });
    await showDecision(row, decision);
  } catch (error) {
    showError(row, error);
  }
}

async function main() {
  const list = document.getElementById('inbox');
  document.querySelector('#message-view .mv-close')?.addEventListener('click', () => {
    document.getElementById('message-view').hidden = true;
    document.querySelector('.mail-row[aria-current]')?.focus();
  });
  let entries;
  try {
    const response = await fetch(MANIFEST, { cache: 'no-store' });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    entries = await response.json();
    if (!Array.isArray(entries)) throw new Error('not a list');
  } catch (error) {
    setStatus(`Cannot load the message list ${MANIFEST.pathname}: ${error.message}`);
    document.body.dataset.error = 'manifest';
    document.body.dataset.ready = 'true';
    list.setAttribute('aria-busy', 'false');
    return;
  }

  const rows = entries.map((entry) => {
    const row = newRow(entry);
    list.append(row);
    return row;
  });
  const toggle = document.getElementById('filter-switch');
  toggle.checked = filterOn;
  document.body.dataset.filter = filterOn ? 'on' : 'off';
  toggle.addEventListener('change', async () => {
    // The user changed their consent: remember it and ask again about every message.
    filterOn = toggle.checked;
    saveFilterSwitch(filterOn);
    document.body.dataset.filter = filterOn ? 'on' : 'off';
    document.body.dataset.ready = 'false';
    await evaluateAll(rows, entries);
    document.body.dataset.ready = 'true';
  });
  await evaluateAll(rows, entries);
  const toOpen = OPEN_FILE && rows.find((r) => r.dataset.file === OPEN_FILE);
  if (toOpen) openMessage(toOpen);
  document.body.dataset.ready = 'true';
  if (params.get('click-filter') === '1') toggle.click();
}

/** Asks about every row (PARALLEL at a time) under the current consent, then files each row in its folder. */
async function evaluateAll(rows, entries) {
  const list = document.getElementById('inbox');
  list.setAttribute('aria-busy', 'true');
  setStatus(`Checking ${rows.length} messages…`);
  let next = 0;
  let settled = 0;
  async function worker() {
    while (next < rows.length) {
      const i = next++;
      await evaluateRow(rows[i], entries[i]);
      settled++;
      setStatus(`Checked ${settled} of ${rows.length} messages…`);
    }
  }
  await Promise.all(Array.from({ length: Math.min(PARALLEL, rows.length) }, worker));
  placeRows(rows);

  const count = (d) => rows.filter((r) => r.dataset.decision === d).length;
  const errors = rows.filter((r) => r.dataset.state === 'error').length;
  const cautions = rows.filter((r) => r.dataset.caution).length;
  const spam = rows.filter((r) => r.dataset.folder === 'spam').length;
  setStatus(`${rows.length} messages: ${count('logo+checkmark')} verified logo, ${count('logo')} logo, ` +
    `${count('none')} no indicator` + (cautions ? `, ${cautions} claiming a brand they cannot prove` : '') +
    (errors ? `, ${errors} failed` : '') + (spam ? `; ${spam} moved to Spam.` : '.'));
  list.setAttribute('aria-busy', 'false');
}

main();

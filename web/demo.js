// demo.js — the demo inbox of `make run`: lists fixtures/demo/messages/ and asks the
// decision API about each message through bimi-client.js.
//
// The manifest /demo/messages/index.json is a list of
//   {"file", "label", "note", "from", "subject", "ip", "helo", "mail_from", "expect": {"decision", "reason"}}.
// Each row carries data-file, and once the answer is in data-decision, data-reason and
// data-state="done" (or data-state="error"), a row with a logo data-logo="loaded" (data-logo-px = the
// decoded PNG's width) or "failed"; <body data-ready="true"> when every row and logo is settled.
// tests/web-demo.t reads those attributes from headless Chromium's DOM.
//
// Query parameters (all optional): size=<px> logo edge (default 32), manifest=<path> (same origin).

import { evaluateMessage, renderIndicator } from './bimi-client.js';

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
  row.dataset.state = 'done';
  return logo;
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
}

async function evaluateRow(row, entry) {
  try {
    const file = new URL(text(entry.file), new URL(MESSAGES_DIR, location.href));
    const response = await fetch(file, { cache: 'no-store' });
    if (!response.ok) throw new Error(`cannot load ${text(entry.file)}: HTTP ${response.status}`);
    // Bytes, not text: a message may carry 8-bit content that is not UTF-8.
    const raw = await response.arrayBuffer();
    const envelope = {};
    for (const key of ['ip', 'helo', 'mail_from']) {
      if (typeof entry[key] === 'string') envelope[key] = entry[key];
    }
    await showDecision(row, await evaluateMessage(raw, envelope));
  } catch (error) {
    showError(row, error);
  }
}

async function main() {
  const list = document.getElementById('inbox');
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

  const count = (d) => rows.filter((r) => r.dataset.decision === d).length;
  const errors = rows.filter((r) => r.dataset.state === 'error').length;
  setStatus(`${rows.length} messages: ${count('logo+checkmark')} verified logo, ${count('logo')} logo, ` +
    `${count('none')} no indicator` + (errors ? `, ${errors} failed.` : '.'));
  list.setAttribute('aria-busy', 'false');
  document.body.dataset.ready = 'true';
}

main();

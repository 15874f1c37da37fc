// mxtrap dashboard: plain JS over the admin API (AdminServer, Dashboard). Every change sends the
// session's CSRF token (GET /session) as X-CSRF-Token; the session cookie is HttpOnly.
'use strict';

const $ = (sel) => document.querySelector(sel);
let csrf = '';

/** A child element with text and class names. */
function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}

/** "2026-12-06 17:05:09" in the browser's time zone, from an ISO instant. */
function when(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** Calls the API; a 401 means the session ended: back to the sign-in page. */
async function api(method, path, params, accept) {
  const url = params ? `${path}?${new URLSearchParams(params)}` : path;
  const headers = { Accept: accept || 'application/json' };
  if (method !== 'GET') headers['X-CSRF-Token'] = csrf;
  const r = await fetch(url, { method, headers, credentials: 'same-origin' });
  if (r.status === 401) {
    location.href = '/';
    throw new Error('signed out');
  }
  const body = accept === 'text/plain' && r.ok ? await r.text() : await r.json();
  if (!r.ok) throw new Error(body.error || `HTTP ${r.status}`);
  return body;
}

// --- layout and status -------------------------------------------------------------------------

async function loadStatus() {
  const s = await api('GET', '/status');
  $('#hostname').textContent = s.hostname;
  $('#state').textContent = `state: ${s.state} · up since ${when(s.started)}`;
  $('#suppressions-count').textContent = `${s.counters.suppressions_active} active`;
  const body = $('#layout tbody');
  body.replaceChildren();
  for (const e of s.layout) {
    const tr = el('tr');
    tr.dataset.preference = e.preference;
    tr.append(el('td', e.preference), el('td', e.host), el('td', e.address, 'mono'), el('td', e.role));
    const state = el('td');
    if (e.armed === null) state.append(el('span', e.served ? 'serving' : 'elsewhere', 'badge none'));
    else state.append(el('span', e.armed ? 'armed' : 'disarmed', `badge ${e.armed ? 'armed' : 'disarmed'}`));
    state.classList.add('state');
    const why = el('td', '', 'why');
    if (e.why) why.textContent = e.why + (e.arms_at ? ` · arms at ${when(e.arms_at)}` : '');
    tr.append(state, why);
    body.append(tr);
  }
}

// --- rates chart -------------------------------------------------------------------------------

let span = 'hour';
let chart = null;
const SERIES = [
  ['trap hits (mx-skip)', (c) => c['mx-skip'], '#cf222e'],
  ['accepted', (c) => sum(c, ['accept', 'allowed']), '#1a7f37'],
  ['fallback', (c) => c.fallback, '#bf8700'],
  ['suppressed', (c) => c.suppressed, '#8250df'],
  ['other refusals', (c) => sum(c, ['disarmed', 'backup-skip', 'early-talker', 'blocked', 'dnsbl', 'dictionary']), '#57606a'],
];

function sum(counts, names) {
  return counts[names[0]].map((_, i) => names.reduce((t, n) => t + counts[n][i], 0));
}

function chartWidth() {
  return Math.max(260, $('#chart').clientWidth);
}

async function loadRates() {
  const r = await api('GET', '/decisions/rates', { span });
  // Each count covers one step from its time: a last point one step on closes the current step.
  const close = (values) => [...values, values[values.length - 1]];
  const data = [close(r.times).map((t, i) => (i < r.times.length ? t : t + r.step_seconds)),
    ...SERIES.map(([, pick]) => close(pick(r.counts)))];
  if (chart) chart.destroy();
  const opts = {
    width: chartWidth(),
    height: 200,
    // Drawn as steps, not as slopes between counts.
    series: [{}, ...SERIES.map(([label, , stroke]) => ({
      label, stroke, width: 2, points: { show: false }, paths: uPlot.paths.stepped({ align: 1 }),
    }))],
    legend: { live: false },
    // 24-hour clock times, as everywhere else on the page.
    axes: [{ values: (u, ticks) => ticks.map((t) => when(new Date(t * 1000).toISOString()).slice(11, 16)) },
      { label: `per ${r.step_seconds / 60} min`, size: 50 }],
    scales: { y: { range: (u, min, max) => [0, Math.max(4, max)] } },
  };
  chart = new uPlot(opts, data, $('#chart'));
}

// --- live decisions ----------------------------------------------------------------------------

const MAX_LIVE = 100;

function liveItem(d) {
  const li = el('li');
  const head = el('div', null, 'head');
  head.append(
    el('span', when(d.time), 'muted mono'),
    el('span', d.client, 'mono client'),
    el('span', `MX ${d.entry.preference} ${d.entry.role}`, 'muted'),
    el('span', d.verdict, `badge v-${d.verdict}`),
    el('span', d.action, 'muted'),
  );
  if (d.reverse_name) head.append(el('span', d.reverse_name, 'mono muted'));
  if (d.until) head.append(el('span', `until ${when(d.until)}`, 'muted'));
  li.append(head, el('div', d.reason, 'reason'));
  return li;
}

function startLive() {
  const list = $('#live');
  const status = $('#live-state');
  const source = new EventSource('/decisions/live');
  // Every (re)connection starts with the recent decisions: the list is rebuilt from them.
  source.onopen = () => { status.textContent = 'connected'; list.replaceChildren(); };
  source.onerror = () => { status.textContent = 'reconnecting…'; };
  let refresh = null;
  let rates = null;
  source.onmessage = (m) => {
    const d = JSON.parse(m.data);
    list.prepend(liveItem(d));
    while (list.children.length > MAX_LIVE) list.lastElementChild.remove();
    // A decision changes the chart, and one that suppresses the list and the count: reload them,
    // once per burst.
    if (!rates) rates = setTimeout(() => { rates = null; loadRates(); }, 2000);
    if (d.until && !refresh) {
      refresh = setTimeout(() => { refresh = null; loadSuppressions(); loadStatus(); }, 1000);
    }
  };
}

// --- suppressions ------------------------------------------------------------------------------

async function loadSuppressions() {
  const match = $('#match').value.trim();
  const rows = await api('GET', '/suppressions', { match, limit: 200 });
  const body = $('#suppressions tbody');
  body.replaceChildren();
  if (rows.length === 0) {
    const td = el('td', match ? 'none match' : 'none active', 'empty');
    td.colSpan = 4;
    const tr = el('tr');
    tr.append(td);
    body.append(tr);
  }
  for (const s of rows) {
    const tr = el('tr');
    tr.dataset.address = s.address;
    tr.title = s.evidence;
    const remove = el('button', 'Remove', 'remove');
    remove.type = 'button';
    remove.addEventListener('click', () => change(() => api('DELETE', '/suppressions', { address: s.address })));
    const end = el('td');
    end.append(remove);
    tr.append(el('td', s.address, 'mono'), el('td', when(s.until)), el('td', s.reason), end);
    body.append(tr);
  }
}

/** Runs a change, shows its error if any, then reloads what it changed. */
async function change(action) {
  const err = $('#suppressions-error');
  err.hidden = true;
  try {
    await action();
  } catch (e) {
    err.textContent = e.message;
    err.hidden = false;
  }
  await Promise.all([loadSuppressions(), loadStatus()]);
}

// --- explain and queue -------------------------------------------------------------------------

async function explain(address) {
  const out = $('#explanation');
  out.hidden = false;
  try {
    out.textContent = await api('GET', '/explain', { address }, 'text/plain');
  } catch (e) {
    out.textContent = e.message;
  }
}

async function loadQueue() {
  const messages = await api('GET', '/queue/messages');
  const body = $('#queue tbody');
  body.replaceChildren();
  $('#queue-summary').textContent = messages.length === 0 ? 'empty'
    : `${messages.length} message${messages.length === 1 ? '' : 's'}, oldest ${when(messages[0].arrived)}`;
  for (const m of messages) {
    const next = m.recipients.map((r) => r.next_attempt).filter(Boolean).sort()[0];
    const tr = el('tr');
    tr.append(el('td', m.id, 'mono'), el('td', when(m.arrived)), el('td', m.sender || '<>', 'mono'), el('td', when(next)));
    body.append(tr);
  }
}

// --- start -------------------------------------------------------------------------------------

async function start() {
  csrf = (await api('GET', '/session')).csrf;
  $('#signout').addEventListener('click', async () => {
    await api('POST', '/session/end');
    location.href = '/';
  });
  for (const b of document.querySelectorAll('.toggle button')) {
    b.addEventListener('click', () => {
      span = b.dataset.span;
      document.querySelectorAll('.toggle button').forEach((x) => x.classList.toggle('on', x === b));
      loadRates();
    });
  }
  $('#search').addEventListener('submit', (e) => { e.preventDefault(); loadSuppressions(); });
  $('#add').addEventListener('submit', (e) => {
    e.preventDefault();
    const params = { address: $('#add-address').value.trim() };
    if ($('#add-for').value.trim()) params.for = $('#add-for').value.trim();
    if ($('#add-reason').value.trim()) params.reason = $('#add-reason').value.trim();
    change(() => api('POST', '/suppressions', params)).then(() => $('#add').reset());
  });
  $('#explain').addEventListener('submit', (e) => { e.preventDefault(); explain($('#explain-address').value.trim()); });
  window.addEventListener('resize', () => { if (chart) chart.setSize({ width: chartWidth(), height: 200 }); });
  startLive();
  await Promise.all([loadStatus(), loadRates(), loadSuppressions(), loadQueue()]);
  setInterval(loadStatus, 10000);
  setInterval(loadQueue, 15000);
  setInterval(loadRates, 60000);
  document.body.dataset.ready = 'true';
}

start();

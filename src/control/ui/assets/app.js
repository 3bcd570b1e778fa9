// offcloud dashboard: plain JavaScript, no dependencies, no build step. It reads and acts only
// through the control API, and puts every value it gets into the page as text (never as markup).
'use strict';

// The control API, relative to the page (/_offcloud/ui/ → /_offcloud), so that a prefix in
// front of it (a reverse proxy, /_session/NAME/) keeps working.
const API = new URL('../', location.href).pathname.replace(/\/$/, '');
const SERVICES = ['memgraph', 'typedb', 'hasura', 'dgraph'];
const JOURNAL_LIMIT = 300;

const app = {
  session: 'default',
  view: 'overview',
  service: 'memgraph',
  tableOf: {}, // the table last shown, per service
  sessions: [],
  skewMs: 0, // server clock minus this browser's, when they differ by more than a moment
  online: null,
  loadedAt: {}, // view → time of its last load
  state: { q: '', eq: [], sort: null, order: 'asc', limit: 50, offset: 0, catalogue: null, page: null, pageKey: '', selected: null, catalogueKey: '' },
  journal: { filterKey: null, rows: new Map(), selected: null },
  overviewKey: '',
  sessionsKey: '',
  faultsKey: '',
};

// ── Small helpers ────────────────────────────────────────────────────────────────────────────

const $ = (selector, root = document) => root.querySelector(selector);
const $$ = (selector, root = document) => Array.from(root.querySelectorAll(selector));

/** An element with properties, attributes (`attrs`), listeners (`on`) and children (text or nodes). */
function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key === 'text') el.textContent = value;
    else if (key === 'attrs') for (const [a, v] of Object.entries(value)) { if (v !== undefined && v !== null && v !== false) el.setAttribute(a, v === true ? '' : String(v)); }
    else if (key === 'on') for (const [event, fn] of Object.entries(value)) el.addEventListener(event, fn);
    else el[key] = value;
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

function query(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null || value === '') continue;
    if (Array.isArray(value)) for (const v of value) search.append(key, v);
    else search.append(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

/** offcloud did not answer at all (stopped, restarting). */
class Offline extends Error {}

// With --control-token, every control call carries the token as a bearer token. It is asked for
// once and kept in this tab's sessionStorage, never in a cookie: a page of another site cannot
// make the browser send it.
const TOKEN_KEY = 'offcloud-control-token';
const controlToken = () => sessionStorage.getItem(TOKEN_KEY);

function authorization() {
  const token = controlToken();
  return token ? { authorization: `Bearer ${token}` } : {};
}

/** Shows the token form (once, however many calls were refused). */
function askForToken(refused) {
  const dialog = $('#token');
  $('#token-error').hidden = !refused;
  if (!dialog.open) {
    dialog.showModal();
    dialog.querySelector('input').focus();
  }
}

function wireToken() {
  $('#token-form').addEventListener('submit', () => {
    const token = $('#token-form').elements.token.value.trim();
    if (token) sessionStorage.setItem(TOKEN_KEY, token);
    $('#token-form').reset();
    reloadAll();
  });
}

/** Calls the control API; answers the parsed body, throws an Error with its message otherwise. */
async function api(path, { method = 'GET', body, json, type } = {}) {
  const headers = authorization();
  let payload = body;
  if (json !== undefined) { headers['content-type'] = 'application/json'; payload = JSON.stringify(json); }
  else if (type) headers['content-type'] = type;
  let response;
  try {
    response = await fetch(API + path, { method, headers, body: payload, cache: 'no-store' });
  } catch {
    throw new Offline();
  }
  const date = Date.parse(response.headers.get('date') || '');
  if (!Number.isNaN(date)) {
    const skew = date - Date.now();
    // The Date header counts whole seconds: only a real difference of clocks is kept.
    app.skewMs = Math.abs(skew) > 2000 ? skew : 0;
  }
  const text = await response.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = text; }
  if (response.status === 401 && (response.headers.get('www-authenticate') || '').startsWith('Bearer')) {
    const refused = controlToken() !== null;
    if (refused) sessionStorage.removeItem(TOKEN_KEY);
    askForToken(refused);
  }
  if (!response.ok) {
    const message = data && typeof data === 'object' && data.error ? data.error : `${response.status} ${response.statusText}`;
    throw new Error(message);
  }
  return data;
}

let noticeTimer = null;
function notify(message, kind = 'ok') {
  const notice = $('#notice');
  notice.textContent = message;
  notice.title = message;
  notice.className = `notice ${kind}`;
  clearTimeout(noticeTimer);
  noticeTimer = setTimeout(() => { notice.textContent = ''; notice.className = 'notice'; }, kind === 'error' ? 12000 : 6000);
}

const fmtInt = (n) => (typeof n === 'number' ? n.toLocaleString('en-US') : String(n));

function fmtDuration(ms) {
  if (!ms) return '0s';
  let s = Math.round(ms / 1000);
  const parts = [];
  for (const [unit, size] of [['d', 86400], ['h', 3600], ['m', 60]]) {
    if (s >= size) { parts.push(`${Math.floor(s / size)}${unit}`); s %= size; }
  }
  if (s || !parts.length) parts.push(`${s}s`);
  return parts.join(' ');
}

/** ISO 8601 without its fraction beyond milliseconds, as `2026-05-01 12:00:00.123`. */
function fmtTime(iso) {
  if (typeof iso !== 'string') return String(iso);
  const m = /^(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)(\.\d{1,3})?\d*Z$/.exec(iso);
  return m ? `${m[1]} ${m[2]}${m[3] || ''}` : iso;
}

const isoSeconds = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

function pretty(value) {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  return JSON.stringify(value, null, 2);
}

function currentSession() {
  return app.sessions.find((s) => s.name === app.session) || null;
}

/** The session's virtual now, in epoch milliseconds. */
function virtualNow() {
  const session = currentSession();
  return Date.now() + app.skewMs + (session ? session.clock_offset_ms : 0);
}

// ── Routing: #/view[/service[/table]]?session=NAME ──────────────────────────────────────────

// Each view: the loader that fills its <section data-view="...">, and how often it reloads (ms).
const VIEWS = {
  overview: { load: loadOverview, every: 5000 },
  sessions: { load: async () => {}, every: 0 },
  // A search scans the whole table: filtered pages reload less often, to leave the session's
  // database to the services.
  state: { load: loadState, every: () => (app.state.q || app.state.eq.length || app.state.sort ? 10000 : 3000) },
  requests: { load: loadRequests, every: 1000 },
  faults: { load: loadFaults, every: 2000 },
  clock: { load: async () => {}, every: 0 },
  actions: { load: async () => {}, every: 0 },
  coverage: { load: loadCoverage, every: 2000 },
  violations: { load: loadViolations, every: 1000 },
};

function parseHash() {
  const [path, search] = location.hash.replace(/^#\/?/, '').split('?');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  const params = new URLSearchParams(search || '');
  return { view: VIEWS[parts[0]] ? parts[0] : 'overview', service: parts[1], table: parts[2], session: params.get('session') };
}

function hashFor({ view = app.view, service = app.service, table, session = app.session } = {}) {
  let path = `#/${view}`;
  if (view === 'state') {
    path += `/${encodeURIComponent(service)}`;
    const t = table === undefined ? app.tableOf[service] : table;
    if (t) path += `/${encodeURIComponent(t)}`;
  }
  return session && session !== 'default' ? `${path}?session=${encodeURIComponent(session)}` : path;
}

function go(change) {
  const next = hashFor(change);
  if (location.hash === next) route();
  else location.hash = next;
}

function route() {
  const wanted = parseHash();
  const sessionChanged = (wanted.session || 'default') !== app.session;
  app.session = wanted.session || 'default';
  app.view = wanted.view;
  if (app.view === 'state') {
    const service = SERVICES.includes(wanted.service) ? wanted.service : app.service;
    if (service !== app.service || wanted.table !== app.tableOf[service]) resetStatePage();
    app.service = service;
    if (wanted.table) app.tableOf[service] = wanted.table;
  }
  if (sessionChanged) {
    resetStatePage();
    app.journal.filterKey = null;
    app.faultsKey = '';
    app.overviewKey = '';
  }
  for (const section of $$('main > section[data-view]')) section.hidden = section.dataset.view !== app.view;
  for (const link of $$('#nav a')) {
    const here = link.dataset.view === app.view && (app.view !== 'state' || link.dataset.service === app.service);
    if (here) link.setAttribute('aria-current', 'page'); else link.removeAttribute('aria-current');
  }
  for (const link of $$('#nav a')) {
    link.href = link.dataset.view === 'state'
      ? hashFor({ view: 'state', service: link.dataset.service })
      : hashFor({ view: link.dataset.view });
  }
  $('.brand').href = hashFor({ view: 'overview' });
  document.title = `offcloud · ${app.view === 'state' ? app.service : app.view} · ${app.session}`;
  renderSessionPicker();
  renderClock();
  renderActions();
  app.loadedAt = {};
  refresh();
}

function resetStatePage() {
  Object.assign(app.state, { q: '', eq: [], sort: null, order: 'asc', offset: 0, page: null, pageKey: '', selected: null });
  const search = $('#state-q');
  if (search) search.value = '';
  const detail = $('#state-detail');
  if (detail) detail.hidden = true;
}

// ── The refresh loop ─────────────────────────────────────────────────────────────────────────

let timer = null;
let running = false;
let again = false;

/** Reloads what is due now; runs one at a time, and again right after when asked meanwhile. */
async function refresh() {
  if (running) { again = true; return; }
  running = true;
  clearTimeout(timer);
  try {
    await loadSessions();
    const view = VIEWS[app.view];
    const every = typeof view.every === 'function' ? view.every() : view.every;
    const due = every === 0 ? !app.loadedAt[app.view] : Date.now() - (app.loadedAt[app.view] || 0) >= every;
    if (due) {
      app.loadedAt[app.view] = Date.now();
      await view.load();
    }
    setOnline(true);
  } catch (error) {
    if (error instanceof Offline) setOnline(false);
    else notify(error.message, 'error');
  } finally {
    running = false;
    if (again) { again = false; app.loadedAt = {}; refresh(); }
    else timer = setTimeout(refresh, document.hidden ? 5000 : 1000);
  }
}

/** After an action: everything reloads at once. */
function reloadAll() {
  app.loadedAt = {};
  app.state.pageKey = '';
  refresh();
}

function setOnline(online) {
  if (app.online === online) return;
  app.online = online;
  const live = $('#live');
  live.textContent = online ? 'live' : 'offline, retrying';
  live.className = `live ${online ? 'on' : 'off'}`;
}

// ── Sessions and the clock (always loaded) ───────────────────────────────────────────────────

async function loadSessions() {
  const data = await api('/sessions');
  app.sessions = data.sessions;
  renderSessionPicker();
  renderClock();
  const key = JSON.stringify([app.session, data.sessions]);
  if (key !== app.sessionsKey) {
    app.sessionsKey = key;
    renderSessions();
  }
}

function renderSessionPicker() {
  const select = $('#session');
  const names = app.sessions.map((s) => s.name);
  if (!names.includes(app.session)) names.push(app.session);
  names.sort();
  const current = Array.from(select.options).map((o) => o.value);
  if (current.join('\n') !== names.join('\n')) {
    select.replaceChildren(...names.map((name) => h('option', { value: name, text: name })));
  }
  for (const option of select.options) {
    const open = app.sessions.some((s) => s.name === option.value);
    option.textContent = open ? option.value : `${option.value} (not open)`;
  }
  select.value = app.session;
  for (const el of $$('[data-session-name]')) el.textContent = app.session;
}

function renderClock() {
  const session = currentSession();
  const now = isoSeconds(virtualNow());
  $('#clock-now').textContent = now;
  $('#clock-now').dateTime = now;
  const offset = session ? session.clock_offset_ms : 0;
  $('#clock-offset').textContent = session ? (offset ? `+${fmtDuration(offset)}` : 'real time') : 'session not open';
  $('#clock-view-now').textContent = now;
  $('#clock-view-offset').textContent = session ? `${fmtDuration(offset)} (${fmtInt(offset)} ms)` : 'the session is not open';
  const set = $('#clock-set input[name="set"]');
  if (!set.value && document.activeElement !== set) set.placeholder = now;
}

function renderSessions() {
  const body = $('#sessions-table tbody');
  body.replaceChildren(...app.sessions.map((s) => {
    const tables = Object.entries(s.tables);
    const rows = tables.reduce((sum, [, n]) => sum + n, 0);
    const list = tables.map(([t, n]) => `${t} ${fmtInt(n)}`).join(', ');
    const picked = s.name === app.session;
    return h('tr', { class: picked ? 'selected' : '' },
      h('td', { class: 'mono', text: s.name, title: s.name }),
      h('td', { class: 'mono', text: s.clock_offset_ms ? `+${fmtDuration(s.clock_offset_ms)}` : 'real time' }),
      h('td', { class: 'num', text: fmtInt(rows) }),
      h('td', { text: list || '—', title: list }),
      h('td', {}, h('button', {
        type: 'button', text: picked ? 'Picked' : 'Pick', disabled: picked,
        attrs: { 'aria-label': `Pick session ${s.name}` },
        on: { click: () => go({ session: s.name }) },
      })));
  }));
}

// ── Overview ─────────────────────────────────────────────────────────────────────────────────

async function loadOverview() {
  const [info, fixtures] = await Promise.all([api('/info'), api('/fixtures')]);
  const key = JSON.stringify([info, fixtures, app.session]);
  if (key === app.overviewKey) return;
  app.overviewKey = key;
  $('#version').textContent = `v${info.version}`;
  const s = info.settings;
  const storage = s.storage.kind === 'file' ? `file: ${s.storage.path}` : 'in memory (each start is a clean slate)';
  const kv = [
    ['Version', info.version], ['Storage', storage], ['Bind', s.bind],
    ['Body limit', `${fmtInt(s.body_limit)} bytes`], ['Journal', `last ${fmtInt(s.journal_size)} requests`],
    ['Log format', s.log_format], ['Signing secret', s.signing_secret], ['Open sessions', info.sessions.join(', ')],
  ];
  $('#ov-server').replaceChildren(...kv.flatMap(([k, v]) => [h('dt', { text: k }), h('dd', { text: v })]));
  $('#ov-listeners tbody').replaceChildren(...info.listeners.map((l) => h('tr', {},
    h('td', { text: l.name }), h('td', { text: l.address }))));
  $('#ov-services tbody').replaceChildren(...info.services.map((svc) => h('tr', {},
    h('td', { text: svc.name }),
    h('td', { text: `${svc.prefix}/…` }),
    h('td', { text: svc.port ? `port ${svc.port}` : 'off' }),
    h('td', { text: svc.hosts.join(', '), title: svc.hosts.join(', ') }))));
  $('#ov-settings').replaceChildren(...SERVICES.filter((name) => s[name]).map((name) => h('div', {},
    h('h3', { text: name }),
    h('dl', { class: 'kv' }, ...Object.entries(s[name]).flatMap(([k, v]) => [
      h('dt', { text: k.replace(/_/g, ' ') }),
      h('dd', { text: typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v) }),
    ])))));
  const rows = [
    ...fixtures.files.map((f) => [f.source, 'every session', f.created]),
    ...(fixtures.sessions[app.session] || []).map((f) => [f.source, `session ${app.session}`, f.created]),
  ];
  $('#ov-fixtures tbody').replaceChildren(...(rows.length ? rows.map(([source, applies, created]) => {
    const what = describeCounts(created);
    return h('tr', {}, h('td', { text: source, title: source }), h('td', { text: applies }), h('td', { text: what, title: what }));
  }) : [h('tr', {}, h('td', { colSpan: 3, class: 'text', text: 'No fixtures: start with --fixtures, or apply one under Actions.' }))]));
}

/** `{"memgraph": {"tenants": 1, "users": 2}}` → `memgraph: 1 tenants, 2 users`. */
function describeCounts(counts) {
  return Object.entries(counts || {}).map(([service, kinds]) => {
    const parts = typeof kinds === 'object' && kinds !== null
      ? Object.entries(kinds).filter(([, n]) => n).map(([kind, n]) => `${n} ${kind.replace(/_/g, ' ')}`)
      : [String(kinds)];
    return `${service}: ${parts.join(', ') || 'nothing'}`;
  }).join('; ');
}

// ── State tables ─────────────────────────────────────────────────────────────────────────────

async function loadState() {
  const session = currentSession();
  if (!session) {
    renderStateMissing();
    return;
  }
  const catalogue = await api(`/tables${query({ session: app.session, service: app.service })}`);
  app.state.catalogue = catalogue.tables;
  app.state.notShown = catalogue.not_shown;
  let table = app.tableOf[app.service];
  if (!catalogue.tables.some((t) => t.name === table)) {
    table = catalogue.tables[0] && catalogue.tables[0].name;
    app.tableOf[app.service] = table;
  }
  renderTabs();
  const st = app.state;
  const params = { session: app.session, limit: st.limit, offset: st.offset, q: st.q };
  if (st.sort) { params.sort = st.sort; params.order = st.order; }
  let path = `/tables/${encodeURIComponent(app.service)}/${encodeURIComponent(table)}${query(params)}`;
  const eq = new URLSearchParams();
  for (const [column, value] of st.eq) eq.append(`eq.${column}`, value);
  if (st.eq.length) path += `&${eq}`;
  const page = await api(path);
  // Past the end (rows went away): back to the last page.
  if (page.rows.length === 0 && page.total > 0 && st.offset > 0) {
    st.offset = Math.max(0, Math.floor((page.total - 1) / st.limit) * st.limit);
    app.loadedAt.state = 0;
    return;
  }
  st.page = page;
  renderPage();
}

function renderStateMissing() {
  $('#h-state').textContent = `${app.service} state`;
  $('#state-tabs').replaceChildren();
  $('#state-table thead').replaceChildren();
  $('#state-table tbody').replaceChildren(h('tr', {}, h('td', { class: 'text', text: `Session ${app.session} is not open: it opens on its first request.` })));
  app.state.pageKey = '';
  $('#state-range').textContent = '';
}

function renderTabs() {
  const tabs = $('#state-tabs');
  const current = app.tableOf[app.service];
  const key = JSON.stringify([app.service, app.state.catalogue.map((t) => t.name)]);
  if (key !== app.state.catalogueKey) {
    app.state.catalogueKey = key;
    tabs.dataset.service = app.service;
    tabs.replaceChildren(...app.state.catalogue.map((t) => h('button', {
      type: 'button',
      attrs: { role: 'tab', 'data-table': t.name, id: `tab-${t.name}` },
      on: { click: () => go({ view: 'state', service: app.service, table: t.name }) },
    }, t.title, h('span', { class: 'count' }))));
  }
  for (const t of app.state.catalogue) {
    const tab = $(`button[data-table="${CSS.escape(t.name)}"]`, tabs);
    $('.count', tab).textContent = fmtInt(t.rows);
    tab.setAttribute('aria-selected', String(t.name === current));
    tab.tabIndex = t.name === current ? 0 : -1;
  }
  const view = app.state.catalogue.find((t) => t.name === current);
  $('#h-state').textContent = `${app.service} · ${view ? view.title : ''}`;
  const hidden = view ? view.hidden.map((c) => `${c.column} (${c.why})`).join('; ') : '';
  const tables = (app.state.notShown || []).map((t) => `${t.table} (${t.why})`).join('; ');
  $('#state-hidden').textContent = [
    hidden ? `Columns not shown: ${hidden}.` : '',
    tables ? `Tables not shown: ${tables}.` : '',
  ].filter(Boolean).join(' ');
}

function statusClass(value) {
  const v = String(value).toLowerCase();
  if (['running', 'ready', 'active', 'success', 'consolidated', 'admin'].includes(v)) return 'st good';
  if (['failed', 'revoked', 'destroyed', 'destroying', 'frozen', 'suspended', 'skipped'].includes(v)) return 'st bad';
  if (['starting', 'resuming', 'suspending', 'creating', 'pending', 'processing', 'running…', 'created'].includes(v)) return 'st busy';
  return 'st';
}

/** A cell's text and its full value (for the title), by the column's kind. */
function cellText(value, kind) {
  if (value === null || value === undefined) return ['—', ''];
  if (kind === 'bool') return [value ? 'yes' : 'no', ''];
  if (kind === 'json') { const text = typeof value === 'string' ? value : JSON.stringify(value); return [text, text]; }
  if (kind === 'time') return [fmtTime(value), String(value)];
  return [String(value), String(value)];
}

function renderPage() {
  const st = app.state;
  const page = st.page;
  const key = JSON.stringify([page.columns, page.rows, st.sort, st.order]);
  renderPager();
  renderChips();
  if (key === st.pageKey) return;
  st.pageKey = key;
  const table = $('#state-table');
  table.dataset.shows = `${page.service}/${page.table}`;
  const colgroup = h('colgroup', {}, ...page.columns.map((c) => h('col', { class: `k-${c.kind}` })));
  const width = page.columns.reduce((sum, c) => sum + ({ id: 11, text: 14, long: 22, time: 15.5, number: 6.5, bool: 6.5, status: 8.5, json: 22, masked: 7 }[c.kind] || 12), 0);
  table.style.minWidth = `${width}em`;
  const old = $('colgroup', table);
  if (old) old.remove();
  table.prepend(colgroup);
  $('thead', table).replaceChildren(h('tr', {}, ...page.columns.map((c) => {
    const sortable = c.kind !== 'json' && c.kind !== 'masked';
    const sorted = st.sort === c.name ? (st.order === 'desc' ? 'descending' : 'ascending') : null;
    const label = c.name.replace(/_/g, ' ');
    return h('th', { attrs: { scope: 'col', 'aria-sort': sorted }, class: c.kind === 'number' ? 'num' : '' },
      sortable ? h('button', {
        type: 'button', class: 'sort', text: label, title: `Sort by ${c.name}`,
        attrs: { 'aria-sort': sorted },
        on: { click: () => sortBy(c.name) },
      }) : label);
  })));
  const rows = page.rows.map((row, index) => {
    const rowKey = JSON.stringify(row[0]);
    return h('tr', { class: rowKey === st.selected ? 'selected' : '', attrs: { 'data-key': rowKey } }, ...row.map((value, i) => {
      const column = page.columns[i];
      const [text, title] = cellText(value, column.kind);
      const cls = [column.kind === 'number' ? 'num' : '', column.kind === 'long' || column.kind === 'text' ? 'text' : ''].join(' ').trim();
      let content = value === null || value === undefined ? h('span', { class: 'null', text }) : text;
      if (column.kind === 'status' && value !== null) content = h('span', { class: statusClass(value), text });
      if (i === 0) {
        content = h('button', {
          type: 'button', class: 'row-pick', text,
          attrs: { 'aria-label': `Show row ${st.offset + index + 1}: ${text}` },
          on: { click: () => showRow(row, rowKey) },
        });
      }
      return h('td', { class: cls, title: title || undefined }, content);
    }));
  });
  if (!rows.length) {
    const message = st.q || st.eq.length ? 'No rows match.' : 'No rows in this table.';
    rows.push(h('tr', {}, h('td', { class: 'text', colSpan: page.columns.length, text: message })));
  }
  $('tbody', table).replaceChildren(...rows);
}

function renderPager() {
  const { page, offset, limit } = app.state;
  const last = Math.min(offset + page.rows.length, page.total);
  $('#state-range').textContent = page.total ? `${fmtInt(offset + 1)}–${fmtInt(last)} of ${fmtInt(page.total)}` : '0 rows';
  $('#state-prev').disabled = offset === 0;
  $('#state-next').disabled = offset + limit >= page.total;
}

function renderChips() {
  const chips = $('#state-eq');
  const key = JSON.stringify(app.state.eq);
  if (chips.dataset.key === key) return;
  chips.dataset.key = key;
  chips.replaceChildren(...app.state.eq.map(([column, value], index) => h('span', { class: 'chip' },
    `${column} = ${value}`,
    h('button', {
      type: 'button', text: '×', attrs: { 'aria-label': `Remove the filter ${column} = ${value}` },
      on: { click: () => { app.state.eq.splice(index, 1); app.state.offset = 0; reloadState(); } },
    }))));
}

function sortBy(column) {
  const st = app.state;
  if (st.sort === column) st.order = st.order === 'asc' ? 'desc' : 'asc';
  else { st.sort = column; st.order = 'asc'; }
  st.offset = 0;
  reloadState();
}

function reloadState() {
  app.loadedAt.state = 0;
  refresh();
}

function showRow(row, rowKey) {
  const st = app.state;
  st.selected = rowKey;
  const columns = st.page.columns;
  const detail = $('#state-detail');
  detail.hidden = false;
  $('#h-state-detail').textContent = `${st.page.title}: ${row[0]}`;
  $('dl', detail).replaceChildren(...columns.flatMap((c, i) => {
    const value = row[i];
    const shown = c.kind === 'json' && value !== null ? h('pre', { text: pretty(value) }) : cellText(value, c.kind)[0];
    return [h('dt', { text: c.name }), h('dd', {}, shown)];
  }));
  const actions = $('#state-detail-actions');
  actions.replaceChildren();
  const at = (name) => row[columns.findIndex((c) => c.name === name)];
  if (app.service === 'memgraph' && st.page.table === 'beliefs') {
    // A belief's history: every version of the subject's key, newest first.
    actions.append(h('button', {
      type: 'button', text: 'Show the history of this belief',
      on: { click: () => {
        st.eq = [['tenant_id', at('tenant_id')], ['subject_id', at('subject_id')], ['key', at('key')]];
        st.sort = 'version'; st.order = 'desc'; st.offset = 0;
        reloadState();
      } },
    }));
  }
  for (const tr of $$('#state-table tbody tr')) tr.classList.toggle('selected', tr.dataset.key === rowKey);
}

function wireState() {
  let debounce = null;
  $('#state-q').addEventListener('input', (event) => {
    clearTimeout(debounce);
    debounce = setTimeout(() => { app.state.q = event.target.value; app.state.offset = 0; reloadState(); }, 250);
  });
  $('#state-filter').addEventListener('submit', (event) => { event.preventDefault(); app.state.q = $('#state-q').value; reloadState(); });
  $('#state-limit').addEventListener('change', (event) => { app.state.limit = Number(event.target.value); app.state.offset = 0; reloadState(); });
  $('#state-prev').addEventListener('click', () => { app.state.offset = Math.max(0, app.state.offset - app.state.limit); reloadState(); });
  $('#state-next').addEventListener('click', () => { app.state.offset += app.state.limit; reloadState(); });
  // Arrow keys move between table tabs, as in any tab list.
  $('#state-tabs').addEventListener('keydown', (event) => {
    if (event.key !== 'ArrowRight' && event.key !== 'ArrowLeft') return;
    const tabs = $$('#state-tabs button');
    const index = tabs.indexOf(document.activeElement);
    if (index < 0) return;
    const next = tabs[(index + (event.key === 'ArrowRight' ? 1 : tabs.length - 1)) % tabs.length];
    next.focus();
    next.click();
  });
}

// ── Request journal ──────────────────────────────────────────────────────────────────────────

function journalFilter() {
  const status = $('#req-status').value.trim();
  return {
    session: app.session,
    service: $('#req-service').value,
    method: $('#req-method').value,
    path: $('#req-path').value.trim(),
    status: /^\d{3}$/.test(status) ? status : '',
    operation: $('#req-operation').value.trim(),
  };
}

async function loadRequests() {
  const filter = journalFilter();
  const filterKey = JSON.stringify(filter);
  const journal = app.journal;
  if (!$('#req-live').checked && journal.filterKey === filterKey) return;
  const data = await api(`/requests${query({ ...filter, limit: JOURNAL_LIMIT })}`);
  const body = $('#req-table tbody');
  if (journal.filterKey !== filterKey) {
    journal.filterKey = filterKey;
    journal.rows.clear();
    body.replaceChildren();
  }
  const ids = new Set(data.requests.map((r) => r.id));
  for (const [id, row] of journal.rows) {
    if (!ids.has(id)) { row.tr.remove(); journal.rows.delete(id); }
  }
  // Newest on top: new entries go in before the first row, newest first.
  const fresh = data.requests.filter((r) => !journal.rows.has(r.id)).reverse();
  const first = body.firstChild;
  for (const entry of fresh) {
    const tr = journalRow(entry);
    journal.rows.set(entry.id, { tr, entry });
    body.insertBefore(tr, first);
  }
  $('#req-empty').hidden = journal.rows.size > 0;
  showPendingRequest();
}

function journalRow(entry) {
  const time = typeof entry.time === 'string' ? entry.time.slice(11, 23) : '';
  const path = entry.query ? `${entry.path}?${entry.query}` : entry.path;
  const tr = h('tr', { attrs: { 'data-id': entry.id } },
    h('td', {}, h('button', {
      type: 'button', class: 'row-pick', text: time, title: entry.time,
      attrs: { 'aria-label': `Show request ${entry.id}: ${entry.method} ${entry.path}, ${entry.status}` },
      on: { click: () => showRequest(entry.id) },
    })),
    h('td', { class: 'opt', text: entry.service }),
    h('td', { text: entry.method }),
    h('td', { text: path, title: path }),
    h('td', { class: 'opt', text: entry.operation || '', title: entry.operation || undefined }),
    h('td', { class: `num s${String(entry.status)[0]}`, text: entry.status }),
    h('td', { class: 'num opt', text: entry.duration_ms.toFixed(1) }));
  if (app.journal.selected === entry.id) tr.classList.add('selected');
  return tr;
}

function showRequest(id) {
  const journal = app.journal;
  const found = journal.rows.get(id);
  if (!found) return;
  const previous = journal.rows.get(journal.selected);
  if (previous) previous.tr.classList.remove('selected');
  journal.selected = id;
  found.tr.classList.add('selected');
  const e = found.entry;
  const target = $('#req-detail-body');
  const path = e.query ? `${e.path}?${e.query}` : e.path;
  target.replaceChildren(
    h('p', { class: 'reqline' }, `${e.method} ${path}`, ' → ', h('span', { class: `s${String(e.status)[0]}`, text: String(e.status) })),
    h('dl', { class: 'kv' },
      h('dt', { text: 'Request' }), h('dd', { text: `#${e.id} in session ${e.session}` }),
      h('dt', { text: 'Service' }), h('dd', { text: e.service }),
      h('dt', { text: 'Operation' }), h('dd', { text: e.operation || '—' }),
      h('dt', { text: 'Time' }), h('dd', { text: e.time }),
      h('dt', { text: 'Duration' }), h('dd', { text: `${e.duration_ms.toFixed(2)} ms` })),
    ...part('Request', e.request),
    ...part('Response', e.response));
  $('#h-req-detail').textContent = `Request #${e.id}`;
}

/** A request's or response's headers and body, exactly as the journal shows them. */
function part(title, p) {
  const headers = Object.entries(p.headers || {});
  let body;
  if (p.body === null || p.body === undefined) {
    // The journal keeps what went through: a body the service answered without reading is not in it.
    const announced = Number((p.headers || {})['content-length'] || 0) > 0 || Boolean((p.headers || {})['transfer-encoding']);
    body = h('p', { class: 'hint', text: p.body_truncated ? 'Body too large to show whole, so not shown (it could not be checked for secrets).' : announced ? 'Not recorded: the service answered without reading it.' : 'No body.' });
  } else if (p.body && typeof p.body === 'object' && !Array.isArray(p.body) && typeof p.body.query === 'string') {
    // A GraphQL request: its document as written, then the rest of the body.
    const { query: document, ...rest } = p.body;
    body = h('div', {}, h('pre', { class: 'graphql', text: document }),
      Object.keys(rest).length ? h('pre', { text: pretty(rest) }) : null);
  } else {
    body = h('pre', { text: pretty(p.body) });
  }
  return [
    h('h3', { text: `${title} headers` }),
    headers.length ? h('table', { class: 'data' }, h('colgroup', {}, h('col', { class: 'w14' }), h('col')),
      h('tbody', {}, ...headers.map(([name, value]) => h('tr', {}, h('td', { text: name }), h('td', { text: value })))))
      : h('p', { class: 'hint', text: 'None.' }),
    h('h3', { text: `${title} body${p.body_truncated && p.body !== null ? ' (first 16 KiB)' : ''}` }),
    body,
  ];
}

function wireRequests() {
  let debounce = null;
  const changed = () => { clearTimeout(debounce); debounce = setTimeout(() => { app.loadedAt.requests = 0; refresh(); }, 250); };
  for (const id of ['#req-service', '#req-method', '#req-live']) $(id).addEventListener('change', changed);
  for (const id of ['#req-path', '#req-status', '#req-operation']) {
    $(id).addEventListener('input', changed);
    $(id).addEventListener('change', changed);
  }
  $('#req-filter').addEventListener('submit', (event) => event.preventDefault());
  $('#req-clear').addEventListener('click', () => act(async () => {
    const done = await api(`/requests${query({ session: app.session })}`, { method: 'DELETE' });
    return `Cleared ${done.cleared} journal entries of session ${app.session}.`;
  }));
}

// ── Fault rules ──────────────────────────────────────────────────────────────────────────────

async function loadFaults() {
  const data = await api(`/faults${query({ session: app.session })}`);
  const key = JSON.stringify(data.faults);
  if (key === app.faultsKey) return;
  app.faultsKey = key;
  $('#faults-table tbody').replaceChildren(...data.faults.map((f) => {
    const action = [
      f.drop ? 'drop the connection' : null,
      f.status ? `answer ${f.status}${f.body !== null && f.body !== undefined ? ' with a body' : ''}` : null,
      f.delay_ms ? `${f.status || f.drop ? 'after' : 'delay'} ${fmtInt(f.delay_ms)} ms` : null,
    ].filter(Boolean).join(', ');
    return h('tr', {},
      h('td', { class: 'mono', text: f.id }),
      h('td', { text: f.service || 'any' }),
      h('td', { text: f.method || 'any' }),
      h('td', { text: f.path || 'any', title: f.path || undefined }),
      h('td', { text: f.operation || 'any' }),
      h('td', { class: 'text', text: action, title: f.body ? JSON.stringify(f.body) : undefined }),
      h('td', { class: 'num', text: f.times === null || f.times === undefined ? '∞' : fmtInt(f.times) }),
      h('td', { class: 'num', text: f.probability === null || f.probability === undefined ? '1' : String(f.probability) }),
      h('td', {}, h('button', {
        type: 'button', text: 'Remove', attrs: { 'aria-label': `Remove rule ${f.id}` },
        on: { click: () => act(async () => {
          await api(`/faults/${encodeURIComponent(f.id)}${query({ session: app.session })}`, { method: 'DELETE' });
          return `Removed ${f.id}.`;
        }) },
      })));
  }));
  $('#faults-empty').hidden = data.faults.length > 0;
  $('#faults-clear').disabled = data.faults.length === 0;
}

function wireFaults() {
  const form = $('#fault-form');
  const sync = () => {
    const action = form.elements.action.value;
    form.elements.status.disabled = action !== 'status';
    form.elements.body.disabled = action !== 'status';
  };
  for (const radio of form.elements.action) radio.addEventListener('change', sync);
  sync();
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    act(async () => {
      const f = form.elements;
      const rule = {};
      for (const name of ['service', 'method', 'path', 'operation']) if (f[name].value.trim()) rule[name] = f[name].value.trim();
      const action = f.action.value;
      if (action === 'status') {
        rule.status = Number(f.status.value);
        if (f.body.value.trim()) {
          try { rule.body = JSON.parse(f.body.value); } catch (e) { throw new Error(`The body is not JSON: ${e.message}`); }
        }
      }
      if (action === 'drop') rule.drop = true;
      if (f.delay_ms.value) rule.delay_ms = Number(f.delay_ms.value);
      if (f.times.value) rule.times = Number(f.times.value);
      if (f.probability.value) rule.probability = Number(f.probability.value);
      const added = await api(`/faults${query({ session: app.session })}`, { method: 'POST', json: rule });
      return `Added ${added.id}.`;
    });
  });
  $('#faults-clear').addEventListener('click', () => act(async () => {
    const done = await api(`/faults${query({ session: app.session })}`, { method: 'DELETE' });
    return `Removed ${done.removed} rules.`;
  }));
}

// ── Clock ────────────────────────────────────────────────────────────────────────────────────

function wireClock() {
  const advance = (by) => act(async () => {
    const clock = await api(`/clock${query({ session: app.session })}`, { method: 'POST', json: { advance: by } });
    return `Clock of ${app.session} advanced by ${by}: now ${clock.now}.`;
  });
  $('#clock-advance').addEventListener('submit', (event) => {
    event.preventDefault();
    advance(event.target.elements.advance.value.trim());
  });
  for (const button of $$('#clock-advance [data-advance]')) button.addEventListener('click', () => advance(button.dataset.advance));
  $('#clock-set').addEventListener('submit', (event) => {
    event.preventDefault();
    const at = event.target.elements.set.value.trim();
    act(async () => {
      const clock = await api(`/clock${query({ session: app.session })}`, { method: 'POST', json: { set: at } });
      return `Clock of ${app.session} set: now ${clock.now}.`;
    });
  });
  // The clock in the bar ticks between loads.
  setInterval(renderClock, 1000);
}

// ── Actions ──────────────────────────────────────────────────────────────────────────────────

/** Runs an action, says how it went, and reloads everything. */
async function act(fn) {
  try {
    const message = await fn();
    notify(message, 'ok');
  } catch (error) {
    notify(error.message, 'error');
  }
  app.faultsKey = '';
  app.overviewKey = '';
  app.state.pageKey = '';
  reloadAll();
}

/** A destructive form acts on its second press: the first arms its button for a few seconds. */
function confirmed(form) {
  const button = $('button[data-confirm]', form);
  if (button.classList.contains('armed')) {
    disarm(button);
    return true;
  }
  button.dataset.label = button.textContent;
  button.textContent = `${button.dataset.confirm}?`;
  button.classList.add('armed');
  button.timer = setTimeout(() => disarm(button), 5000);
  return false;
}

function disarm(button) {
  clearTimeout(button.timer);
  if (button.dataset.label) button.textContent = button.dataset.label;
  button.classList.remove('armed');
}

function renderActions() {
  const link = $('#act-export');
  link.href = `${API}/state${query({ session: app.session })}`;
  link.download = `offcloud-${app.session}.json`;
}

/** A download cannot carry the token: with one, the document is fetched, then saved. */
async function downloadState(event) {
  if (!controlToken()) return;
  event.preventDefault();
  const link = event.currentTarget;
  act(async () => {
    const response = await fetch(link.href, { headers: authorization(), cache: 'no-store' });
    if (!response.ok) throw new Error(`${response.status} ${response.statusText}`);
    const url = URL.createObjectURL(await response.blob());
    const save = h('a', { href: url, download: link.download });
    document.body.append(save);
    save.click();
    save.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
    return `Downloaded ${link.download}.`;
  });
}

function wireActions() {
  $('#act-export').addEventListener('click', downloadState);
  $('#act-reset').addEventListener('submit', (event) => {
    event.preventDefault();
    if (!confirmed(event.target)) return;
    const service = event.target.elements.service.value;
    act(async () => {
      await api(`/reset${query({ session: app.session, service })}`, { method: 'POST' });
      return service ? `Reset ${service} in session ${app.session}.` : `Reset session ${app.session}.`;
    });
  });
  $('#act-import').addEventListener('submit', (event) => {
    event.preventDefault();
    const file = event.target.elements.file.files[0];
    if (!file) { notify('Pick a state document first.', 'error'); return; }
    if (!confirmed(event.target)) return;
    act(async () => {
      const done = await api(`/state${query({ session: app.session })}`, { method: 'PUT', body: await file.text(), type: 'application/json' });
      return `Imported ${file.name} into session ${done.loaded.join(', ')}.`;
    });
  });
  $('#act-fixture').addEventListener('submit', (event) => {
    event.preventDefault();
    const f = event.target.elements;
    const file = f.file.files[0];
    act(async () => {
      const text = file ? await file.text() : f.document.value;
      if (!text.trim()) throw new Error('Write a fixture document or pick a file first.');
      const done = await api(`/fixtures${query({ session: app.session })}`, { method: 'POST', body: text, type: 'application/yaml' });
      return `Applied to session ${done.session}: ${describeCounts(done.created) || 'nothing'}.`;
    });
  });
  $('#act-drop').addEventListener('submit', (event) => {
    event.preventDefault();
    if (!confirmed(event.target)) return;
    const name = app.session;
    act(async () => {
      await api(`/sessions/${encodeURIComponent(name)}`, { method: 'DELETE' });
      if (name !== 'default') go({ session: 'default' });
      return `Dropped session ${name}.`;
    });
  });
}

// ── Contract testing: coverage, violations, strict mode ──────────────────────────────────────

// Violations shown at most: the newest ones (the server keeps up to 10,000 per session).
const VIOLATIONS_SHOWN = 500;

const contract = {
  coverage: null,
  coverageKey: '',
  coverageShownKey: '',
  violations: { filterKey: null, rows: new Map(), selected: null },
};

async function loadCoverage() {
  const data = await api(`/coverage${query({ session: app.session })}`);
  const key = JSON.stringify(data);
  if (key === contract.coverageKey) return;
  contract.coverageKey = key;
  contract.coverage = data;
  renderCoverage();
}

function coverageFilter() {
  return { service: $('#cov-service').value, show: $('#cov-show').value, q: $('#cov-q').value.trim().toLowerCase() };
}

function renderCoverage() {
  const data = contract.coverage;
  if (!data) return;
  const filter = coverageFilter();
  const key = JSON.stringify([contract.coverageKey, filter]);
  if (key === contract.coverageShownKey) return;
  contract.coverageShownKey = key;
  const services = SERVICES.filter((name) => data.services[name]);
  let covered = 0;
  let total = 0;
  const summary = services.map((name) => {
    const c = data.services[name];
    covered += c.covered;
    total += c.total;
    return coverageLine(name, c.covered, c.total, () => {
      $('#cov-service').value = name;
      renderCoverage();
    });
  });
  if (services.length > 1) summary.push(coverageLine('all', covered, total, null));
  $('#cov-summary tbody').replaceChildren(...summary);

  const rows = [];
  let shown = 0;
  let listed = 0;
  for (const name of services) {
    if (filter.service && filter.service !== name) continue;
    for (const op of data.services[name].operations) {
      listed += 1;
      if (filter.show === 'covered' && !op.calls) continue;
      if (filter.show === 'uncovered' && op.calls) continue;
      if (filter.q && !op.operation.toLowerCase().includes(filter.q)) continue;
      shown += 1;
      const statuses = Object.entries(op.statuses).map(([status, n]) =>
        h('span', { class: `s${status[0]}`, text: `${status} ×${fmtInt(n)}` }));
      rows.push(h('tr', { class: op.calls ? '' : 'uncovered', attrs: { 'data-service': name, 'data-operation': op.operation } },
        h('td', { class: 'opt', text: name }),
        h('td', { text: op.operation, title: op.operation }),
        h('td', { class: 'num', text: fmtInt(op.calls) }),
        h('td', { title: statuses.map((s) => s.textContent).join(', ') || undefined },
          statuses.length ? statuses.flatMap((s, i) => (i ? [', ', s] : [s])) : h('span', { class: 'null', text: 'not called' }))));
    }
  }
  $('#cov-table tbody').replaceChildren(...rows);
  $('#cov-empty').hidden = shown > 0;
  $('#cov-count').textContent = `${fmtInt(shown)} of ${fmtInt(listed)} shown`;
}

/** A line of the summary: service, covered, total, share, and a bar of that share. */
function coverageLine(name, covered, total, pick) {
  const percent = total ? Math.floor((covered * 100) / total) : 0;
  const bar = h('span', { class: 'meter', attrs: { 'aria-hidden': 'true' } }, h('span'));
  bar.firstChild.style.width = `${total ? (covered * 100) / total : 0}%`;
  const label = pick
    ? h('button', {
      type: 'button', class: 'row-pick', text: name,
      attrs: { 'aria-label': `Show the operations of ${name}` },
      on: { click: pick },
    })
    : h('span', { class: 'muted', text: 'all services' });
  return h('tr', { class: pick ? '' : 'total', attrs: { 'data-service': name } },
    h('td', { class: 'text' }, label),
    h('td', { class: 'num', text: fmtInt(covered) }),
    h('td', { class: 'num', text: fmtInt(total) }),
    h('td', { class: 'num', text: `${percent}%` }),
    h('td', { class: 'opt' }, bar));
}

function wireCoverage() {
  let debounce = null;
  for (const id of ['#cov-service', '#cov-show']) $(id).addEventListener('change', renderCoverage);
  $('#cov-q').addEventListener('input', () => { clearTimeout(debounce); debounce = setTimeout(renderCoverage, 150); });
  $('#cov-filter').addEventListener('submit', (event) => { event.preventDefault(); renderCoverage(); });
  $('#cov-clear').addEventListener('click', () => act(async () => {
    await api(`/coverage${query({ session: app.session })}`, { method: 'DELETE' });
    contract.coverageKey = '';
    return `Coverage of session ${app.session} counts from zero again.`;
  }));
}

function violationFilter() {
  return { session: app.session, service: $('#vio-service').value, rule: $('#vio-rule').value, q: $('#vio-q').value.trim().toLowerCase() };
}

async function loadViolations() {
  const filter = violationFilter();
  const filterKey = JSON.stringify(filter);
  const v = contract.violations;
  const list = $('#vio-live').checked || v.filterKey !== filterKey;
  const [settings, data] = await Promise.all([
    api(`/contract${query({ session: app.session })}`),
    list ? api(`/contract/violations${query({
      session: app.session,
      service: filter.service,
      // Filtered by rule or text in the page: then every violation is needed to find the newest.
      limit: filter.rule || filter.q ? '' : VIOLATIONS_SHOWN,
    })}`) : null,
  ]);
  renderStrict(settings.strict);
  if (!data) return;
  const body = $('#vio-table tbody');
  if (v.filterKey !== filterKey) {
    v.filterKey = filterKey;
    v.rows.clear();
    body.replaceChildren();
  }
  // A request can break several rules: each finding is told apart by its place among the
  // request's own.
  const seen = new Map();
  const matching = [];
  for (const violation of data.violations) {
    const base = `${violation.request_id}\u0000${violation.rule}\u0000${violation.message}`;
    const n = (seen.get(base) || 0) + 1;
    seen.set(base, n);
    if (filter.rule && violation.rule !== filter.rule) continue;
    if (filter.q && !`${violation.path}\n${violation.message}`.toLowerCase().includes(filter.q)) continue;
    matching.push({ key: `${base}\u0000${n}`, violation });
  }
  const newest = matching.slice(-VIOLATIONS_SHOWN);
  const keys = new Set(newest.map((m) => m.key));
  for (const [key, row] of v.rows) {
    if (!keys.has(key)) { row.tr.remove(); v.rows.delete(key); }
  }
  // Newest on top, as in the journal.
  const first = body.firstChild;
  for (const { key, violation } of newest.filter((m) => !v.rows.has(m.key)).reverse()) {
    const tr = violationRow(key, violation);
    v.rows.set(key, { tr, violation });
    body.insertBefore(tr, first);
  }
  $('#vio-empty').hidden = v.rows.size > 0;
  $('#vio-empty').textContent = data.violations.length
    ? 'No violation matches the filter.'
    : 'No violations: every request so far kept to the contract.';
  if (v.selected && !v.rows.has(v.selected)) clearViolationDetail();
}

function violationRow(key, violation) {
  const request = `${violation.method} ${violation.path}`;
  const tr = h('tr', { attrs: { 'data-rule': violation.rule } },
    h('td', {}, h('button', {
      type: 'button', class: 'row-pick', text: violation.rule,
      attrs: { 'aria-label': `Show violation ${violation.rule} of ${request}` },
      on: { click: () => showViolation(key) },
    })),
    h('td', { text: request, title: request }),
    h('td', { class: `num opt s${String(violation.status)[0]}`, text: violation.status }),
    h('td', { class: 'text wrap', text: violation.message }));
  if (contract.violations.selected === key) tr.classList.add('selected');
  return tr;
}

function clearViolationDetail() {
  contract.violations.selected = null;
  $('#h-vio-detail').textContent = 'Violation';
  $('#vio-detail-body').replaceChildren(h('p', { class: 'hint', text: 'Pick a violation to see the rule it broke and the request it came from, as the journal recorded it.' }));
}

async function showViolation(key) {
  const v = contract.violations;
  const found = v.rows.get(key);
  if (!found) return;
  const previous = v.rows.get(v.selected);
  if (previous) previous.tr.classList.remove('selected');
  v.selected = key;
  found.tr.classList.add('selected');
  const e = found.violation;
  const request = h('div', {}, h('p', { class: 'hint', text: 'Looking for the request in the journal…' }));
  $('#h-vio-detail').textContent = `Violation: ${e.rule}`;
  $('#vio-detail-body').replaceChildren(
    h('p', { class: 'reqline' }, `${e.method} ${e.path}`, ' → ', h('span', { class: `s${String(e.status)[0]}`, text: String(e.status) })),
    h('dl', { class: 'kv' },
      h('dt', { text: 'Rule' }), h('dd', { text: e.rule }),
      h('dt', { text: 'Message' }), h('dd', { class: 'text', text: e.message }),
      h('dt', { text: 'Service' }), h('dd', { text: e.service }),
      h('dt', { text: 'Operation' }), h('dd', { text: e.operation || 'none: no operation of the API matched' }),
      h('dt', { text: 'Request id' }), h('dd', { text: e.request_id })),
    request);
  let entry = null;
  try {
    entry = await journalEntryOf(e);
  } catch (error) {
    if (v.selected === key) request.replaceChildren(h('p', { class: 'hint', text: `The journal could not be read: ${error.message}` }));
    return;
  }
  if (v.selected !== key) return;
  if (!entry) {
    request.replaceChildren(h('p', { class: 'hint', text: 'The journal no longer holds this request: it keeps the most recent ones only.' }));
    return;
  }
  request.replaceChildren(
    h('p', {}, h('button', {
      type: 'button', text: 'Show in the journal',
      attrs: { 'aria-label': `Show request ${entry.id} in the journal` },
      on: { click: () => showInJournal(entry) },
    })),
    ...part('Request', entry.request),
    ...part('Response', entry.response));
}

/** The journal's entry of the request a violation came from: the one with its request id. */
async function journalEntryOf(violation) {
  const data = await api(`/requests${query({ session: app.session, service: violation.service, method: violation.method })}`);
  return data.requests.find((r) => (r.request.headers || {})['x-request-id'] === violation.request_id) || null;
}

/** Opens the journal view with the entry picked: its filters narrowed to the request's kind. */
function showInJournal(entry) {
  $('#req-service').value = entry.service;
  $('#req-method').value = entry.method;
  for (const id of ['#req-path', '#req-status', '#req-operation']) $(id).value = '';
  app.journal.pending = entry.id;
  app.journal.filterKey = null; // loads it even when the journal is not live
  go({ view: 'requests' });
}

/** After the journal loaded: picks the entry asked for from another view, if it is listed. */
function showPendingRequest() {
  const journal = app.journal;
  if (journal.pending === undefined) return;
  const id = journal.pending;
  journal.pending = undefined;
  if (!journal.rows.has(id)) {
    notify(`Request #${id} is not among the newest ${JOURNAL_LIMIT} the journal view lists.`, 'error');
    return;
  }
  showRequest(id);
  const button = $('button.row-pick', journal.rows.get(id).tr);
  button.scrollIntoView({ block: 'nearest' });
  button.focus();
}

function renderStrict(strict) {
  const box = $('#contract-strict');
  if (box.getAttribute('aria-busy')) return; // a change is on its way
  box.checked = strict;
  box.closest('label').classList.toggle('on', strict);
}

function wireViolations() {
  let debounce = null;
  const changed = () => { clearTimeout(debounce); debounce = setTimeout(() => { app.loadedAt.violations = 0; refresh(); }, 250); };
  for (const id of ['#vio-service', '#vio-rule', '#vio-live']) $(id).addEventListener('change', changed);
  $('#vio-q').addEventListener('input', changed);
  $('#vio-filter').addEventListener('submit', (event) => event.preventDefault());
  $('#vio-clear').addEventListener('click', () => act(async () => {
    const done = await api(`/contract/violations${query({ session: app.session })}`, { method: 'DELETE' });
    return `Cleared ${done.cleared} violations of session ${app.session}.`;
  }));
  const box = $('#contract-strict');
  box.addEventListener('change', async () => {
    const strict = box.checked;
    // Busy, not disabled: a disabled box would lose the keyboard focus.
    box.setAttribute('aria-busy', 'true');
    await act(async () => {
      const done = await api(`/contract${query({ session: app.session })}`, { method: 'POST', json: { strict } });
      return done.strict
        ? `Strict mode on in session ${done.session}: violating requests get the service's own 4xx error.`
        : `Strict mode off in session ${done.session}: violating requests are served and listed.`;
    });
    box.removeAttribute('aria-busy');
  });
}

function wireContract() {
  wireCoverage();
  wireViolations();
}

// ── Start ────────────────────────────────────────────────────────────────────────────────────

function start() {
  $('#session').addEventListener('change', (event) => go({ session: event.target.value }));
  wireState();
  wireRequests();
  wireFaults();
  wireClock();
  wireActions();
  wireToken();
  wireContract();
  window.addEventListener('hashchange', route);
  document.addEventListener('visibilitychange', () => { if (!document.hidden) reloadAll(); });
  // The overview also fills the version in the bar.
  api('/info').then((info) => { $('#version').textContent = `v${info.version}`; }).catch(() => {});
  route();
}

start();

// claude-failover dashboard. Everything shown is built with textContent: agent output and task
// text are untrusted and never become HTML. The token travels only as a header (kept in this
// tab's session storage), never in a URL. Live: the server-sent events (read with fetch, since
// EventSource cannot send a header) and a refresh every second while the page is visible.
'use strict';

const TOKEN_KEY = 'claude-failover-token';
const state = {
  token: sessionStorage.getItem(TOKEN_KEY) || '',
  cards: new Map(),
  openPanes: new Set(),
  events: [],
  stream: null,
  refreshQueued: false,
};

const $ = (id) => document.getElementById(id);

function el(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null) continue;
    if (key === 'class') node.className = value;
    else if (key === 'text') node.textContent = value;
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(typeof child === 'string' ? document.createTextNode(child) : child);
  }
  return node;
}

function headers(extra) {
  const all = Object.assign({}, extra || {});
  if (state.token) all.Authorization = 'Bearer ' + state.token;
  return all;
}

async function errorOf(response) {
  try {
    const body = await response.json();
    return response.status + ': ' + (body.error || JSON.stringify(body));
  } catch (_) {
    return 'HTTP ' + response.status;
  }
}

async function getJson(path) {
  const response = await fetch(path, { headers: headers(), cache: 'no-store' });
  if (!response.ok) throw new Error(await errorOf(response));
  return response.json();
}

async function post(path, body) {
  const response = await fetch(path, {
    method: 'POST',
    headers: headers({ 'Content-Type': 'application/json' }),
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(await errorOf(response));
  return response.json();
}

function say(text, bad) {
  const box = $('message');
  box.textContent = text;
  box.className = bad ? 'message bad' : 'message';
  box.hidden = false;
}

function ago(iso) {
  if (!iso) return '';
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return iso;
  const secs = Math.round((Date.now() - then) / 1000);
  if (secs < -60) return 'in ' + span(-secs);
  if (secs < 5) return 'just now';
  return span(secs) + ' ago';
}

function span(secs) {
  if (secs < 60) return secs + 's';
  if (secs < 3600) return Math.floor(secs / 60) + 'm';
  if (secs < 86400) return Math.floor(secs / 3600) + 'h ' + Math.floor((secs % 3600) / 60) + 'm';
  return Math.floor(secs / 86400) + 'd ' + Math.floor((secs % 86400) / 3600) + 'h';
}

function pill(text, mood) {
  return el('span', { class: 'pill' + (mood ? ' ' + mood : ''), text });
}

function stateMood(word) {
  if (/^(working|launching|running)/.test(word)) return 'ok';
  if (/^(cooling|waiting|blocked|exhausted)/.test(word)) return 'warn';
  if (/^(failed|invalid|needs_attention)/.test(word)) return 'bad';
  return '';
}

// ---- sessions -------------------------------------------------------------------------------

function sessionCard(session) {
  let card = state.cards.get(session.name);
  if (!card) {
    const pane = el('pre', { class: 'pane', 'data-pane': session.name });
    const details = el('details', {}, el('summary', { text: 'screen' }), pane);
    details.addEventListener('toggle', () => {
      if (details.open) {
        state.openPanes.add(session.name);
        refreshPane(session.name);
      } else {
        state.openPanes.delete(session.name);
      }
    });
    const node = el('div', { class: 'card', 'data-session': session.name });
    card = { node, head: el('div', { class: 'row' }), meta: el('div', { class: 'meta' }), details, pane };
    node.append(card.head, card.meta, details);
    state.cards.set(session.name, card);
  }
  card.head.replaceChildren(
    el('h3', { text: session.name }),
    pill(session.kind),
    pill(session.alive ? session.state : 'gone', session.alive ? stateMood(session.state) : 'bad'),
  );
  const meta = [];
  if (session.account) meta.push('account ' + session.account);
  if (session.since) meta.push('since ' + ago(session.since));
  if (session.cooldown_until) meta.push('cooling down until ' + session.cooldown_until);
  card.meta.textContent = meta.join(' · ');
  card.node.dataset.state = session.state;
  return card.node;
}

function renderSessions(sessions) {
  const box = $('sessions');
  if (!sessions.length) {
    box.replaceChildren(el('p', { class: 'empty', text: 'No sessions yet.' }));
    return;
  }
  const names = new Set(sessions.map((s) => s.name));
  for (const name of [...state.cards.keys()]) {
    if (!names.has(name)) {
      state.cards.delete(name);
      state.openPanes.delete(name);
    }
  }
  const nodes = sessions.map(sessionCard);
  // Cards are updated in place; they move only when the sessions change (an open pane keeps
  // its scroll position and a selection).
  const order = sessions.map((s) => s.name).join('\n');
  if (box.dataset.order !== order) {
    box.dataset.order = order;
    box.replaceChildren(...nodes);
  }
}

async function refreshPane(name) {
  const card = state.cards.get(name);
  if (!card) return;
  try {
    const pane = await getJson('/api/sessions/' + encodeURIComponent(name) + '/pane');
    const box = card.pane;
    // Follow the bottom (the newest output) unless the reader scrolled up.
    const follow = !box.dataset.seen || box.scrollTop + box.clientHeight >= box.scrollHeight - 8;
    if (box.textContent !== pane.text) box.textContent = pane.text;
    if (follow) box.scrollTop = box.scrollHeight;
    box.dataset.seen = 'yes';
  } catch (error) {
    card.pane.textContent = '(' + error.message + ')';
  }
}

// ---- queues ---------------------------------------------------------------------------------

const SHOWN_DONE = 10;

function renderProjects(projects) {
  const cell = (p, k) => k === 'running' && p.max_running != null
    ? p.running + '/' + p.max_running
    : String(p[k]);
  const rows = projects.map((p) =>
    el('tr', { 'data-project': p.name, title: p.held ? 'held: ' + p.held : '' },
      el('td', { text: p.held ? p.name + ' (held: settings broken)' : p.name }),
      ...['queued', 'running', 'waiting', 'blocked', 'invalid', 'delegated', 'done', 'failed']
        .map((k) => el('td', { text: cell(p, k) }))));
  $('projects').tBodies[0].replaceChildren(...rows);
  const select = $('add-project');
  const chosen = select.value;
  select.replaceChildren(...projects.map((p) => el('option', { value: p.name, text: p.name })));
  if (chosen) select.value = chosen;
}

function taskRow(task) {
  const action = task.state === 'failed'
    ? el('button', {
      class: 'small', type: 'button', 'data-action': 'requeue', text: 'requeue',
      onclick: () => act(() => post('/api/tasks/requeue', { project: task.project, file: task.file }),
        'requeued ' + task.project + '/' + task.file),
    })
    : null;
  return el('tr', { 'data-task': task.project + '/' + task.file, 'data-state': task.state },
    el('td', { text: task.file }),
    el('td', {}, pill(task.state, stateMood(task.state))),
    el('td', { class: 'reason', text: task.reason || (task.branch ? 'branch ' + task.branch : '') }),
    el('td', { text: ago(task.since), title: task.since || '' }),
    el('td', {}, action));
}

function renderTasks(tasks) {
  const byProject = new Map();
  for (const task of tasks) {
    if (!byProject.has(task.project)) byProject.set(task.project, []);
    byProject.get(task.project).push(task);
  }
  const blocks = [];
  for (const [project, list] of byProject) {
    const done = list.filter((t) => t.state === 'done')
      .sort((a, b) => (b.since || '').localeCompare(a.since || ''));
    const shown = list.filter((t) => t.state !== 'done').concat(done.slice(0, SHOWN_DONE));
    if (!shown.length) continue;
    blocks.push(el('div', { class: 'project-tasks' },
      el('h3', { text: project }),
      el('div', { class: 'scroll' }, el('table', {},
        el('thead', {}, el('tr', {}, ...['task', 'state', 'why', 'since', ''].map((h) => el('th', { text: h })))),
        el('tbody', {}, ...shown.map(taskRow))))));
  }
  $('tasks').replaceChildren(...blocks);
}

// ---- accounts, swaps, events ----------------------------------------------------------------

function renderAccounts(accounts) {
  const rows = accounts.map((a) => {
    const lines = [];
    if (a.exhausted_until) lines.push('out of quota until ' + a.exhausted_until + ' (' + ago(a.exhausted_until) + ')');
    if (a.attention) lines.push('needs attention since ' + ago(a.attention.since) + ': ' + a.attention.kind + ' — ' + a.attention.reason);
    if (a.usage) {
      for (const [label, w] of [['5h', a.usage.five_hour], ['week', a.usage.seven_day]]) {
        if (w) lines.push(label + ' ' + Math.round(w.used_percentage) + '% (resets ' + ago(w.resets_at) + ')');
      }
    } else {
      lines.push('usage not reported yet');
    }
    if (a.breaker && a.breaker.open) {
      lines.push('new work paused by the breaker' + (a.breaker.next_probe ? ', next probe ' + ago(a.breaker.next_probe) : ''));
    }
    const clear = a.attention
      ? el('button', {
        class: 'small', type: 'button', 'data-action': 'clear', text: 'clear mark',
        onclick: () => act(() => post('/api/accounts/clear', { account: a.name }), 'asked to clear ' + a.name),
      })
      : null;
    return el('div', { class: 'card', 'data-account': a.name },
      el('div', { class: 'row' }, el('h3', { text: a.name }), a.active ? pill('active', 'ok') : null,
        pill(a.state.replace('_', ' '), stateMood(a.state)), clear),
      el('div', { class: 'meta', text: lines.join(' · ') || 'usable' }));
  });
  $('accounts').replaceChildren(...rows);
  const select = $('swap-to');
  const chosen = select.value;
  select.replaceChildren(el('option', { value: '', text: 'the next usable account' }),
    ...accounts.map((a) => el('option', { value: a.name, text: a.name })));
  select.value = chosen;
}

function renderSwaps(swaps) {
  const items = swaps.map((s) => el('li', {},
    el('span', { class: 'when', text: s.at }),
    s.from_account + ' → ' + s.to_account + ' (' + s.pattern + ') ' + (s.detail || '')));
  $('swaps').replaceChildren(...(items.length ? items : [el('li', { class: 'empty', text: 'No swaps yet.' })]));
}

const EVENTS_KEPT = 200;

function addEvent(event) {
  state.events.unshift(event);
  state.events.length = Math.min(state.events.length, EVENTS_KEPT);
}

function renderEvents() {
  $('events').replaceChildren(...state.events.map((e) => {
    const task = e.project && e.task_id ? e.project + '/' + e.task_id : (e.task || '');
    return el('li', { 'data-kind': e.kind },
      el('span', { class: 'when', text: (e.at || '').replace('T', ' ').slice(0, 19) }),
      pill(e.kind, stateMood(e.kind)), ' ', task ? task + ' ' : '', e.session ? '[' + e.session + '] ' : '', e.detail || '');
  }));
}

// ---- refresh and live stream ----------------------------------------------------------------

function renderDaemon(status) {
  const d = status.daemon;
  const node = $('daemon');
  node.textContent = d.running ? 'daemon running' + (d.started_at ? ' since ' + ago(d.started_at) : '') : 'daemon not running';
  node.className = 'pill ' + (d.running ? 'ok' : 'bad');
  const banner = $('banner');
  banner.hidden = !status.paused;
  banner.textContent = status.paused
    ? 'Dispatching is paused: ' + (status.paused_why || 'no usable account') + (status.paused_until ? ' — until ' + status.paused_until : '')
    : '';
}

let firstRefresh = true;
const drawn = new Map();

// Redraws a part only when its data changed (a row under the pointer stays where it is), and
// every quarter minute so that "5m ago" moves on.
const AGE_REDRAW_MS = 15000;
function drawIfChanged(part, data, draw) {
  const key = Math.floor(Date.now() / AGE_REDRAW_MS) + JSON.stringify(data);
  if (drawn.get(part) === key) return;
  drawn.set(part, key);
  draw(data);
}

let refreshing = false;
let refreshAgain = false;

// One refresh at a time (an older answer must never paint over a newer one); a call during
// one runs once more after it.
async function refresh() {
  if (refreshing) {
    refreshAgain = true;
    return;
  }
  refreshing = true;
  try {
    await refreshOnce();
  } finally {
    refreshing = false;
  }
  if (refreshAgain) {
    refreshAgain = false;
    refresh();
  }
}

async function refreshOnce() {
  try {
    const [status, tasks, swaps] = await Promise.all([
      getJson('/api/status'), getJson('/api/tasks'), getJson('/api/swaps?limit=20')]);
    renderDaemon(status);
    renderSessions(status.sessions);
    drawIfChanged('projects', status.projects, renderProjects);
    drawIfChanged('tasks', tasks.tasks, renderTasks);
    drawIfChanged('accounts', status.accounts, renderAccounts);
    drawIfChanged('swaps', swaps.swaps, renderSwaps);
    if (firstRefresh) {
      firstRefresh = false;
      for (const e of status.recent_events || []) addEvent(e);
      renderEvents();
    }
    for (const name of state.openPanes) refreshPane(name);
  } catch (error) {
    say('cannot read the daemon: ' + error.message + (state.token ? '' : ' (enter the token if the API needs it for reads)'), true);
  }
}

function refreshSoon() {
  if (state.refreshQueued) return;
  state.refreshQueued = true;
  setTimeout(() => { state.refreshQueued = false; refresh(); }, 100);
}

function setLive(on, why) {
  const node = $('live');
  node.textContent = on ? 'live' : 'reconnecting' + (why ? ' (' + why + ')' : '');
  node.className = 'pill ' + (on ? 'ok' : 'off');
}

function handleBlock(block) {
  let kind = 'message';
  const data = [];
  for (const line of block.split('\n')) {
    if (line.startsWith('event:')) kind = line.slice(6).trim();
    else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
  }
  if (!data.length) return;
  try {
    const event = JSON.parse(data.join('\n'));
    event.kind = event.kind || kind;
    addEvent(event);
    renderEvents();
  } catch (_) { /* a keep-alive or a lagged note */ }
  refreshSoon();
}

async function stream() {
  for (;;) {
    const controller = new AbortController();
    state.stream = controller;
    try {
      const response = await fetch('/api/events', { headers: headers({ Accept: 'text/event-stream' }), signal: controller.signal });
      if (!response.ok) throw new Error(await errorOf(response));
      setLive(true);
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true }).replace(/\r\n/g, '\n');
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          handleBlock(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
        }
      }
      setLive(false, 'stream ended');
    } catch (error) {
      setLive(false, error.name === 'AbortError' ? 'token changed' : error.message);
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

// ---- actions and the token --------------------------------------------------------------------

async function act(run, done) {
  try {
    await run();
    say(done, false);
  } catch (error) {
    say(error.message, true);
  }
  refreshSoon();
}

function showMode() {
  $('mode').textContent = state.token ? 'token set: actions allowed' : 'read-only';
  $('mode').className = 'pill ' + (state.token ? 'ok' : '');
  $('logout').hidden = !state.token;
}

function setToken(token) {
  state.token = token;
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
  showMode();
  if (state.stream) state.stream.abort();
  refreshSoon();
}

function wire() {
  $('login').addEventListener('submit', (event) => {
    event.preventDefault();
    setToken($('token').value.trim());
    $('token').value = '';
  });
  $('logout').addEventListener('click', () => setToken(''));
  $('swap-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const to = $('swap-to').value;
    act(() => post('/api/swap', to ? { to } : {}), 'swap asked' + (to ? ' to ' + to : ''));
  });
  $('add-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const body = { project: $('add-project').value, content: $('add-content').value };
    const id = $('add-id').value.trim();
    if (id) body.id = id;
    act(async () => {
      const added = await post('/api/tasks', body);
      $('add-content').value = '';
      $('add-id').value = '';
      return added;
    }, 'task added to ' + body.project);
  });
  document.addEventListener('visibilitychange', () => { if (!document.hidden) refreshSoon(); });
}

wire();
showMode();
refresh();
stream();
setInterval(() => { if (!document.hidden) refresh(); }, 1000);

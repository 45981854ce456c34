import { createHash } from 'node:crypto';
import { CATALOG_SCRIPT, CATALOG_SECTION, CATALOG_STYLE } from './dashboard-catalog';

/*
 * The operator dashboard: one self-contained page (inline CSS and vanilla JS, no CDN, no build step) kept in a
 * TS string so that `tsc` ships it in dist. It calls the admin API with URLs relative to its own location, so
 * it works under any admin prefix (and host global prefix) and sits behind the same guards. Every value from
 * the API goes into the DOM through textContent, never as HTML: URLs and error messages come from customers.
 */

const STYLE = `
:root { color-scheme: light; --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --bg: #f6f8fa; --card: #fff;
  --ok: #1a7f37; --ok-bg: #dafbe1; --bad: #cf222e; --bad-bg: #ffebe9; --warn: #9a6700; --warn-bg: #fff8c5;
  --info: #0969da; --info-bg: #ddf4ff; }
* { box-sizing: border-box; }
[hidden] { display: none !important; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif;
  color: var(--fg); background: var(--bg); }
header { display: flex; align-items: center; justify-content: space-between; gap: 16px; padding: 14px 24px;
  background: #24292f; color: #fff; }
header h1 { margin: 0; font-size: 18px; font-weight: 600; }
header .actions { display: flex; align-items: center; gap: 12px; font-size: 12px; color: #d0d7de; }
header label { display: flex; align-items: center; gap: 4px; cursor: pointer; }
main { padding: 16px 24px 40px; max-width: 1400px; margin: 0 auto; }
button { font: inherit; font-size: 13px; padding: 4px 12px; border-radius: 6px; border: 1px solid var(--line);
  background: var(--card); color: var(--fg); cursor: pointer; }
button:hover:not(:disabled) { background: #eef1f4; }
button:disabled { opacity: .6; cursor: default; }
button.primary { background: #1f883d; border-color: #1a7f37; color: #fff; }
button.primary:hover:not(:disabled) { background: #1a7f37; }
#message { margin: 0 0 16px; padding: 10px 14px; border-radius: 6px; border: 1px solid; }
#message.error { color: var(--bad); background: var(--bad-bg); border-color: #ffcecb; }
#message.info { color: var(--info); background: var(--info-bg); border-color: #b6e3ff; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(180px, 1fr)); gap: 12px; margin-bottom: 20px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 12px 16px; }
.card .num { font-size: 28px; font-weight: 600; font-variant-numeric: tabular-nums; }
.card .label { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
.card.alert .num { color: var(--bad); }
section { background: var(--card); border: 1px solid var(--line); border-radius: 8px; margin-bottom: 20px; overflow: hidden; }
section h2 { margin: 0; padding: 10px 16px; font-size: 15px; border-bottom: 1px solid var(--line); background: #fafbfc; }
section h2 .count { color: var(--muted); font-weight: 400; }
.scroll { overflow-x: auto; }
table { width: 100%; border-collapse: collapse; }
th, td { text-align: left; padding: 7px 12px; border-bottom: 1px solid #eaeef2; vertical-align: top; }
th { font-size: 12px; color: var(--muted); font-weight: 600; white-space: nowrap; }
tr:last-child td { border-bottom: 0; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.time { white-space: nowrap; color: var(--muted); }
td.url, td.err { overflow-wrap: anywhere; max-width: 420px; }
td.url { min-width: 280px; }
td.err { min-width: 200px; }
td.err { color: var(--bad); }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px; }
.empty { padding: 12px 16px; margin: 0; color: var(--muted); }
.badge { display: inline-block; padding: 1px 8px; border-radius: 999px; font-size: 12px; font-weight: 600; white-space: nowrap; }
.badge.delivered, .badge.active { color: var(--ok); background: var(--ok-bg); }
.badge.failed, .badge.pending { color: var(--warn); background: var(--warn-bg); }
.badge.dead_letter, .badge.disabled { color: var(--bad); background: var(--bad-bg); }
.badge.cancelled { color: var(--muted); background: #eaeef2; }
.reason { display: block; color: var(--muted); font-size: 12px; margin-top: 2px; }
.tag { display: inline-block; margin: 0 4px 2px 0; padding: 0 6px; border-radius: 4px; background: #eaeef2; }
`;

const SCRIPT = `
(function () {
  'use strict';
  var base = location.pathname.replace(/\\/ui\\/?$/, '/');
  var $ = function (id) { return document.getElementById(id); };
  var subsById = {};
  var autoTimer = null;

  function AccessError(status) { this.status = status; }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function cell(text, className, title) {
    var td = el('td', className, text === null || text === undefined || text === '' ? '\\u2014' : text);
    if (title) td.title = title;
    return td;
  }

  function badge(status, label) { return el('span', 'badge ' + status, label || status.replace('_', ' ')); }

  function fmtTime(iso) {
    if (!iso) return '';
    var d = new Date(iso);
    return isNaN(d.getTime()) ? iso : d.toLocaleString();
  }

  function showMessage(kind, text) {
    var m = $('message');
    m.className = kind;
    m.textContent = text;
    m.hidden = !text;
  }

  function messageOf(body, status) {
    if (body && body.message) return Array.isArray(body.message) ? body.message.join('; ') : String(body.message);
    return 'HTTP ' + status;
  }

  async function api(path, init) {
    var res = await fetch(base + path, Object.assign({ credentials: 'same-origin', headers: { accept: 'application/json' } }, init || {}));
    if (res.status === 401 || res.status === 403) throw new AccessError(res.status);
    var text = await res.text();
    var body = null;
    try { body = text ? JSON.parse(text) : null; } catch (e) { body = null; }
    if (!res.ok) throw new Error(messageOf(body, res.status));
    return body;
  }

  function fail(err) {
    if (err instanceof AccessError) {
      showMessage('error', 'Access denied (HTTP ' + err.status + '): the admin API refused this request. Sign in or send the credentials the app\\'s admin_guards expect, then press Refresh.');
    } else {
      showMessage('error', 'Could not load the webhook admin API: ' + (err && err.message ? err.message : String(err)));
    }
  }

  function subLabel(id) {
    var s = subsById[id];
    return s ? s.url : id;
  }

  function renderHealth(h) {
    $('total_subscriptions').textContent = String(h.total_subscriptions);
    $('active_subscriptions').textContent = String(h.active_subscriptions);
    $('dead_letter_count').textContent = String(h.dead_letter_count);
    $('dead-card').classList.toggle('alert', h.dead_letter_count > 0);
  }

  function renderSubscriptions(list) {
    var rows = list.map(function (s) {
      var tr = el('tr');
      tr.dataset.subscriptionId = s.subscription_id;
      tr.appendChild(cell(s.url, 'url'));
      var types = el('td');
      if (s.event_types === null) types.appendChild(el('span', 'tag mono', 'all events'));
      else s.event_types.forEach(function (t) { types.appendChild(el('span', 'tag mono', t)); });
      tr.appendChild(types);
      var state = el('td');
      state.appendChild(s.active ? badge('active', 'active') : badge('disabled', 'disabled'));
      if (!s.active && s.disabled_reason) state.appendChild(el('span', 'reason', s.disabled_reason));
      tr.appendChild(state);
      tr.appendChild(cell(s.description));
      tr.appendChild(cell(s.tenant_id, 'mono'));
      tr.appendChild(cell(fmtTime(s.created_at), 'time', s.created_at));
      tr.appendChild(cell(s.subscription_id, 'mono'));
      return tr;
    });
    $('subscriptions-body').replaceChildren.apply($('subscriptions-body'), rows);
    $('subscriptions-empty').hidden = rows.length > 0;
    $('subscriptions-count').textContent = '(' + rows.length + ')';
  }

  function renderDeliveries(list) {
    var rows = list.map(function (a) {
      var tr = el('tr');
      tr.dataset.attemptId = a.attempt_id;
      tr.dataset.status = a.status;
      tr.appendChild(cell(fmtTime(a.attempted_at), 'time', a.attempted_at));
      tr.appendChild(cell(a.event_type, 'mono'));
      tr.appendChild(cell(subLabel(a.subscription_id), 'url', a.subscription_id));
      var st = el('td');
      st.appendChild(badge(a.status));
      tr.appendChild(st);
      tr.appendChild(cell(a.status_code, 'num'));
      tr.appendChild(cell(a.duration_ms + ' ms', 'num'));
      tr.appendChild(cell(a.attempt_number, 'num'));
      tr.appendChild(cell(a.error_message, a.error_message ? 'err' : ''));
      return tr;
    });
    $('deliveries-body').replaceChildren.apply($('deliveries-body'), rows);
    $('deliveries-empty').hidden = rows.length > 0;
    $('deliveries-count').textContent = '(latest ' + rows.length + ')';
  }

  function renderDeadLetters(list) {
    var rows = list.map(function (a) {
      var tr = el('tr');
      tr.dataset.attemptId = a.attempt_id;
      tr.appendChild(cell(fmtTime(a.attempted_at), 'time', a.attempted_at));
      tr.appendChild(cell(a.event_type, 'mono'));
      tr.appendChild(cell(subLabel(a.subscription_id), 'url', a.subscription_id));
      tr.appendChild(cell(a.status_code, 'num'));
      tr.appendChild(cell(a.attempt_number, 'num'));
      tr.appendChild(cell(a.error_message, a.error_message ? 'err' : ''));
      var action = el('td');
      var button = el('button', 'primary redeliver', 'Redeliver');
      button.type = 'button';
      button.dataset.attemptId = a.attempt_id;
      action.appendChild(button);
      tr.appendChild(action);
      return tr;
    });
    $('dead-letters-body').replaceChildren.apply($('dead-letters-body'), rows);
    $('dead-letters-empty').hidden = rows.length > 0;
    $('dead-letters-count').textContent = '(' + rows.length + ')';
  }

  var loading = null;
  function refresh() {
    if (loading) return loading;
    $('refresh').disabled = true;
    loading = Promise.all([api('health'), api('subscriptions?limit=500'), api('deliveries?limit=50'), api('dead-letters?limit=100')])
      .then(function (r) {
        subsById = {};
        r[1].forEach(function (s) { subsById[s.subscription_id] = s; });
        renderHealth(r[0]);
        renderSubscriptions(r[1]);
        renderDeliveries(r[2]);
        renderDeadLetters(r[3]);
        if ($('message').className === 'error') showMessage('', '');
        $('updated').textContent = 'Updated ' + new Date().toLocaleTimeString();
      })
      .catch(fail)
      .finally(function () { loading = null; $('refresh').disabled = false; });
    return loading;
  }

  async function redeliver(button) {
    var id = button.dataset.attemptId;
    button.disabled = true;
    button.textContent = 'Queuing\\u2026';
    try {
      await api('deliveries/' + encodeURIComponent(id) + '/redeliver', { method: 'POST' });
      button.textContent = 'Queued';
      showMessage('info', 'Redelivery queued for attempt ' + id + '.');
      [500, 1500, 4000].forEach(function (ms) { setTimeout(refresh, ms); });
    } catch (err) {
      button.disabled = false;
      button.textContent = 'Redeliver';
      if (err instanceof AccessError) fail(err);
      else showMessage('error', 'Redeliver failed: ' + err.message);
    }
  }

  $('refresh').addEventListener('click', function () { refresh(); });
  $('dead-letters-body').addEventListener('click', function (e) {
    var target = e.target;
    if (target instanceof HTMLButtonElement && target.classList.contains('redeliver')) redeliver(target);
  });
  $('auto').addEventListener('change', function (e) {
    if (autoTimer) clearInterval(autoTimer);
    autoTimer = e.target.checked ? setInterval(refresh, 5000) : null;
  });
  refresh();
})();
`;

const BODY = `
<header>
  <h1>Webhooks</h1>
  <div class="actions">
    <span id="updated" aria-live="polite"></span>
    <label><input type="checkbox" id="auto"> Auto-refresh</label>
    <button type="button" id="refresh">Refresh</button>
  </div>
</header>
<main>
  <div id="message" role="alert" hidden></div>
  <div class="cards" id="health">
    <div class="card"><div class="num" id="total_subscriptions">&ndash;</div><div class="label">Subscriptions</div></div>
    <div class="card"><div class="num" id="active_subscriptions">&ndash;</div><div class="label">Active subscriptions</div></div>
    <div class="card" id="dead-card"><div class="num" id="dead_letter_count">&ndash;</div><div class="label">Dead letters</div></div>
  </div>
  <section>
    <h2>Dead letters <span class="count" id="dead-letters-count"></span></h2>
    <div class="scroll"><table id="dead-letters">
      <thead><tr><th>Last attempt</th><th>Event type</th><th>Endpoint</th><th>Status code</th><th>Attempt</th><th>Error</th><th></th></tr></thead>
      <tbody id="dead-letters-body"></tbody>
    </table></div>
    <p class="empty" id="dead-letters-empty" hidden>No dead letters.</p>
  </section>
  <section>
    <h2>Recent deliveries <span class="count" id="deliveries-count"></span></h2>
    <div class="scroll"><table id="deliveries">
      <thead><tr><th>Time</th><th>Event type</th><th>Endpoint</th><th>Status</th><th>Status code</th><th>Duration</th><th>Attempt</th><th>Error</th></tr></thead>
      <tbody id="deliveries-body"></tbody>
    </table></div>
    <p class="empty" id="deliveries-empty" hidden>No delivery attempts yet.</p>
  </section>
  <section>
    <h2>Subscriptions <span class="count" id="subscriptions-count"></span></h2>
    <div class="scroll"><table id="subscriptions">
      <thead><tr><th>URL</th><th>Event types</th><th>State</th><th>Description</th><th>Tenant</th><th>Created</th><th>ID</th></tr></thead>
      <tbody id="subscriptions-body"></tbody>
    </table></div>
    <p class="empty" id="subscriptions-empty" hidden>No subscriptions.</p>
  </section>${CATALOG_SECTION}</main>
`;

function sha256(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

/** The dashboard page served at `GET /<prefix>/ui`. */
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Webhooks dashboard</title>
<link rel="icon" href="data:,">
<style>${STYLE}</style>
<style>${CATALOG_STYLE}</style>
</head>
<body>${BODY}<script>${SCRIPT}</script><script>${CATALOG_SCRIPT}</script>
</body>
</html>
`;

/**
 * `Content-Security-Policy` of the page: nothing may load or run but its own inline script and style (allowed by
 * hash) and requests to its own origin.
 */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  `script-src ${sha256(SCRIPT)} ${sha256(CATALOG_SCRIPT)}`,
  `style-src ${sha256(STYLE)} ${sha256(CATALOG_STYLE)}`,
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

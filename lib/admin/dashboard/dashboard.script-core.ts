/**
 * The dashboard script's foundation: DOM helpers, formatting, the API client (same-origin, relative to the page, so
 * any admin prefix and host prefix work), messages, pagers and the confirmation dialog. Every value from the API
 * reaches the DOM through textContent, never as HTML: URLs, payloads and error messages come from customers.
 */
export const SCRIPT_CORE = String.raw`
var base = location.pathname.replace(/\/ui\/?$/, '/');
var $ = function (id) { return document.getElementById(id); };
var PAGE = 25;
var SVG = 'http://www.w3.org/2000/svg';
var state = { window: '24h', urls: {} };

function ApiError(status, body) {
  this.status = status;
  this.body = body || {};
  this.message = body && body.message ? (Array.isArray(body.message) ? body.message.join('; ') : String(body.message)) : 'HTTP ' + status;
}

function el(tag, className, text) {
  var node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

function svg(tag, attrs) {
  var node = document.createElementNS(SVG, tag);
  Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, String(attrs[k])); });
  return node;
}

function cell(content, className, title) {
  var td = el('td', className);
  if (content instanceof Node) td.appendChild(content);
  else td.textContent = content === null || content === undefined || content === '' ? '\u2014' : String(content);
  if (title) td.title = title;
  return td;
}

function link(text, href, className) {
  var a = el('a', className, text);
  a.href = href;
  return a;
}

function button(text, className, onClick) {
  var b = el('button', className, text);
  b.type = 'button';
  b.addEventListener('click', onClick);
  return b;
}

function badge(status, label) { return el('span', 'badge ' + status, label || status.replace('_', ' ')); }

function fill(id, nodes) { var t = $(id); t.replaceChildren.apply(t, nodes); }

/** Today's times as a time only, older ones with their date. */
function fmtTime(iso) {
  if (!iso) return '';
  var d = new Date(iso);
  if (isNaN(d.getTime())) return iso;
  return d.toDateString() === new Date().toDateString() ? d.toLocaleTimeString() : d.toLocaleString();
}

function fmtAgo(iso) {
  if (!iso) return 'never';
  var s = Math.max(0, (Date.now() - new Date(iso).getTime()) / 1000);
  if (s < 90) return Math.round(s) + ' s ago';
  if (s < 5400) return Math.round(s / 60) + ' min ago';
  if (s < 129600) return Math.round(s / 3600) + ' h ago';
  return Math.round(s / 86400) + ' days ago';
}

function fmtPct(rate) { return rate === null || rate === undefined ? '\u2014' : (Math.floor(rate * 1000) / 10) + '%'; }

function fmtMs(ms) {
  if (ms === null || ms === undefined) return '\u2014';
  return ms >= 1000 ? (Math.round(ms / 100) / 10) + ' s' : Math.round(ms) + ' ms';
}

function fmtSeconds(s) {
  if (s === null || s === undefined) return '\u2014';
  if (s < 120) return (Math.round(s * 10) / 10) + ' s';
  if (s < 7200) return Math.round(s / 60) + ' min';
  return (Math.round(s / 360) / 10) + ' h';
}

function shortId(id) { return id.length > 12 ? id.slice(0, 8) + '\u2026' : id; }

function endpointLabel(id) { return state.urls[id] || shortId(id); }

function showMessage(kind, text) {
  var m = $('message');
  m.className = kind;
  m.textContent = text;
  m.hidden = !text;
}

async function api(path, init) {
  var options = Object.assign({ credentials: 'same-origin', headers: { accept: 'application/json' } }, init || {});
  if (options.json !== undefined) {
    options.body = JSON.stringify(options.json);
    options.headers = { accept: 'application/json', 'content-type': 'application/json' };
    delete options.json;
  }
  var res = await fetch(base + path, options);
  var text = await res.text();
  var body = null;
  try { body = text ? JSON.parse(text) : null; } catch (e) { body = null; }
  if (!res.ok) throw new ApiError(res.status, body);
  return body;
}

function fail(err, what) {
  if (err instanceof ApiError && (err.status === 401 || err.status === 403)) {
    showMessage('error', 'Access denied (HTTP ' + err.status + '): the admin API refused this request. Sign in or send the credentials the app\'s admin_guards expect, then press Refresh.');
  } else {
    showMessage('error', (what || 'Could not load the webhook admin API') + ': ' + (err && err.message ? err.message : String(err)));
  }
}

function qs(params) {
  return Object.keys(params).filter(function (k) { return params[k] !== '' && params[k] !== undefined && params[k] !== null; })
    .map(function (k) { return encodeURIComponent(k) + '=' + encodeURIComponent(params[k]); }).join('&');
}

function formValues(form) {
  var out = {};
  new FormData(form).forEach(function (v, k) { out[k] = String(v).trim(); });
  return out;
}

function toIso(local) {
  if (!local) return '';
  var d = new Date(local);
  return isNaN(d.getTime()) ? '' : d.toISOString();
}

/** A list page: fetches PAGE + 1 rows to know whether there is a next page. */
function Pager(id, load) {
  this.id = id;
  this.page = 0;
  this.load = load;
}
Pager.prototype.render = function (rows) {
  var self = this;
  var hasNext = rows.length > PAGE;
  var prev = button('Previous', '', function () { self.page--; self.load(); });
  var next = button('Next', '', function () { self.page++; self.load(); });
  prev.disabled = this.page === 0;
  next.disabled = !hasNext;
  fill(this.id, this.page === 0 && !hasNext ? [] : [prev, el('span', '', 'Page ' + (this.page + 1)), next]);
  return rows.slice(0, PAGE);
};
Pager.prototype.query = function () { return { limit: PAGE + 1, offset: this.page * PAGE }; };

/** Opens a modal dialog; focus goes back to where it was when it closes. */
function openDialog(dialog) {
  var back = document.activeElement;
  // The close event comes a task after the dialog closed: focus goes back only if it has not moved on meanwhile.
  dialog.addEventListener('close', function () {
    var now = document.activeElement;
    if (back && back.focus && (!now || now === document.body || dialog.contains(now))) back.focus();
  }, { once: true });
  dialog.showModal();
}

/** The confirmation every action goes through: resolves true only when Confirm is pressed. */
function confirmAction(title, text, okLabel) {
  return new Promise(function (resolve) {
    var d = $('confirm-dialog');
    var answered = false;
    $('confirm-title').textContent = title;
    $('confirm-text').textContent = text;
    $('confirm-ok').textContent = okLabel || 'Confirm';
    function answer(value) {
      if (answered) return;
      answered = true;
      $('confirm-ok').onclick = null;
      $('confirm-cancel').onclick = null;
      if (d.open) d.close();
      resolve(value);
    }
    $('confirm-ok').onclick = function () { answer(true); };
    $('confirm-cancel').onclick = function () { answer(false); };
    d.addEventListener('close', function () { answer(false); }, { once: true });
    openDialog(d);
    $('confirm-cancel').focus();
  });
}

/** Runs the async tasks with at most n at a time. */
async function limited(tasks, n) {
  var i = 0;
  async function worker() { while (i < tasks.length) { var t = tasks[i++]; await t().catch(function () { return undefined; }); } }
  var workers = [];
  for (var k = 0; k < Math.min(n, tasks.length); k++) workers.push(worker());
  await Promise.all(workers);
}
`;

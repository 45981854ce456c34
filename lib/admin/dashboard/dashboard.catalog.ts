/*
 * The event catalog part of the dashboard: a section listing each catalogued event type with its description, its
 * JSON Schema and its example, and a "Send example" button that test-sends the example to a subscription receiving
 * that type (`POST subscriptions/:id/test` with `{ event_type }`). Self-contained (its own style, script and markup,
 * included by dashboard.page.ts) and hidden when the app has no catalog. Values go into the DOM as text only.
 */

/** Style of the catalog section. */
export const CATALOG_STYLE = `
.catalog-type { padding: 10px 16px; border-bottom: 1px solid #eaeef2; }
.catalog-type:last-child { border-bottom: 0; }
.catalog-type .catalog-head { display: flex; align-items: baseline; gap: 12px; flex-wrap: wrap; }
.catalog-type .catalog-name { font-weight: 600; }
.catalog-type .catalog-desc { color: var(--muted); }
.catalog-type details { margin-top: 6px; }
.catalog-type summary { cursor: pointer; color: var(--muted); font-size: 12px; }
.catalog-type pre { margin: 4px 0 0; padding: 8px 10px; background: var(--bg); border: 1px solid var(--line); border-radius: 6px;
  max-height: 320px; overflow: auto; font-size: 12px; }
.catalog-send-row { display: flex; align-items: center; gap: 8px; margin-top: 8px; flex-wrap: wrap; font-size: 13px; }
.catalog-send-row select { font: inherit; font-size: 13px; padding: 3px 6px; border: 1px solid var(--line); border-radius: 6px; max-width: 480px; }
.catalog-result.ok { color: var(--ok); }
.catalog-result.bad { color: var(--bad); }
#catalog-error { color: var(--bad); }
`;

/** Markup of the catalog section (placed in the dashboard's main column). */
export const CATALOG_SECTION = `
  <section id="catalog-section" hidden>
    <h2>Event catalog <span class="count" id="catalog-count"></span></h2>
    <p class="empty" id="catalog-error" hidden></p>
    <div id="catalog-list"></div>
  </section>
`;

/** Script of the catalog section: loads the catalog and the subscriptions, sends examples. */
export const CATALOG_SCRIPT = `
(function () {
  'use strict';
  var base = location.pathname.replace(/\\/ui\\/?$/, '/');
  var $ = function (id) { return document.getElementById(id); };

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  async function api(path, init) {
    var res = await fetch(base + path, Object.assign({ credentials: 'same-origin', headers: { accept: 'application/json', 'content-type': 'application/json' } }, init || {}));
    var text = await res.text();
    var body = null;
    try { body = text ? JSON.parse(text) : null; } catch (e) { body = null; }
    if (!res.ok) {
      var message = body && body.message ? (Array.isArray(body.message) ? body.message.join('; ') : String(body.message)) : 'HTTP ' + res.status;
      throw new Error(message);
    }
    return body;
  }

  // The module's wildcardMatches (lib/domain/event-type.ts): '*' is any run of characters. No RegExp, which would
  // backtrack exponentially on a pattern of many stars: the first piece starts the type, the last ends it, and
  // each piece between is found after the previous one.
  function wildcardMatches(pattern, type) {
    var pieces = pattern.split('*');
    if (pieces.length === 1) return pattern === type;
    var first = pieces[0];
    var last = pieces[pieces.length - 1];
    if (type.length < first.length + last.length || type.slice(0, first.length) !== first || type.slice(type.length - last.length) !== last) return false;
    var end = type.length - last.length;
    var from = first.length;
    for (var i = 1; i < pieces.length - 1; i++) {
      if (pieces[i] === '') continue;
      var at = type.indexOf(pieces[i], from);
      if (at === -1 || at + pieces[i].length > end) return false;
      from = at + pieces[i].length;
    }
    return true;
  }

  // A subscription receives a type when event_types is null or one pattern matches.
  function receives(sub, type) {
    if (sub.event_types === null) return true;
    return sub.event_types.some(function (p) { return wildcardMatches(p, type); });
  }

  function block(title, value, className, open) {
    var details = el('details');
    details.open = !!open;
    details.appendChild(el('summary', null, title));
    details.appendChild(el('pre', 'mono ' + className, JSON.stringify(value, null, 2)));
    return details;
  }

  async function send(button, select, result, type) {
    button.disabled = true;
    result.className = 'catalog-result';
    result.textContent = 'Sending\\u2026';
    try {
      var a = await api('subscriptions/' + encodeURIComponent(select.value) + '/test', { method: 'POST', body: JSON.stringify({ event_type: type }) });
      result.className = 'catalog-result ' + (a.status === 'delivered' ? 'ok' : 'bad');
      result.textContent = a.status + (a.status_code ? ' (' + a.status_code + ')' : '') + ', ' + a.duration_ms + ' ms' + (a.error_message ? ': ' + a.error_message : '');
      var refresh = $('refresh');
      if (refresh) refresh.click();
    } catch (err) {
      result.className = 'catalog-result bad';
      result.textContent = 'Test send failed: ' + (err && err.message ? err.message : String(err));
    } finally {
      button.disabled = false;
    }
  }

  function render(types, subs) {
    var list = $('catalog-list');
    var blocks = types.map(function (t) {
      var div = el('div', 'catalog-type');
      div.dataset.eventType = t.event_type;
      var head = el('div', 'catalog-head');
      head.appendChild(el('code', 'catalog-name', t.event_type));
      if (t.description) head.appendChild(el('span', 'catalog-desc', t.description));
      div.appendChild(head);
      div.appendChild(block('JSON Schema', t.schema, 'catalog-schema', false));
      if (t.example !== null) div.appendChild(block('Example', t.example, 'catalog-example', true));
      var row = el('div', 'catalog-send-row');
      var targets = subs.filter(function (s) { return receives(s, t.event_type); });
      if (t.example === null) row.appendChild(el('span', 'reason', 'No example to test-send.'));
      else if (targets.length === 0) row.appendChild(el('span', 'reason', 'No subscription receives this type.'));
      else {
        var select = el('select', 'catalog-sub');
        select.setAttribute('aria-label', 'Subscription to send the example of ' + t.event_type + ' to');
        targets.forEach(function (s) {
          var option = el('option', null, s.url + (s.active ? '' : ' (inactive)'));
          option.value = s.subscription_id;
          select.appendChild(option);
        });
        var button = el('button', 'catalog-send', 'Send example');
        button.type = 'button';
        var result = el('span', 'catalog-result');
        result.setAttribute('aria-live', 'polite');
        button.addEventListener('click', function () { send(button, select, result, t.event_type); });
        row.appendChild(select);
        row.appendChild(button);
        row.appendChild(result);
      }
      div.appendChild(row);
      return div;
    });
    list.replaceChildren.apply(list, blocks);
    $('catalog-count').textContent = '(' + types.length + ')';
    $('catalog-section').hidden = types.length === 0;
  }

  function load() {
    return Promise.all([api('event-types'), api('subscriptions?limit=500')])
      .then(function (r) {
        $('catalog-error').hidden = true;
        render(r[0], r[1]);
      })
      .catch(function (err) {
        $('catalog-section').hidden = false;
        $('catalog-error').hidden = false;
        $('catalog-error').textContent = 'Could not load the event catalog: ' + (err && err.message ? err.message : String(err));
      });
  }

  var refresh = $('refresh');
  if (refresh) refresh.addEventListener('click', function (e) { if (e.isTrusted) load(); });
  load();
})();
`;

/**
 * The endpoint form (add or edit): URL, description, the event types picked from the catalog (each with its
 * description and example payload) or typed as patterns, custom headers and a payload filter. Header values are
 * masked by the API, so an edit leaves them as they are unless new ones are typed (or removal is ticked).
 */
export const SCRIPT_FORM = String.raw`
var catalog = [];

async function loadCatalog() {
  catalog = await api('event-types');
}

/** One checkbox per catalogued type, with its description and example. */
function typeOption(t, checked) {
  var box = el('div', 'type-option');
  var label = el('label', 'check');
  var input = el('input');
  input.type = 'checkbox';
  input.name = 'type';
  input.value = t.event_type;
  input.checked = checked;
  label.appendChild(input);
  label.appendChild(el('code', '', t.event_type));
  box.appendChild(label);
  if (t.description) box.appendChild(el('span', 'desc', t.description));
  if (t.example !== null && t.example !== undefined) {
    var d = el('details');
    d.appendChild(el('summary', '', 'Example payload'));
    d.appendChild(el('pre', 'mono', JSON.stringify(t.example, null, 2)));
    box.appendChild(d);
  }
  return box;
}

function parseHeaders(text) {
  var out = {};
  text.split('\n').map(function (l) { return l.trim(); }).filter(Boolean).forEach(function (line) {
    var at = line.indexOf(':');
    if (at < 1) throw new Error('custom headers: write each as Name: value (line "' + line + '")');
    out[line.slice(0, at).trim()] = line.slice(at + 1).trim();
  });
  return out;
}

function parseFilter(text) {
  try { return JSON.parse(text); } catch (e) { throw new Error('payload filter: not valid JSON (' + e.message + ')'); }
}

/** The request body from the form, for a new endpoint (sub null) or an edit. Throws on malformed input. */
function endpointBody(form, sub) {
  var f = formValues(form);
  var picked = Array.prototype.slice.call(form.querySelectorAll('input[name=type]:checked')).map(function (i) { return i.value; });
  var typed = f.patterns ? f.patterns.split(',').map(function (t) { return t.trim(); }).filter(Boolean) : [];
  var types = form.elements.all_types.checked ? null : picked.concat(typed);
  if (types && types.length === 0) throw new Error('pick at least one event type, or tick All event types');
  var body = { url: f.url, event_types: types, description: f.description || null };
  if (f.headers) body.headers = parseHeaders(f.headers);
  else if (sub && form.elements.clear_headers.checked) body.headers = null;
  if (f.filter) body.filter = parseFilter(f.filter);
  else if (sub && sub.filter) body.filter = null;
  return body;
}

/** Opens the form; resolves with the saved endpoint, or null when it is cancelled or refused. */
function editEndpoint(sub) {
  var form = $('endpoint-form');
  form.reset();
  $('endpoint-title').textContent = sub ? 'Edit endpoint' : 'Add an endpoint';
  $('endpoint-form-error').textContent = '';
  var chosen = sub && sub.event_types ? sub.event_types : [];
  var known = catalog.map(function (t) { return t.event_type; });
  fill('type-picker', catalog.map(function (t) { return typeOption(t, chosen.indexOf(t.event_type) >= 0); }));
  form.elements.all_types.checked = !!sub && sub.event_types === null;
  var headerNames = sub ? Object.keys(sub.headers || {}) : [];
  $('headers-hint').textContent = headerNames.length ? 'now ' + headerNames.join(', ') + '; leave empty to keep them, or type all of them again (Name: value per line)' : 'one per line, Name: value';
  $('clear-headers-field').hidden = headerNames.length === 0;
  if (sub) {
    form.elements.url.value = sub.url;
    form.elements.description.value = sub.description || '';
    form.elements.patterns.value = chosen.filter(function (t) { return known.indexOf(t) < 0; }).join(', ');
    form.elements.filter.value = sub.filter ? JSON.stringify(sub.filter) : '';
  }
  openDialog($('endpoint-dialog'));
  return new Promise(function (resolve) {
    var done = function (value) { form.onsubmit = null; if ($('endpoint-dialog').open) $('endpoint-dialog').close(); resolve(value); };
    $('endpoint-cancel').onclick = function () { done(null); };
    $('endpoint-dialog').oncancel = function () { done(null); };
    form.onsubmit = async function (e) {
      e.preventDefault();
      $('endpoint-form-error').textContent = '';
      $('endpoint-save').disabled = true;
      try {
        var body = endpointBody(form, sub);
        done(sub ? await api('subscriptions/' + encodeURIComponent(sub.subscription_id), { method: 'PATCH', json: body }) : await api('subscriptions', { method: 'POST', json: body }));
      } catch (err) {
        // a refusal stays in the form, next to what to fix
        $('endpoint-form-error').textContent = err && err.message ? err.message : String(err);
        if (ended()) done(null);
      } finally {
        $('endpoint-save').disabled = false;
      }
    };
  });
}

$('new-endpoint').addEventListener('click', async function () {
  var created = await editEndpoint(null);
  if (!created) return;
  secrets[created.subscription_id] = created.secret;
  state.urls[created.subscription_id] = created.url;
  location.hash = '#/endpoints/' + encodeURIComponent(created.subscription_id);
  showSecret(created.public_key || created.secret, created.public_key
    ? 'Endpoint added. Your receiver verifies its ed25519 signatures with this public key (also shown on the endpoint page).'
    : 'Endpoint added. Copy its signing secret now and give it to your receiver: it is shown in full only this once.');
});
$('edit-endpoint').addEventListener('click', async function () {
  if (await editEndpoint(current)) { showMessage('info', 'Endpoint saved.'); await loadEndpoint(current.subscription_id); }
});
`;

/**
 * One endpoint's page: its settings, its signing secret (masked; revealed on request when this page has it, that
 * is after a create or a rotation in this session, since the API shows a secret only then), its charts, its
 * attempts, and the actions on it: edit, turn off or on, send a test or a catalogued example, rotate the secret,
 * redeliver what failed since a time, delete. Every action asks first.
 */
export const SCRIPT_ENDPOINT = String.raw`
var current = null;
var secrets = {};
var endpointLog = new AttemptList('endpoint-log', false, function () { return { subscription_id: current ? current.subscription_id : '' }; });

function headerList(headers) {
  var names = Object.keys(headers || {});
  return names.length ? names.map(function (n) { return n + ': ' + headers[n]; }).join('\n') : 'none';
}

/** The secret, masked, with a Reveal button (read-write sessions only). */
function secretNode(s) {
  var row = el('span', 'secret-row');
  row.appendChild(el('code', 'mono', s.public_key ? s.public_key : s.secret));
  if (!s.public_key) row.appendChild(button('Reveal', 'link act', function () { revealSecret(s); }));
  return row;
}

function revealSecret(s) {
  var known = secrets[s.subscription_id];
  showSecret(known || null, known
    ? 'The signing secret of this endpoint. Your receiver verifies each webhook\'s signature with it.'
    : 'The full secret is shown only once: when the endpoint is created and when its secret is rotated. If you no longer have it, rotate the secret to get a new one (the old one keeps working for a grace period).');
}

function showSecret(secret, text) {
  $('secret-text').textContent = text;
  $('secret-value').textContent = secret || '';
  $('secret-value').hidden = !secret;
  $('secret-copy').hidden = !secret;
  $('secret-copy').textContent = 'Copy';
  openDialog($('secret-dialog'));
}

async function loadEndpoint(id) {
  var r = await fetchEndpoint(id);
  var s = r[0];
  current = s;
  $('endpoint-meta').textContent = s.description || '';
  $('toggle-endpoint').textContent = s.active ? 'Turn off' : 'Turn on';
  detail('endpoint-detail', [
    ['State', stateNode(s)],
    ['Events', s.event_types ? s.event_types.join(', ') : 'all event types', 'mono'],
    [s.public_key ? 'Public key (ed25519)' : 'Signing secret', secretNode(s)],
    ['Custom headers', headerList(s.headers), 'mono pre'],
    ['Payload filter', s.filter ? JSON.stringify(s.filter) : 'none', 'mono'],
    ['Created', fmtTime(s.created_at)],
    ['Endpoint id', s.subscription_id, 'mono'],
  ]);
  var stats = Object.assign({ window: state.window, bucket: '' }, r[1]);
  renderStats('endpoint', stats, [card('State', s.active ? 'on' : 'off', s.active ? 'good' : 'alert')]);
  fillExamples(s);
  await endpointLog.load();
}

/** Whether a subscription pattern (* is any run of characters) matches a type, in linear time: no RegExp. */
function matches(pattern, type) {
  var pieces = pattern.split('*');
  var last = pieces.pop();
  if (pieces.length === 0) return pattern === type;
  var at = pieces[0].length;
  var end = type.length - last.length;
  if (end < at || type.slice(0, at) !== pieces[0] || type.slice(end) !== last) return false;
  return pieces.slice(1).every(function (p) { var i = type.indexOf(p, at); at = i + p.length; return i >= 0 && at <= end; });
}

/** The catalogued types this endpoint receives that have an example, for "Send example". */
function fillExamples(s) {
  var types = catalog.filter(function (t) {
    return t.example !== null && t.example !== undefined && (s.event_types === null || s.event_types.some(function (p) { return matches(p, t.event_type); }));
  });
  fill('example-type', types.map(function (t) { var o = el('option', '', t.event_type); o.value = t.event_type; return o; }));
  $('example-row').hidden = types.length === 0;
}

/** An action on the current endpoint: confirmed, sent, then the page reloads. */
async function act(title, text, label, run) {
  var s = current;
  if (!(await confirmAction(title, text, label))) return;
  try {
    await run(s);
    await loadEndpoint(s.subscription_id);
  } catch (err) {
    fail(err, title.replace('?', '') + ' failed');
  }
}

function post(s, path, json) { return api('subscriptions/' + encodeURIComponent(s.subscription_id) + '/' + path, { method: 'POST', json: json || {} }); }

function sentMessage(what, a) {
  showMessage(a.status === 'delivered' ? 'info' : 'error', what + ': ' + a.status.replace('_', ' ') + (a.status_code ? ' (HTTP ' + a.status_code + ')' : '') + (a.error_message ? ', ' + a.error_message : '') + '.');
}

$('toggle-endpoint').addEventListener('click', function () {
  var on = !current.active;
  act(on ? 'Turn this endpoint on?' : 'Turn this endpoint off?', on ? 'Send events to ' + current.url + ' again.' : 'Stop sending events to ' + current.url + ' until you turn it on again.', on ? 'Turn on' : 'Turn off', async function (s) {
    await post(s, on ? 'activate' : 'deactivate');
    showMessage('info', on ? 'Endpoint turned on.' : 'Endpoint turned off.');
  });
});
$('send-test').addEventListener('click', function () {
  act('Send a test event?', 'Send a signed webhook.test event to ' + current.url + ' now.', 'Send', async function (s) { sentMessage('Test event', await post(s, 'test')); });
});
$('send-example').addEventListener('click', function () {
  var type = $('example-type').value;
  act('Send an example?', 'Send the catalog\'s example of ' + type + ' to ' + current.url + ' now.', 'Send', async function (s) { sentMessage('Example of ' + type, await post(s, 'test', { event_type: type })); });
});
$('rotate-secret').addEventListener('click', function () {
  act('Rotate the signing secret?', 'Create a new secret for ' + current.url + '. The old one keeps signing for a grace period, so you can update your receiver.', 'Rotate', async function (s) {
    var r = await post(s, 'rotate-secret');
    secrets[s.subscription_id] = r.secret;
    showSecret(r.secret, 'The new signing secret. Copy it now and give it to your receiver: it is shown only this once.');
  });
});
$('delete-endpoint').addEventListener('click', async function () {
  var s = current;
  if (!(await confirmAction('Delete this endpoint?', 'Stop sending to ' + s.url + ' and delete it with its settings. This cannot be undone.', 'Delete'))) return;
  try {
    await api('subscriptions/' + encodeURIComponent(s.subscription_id), { method: 'DELETE' });
    location.hash = '#/';
    showMessage('info', 'Endpoint deleted.');
  } catch (err) {
    fail(err, 'Delete failed');
  }
});
$('redrive-endpoint').addEventListener('click', function () {
  $('redrive-form').reset();
  $('redrive-scope').textContent = 'Send again every event that ' + current.url + ' failed to receive (all retries used up) since the time you pick.';
  openDialog($('redrive-dialog'));
});
$('redrive-cancel').addEventListener('click', function () { $('redrive-dialog').close(); });
$('redrive-form').addEventListener('submit', function (e) {
  e.preventDefault();
  var since = toIso(formValues(e.target).since);
  $('redrive-dialog').close();
  act('Redeliver failed events?', 'Send again every event ' + current.url + ' failed to receive since ' + fmtTime(since) + ', each with a fresh round of retries.', 'Redeliver', async function (s) {
    var r = await api('dead-letters/redrive', { method: 'POST', json: { subscription_id: s.subscription_id, since: since } });
    showMessage('info', 'Redelivering ' + r.requeued + ' failed event' + (r.requeued === 1 ? '' : 's') + '.');
  });
});
$('secret-close').addEventListener('click', function () { $('secret-dialog').close(); });
$('secret-dialog').addEventListener('close', function () { $('secret-value').textContent = ''; });
$('secret-copy').addEventListener('click', function () {
  if (navigator.clipboard) navigator.clipboard.writeText($('secret-value').textContent).then(function () { $('secret-copy').textContent = 'Copied'; }, function () { return undefined; });
});
`;

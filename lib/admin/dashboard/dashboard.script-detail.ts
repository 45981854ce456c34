/**
 * An endpoint's page (its health, its attempts, and the actions on it: edit, activate or deactivate, rotate the
 * secret, send a test event, redrive its dead letters) and an attempt's page (what was sent, what came back,
 * redeliver), the create/edit form, and the router that shows one view per URL hash.
 */
export const SCRIPT_DETAIL = String.raw`
var current = null;
var endpointAttempts = new AttemptList('endpoint-attempts', false, function () { return { subscription_id: current ? current.subscription_id : '' }; });

async function loadEndpoint(id) {
  var r = await fetchEndpoint(id);
  var s = r[0];
  current = s;
  $('endpoint-meta').textContent = (s.description ? s.description + ' \u00b7 ' : '') + 'id ' + s.subscription_id;
  $('toggle-endpoint').textContent = s.active ? 'Deactivate' : 'Activate';
  $('toggle-endpoint').className = s.active ? 'danger' : 'primary';
  var stateNode = el('span');
  stateNode.appendChild(s.active ? badge('active', 'active') : badge('disabled', 'disabled'));
  if (!s.active && s.disabled_reason) stateNode.appendChild(el('span', 'reason', s.disabled_reason));
  detail('endpoint-detail', [
    ['State', stateNode],
    ['Event types', s.event_types ? s.event_types.join(', ') : 'all events', 'mono'],
    ['Tenant', s.tenant_id, 'mono'],
    ['Delivery', controlsSummary(s)],
    ['Signature', s.signature_type === 'ed25519' ? 'ed25519 (v1a)' : 'HMAC-SHA256 (v1)'],
    s.public_key ? ['Public key', s.public_key, 'mono'] : null,
    ['Secret', s.secret + (s.previous_secret_expires_at ? ' (previous secret signs until ' + fmtTime(s.previous_secret_expires_at) + ')' : ''), 'mono'],
    ['Created', fmtTime(s.created_at)],
  ].filter(Boolean));
  renderStats('endpoint', r[1], [card('State', s.active ? 'active' : 'disabled', s.active ? 'good' : 'alert')]);
  await endpointAttempts.load();
}

/** The endpoint's own delivery controls, in a few words (the module's settings where it has none). */
function controlsSummary(s) {
  var parts = [];
  if (s.ordered) parts.push('ordered by key');
  if (s.rate_limit_per_second != null) parts.push('at most ' + s.rate_limit_per_second + '/s');
  if (s.max_concurrent_per_endpoint != null) parts.push(s.max_concurrent_per_endpoint + ' in flight');
  if (s.retry_max_attempts != null) parts.push(s.retry_max_attempts + ' tries');
  if (s.delivery_timeout_seconds != null) parts.push(s.delivery_timeout_seconds + ' s timeout');
  if (s.filter) parts.push('payload filter ' + JSON.stringify(s.filter));
  var headers = Object.keys(s.headers || {});
  if (headers.length) parts.push('headers ' + headers.join(', '));
  return parts.length ? parts.join('; ') : 'module settings';
}

async function loadAttempt(id) {
  var a = await api('deliveries/' + encodeURIComponent(id));
  current = a;
  attemptHead(a);
  $('attempt-title').textContent = a.event_type + ' \u2192 attempt ' + a.attempt_number;
  detail('attempt-detail', [
    ['Status', badge(a.status)],
    ['Attempted', fmtTime(a.attempted_at)],
    ['HTTP status', a.status_code],
    ['Duration', a.duration_ms + ' ms'],
    ['Next retry', a.next_retry_at ? fmtTime(a.next_retry_at) : ''],
    ['Event', a.event_id, 'mono'],
    ['Delivery now', a.delivery ? a.delivery.status.replace('_', ' ') + ' (' + a.delivery.attempts + ' attempt' + (a.delivery.attempts === 1 ? '' : 's') + ' in this cycle)' : 'purged'],
    ['Attempt id', a.attempt_id, 'mono'],
  ]);
  // error_message holds what went wrong: 'HTTP 500: <start of the body>', a timeout, a refusal...
  $('attempt-response').textContent = a.error_message ? a.error_message : a.status_code !== null ? 'HTTP ' + a.status_code + ' (the body of a successful answer is not kept)' : 'No response.';
  $('attempt-payload').textContent = a.payload === null ? 'The event was purged (delivery_log_retention_days).' : JSON.stringify(a.payload, null, 2);
  $('redeliver-attempt').disabled = a.payload === null;
}

/** Create (no id) or edit a subscription through the form dialog; resolves with the saved subscription, or null. */
function editEndpoint(sub) {
  var form = $('endpoint-form');
  form.reset();
  $('endpoint-dialog-title').textContent = sub ? 'Edit endpoint' : 'New endpoint';
  $('tenant-field').hidden = !!sub;
  // Changing it on an existing endpoint replaces its secret: that is a rotation, not an edit.
  $('signature-field').hidden = !!sub;
  $('endpoint-form-error').textContent = '';
  if (sub) {
    form.elements.url.value = sub.url;
    form.elements.event_types.value = sub.event_types ? sub.event_types.join(', ') : '';
    form.elements.description.value = sub.description || '';
  }
  openDialog($('endpoint-dialog'));
  return new Promise(function (resolve) {
    var submitted = false;
    // closed without Save (Cancel, Escape): nothing to do
    $('endpoint-dialog').addEventListener('close', function () { if (!submitted) resolve(null); }, { once: true });
    form.onsubmit = async function (e) {
      e.preventDefault();
      submitted = true;
      var f = formValues(form);
      var types = f.event_types ? f.event_types.split(',').map(function (t) { return t.trim(); }).filter(Boolean) : null;
      var body = { url: f.url, event_types: types, description: f.description || null };
      if (!sub && f.tenant_id) body.tenant_id = f.tenant_id;
      if (!sub && f.signature_type) body.signature_type = f.signature_type;
      $('endpoint-dialog').close();
      var ok = await confirmAction(sub ? 'Save changes?' : 'Create this endpoint?', (sub ? 'Update ' + sub.url + ' to ' : 'Create an endpoint for ') + f.url + ', receiving ' + (types ? types.join(', ') : 'every event type') + '.', sub ? 'Save' : 'Create');
      if (!ok) return resolve(null);
      try {
        resolve(sub ? await api('subscriptions/' + encodeURIComponent(sub.subscription_id), { method: 'PATCH', json: body }) : await api('subscriptions', { method: 'POST', json: body }));
      } catch (err) {
        fail(err, sub ? 'Saving the endpoint failed' : 'Creating the endpoint failed');
        resolve(null);
      }
    };
    $('endpoint-cancel').onclick = function () { $('endpoint-dialog').close(); };
  });
}

/** After a create or rotation: an HMAC secret to hand over once, or the public key of an ed25519 endpoint. */
function showSecret(s) {
  $('secret-title').textContent = s.public_key ? 'Public key' : 'Signing secret';
  $('secret-text').textContent = s.public_key
    ? 'Give this public key to the receiver: it verifies the ed25519 signatures with it. The signing key stays here; the public key is shown on the endpoint page too.'
    : 'Give this secret to the receiver now: it is not shown again.';
  $('secret-value').textContent = s.public_key || s.secret;
  openDialog($('secret-dialog'));
}

/** An action on the current endpoint: confirmed, sent, then the page reloads. */
async function endpointAction(title, text, label, path, done) {
  var s = current;
  if (!(await confirmAction(title, text, label))) return;
  try {
    var r = await api('subscriptions/' + encodeURIComponent(s.subscription_id) + '/' + path, { method: 'POST' });
    if (done) done(r);
    await loadEndpoint(s.subscription_id);
  } catch (err) {
    fail(err, title.replace('?', '') + ' failed');
  }
}

$('new-endpoint').addEventListener('click', async function () {
  var created = await editEndpoint(null);
  if (!created) return;
  state.urls[created.subscription_id] = created.url;
  location.hash = '#/endpoints/' + encodeURIComponent(created.subscription_id);
  showSecret(created);
});
$('edit-endpoint').addEventListener('click', async function () {
  if (await editEndpoint(current)) { showMessage('info', 'Endpoint saved.'); await loadEndpoint(current.subscription_id); }
});
$('toggle-endpoint').addEventListener('click', function () {
  var s = current;
  if (s.active) endpointAction('Deactivate this endpoint?', 'Stop sending to ' + s.url + '. Its pending deliveries are cancelled when they come due.', 'Deactivate', 'deactivate', function () { showMessage('info', 'Endpoint deactivated.'); });
  else endpointAction('Activate this endpoint?', 'Send events to ' + s.url + ' again.', 'Activate', 'activate', function () { showMessage('info', 'Endpoint activated.'); });
});
$('rotate-secret').addEventListener('click', function () {
  endpointAction('Rotate the secret?', 'Generate a new signing secret for ' + current.url + '. The old one keeps signing during the grace period.', 'Rotate', 'rotate-secret', function (r) { showSecret(r); });
});
$('send-test').addEventListener('click', function () {
  endpointAction('Send a test event?', 'Send a signed webhook.test event to ' + current.url + ' now.', 'Send', 'test', function (r) { showMessage('info', 'Test event sent' + (r && r.status ? ': ' + r.status.replace('_', ' ') + (r.status_code ? ' (HTTP ' + r.status_code + ')' : '') : '.')); });
});
$('redrive-endpoint').addEventListener('click', function () { openRedrive(current.subscription_id); });
$('redeliver-attempt').addEventListener('click', function () { redeliver(current, $('redeliver-attempt')); });
$('secret-close').addEventListener('click', function () { $('secret-dialog').close(); $('secret-value').textContent = ''; });
$('secret-copy').addEventListener('click', function () {
  if (navigator.clipboard) navigator.clipboard.writeText($('secret-value').textContent).then(function () { $('secret-copy').textContent = 'Copied'; }, function () { return undefined; });
});
`;

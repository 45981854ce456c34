/**
 * An attempt's page (what was sent, what came back, redeliver), the router (one view per URL hash: `#/`,
 * `#/endpoints/<id>`, `#/attempts/<id>`; the session token has left the hash before it runs) and the start: the
 * session first (read-only or not, when it ends), then the catalog and the view.
 */
export const SCRIPT_BOOT = String.raw`
var attempt = null;

async function loadAttempt(id) {
  var a = await api('deliveries/' + encodeURIComponent(id));
  attempt = a;
  attemptHead(a);
  $('attempt-title').textContent = a.event_type + ', try ' + a.attempt_number;
  detail('attempt-detail', [
    ['Status', badge(a.status)],
    ['Sent', fmtTime(a.attempted_at)],
    ['Response code', a.status_code],
    ['Took', a.duration_ms + ' ms'],
    ['Next try', a.next_retry_at ? fmtTime(a.next_retry_at) : ''],
    ['Event id', a.event_id, 'mono'],
    ['Attempt id', a.attempt_id, 'mono'],
  ]);
  // error_message holds what went wrong: 'HTTP 500: <start of the body>', a timeout, a refused address...
  $('attempt-response').textContent = a.error_message || (a.status_code !== null ? 'HTTP ' + a.status_code + ' (the body of a successful answer is not kept)' : 'No response.');
  $('attempt-payload').textContent = a.payload === null ? 'Not kept: test sends are not stored, and old events are purged.' : JSON.stringify(a.payload, null, 2);
  $('redeliver-attempt').disabled = a.payload === null;
}

$('redeliver-attempt').addEventListener('click', async function () {
  var a = attempt;
  if (!(await confirmAction('Redeliver this event?', 'Send ' + a.event_type + ' (event ' + a.event_id + ') to ' + endpointLabel(a.subscription_id) + ' again, with a fresh round of retries.', 'Redeliver'))) return;
  $('redeliver-attempt').disabled = true;
  try {
    await api('deliveries/' + encodeURIComponent(a.attempt_id) + '/redeliver', { method: 'POST' });
    showMessage('info', 'Redelivery queued: it appears in the attempt log when sent.');
  } catch (err) {
    fail(err, 'Redeliver failed');
  } finally {
    $('redeliver-attempt').disabled = false;
  }
});

var VIEWS = { overview: loadOverview, endpoint: loadEndpoint, attempt: loadAttempt };
var view = { name: 'overview', id: null };
var loading = null;

function route() {
  var m = /^#\/(endpoints|attempts)\/(.+)$/.exec(location.hash);
  view = m ? { name: m[1] === 'endpoints' ? 'endpoint' : 'attempt', id: decodeURIComponent(m[2]) } : { name: 'overview', id: null };
  Object.keys(VIEWS).forEach(function (v) { $('view-' + v).hidden = v !== view.name; });
}

/** Loads the current view; asked again while a load runs (a click on a link), it loads once more after it. */
var again = false;
function refresh() {
  if (ended()) return Promise.resolve();
  if (loading) { again = true; return loading; }
  $('refresh').disabled = true;
  loading = VIEWS[view.name](view.id)
    .then(function () { $('updated').textContent = 'Updated ' + new Date().toLocaleTimeString(); })
    .catch(function (err) { fail(err); })
    .finally(function () {
      loading = null;
      $('refresh').disabled = false;
      if (again) { again = false; refresh(); }
    });
  return loading;
}

window.addEventListener('hashchange', function () {
  if (ended()) return;
  route();
  if ($('message').className === 'error') showMessage('', '');
  window.scrollTo(0, 0);
  $('main').focus();
  refresh();
});
$('refresh').addEventListener('click', function () { refresh(); });
$('window').addEventListener('change', function (e) { state.window = e.target.value; refresh(); });

loadSession()
  .then(function () { return loadCatalog().catch(function (err) { fail(err, 'Could not load the event types'); }); })
  .then(function () { route(); return refresh(); })
  .catch(function (err) { fail(err); });
`;

/**
 * The overview: every endpoint's attempts together (cards, charts, queue), the endpoints page by page with each
 * one's health in the window, the dead letters (redeliver one, or redrive a time range), and the attempt log with
 * filters. Lists load a page at a time from the server: nothing is loaded whole.
 */
export const SCRIPT_OVERVIEW = String.raw`
var endpointsPager = new Pager('endpoints-pager', function () { return loadEndpoints(); });
var deadPager = new Pager('dead-letters-pager', function () { return loadDeadLetters(); });
var overviewAttempts = new AttemptList('attempts', true);

async function loadOverview() {
  var r = await Promise.all([api('stats?' + qs({ window: state.window })), api('health')]);
  var s = r[0];
  var h = r[1];
  var endpoints = el('span');
  endpoints.appendChild(el('span', '', h.active_subscriptions)).id = 'active_subscriptions';
  endpoints.appendChild(document.createTextNode(' of '));
  endpoints.appendChild(el('span', '', h.total_subscriptions)).id = 'total_subscriptions';
  var dead = el('span', '', h.dead_letter_count);
  dead.id = 'dead_letter_count';
  renderStats('overview', s, [], [
    card('Queue lag', fmtSeconds(s.queue_lag_seconds), s.queue_lag_seconds > 60 ? 'alert' : ''),
    card('Pending', s.pending.toLocaleString()),
    card('Dead letters', dead, h.dead_letter_count > 0 ? 'alert' : ''),
    card('Active endpoints', endpoints, h.active_subscriptions < h.total_subscriptions ? 'alert' : ''),
  ]);
  await Promise.all([loadEndpoints(), loadDeadLetters(), overviewAttempts.load()]);
}

async function loadEndpoints() {
  var f = formValues($('endpoint-filters'));
  var query = Object.assign({ event_type: f.event_type, active: f.state === '' ? '' : String(f.state === 'active') }, endpointsPager.query());
  var subs = endpointsPager.render(await api('subscriptions?' + qs(query)));
  var tasks = [];
  var rows = subs.map(function (s) {
    var tr = el('tr');
    tr.dataset.subscriptionId = s.subscription_id;
    tr.appendChild(endpointCell(s));
    var st = el('td');
    st.appendChild(s.active ? badge('active', 'active') : badge('disabled', 'disabled'));
    if (!s.active && s.disabled_reason) st.appendChild(el('span', 'reason', s.disabled_reason));
    tr.appendChild(st);
    var health = [cell('\u2026', 'num'), cell('\u2026', 'num'), cell('\u2026', 'time opt'), cell('\u2026', 'num opt')];
    health.forEach(function (td) { tr.appendChild(td); });
    var types = el('td', 'opt');
    (s.event_types || ['all events']).forEach(function (t) { types.appendChild(el('span', 'tag mono', t)); });
    tr.appendChild(types);
    tasks.push(async function () {
      var h = await api('subscriptions/' + encodeURIComponent(s.subscription_id) + '/stats?' + qs({ window: state.window }));
      health[0].textContent = h.attempts ? fmtPct(h.success_rate) : '\u2014';
      health[0].className = 'num' + (h.success_rate !== null && h.success_rate < 0.95 ? ' bad-text' : '');
      health[1].textContent = fmtMs(h.p95_ms);
      health[2].textContent = fmtAgo(h.last_success_at);
      health[2].title = h.last_success_at || '';
      health[3].textContent = String(h.consecutive_failures);
      health[3].className = 'num opt' + (h.consecutive_failures > 0 ? ' bad-text' : '');
    });
    return tr;
  });
  fill('endpoints-body', rows);
  $('endpoints-empty').hidden = rows.length > 0;
  $('endpoints-count').textContent = rows.length ? '(page ' + (endpointsPager.page + 1) + ')' : '';
  await limited(tasks, 6);
}

async function loadDeadLetters() {
  var list = deadPager.render(await api('dead-letters?' + qs(deadPager.query())));
  var rows = list.map(function (a) {
    var tr = el('tr');
    tr.dataset.attemptId = a.attempt_id;
    tr.appendChild(cell(link(fmtTime(a.attempted_at), '#/attempts/' + encodeURIComponent(a.attempt_id)), 'time', a.attempted_at));
    tr.appendChild(cell(a.event_type, 'mono'));
    tr.appendChild(cell(link(endpointLabel(a.subscription_id), '#/endpoints/' + encodeURIComponent(a.subscription_id)), 'url opt', a.subscription_id));
    tr.appendChild(cell(a.status_code, 'num'));
    tr.appendChild(cell(a.error_message, a.error_message ? 'err' : ''));
    var b = button('Redeliver', 'primary redeliver', function () { redeliver(a, b); });
    tr.appendChild(cell(b));
    return tr;
  });
  fill('dead-letters-body', rows);
  $('dead-letters-empty').hidden = rows.length > 0;
  $('dead-letters-count').textContent = rows.length ? '(page ' + (deadPager.page + 1) + ')' : '';
}

/** Redelivers one attempt's event, after a confirmation. */
async function redeliver(a, trigger) {
  var ok = await confirmAction('Redeliver this event?', 'Send ' + a.event_type + ' (event ' + a.event_id + ') to ' + endpointLabel(a.subscription_id) + ' again, with its original body and a fresh retry cycle.', 'Redeliver');
  if (!ok) return;
  if (trigger) trigger.disabled = true;
  try {
    await api('deliveries/' + encodeURIComponent(a.attempt_id) + '/redeliver', { method: 'POST' });
    showMessage('info', 'Redelivery queued for attempt ' + a.attempt_id + '.');
    [500, 1500, 4000].forEach(function (ms) { setTimeout(function () { refresh(); }, ms); });
  } catch (err) {
    if (trigger) trigger.disabled = false;
    fail(err, 'Redeliver failed');
  }
}

/** Redrive: a time range (and the endpoint, on its page), confirmed before anything is re-queued. */
var redriveFor = null;
function openRedrive(subscriptionId) {
  redriveFor = subscriptionId || null;
  $('redrive-scope').textContent = redriveFor ? 'Dead letters of ' + endpointLabel(redriveFor) + ' only.' : 'Dead letters of every endpoint. Leave a bound empty for no bound.';
  openDialog($('redrive-dialog'));
}

$('redrive-form').addEventListener('submit', async function (e) {
  e.preventDefault();
  var f = formValues(e.target);
  $('redrive-dialog').close();
  var body = { since: toIso(f.since) || undefined, until: toIso(f.until) || undefined, subscription_id: redriveFor || undefined };
  var range = (body.since ? 'from ' + fmtTime(body.since) : 'from the first') + ' ' + (body.until ? 'until ' + fmtTime(body.until) : 'until now');
  var ok = await confirmAction('Redrive dead letters?', 'Re-queue every dead letter ' + (redriveFor ? 'of ' + endpointLabel(redriveFor) + ' ' : '') + 'dead-lettered ' + range + '. Each is sent again with a fresh retry cycle.', 'Redrive');
  if (!ok) return;
  try {
    var r = await api('dead-letters/redrive', { method: 'POST', json: body });
    showMessage('info', 'Re-queued ' + r.requeued + ' dead letter' + (r.requeued === 1 ? '' : 's') + '.');
    refresh();
  } catch (err) {
    fail(err, 'Redrive failed');
  }
});
$('redrive-cancel').addEventListener('click', function () { $('redrive-dialog').close(); });
$('redrive-open').addEventListener('click', function () { openRedrive(null); });
$('endpoint-filters').addEventListener('submit', function (e) {
  e.preventDefault();
  endpointsPager.page = 0;
  loadEndpoints().catch(function (err) { fail(err, 'Could not filter the endpoints'); });
});
`;

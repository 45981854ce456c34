/**
 * The portal's first view: the tenant's endpoints, each with its health over the stats window (success rate, last
 * success, failures in a row) and its state, and the tenant's attempt log with filters. Lists load a page at a time.
 */
export const SCRIPT_OVERVIEW = String.raw`
var endpointsPager = new Pager('endpoints-pager', function () { return loadEndpoints(); });
var tenantLog = new AttemptList('log', true);

/** The state of an endpoint: a badge, and why the module turned it off when it did. */
function stateNode(s) {
  var node = el('span');
  node.appendChild(s.active ? badge('active', 'active') : badge('disabled', 'off'));
  if (!s.active && s.disabled_reason) node.appendChild(el('span', 'reason', s.disabled_reason));
  return node;
}

/** Fills an endpoints row's health cells from its stats. */
function showHealth(cells, h) {
  var rate = h.attempts ? fmtPct(h.success_rate) : 'no attempts';
  cells.rate.textContent = rate;
  cells.rate.classList.toggle('bad-text', h.success_rate !== null && h.success_rate < 0.95);
  cells.last.textContent = fmtAgo(h.last_success_at);
  cells.last.title = h.last_success_at || '';
  cells.failures.textContent = String(h.consecutive_failures);
  cells.failures.classList.toggle('bad-text', h.consecutive_failures > 0);
}

async function loadEndpoints() {
  var subs = endpointsPager.render(await api('subscriptions?' + qs(endpointsPager.query())));
  var tasks = subs.map(function (s) {
    var tr = el('tr');
    tr.dataset.subscriptionId = s.subscription_id;
    tr.appendChild(endpointCell(s));
    tr.appendChild(cell(stateNode(s)));
    var cells = { rate: cell('\u2026', 'num'), last: cell('\u2026', 'time opt'), failures: cell('\u2026', 'num') };
    tr.appendChild(cells.rate);
    tr.appendChild(cells.last);
    tr.appendChild(cells.failures);
    tr.load = async function () { showHealth(cells, await api('subscriptions/' + encodeURIComponent(s.subscription_id) + '/stats?' + qs({ window: state.window }))); };
    return tr;
  });
  fill('endpoints-body', tasks);
  $('endpoints-empty').hidden = tasks.length > 0;
  await limited(tasks.map(function (tr) { return tr.load; }), 4);
}

async function loadOverview() {
  await Promise.all([loadEndpoints(), tenantLog.load()]);
}
`;

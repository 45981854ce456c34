/**
 * The dashboard script's building blocks for stats and lists: stat cards, the two charts (inline SVG: delivery
 * volume as stacked bars, failure rate as a line) and the attempt and dead-letter tables.
 */
export const SCRIPT_VIEWS = String.raw`
function card(label, value, tone) {
  var c = el('div', 'card' + (tone ? ' ' + tone : ''));
  var num = el('div', 'num');
  if (value instanceof Node) num.appendChild(value);
  else num.textContent = value;
  c.appendChild(num);
  c.appendChild(el('div', 'label', label));
  return c;
}

/** The cards of a stats answer, with extra ones before and after. */
function renderCards(id, s, before, after) {
  var cards = (before || []).concat([
    card('Attempts (' + s.window + ')', s.attempts.toLocaleString()),
    card('Success rate', fmtPct(s.success_rate), s.success_rate === null ? '' : s.success_rate < 0.95 ? 'alert' : 'good'),
    card('p95 (p50 ' + fmtMs(s.p50_ms) + ')', fmtMs(s.p95_ms)),
    card('Last success', fmtAgo(s.last_success_at)),
    card('Failures in a row', String(s.consecutive_failures), s.consecutive_failures > 0 ? 'alert' : ''),
  ], after || []);
  fill(id, cards);
}

function bucketLabel(iso, s) {
  var d = new Date(iso);
  var time = d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  return /d$/.test(s.window) ? d.toLocaleDateString() + ' ' + time : time;
}

/** A round axis maximum at or above v: 1, 2 or 5 times a power of ten. */
function niceMax(v) {
  var p = Math.pow(10, Math.floor(Math.log10(Math.max(v, 1e-9))));
  var m = [1, 2, 5, 10].find(function (k) { return k * p >= v; });
  return m * p;
}

/** An SVG as wide as its container in pixels (so its text keeps its size), with gridlines at 0, half and top. */
function chartFrame(id, label, top) {
  var width = Math.max(240, Math.round($(id).clientWidth || 600));
  var root = svg('svg', { viewBox: '0 0 ' + width + ' 170', width: width, height: 170, role: 'img', 'aria-label': label });
  root.appendChild(svg('title')).textContent = label;
  [0, 0.5, 1].forEach(function (f) {
    var y = 150 - f * 140;
    root.appendChild(svg('line', { x1: 44, x2: width, y1: y, y2: y, class: 'gridline' }));
    root.appendChild(svg('text', { x: 40, y: y + 4, 'text-anchor': 'end', class: 'axis' })).textContent = top(f);
  });
  root.plot = { x: 44, w: width - 44 };
  return root;
}

function axisLabels(root, s) {
  var first = s.series[0];
  var last = s.series[s.series.length - 1];
  if (!first) return;
  root.appendChild(svg('text', { x: root.plot.x, y: 166, class: 'axis' })).textContent = bucketLabel(first.start, s);
  root.appendChild(svg('text', { x: root.plot.x + root.plot.w, y: 166, 'text-anchor': 'end', class: 'axis' })).textContent = bucketLabel(last.start, s);
}

function fmtTick(v) { return v >= 1000 ? (Math.round(v / 100) / 10) + 'k' : String(Math.round(v * 10) / 10); }

/** Attempts per bucket, delivered and failed stacked. */
function volumeChart(id, s) {
  var most = Math.max.apply(null, s.series.map(function (b) { return b.attempts; }));
  // whole numbers at the half-way line too
  var max = most <= 10 ? Math.max(2, Math.ceil(most / 2) * 2) : niceMax(most);
  var total = s.series.reduce(function (n, b) { return n + b.attempts; }, 0);
  var root = chartFrame(id, 'Delivery volume per ' + s.bucket + ' over ' + s.window + ': ' + total + ' attempts', function (f) { return fmtTick(max * f); });
  var w = root.plot.w / Math.max(1, s.series.length);
  s.series.forEach(function (b, i) {
    var g = svg('g');
    g.appendChild(svg('title')).textContent = bucketLabel(b.start, s) + ': ' + b.attempts + ' attempts, ' + b.failed + ' failed';
    var okH = (b.attempts - b.failed) / max * 140;
    var badH = b.failed / max * 140;
    var x = root.plot.x + i * w + Math.min(1, w * 0.1);
    var bw = Math.max(1, w - Math.min(2, w * 0.2));
    if (okH > 0) g.appendChild(svg('rect', { x: x, y: 150 - okH, width: bw, height: okH, class: 'bar-ok' }));
    if (badH > 0) g.appendChild(svg('rect', { x: x, y: 150 - okH - badH, width: bw, height: badH, class: 'bar-bad' }));
    root.appendChild(g);
  });
  axisLabels(root, s);
  fill(id, [root]);
}

/** Failed share of the attempts per bucket (buckets without attempts are left out). */
function rateChart(id, s) {
  var rates = s.series.map(function (b) { return b.attempts > 0 ? b.failed / b.attempts : null; });
  var worst = Math.max.apply(null, rates.map(function (r) { return r || 0; }));
  var top = Math.min(1, niceMax(Math.max(0.02, worst)));
  var root = chartFrame(id, 'Failure rate per ' + s.bucket + ' over ' + s.window + ': worst ' + fmtPct(worst), function (f) { return fmtTick(top * f * 100) + '%'; });
  var w = root.plot.w / Math.max(1, s.series.length);
  var points = [];
  rates.forEach(function (r, i) {
    if (r === null) return;
    var x = root.plot.x + i * w + w / 2;
    var y = 150 - (r / top) * 140;
    points.push(x.toFixed(1) + ',' + y.toFixed(1));
    var dot = svg('circle', { cx: x, cy: y, r: 2.5, class: 'rate-dot' });
    dot.appendChild(svg('title')).textContent = bucketLabel(s.series[i].start, s) + ': ' + fmtPct(r) + ' failed (' + s.series[i].failed + ' of ' + s.series[i].attempts + ')';
    root.appendChild(dot);
  });
  if (points.length > 1) root.insertBefore(svg('polyline', { points: points.join(' '), class: 'rate-line' }), root.firstChild.nextSibling);
  axisLabels(root, s);
  fill(id, [root]);
}

var lastStats = {};
function renderStats(prefix, s, before, after) {
  renderCards(prefix + '-cards', s, before, after);
  lastStats[prefix] = s;
  drawCharts(prefix);
}

function drawCharts(prefix) {
  var s = lastStats[prefix];
  if (!s || $('view-' + prefix).hidden) return;
  volumeChart(prefix + '-volume', s);
  rateChart(prefix + '-rate', s);
}

var resizeTimer = null;
window.addEventListener('resize', function () {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(function () { Object.keys(lastStats).forEach(drawCharts); }, 150);
});

/** Term and description pairs into a <dl>; a value is a node or text (empty: a dash). */
function detail(id, pairs) {
  var nodes = [];
  pairs.forEach(function (p) {
    nodes.push(el('dt', '', p[0]));
    var dd = el('dd', p[2] || '');
    if (p[1] instanceof Node) dd.appendChild(p[1]);
    else dd.textContent = p[1] === null || p[1] === undefined || p[1] === '' ? '\u2014' : String(p[1]);
    nodes.push(dd);
  });
  fill(id, nodes);
}

/** An endpoints table's first cell: the URL, linking to the endpoint's page, and its description. */
function endpointCell(s) {
  state.urls[s.subscription_id] = s.url;
  var name = el('td', 'url');
  name.appendChild(link(s.url, '#/endpoints/' + encodeURIComponent(s.subscription_id)));
  if (s.description) name.appendChild(el('span', 'reason', s.description));
  return name;
}

/** An endpoint and its stats in the window; its URL becomes the page's title. */
async function fetchEndpoint(id) {
  var r = await Promise.all([api('subscriptions/' + encodeURIComponent(id)), api('subscriptions/' + encodeURIComponent(id) + '/stats?' + qs({ window: state.window }))]);
  state.urls[r[0].subscription_id] = r[0].url;
  $('endpoint-url').textContent = r[0].url;
  return r;
}

/** An attempt's page head: the link back to its endpoint. */
function attemptHead(a) {
  var back = $('attempt-endpoint-link');
  back.textContent = endpointLabel(a.subscription_id);
  back.href = '#/endpoints/' + encodeURIComponent(a.subscription_id);
}

/** Rows of an attempt table; each links to the attempt's page. */
function renderAttempts(prefix, list, withEndpoint) {
  var rows = list.map(function (a) {
    var tr = el('tr');
    tr.dataset.attemptId = a.attempt_id;
    tr.dataset.status = a.status;
    tr.appendChild(cell(link(fmtTime(a.attempted_at), '#/attempts/' + encodeURIComponent(a.attempt_id)), 'time', a.attempted_at));
    tr.appendChild(cell(a.event_type, 'mono'));
    if (withEndpoint) tr.appendChild(cell(link(endpointLabel(a.subscription_id), '#/endpoints/' + encodeURIComponent(a.subscription_id)), 'url opt', a.subscription_id));
    tr.appendChild(cell(badge(a.status)));
    tr.appendChild(cell(a.status_code, 'num'));
    tr.appendChild(cell(a.duration_ms + ' ms', 'num opt'));
    tr.appendChild(cell(a.attempt_number, 'num opt'));
    tr.appendChild(cell(a.error_message, a.error_message ? 'err' : ''));
    return tr;
  });
  fill(prefix + '-body', rows);
  $(prefix + '-empty').hidden = rows.length > 0;
}

/** An attempt list with its filters and pager; fixed() adds filters (e.g. the endpoint). */
function AttemptList(prefix, withEndpoint, fixed) {
  var self = this;
  this.fixed = fixed || function () { return {}; };
  this.pager = new Pager(prefix + '-pager', function () { return self.load(); });
  this.load = async function () {
    var f = formValues($(prefix + '-filters'));
    var query = Object.assign({ status: f.status, event_type: f.event_type, since: toIso(f.since), until: toIso(f.until) }, self.fixed(), self.pager.query());
    var rows = self.pager.render(await api('deliveries?' + qs(query)));
    renderAttempts(prefix, rows, withEndpoint);
  };
  $(prefix + '-filters').addEventListener('submit', function (e) {
    e.preventDefault();
    self.pager.page = 0;
    self.load().catch(function (err) { fail(err, 'Could not filter the attempts'); });
  });
}
`;

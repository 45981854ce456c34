/** The router (one view per URL hash: `#/`, `#/endpoints/<id>`, `#/attempts/<id>`), refresh and auto-refresh. */
export const SCRIPT_BOOT = String.raw`
var VIEWS = ['overview', 'endpoint', 'attempt'];
var view = { name: 'overview', load: loadOverview };
var loading = null;

function route() {
  var m = /^#\/(endpoints|attempts)\/(.+)$/.exec(location.hash);
  var id = m ? decodeURIComponent(m[2]) : null;
  if (m && m[1] === 'endpoints') view = { name: 'endpoint', load: function () { return loadEndpoint(id); } };
  else if (m) view = { name: 'attempt', load: function () { return loadAttempt(id); } };
  else view = { name: 'overview', load: loadOverview };
  VIEWS.forEach(function (v) { $('view-' + v).hidden = v !== view.name; });
}

function refresh() {
  if (loading) return loading;
  $('refresh').disabled = true;
  loading = view.load()
    .then(function () {
      if ($('message').className === 'error') showMessage('', '');
      $('updated').textContent = 'Updated ' + new Date().toLocaleTimeString();
    })
    .catch(function (err) { fail(err); })
    .finally(function () { loading = null; $('refresh').disabled = false; });
  return loading;
}

window.addEventListener('hashchange', function () {
  route();
  showMessage('', '');
  window.scrollTo(0, 0);
  $('main').focus();
  refresh();
});
$('refresh').addEventListener('click', function () { refresh(); });
$('window').addEventListener('change', function (e) { state.window = e.target.value; refresh(); });
var autoTimer = null;
$('auto').addEventListener('change', function (e) {
  if (autoTimer) clearInterval(autoTimer);
  autoTimer = e.target.checked ? setInterval(function () { if (!document.querySelector('dialog[open]')) refresh(); }, 10000) : null;
});
route();
refresh();
`;

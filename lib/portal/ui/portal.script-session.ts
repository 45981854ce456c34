/**
 * The portal script's session and API client. The token comes in the URL fragment (`#token=...`, never sent to a
 * server); it is taken out of the URL at once (history.replaceState) and kept in this closure only: no cookie, no
 * storage, so the page works in a third-party iframe. Without a token (app-auth mode) the API is called with the
 * host app's own credentials, same origin. A 401 ends the session on a clear message instead of a broken page.
 */
export const SCRIPT_SESSION = String.raw`
var apiBase = document.body.dataset.apiBase.replace(/\/+$/, '') + '/';
// A relative base (the default, 'api') belongs beside 'ui' in the portal's prefix, also when the page was opened
// as '.../ui/' (where the browser would resolve it under 'ui/').
if (apiBase.charAt(0) !== '/') apiBase = location.pathname.replace(/\/ui\/?$/, '/') + apiBase;
var token = null;
var session = null;
(function takeToken() {
  var m = /(?:^#|&)token=([^&]*)/.exec(location.hash);
  if (!m) return;
  try { token = decodeURIComponent(m[1]); } catch (e) { token = m[1]; }
  history.replaceState(null, '', location.pathname + location.search);
})();

/*
 * The dashboard's api() and fail() (reused with its helpers) call the admin API with the page's cookies and speak
 * of admin guards: the portal replaces them, so the dashboard's lists and pagers call the tenant API with the
 * session's token.
 */
api = async function (path, init) {
  var options = Object.assign({ credentials: 'same-origin' }, init || {});
  var headers = { accept: 'application/json' };
  if (token) headers.authorization = 'Bearer ' + token;
  if (options.json !== undefined) {
    options.body = JSON.stringify(options.json);
    headers['content-type'] = 'application/json';
    delete options.json;
  }
  options.headers = headers;
  var res = await fetch(apiBase + path, options);
  var text = await res.text();
  var body = null;
  try { body = text ? JSON.parse(text) : null; } catch (e) { body = null; }
  if (res.status === 401) endSession(body);
  if (!res.ok) throw new ApiError(res.status, body);
  return body;
};

fail = function (err, what) {
  if (ended()) return;
  if (err instanceof ApiError && err.body.code === 'READ_ONLY_SESSION') showMessage('error', 'This session is read-only: it can look but not change anything.');
  else showMessage('error', (what || 'Could not load the portal') + ': ' + (err && err.message ? err.message : String(err)));
};

/** Shows why the session is over, in place of the portal; nothing else on the page stays usable. */
var ENDED = {
  expired: ['Your session has expired', 'Portal sessions end after a while, or when the application revokes them. Go back to the application and open the webhooks portal again to continue.'],
  invalid: ['This portal link is not valid', 'The link may be incomplete or altered. Open the webhooks portal again from the application.'],
  signin: ['Sign-in needed', 'Sign in to the application, then open the webhooks portal from it.'],
};
function endSession(body) {
  if (ended()) return;
  var said = body ? [body.code, body.error, body.message].join(' ') : '';
  var text = ENDED[/expired|revoked/i.test(said) ? 'expired' : token ? 'invalid' : 'signin'];
  token = null;
  document.body.classList.add('ended');
  document.querySelectorAll('dialog[open]').forEach(function (d) { d.close(); });
  ['view-overview', 'view-endpoint', 'view-attempt', 'message', 'toolbar'].forEach(function (id) { $(id).hidden = true; });
  $('ended-title').textContent = text[0];
  $('ended-text').textContent = text[1];
  $('session-ended').hidden = false;
  $('session-ended').focus();
}

function ended() { return document.body.classList.contains('ended'); }

async function loadSession() {
  session = await api('session');
  document.body.classList.toggle('read-only', !!session.read_only);
  $('read-only-note').hidden = !session.read_only;
  if (session.expires_at) {
    var left = new Date(session.expires_at).getTime() - Date.now();
    // setTimeout keeps 31 bits of milliseconds; sessions last at most 7 days
    setTimeout(function () { endSession({ code: 'session_expired' }); }, Math.max(0, Math.min(left, 2147483647)));
  }
}
`;

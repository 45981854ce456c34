import { CATALOG_SECTION } from './dashboard.catalog';

/** Filters of an attempt list (the same controls in the overview and on an endpoint's page; the portal's too). */
export function attemptFilters(prefix: string): string {
  return `<form class="filters" id="${prefix}-filters" aria-label="Filter attempts">
      <label>Status<select name="status"><option value="">any</option><option>delivered</option><option>failed</option><option value="dead_letter">dead letter</option><option>cancelled</option></select></label>
      <label>Event type<input name="event_type" placeholder="order.paid" maxlength="200"></label>
      <label>From<input name="since" type="datetime-local"></label>
      <label>To<input name="until" type="datetime-local"></label>
      <button type="submit">Apply</button>
    </form>`;
}

/** An attempt table with its empty note and pager. */
export function attemptTable(prefix: string, withEndpoint: boolean): string {
  return `<div class="scroll"><table id="${prefix}-table">
      <thead><tr><th>Time</th><th>Event type</th>${withEndpoint ? '<th class="opt">Endpoint</th>' : ''}<th>Status</th><th>Code</th><th class="opt">Duration</th><th class="opt">Try</th><th>Error</th></tr></thead>
      <tbody id="${prefix}-body"></tbody>
    </table></div>
    <p class="empty" id="${prefix}-empty" hidden>No attempts match.</p>
    <div class="pager" id="${prefix}-pager"></div>`;
}

/** A section listing attempts: its title, the filters, the table. */
export function attemptSection(prefix: string, title: string, withEndpoint: boolean): string {
  return `<section>
      <div class="section-head"><h2>${title}</h2></div>
      ${attemptFilters(prefix)}
      ${attemptTable(prefix, withEndpoint)}
    </section>`;
}

/** An attempt's view: what was sent and what came back, with a Redeliver button in a toolbar of class `toolbarClass`. */
export function attemptView(toolbarClass: string): string {
  return `<div id="view-attempt" hidden>
    <p class="crumbs"><a href="#/">All endpoints</a> / <a id="attempt-endpoint-link" href="#/">endpoint</a></p>
    <h2 class="page" id="attempt-title">Attempt</h2>
    <section>
      <div class="${toolbarClass}"><button type="button" class="primary" id="redeliver-attempt">Redeliver</button></div>
      <dl class="detail" id="attempt-detail"></dl>
    </section>
    <section><h2>Response</h2><pre id="attempt-response"></pre></section>
    <section><h2>Event payload</h2><pre id="attempt-payload"></pre></section>
  </div>`;
}

/** The dialog every action is confirmed in (see confirmAction in the script). */
export const CONFIRM_DIALOG = `<dialog id="confirm-dialog" aria-labelledby="confirm-title">
  <h2 id="confirm-title">Are you sure?</h2>
  <div class="body" id="confirm-text"></div>
  <div class="buttons"><button type="button" id="confirm-cancel">Cancel</button><button type="button" class="primary" id="confirm-ok">Confirm</button></div>
</dialog>`;

/** The dialog that hands over a new secret (or an ed25519 public key) once; the script sets its text. */
export const SECRET_DIALOG = `<dialog id="secret-dialog" aria-labelledby="secret-title">
  <h2 id="secret-title">Signing secret</h2>
  <div class="body"><p id="secret-text">Give this secret to the receiver now: it is not shown again.</p><code class="secret" id="secret-value"></code></div>
  <div class="buttons"><button type="button" id="secret-copy">Copy</button><button type="button" class="primary" id="secret-close">Done</button></div>
</dialog>`;

/** Cards and charts of a stats answer (overview and endpoint page; the portal's endpoint page too). */
export function statsBlock(prefix: string): string {
  return `<div class="cards" id="${prefix}-cards"></div>
  <div class="charts">
    <div class="chart"><h3>Delivery volume</h3><div id="${prefix}-volume"></div>
      <div class="legend"><span><span class="swatch ok"></span>delivered</span><span><span class="swatch bad"></span>failed</span></div></div>
    <div class="chart"><h3>Failure rate</h3><div id="${prefix}-rate"></div></div>
  </div>`;
}

/** The page's body: three views (overview, endpoint, attempt) shown by the URL hash, and the dialogs. */
export const DASHBOARD_MARKUP = `
<a class="skip" href="#main">Skip to content</a>
<header>
  <h1><a href="#/">Webhooks</a></h1>
  <div class="actions">
    <label>Window <select id="window" aria-label="Stats window"><option value="1h">last hour</option><option value="24h" selected>last 24 hours</option><option value="7d">last 7 days</option><option value="30d">last 30 days</option></select></label>
    <span id="updated" aria-live="polite"></span>
    <label><input type="checkbox" id="auto"> Auto-refresh</label>
    <button type="button" id="refresh">Refresh</button>
  </div>
</header>
<main id="main" tabindex="-1">
  <div id="message" role="alert" hidden></div>

  <div id="view-overview">
    ${statsBlock('overview')}
    <section>
      <div class="section-head"><h2>Endpoints <span class="count" id="endpoints-count"></span></h2><button type="button" class="primary" id="new-endpoint">New endpoint</button></div>
      <form class="filters" id="endpoint-filters" aria-label="Filter endpoints">
        <label>State<select name="state"><option value="">all</option><option value="active">active</option><option value="disabled">disabled</option></select></label>
        <label>Receives event type<input name="event_type" placeholder="order.paid" maxlength="200"></label>
        <button type="submit">Apply</button>
      </form>
      <div class="scroll"><table id="endpoints-table">
        <thead><tr><th>Endpoint</th><th>State</th><th>Success</th><th>p95</th><th class="opt">Last success</th><th class="opt">Failures in a row</th><th class="opt">Events</th></tr></thead>
        <tbody id="endpoints-body"></tbody>
      </table></div>
      <p class="empty" id="endpoints-empty" hidden>No endpoints match.</p>
      <div class="pager" id="endpoints-pager"></div>
    </section>
    <section>
      <div class="section-head"><h2>Dead letters <span class="count" id="dead-letters-count"></span></h2><button type="button" id="redrive-open">Redrive a time range</button></div>
      <div class="scroll"><table id="dead-letters">
        <thead><tr><th>Last attempt</th><th>Event type</th><th class="opt">Endpoint</th><th>Code</th><th>Error</th><th></th></tr></thead>
        <tbody id="dead-letters-body"></tbody>
      </table></div>
      <p class="empty" id="dead-letters-empty" hidden>No dead letters.</p>
      <div class="pager" id="dead-letters-pager"></div>
    </section>${CATALOG_SECTION}
    ${attemptSection('attempts', 'Attempts', true)}
  </div>

  <div id="view-endpoint" hidden>
    <p class="crumbs"><a href="#/">All endpoints</a></p>
    <h2 class="page" id="endpoint-url"></h2>
    <p class="hint" id="endpoint-meta"></p>
    <section>
      <div class="toolbar" id="endpoint-actions">
        <button type="button" id="edit-endpoint">Edit</button>
        <button type="button" id="toggle-endpoint"></button>
        <button type="button" id="rotate-secret">Rotate secret</button>
        <button type="button" id="send-test">Send test event</button>
        <button type="button" id="redrive-endpoint">Redrive dead letters</button>
      </div>
      <dl class="detail" id="endpoint-detail"></dl>
    </section>
    ${statsBlock('endpoint')}
    ${attemptSection('endpoint-attempts', 'Attempts to this endpoint', false)}
  </div>

  ${attemptView("toolbar")}
</main>

${CONFIRM_DIALOG}

<dialog id="endpoint-dialog" aria-labelledby="endpoint-dialog-title">
  <form id="endpoint-form" method="dialog">
    <h2 id="endpoint-dialog-title">New endpoint</h2>
    <div class="body form">
      <label>URL<input name="url" type="url" required maxlength="2048" placeholder="the receiver's https URL"></label>
      <label>Event types <span class="hint">comma-separated names or patterns such as order.*; empty: every event</span><input name="event_types" maxlength="4000"></label>
      <label>Description<input name="description" maxlength="1000"></label>
      <label id="tenant-field">Tenant<input name="tenant_id" maxlength="255"></label>
      <label id="signature-field">Signature <span class="hint">ed25519: the receiver verifies with a public key and holds no secret</span><select name="signature_type"><option value="">module default</option><option value="hmac-sha256">HMAC-SHA256 (shared whsec_ secret)</option><option value="ed25519">ed25519 (whpk_ public key)</option></select></label>
      <p class="hint" id="endpoint-form-error" role="alert"></p>
    </div>
    <div class="buttons"><button type="button" id="endpoint-cancel">Cancel</button><button type="submit" class="primary" id="endpoint-save">Save</button></div>
  </form>
</dialog>

<dialog id="redrive-dialog" aria-labelledby="redrive-title">
  <form id="redrive-form" method="dialog">
    <h2 id="redrive-title">Redrive dead letters</h2>
    <div class="body form">
      <p class="hint" id="redrive-scope"></p>
      <label>Dead-lettered from<input name="since" type="datetime-local"></label>
      <label>Until<input name="until" type="datetime-local"></label>
    </div>
    <div class="buttons"><button type="button" id="redrive-cancel">Cancel</button><button type="submit" class="primary">Redrive&hellip;</button></div>
  </form>
</dialog>

${SECRET_DIALOG}
`;

/** Filters of an attempt log: status, event type and a time range. */
function logFilters(prefix: string): string {
  return `<form class="filters" id="${prefix}-filters" aria-label="Filter the attempt log">
      <label>Status<select name="status"><option value="">any</option><option value="delivered">delivered</option><option value="failed">failed</option><option value="dead_letter">failed for good</option></select></label>
      <label>Event type<input name="event_type" maxlength="200" list="catalog-types" autocomplete="off"></label>
      <label>From<input name="since" type="datetime-local"></label>
      <label>To<input name="until" type="datetime-local"></label>
      <button type="submit">Show</button>
    </form>`;
}

/** An attempt log's table (rows link to the attempt), its empty note and pager. */
function logTable(prefix: string, withEndpoint: boolean): string {
  const endpoint = withEndpoint ? '<th class="opt">Endpoint</th>' : '';
  return `<div class="scroll"><table id="${prefix}-table">
      <thead><tr><th>Time</th><th>Event type</th>${endpoint}<th>Status</th><th>Code</th><th class="opt">Duration</th><th class="opt">Try</th><th>Error</th></tr></thead>
      <tbody id="${prefix}-body"></tbody>
    </table></div>
    <p class="empty" id="${prefix}-empty" hidden>No attempts match.</p>
    <div class="pager" id="${prefix}-pager"></div>`;
}

const DIALOGS = `
<dialog id="confirm-dialog" aria-labelledby="confirm-title">
  <h2 id="confirm-title"></h2>
  <div class="body" id="confirm-text"></div>
  <div class="buttons"><button type="button" id="confirm-cancel">Cancel</button><button type="button" class="primary" id="confirm-ok">OK</button></div>
</dialog>

<dialog id="endpoint-dialog" aria-labelledby="endpoint-dialog-title">
  <form id="endpoint-form" method="dialog">
    <h2 id="endpoint-dialog-title">Add an endpoint</h2>
    <div class="body form">
      <label>Endpoint URL<input name="url" type="url" required maxlength="2048" placeholder="https://"></label>
      <label>Description<input name="description" maxlength="1000"></label>
      <fieldset class="types"><legend>Events to receive</legend>
        <label class="check"><input type="checkbox" name="all_types" id="all-types"> All event types</label>
        <div id="type-picker"></div>
        <label>More types or patterns <span class="hint">comma-separated, such as order.*</span><input name="patterns" maxlength="4000"></label>
      </fieldset>
      <label>Custom headers <span class="hint" id="headers-hint">one per line, Name: value</span><textarea name="headers" rows="3" spellcheck="false"></textarea></label>
      <label class="check" id="clear-headers-field"><input type="checkbox" name="clear_headers"> Remove the current custom headers</label>
      <label>Payload filter <span class="hint">JSON, such as {"payload.amount": {"$gte": 100}}; empty: every event</span><textarea name="filter" rows="3" spellcheck="false"></textarea></label>
      <p class="form-error" id="endpoint-form-error" role="alert"></p>
    </div>
    <div class="buttons"><button type="button" id="endpoint-cancel">Cancel</button><button type="submit" class="primary" id="endpoint-save">Save</button></div>
  </form>
</dialog>

<dialog id="redrive-dialog" aria-labelledby="redrive-title">
  <form id="redrive-form" method="dialog">
    <h2 id="redrive-title">Redeliver failed events</h2>
    <div class="body form">
      <p class="hint" id="redrive-scope"></p>
      <label>Failed since<input name="since" type="datetime-local" required></label>
    </div>
    <div class="buttons"><button type="button" id="redrive-cancel">Cancel</button><button type="submit" class="primary">Redeliver&hellip;</button></div>
  </form>
</dialog>

<dialog id="secret-dialog" aria-labelledby="secret-title">
  <h2 id="secret-title">Signing secret</h2>
  <div class="body"><p id="secret-text"></p><code class="secret" id="secret-value"></code></div>
  <div class="buttons"><button type="button" id="secret-copy">Copy</button><button type="button" class="primary" id="secret-close">Done</button></div>
</dialog>
<datalist id="catalog-types"></datalist>
`;

/**
 * The page's body: three views (endpoints, one endpoint, one attempt) shown by the URL hash, the screen of an
 * ended session, and the dialogs. `title` and `logo` come HTML-escaped. Buttons that change something carry
 * the class `act`: a read-only session (and the page until its session is known) hides them.
 */
export function portalMarkup(title: string, logo: string | null): string {
  return `
<a class="skip" href="#main">Skip to content</a>
<header class="portal">
  <div class="brand">${logo === null ? '' : `<img class="logo" src="${logo}" alt="">`}<h1><a href="#/">${title}</a></h1></div>
  <div class="actions" id="toolbar">
    <label>Window <select id="window"><option value="1h">last hour</option><option value="24h" selected>last 24 hours</option><option value="7d">last 7 days</option><option value="30d">last 30 days</option></select></label>
    <span id="updated" aria-live="polite"></span>
    <button type="button" id="refresh">Refresh</button>
  </div>
</header>
<main id="main" tabindex="-1">
  <div id="session-ended" tabindex="-1" role="alert" hidden><h2 id="ended-title"></h2><p id="ended-text"></p></div>
  <div id="message" role="alert" hidden></div>
  <p class="note" id="read-only-note" hidden>You can look at everything here, but this session cannot change anything.</p>

  <div id="view-overview" hidden>
    <section>
      <div class="section-head"><h2>Endpoints</h2><button type="button" class="primary act" id="new-endpoint">Add endpoint</button></div>
      <div class="scroll"><table id="endpoints-table">
        <thead><tr><th>Endpoint</th><th>State</th><th>Success rate</th><th class="opt">Last success</th><th>Failures in a row</th></tr></thead>
        <tbody id="endpoints-body"></tbody>
      </table></div>
      <p class="empty" id="endpoints-empty" hidden>No endpoints yet.</p>
      <div class="pager" id="endpoints-pager"></div>
    </section>
    <section>
      <div class="section-head"><h2>Attempt log</h2></div>
      ${logFilters('log')}
      ${logTable('log', true)}
    </section>
  </div>

  <div id="view-endpoint" hidden>
    <p class="crumbs"><a href="#/">All endpoints</a></p>
    <h2 class="page" id="endpoint-url"></h2>
    <p class="hint" id="endpoint-meta"></p>
    <section>
      <div class="toolbar act" id="endpoint-actions">
        <button type="button" id="edit-endpoint">Edit</button>
        <button type="button" id="toggle-endpoint"></button>
        <button type="button" id="send-test">Send test event</button>
        <span class="example" id="example-row"><select id="example-type" aria-label="Catalogued event type to send an example of"></select><button type="button" id="send-example">Send example</button></span>
        <button type="button" id="rotate-secret">Rotate secret</button>
        <button type="button" id="redrive-endpoint">Redeliver failed since&hellip;</button>
        <button type="button" class="danger" id="delete-endpoint">Delete</button>
      </div>
      <dl class="detail" id="endpoint-detail"></dl>
    </section>
    <div class="cards" id="endpoint-cards"></div>
    <div class="charts">
      <div class="chart"><h3>Volume</h3><div id="endpoint-volume"></div>
        <div class="legend"><span><span class="swatch ok"></span>delivered</span><span><span class="swatch bad"></span>failed</span></div></div>
      <div class="chart"><h3>Failure rate</h3><div id="endpoint-rate"></div></div>
    </div>
    <section>
      <div class="section-head"><h2>Attempts to this endpoint</h2></div>
      ${logFilters('endpoint-log')}
      ${logTable('endpoint-log', false)}
    </section>
  </div>

  <div id="view-attempt" hidden>
    <p class="crumbs"><a href="#/">All endpoints</a> / <a id="attempt-endpoint-link" href="#/">endpoint</a></p>
    <h2 class="page" id="attempt-title">Attempt</h2>
    <section>
      <div class="toolbar act"><button type="button" class="primary" id="redeliver-attempt">Redeliver</button></div>
      <dl class="detail" id="attempt-detail"></dl>
    </section>
    <section><h2>Response</h2><pre id="attempt-response"></pre></section>
    <section><h2>Payload</h2><pre id="attempt-payload"></pre></section>
  </div>
</main>
${DIALOGS}`;
}

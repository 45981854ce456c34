import { attemptFilters, attemptSection, attemptTable, attemptView, CONFIRM_DIALOG, SECRET_DIALOG, statsBlock } from '../../admin/dashboard/dashboard.markup';

/** A dialog holding a form (`<name>-form`): a title, the fields, Cancel (`<name>-cancel`) and submit (`<name>-save`). */
function formDialog(name: string, title: string, fields: string, submit: string): string {
  return `<dialog id="${name}-dialog" aria-labelledby="${name}-title">
  <form id="${name}-form" method="dialog">
    <h2 id="${name}-title">${title}</h2>
    <div class="body form">${fields}
    </div>
    <div class="buttons"><button type="button" id="${name}-cancel">Cancel</button><button type="submit" class="primary" id="${name}-save">${submit}</button></div>
  </form>
</dialog>`;
}

const DIALOGS = `
${CONFIRM_DIALOG}

${formDialog('endpoint', 'Add an endpoint', `
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
      <p class="form-error" id="endpoint-form-error" role="alert"></p>`, 'Save')}

${formDialog('redrive', 'Redeliver failed events', `
      <p class="hint" id="redrive-scope"></p>
      <label>Failed since<input name="since" type="datetime-local" required></label>`, 'Redeliver&hellip;')}

${SECRET_DIALOG}
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
      <p class="hint section-note">Every try to deliver an event to your endpoints, newest first. Open one to see what was sent and what came back.</p>
      ${attemptFilters('log')}
      ${attemptTable('log', true)}
    </section>
  </div>

  <div id="view-endpoint" hidden>
    <nav class="crumbs" aria-label="Breadcrumb"><a href="#/">All endpoints</a></nav>
    <div class="page-head"><h2 class="page" id="endpoint-url"></h2><p class="hint" id="endpoint-meta"></p></div>
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
    ${statsBlock('endpoint')}
    ${attemptSection('endpoint-log', 'Attempts to this endpoint', false)}
  </div>

  ${attemptView('toolbar act')}
</main>
${DIALOGS}`;
}

/**
 * The portal's stylesheet, over the dashboard's (reused as is): the theme's `--primary` color on the header,
 * links, primary buttons and focus ring, the session screens, the endpoint form, and hiding what a read-only
 * session may not do.
 */
export const PORTAL_STYLE = String.raw`
:root { --focus: var(--primary); --info: var(--primary); }
header.portal { background: var(--card); color: var(--fg); border-bottom: 1px solid var(--line); border-top: 4px solid var(--primary); }
header.portal h1 a { color: var(--fg); }
header.portal .actions { color: var(--muted); }
.brand { display: flex; align-items: center; gap: 10px; min-width: 0; }
.brand h1 { overflow-wrap: anywhere; }
.logo { display: block; max-height: 32px; max-width: 160px; }
main { max-width: 1200px; }
button.primary { background: var(--primary); border-color: var(--primary); color: #fff; }
button.primary:hover:not(:disabled) { background: var(--primary); filter: brightness(.92); }
.read-only .act, .read-only button.act, .read-only .act button { display: none !important; }
.ended main > :not(#session-ended) { display: none !important; }
#session-ended { max-width: 560px; margin: 48px auto; padding: 24px; background: var(--card); border: 1px solid var(--line);
  border-left: 4px solid var(--primary); border-radius: 8px; }
#session-ended:focus { outline: none; }
#session-ended h2 { margin: 0 0 8px; font-size: 18px; }
#session-ended p { margin: 0; color: var(--muted); }
.note { margin: 0 0 12px; padding: 8px 12px; border-radius: 6px; background: var(--info-bg); color: var(--fg); }
.toolbar .example { display: inline-flex; gap: 4px; flex-wrap: wrap; }
.toolbar .example select { max-width: 220px; }
.form fieldset { border: 1px solid var(--line); border-radius: 6px; margin: 0; padding: 8px 10px; display: grid; gap: 8px; min-width: 0; }
.form legend { font-size: 12px; color: var(--muted); padding: 0 4px; }
.form label.check { flex-direction: row; align-items: center; gap: 6px; color: var(--fg); font-size: 13px; }
.form label.check input { width: auto; }
#type-picker { display: grid; gap: 6px; max-height: 260px; overflow: auto; }
.type-option { border: 1px solid #eaeef2; border-radius: 6px; padding: 6px 8px; }
.type-option .check code { font-weight: 600; }
.type-option .desc { display: block; color: var(--muted); font-size: 12px; margin: 2px 0 0 22px; }
.type-option details { margin: 4px 0 0 22px; font-size: 12px; }
.type-option summary { cursor: pointer; color: var(--muted); }
.type-option pre { max-height: 200px; padding: 6px 8px; border: 1px solid var(--line); border-radius: 6px; }
.form-error { margin: 0; color: var(--bad); font-size: 13px; }
.form-error:empty { display: none; }
dialog { width: min(600px, calc(100vw - 24px)); max-height: calc(100vh - 24px); }
.pager:empty { display: none; }
.page-head { margin-bottom: 12px; }
.page-head .hint { margin: 4px 0 0; }
.section-note { margin: 0; padding: 8px 16px 0; }
.secret-row { display: flex; flex-wrap: wrap; align-items: center; gap: 8px; }
@media (max-width: 720px) {
  .toolbar .example select { max-width: 100%; }
  header .actions #updated { display: none; }
}
`;

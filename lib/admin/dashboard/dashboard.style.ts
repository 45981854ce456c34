/** The dashboard's stylesheet (inline, allowed by its hash in the page's CSP). */
export const DASHBOARD_STYLE = String.raw`
:root { color-scheme: light; --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --bg: #f6f8fa; --card: #fff;
  --ok: #1a7f37; --ok-bg: #dafbe1; --bad: #cf222e; --bad-bg: #ffebe9; --warn: #9a6700; --warn-bg: #fff8c5;
  --info: #0969da; --info-bg: #ddf4ff; --focus: #0969da; }
* { box-sizing: border-box; }
[hidden] { display: none !important; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif;
  color: var(--fg); background: var(--bg); }
a { color: var(--info); }
:focus-visible { outline: 2px solid var(--focus); outline-offset: 2px; }
.skip { position: absolute; left: -9999px; top: 0; background: #fff; padding: 8px; z-index: 10; }
.skip:focus { left: 8px; }
header { display: flex; flex-wrap: wrap; align-items: center; justify-content: space-between; gap: 8px 16px;
  padding: 12px 24px; background: #24292f; color: #fff; }
header h1 { margin: 0; font-size: 18px; font-weight: 600; }
header h1 a { color: #fff; text-decoration: none; }
header .actions { display: flex; flex-wrap: wrap; align-items: center; gap: 8px 12px; font-size: 12px; color: #d0d7de; }
header label { display: flex; align-items: center; gap: 4px; cursor: pointer; }
header select { font: inherit; padding: 2px 4px; border-radius: 6px; }
main { padding: 16px 24px 40px; max-width: 1400px; margin: 0 auto; }
button, .button { font: inherit; font-size: 13px; padding: 4px 12px; border-radius: 6px; border: 1px solid var(--line);
  background: var(--card); color: var(--fg); cursor: pointer; text-decoration: none; display: inline-block; }
button:hover:not(:disabled) { background: #eef1f4; }
button:disabled { opacity: .6; cursor: default; }
button.primary { background: #1f883d; border-color: #1a7f37; color: #fff; }
button.primary:hover:not(:disabled) { background: #1a7f37; }
button.danger { color: var(--bad); border-color: #ffcecb; }
button.link { border: 0; background: none; padding: 0; color: var(--info); text-decoration: underline; font-size: inherit; text-align: left; }
#message { margin: 0 0 16px; padding: 10px 14px; border-radius: 6px; border: 1px solid; overflow-wrap: anywhere; }
#message.error { color: var(--bad); background: var(--bad-bg); border-color: #ffcecb; }
#message.info { color: var(--info); background: var(--info-bg); border-color: #b6e3ff; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(120px, 1fr)); gap: 10px; margin-bottom: 16px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; min-width: 0; }
.card .num { font-size: 21px; font-weight: 600; font-variant-numeric: tabular-nums; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.card .label { color: var(--muted); font-size: 12px; }
.card.alert .num { color: var(--bad); }
.card.good .num { color: var(--ok); }
section { background: var(--card); border: 1px solid var(--line); border-radius: 8px; margin-bottom: 16px; overflow: hidden; }
section > h2, .section-head { display: flex; flex-wrap: wrap; align-items: center; gap: 8px; justify-content: space-between;
  margin: 0; padding: 10px 16px; font-size: 15px; border-bottom: 1px solid var(--line); background: #fafbfc; }
.section-head h2 { margin: 0; font-size: 15px; }
.count { color: var(--muted); font-weight: 400; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(320px, 1fr)); gap: 12px; margin-bottom: 16px; }
.chart { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; min-width: 0; }
.chart h3 { margin: 0 0 6px; font-size: 13px; color: var(--muted); font-weight: 600; }
.chart svg { display: block; max-width: 100%; }
.chart .legend { font-size: 12px; color: var(--muted); display: flex; gap: 12px; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 4px; }
.swatch.ok, .bar-ok { background: #4ac26b; fill: #4ac26b; }
.swatch.bad, .bar-bad { background: #fa4549; fill: #fa4549; }
.axis { fill: var(--muted); font-size: 11px; }
.gridline { stroke: #eaeef2; stroke-width: 1; }
.rate-line { fill: none; stroke: #cf222e; stroke-width: 2; }
.rate-dot { fill: #cf222e; }
.filters { display: flex; flex-wrap: wrap; gap: 8px 12px; align-items: flex-end; padding: 10px 16px; border-bottom: 1px solid #eaeef2; }
.filters label, .form label { display: flex; flex-direction: column; gap: 2px; font-size: 12px; color: var(--muted); }
input, select, textarea { font: inherit; font-size: 13px; padding: 4px 6px; border: 1px solid var(--line); border-radius: 6px; color: var(--fg); background: #fff; min-width: 0; }
.scroll { overflow-x: auto; }
table { width: 100%; border-collapse: collapse; }
th, td { text-align: left; padding: 7px 12px; border-bottom: 1px solid #eaeef2; vertical-align: top; }
th { font-size: 12px; color: var(--muted); font-weight: 600; white-space: nowrap; }
tr:last-child td { border-bottom: 0; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.time { white-space: nowrap; color: var(--muted); }
td.url, td.err { overflow-wrap: anywhere; max-width: 420px; min-width: 200px; }
td.err { color: var(--bad); }
code, .mono, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px; }
pre { margin: 0; padding: 12px 16px; background: #f6f8fa; overflow: auto; max-height: 420px; white-space: pre-wrap; overflow-wrap: anywhere; }
.empty { padding: 12px 16px; margin: 0; color: var(--muted); }
.pager { display: flex; align-items: center; gap: 8px; padding: 8px 16px; border-top: 1px solid #eaeef2; font-size: 12px; color: var(--muted); }
.badge { display: inline-block; padding: 1px 8px; border-radius: 999px; font-size: 12px; font-weight: 600; white-space: nowrap; }
.badge.delivered, .badge.active { color: var(--ok); background: var(--ok-bg); }
.badge.failed, .badge.pending, .badge.failing { color: var(--warn); background: var(--warn-bg); }
.badge.dead_letter, .badge.disabled { color: var(--bad); background: var(--bad-bg); }
.badge.cancelled { color: var(--muted); background: #eaeef2; }
.reason { display: block; color: var(--muted); font-size: 12px; margin-top: 2px; overflow-wrap: anywhere; }
.tag { display: inline-block; margin: 0 4px 2px 0; padding: 0 6px; border-radius: 4px; background: #eaeef2; }
.bad-text { color: var(--bad); font-weight: 600; }
.detail { display: grid; grid-template-columns: max-content 1fr; gap: 6px 16px; padding: 12px 16px; margin: 0; }
.detail dt { color: var(--muted); font-size: 12px; }
.detail dd { margin: 0; overflow-wrap: anywhere; }
.toolbar { display: flex; flex-wrap: wrap; gap: 8px; padding: 10px 16px; border-bottom: 1px solid #eaeef2; }
.crumbs { margin: 0 0 12px; font-size: 13px; }
h2.page { font-size: 18px; margin: 0 0 4px; overflow-wrap: anywhere; }
dialog { border: 1px solid var(--line); border-radius: 8px; padding: 0; width: min(520px, calc(100vw - 24px)); }
dialog::backdrop { background: rgba(31, 35, 40, .45); }
dialog h2 { margin: 0; padding: 12px 16px; font-size: 15px; border-bottom: 1px solid var(--line); }
dialog .body { padding: 12px 16px; overflow-wrap: anywhere; }
dialog .buttons { display: flex; justify-content: flex-end; gap: 8px; padding: 10px 16px; border-top: 1px solid var(--line); }
.form { display: grid; gap: 10px; }
.form input, .form textarea { width: 100%; }
.secret { display: block; padding: 8px; background: #f6f8fa; border-radius: 6px; user-select: all; overflow-wrap: anywhere; }
.hint { color: var(--muted); font-size: 12px; }
@media (max-width: 720px) {
  header { padding: 10px 12px; }
  main { padding: 12px 10px 32px; }
  .opt { display: none; }
  th, td { padding: 6px 8px; }
  td.url, td.err { min-width: 140px; }
  .card .num { font-size: 19px; }
  .charts { grid-template-columns: 1fr; }
  .detail { grid-template-columns: 1fr; }
  .filters label { flex: 1 1 140px; }
}
`;

import { createHash } from 'node:crypto';
import { CATALOG_SCRIPT, CATALOG_STYLE } from './dashboard.catalog';
import { DASHBOARD_MARKUP } from './dashboard.markup';
import { SCRIPT_BOOT } from './dashboard.script-boot';
import { SCRIPT_CORE } from './dashboard.script-core';
import { SCRIPT_DETAIL } from './dashboard.script-detail';
import { SCRIPT_OVERVIEW } from './dashboard.script-overview';
import { SCRIPT_VIEWS } from './dashboard.script-views';
import { DASHBOARD_STYLE } from './dashboard.style';

/*
 * The operator dashboard: one self-contained page (inline CSS and vanilla JS, no CDN, no build step) assembled from
 * the files beside this one and kept in TS strings so that `tsc` ships it in dist. It calls the admin API with URLs
 * relative to its own location, so it works under any admin prefix (and host global prefix) and sits behind the
 * same guards.
 */

/** The page's one script: its parts in one function scope, in order. */
const SCRIPT = `(function () {\n'use strict';\n${SCRIPT_CORE}${SCRIPT_VIEWS}${SCRIPT_OVERVIEW}${SCRIPT_DETAIL}${SCRIPT_BOOT}})();\n`;

function sha256(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

/** The dashboard page served at `GET /<prefix>/ui`. */
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Webhooks dashboard</title>
<link rel="icon" href="data:,">
<style>${DASHBOARD_STYLE}</style>
<style>${CATALOG_STYLE}</style>
</head>
<body>${DASHBOARD_MARKUP}<script>${SCRIPT}</script><script>${CATALOG_SCRIPT}</script>
</body>
</html>
`;

/**
 * `Content-Security-Policy` of the page: nothing may load or run but its own inline script and style (allowed by
 * hash) and requests to its own origin.
 */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  `script-src ${sha256(SCRIPT)} ${sha256(CATALOG_SCRIPT)}`,
  `style-src ${sha256(DASHBOARD_STYLE)} ${sha256(CATALOG_STYLE)}`,
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

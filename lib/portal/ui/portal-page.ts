import { createHash } from 'node:crypto';
import type { PortalTheme } from '../../config/webhook-config';
import { SCRIPT_CORE } from '../../admin/dashboard/dashboard.script-core';
import { SCRIPT_VIEWS } from '../../admin/dashboard/dashboard.script-views';
import { DASHBOARD_STYLE } from '../../admin/dashboard/dashboard.style';
import { portalMarkup } from './portal.markup';
import { PORTAL_SCRIPTS } from './portal.scripts';
import { PORTAL_STYLE } from './portal.style';

/** What {@link renderPortalPage} needs. */
export interface PortalPageOptions {
  /** Where the tenant API is (`/<portal_prefix>/api`); a relative one (`api`) resolves against the page's URL. */
  api_base: string;
  /** `portal_theme`: title (default `'Webhooks'`), primary color (default `#0969da`), logo (default none). */
  theme: PortalTheme;
  /** Origins (`https://app.example.com`) allowed to embed the page in a frame, besides its own. */
  frame_ancestors: string[];
}

/** The page and the `Content-Security-Policy` to serve it with. */
export interface PortalPage {
  html: string;
  csp: string;
}

const DEFAULT_TITLE = 'Webhooks';
const DEFAULT_COLOR = '#0969da';
const COLOR = /^#(?:[0-9a-f]{3}|[0-9a-f]{6})$/i;
// scheme://host[:port], host a name (maybe *.name) or a bracketed IPv6 address: nothing that could end a CSP directive.
const ORIGIN = /^https?:\/\/(?:\*\.)?(?:[a-z0-9-]+(?:\.[a-z0-9-]+)*|\[[0-9a-f:.]+\])(?::\d{1,5})?$/i;

/** The page's one script: the dashboard's helpers and charts, then the portal's parts, in one function scope. */
const SCRIPT = `(function () {\n'use strict';\n${SCRIPT_CORE}${SCRIPT_VIEWS}${PORTAL_SCRIPTS}})();\n`;

function sha256(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

/** Text for HTML content and double-quoted attribute values. */
function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The origin an absolute http(s) logo URL loads from, null for a path; anything else is refused. */
function logoOrigin(logo: string): string | null {
  if (/^\/(?!\/)/.test(logo)) return null;
  let url: URL;
  try {
    url = new URL(logo);
  } catch {
    throw new TypeError(`portal_theme.logo_url must be an absolute http(s) URL or a path starting with /, got ${JSON.stringify(logo)}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new TypeError(`portal_theme.logo_url must be an http(s) URL or a path starting with /, got the scheme ${url.protocol}`);
  }
  return url.origin;
}

/**
 * Renders the customer portal: one self-contained page (inline style and script, no CDN) and its CSP, which lets
 * nothing load or run but that script and style (by hash), calls to its own origin, images from itself (and the
 * logo's origin), and framing by itself and `frame_ancestors`. Pure: the same options give the same page, so it is
 * rendered once at start-up. Throws a `TypeError` naming the option when a theme value or an origin is malformed.
 */
export function renderPortalPage(options: PortalPageOptions): PortalPage {
  const title = options.theme.title ?? DEFAULT_TITLE;
  const color = options.theme.primary_color ?? DEFAULT_COLOR;
  if (!COLOR.test(color)) throw new TypeError(`portal_theme.primary_color must be a #rgb or #rrggbb color, got ${JSON.stringify(color)}`);
  const logo = options.theme.logo_url;
  const logoSource = logo === undefined ? null : logoOrigin(logo);
  for (const origin of options.frame_ancestors) {
    if (!ORIGIN.test(origin)) throw new TypeError(`portal_frame_ancestors must hold origins such as https://app.example.com (scheme, host, optional port), got ${JSON.stringify(origin)}`);
  }
  const theme = `:root { --primary: ${color}; }\n`;
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(title)}</title>
<link rel="icon" href="data:,">
<style>${DASHBOARD_STYLE}</style>
<style>${PORTAL_STYLE}</style>
<style>${theme}</style>
</head>
<body class="read-only" data-api-base="${escapeHtml(options.api_base)}">${portalMarkup(escapeHtml(title), logo === undefined ? null : escapeHtml(logo))}<script>${SCRIPT}</script>
</body>
</html>
`;
  const csp = [
    "default-src 'none'",
    `script-src ${sha256(SCRIPT)}`,
    `style-src ${sha256(DASHBOARD_STYLE)} ${sha256(PORTAL_STYLE)} ${sha256(theme)}`,
    "connect-src 'self'",
    ['img-src', "'self'", 'data:', ...(logoSource ? [logoSource] : [])].join(' '),
    ['frame-ancestors', "'self'", ...options.frame_ancestors].join(' '),
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
  return { html, csp };
}

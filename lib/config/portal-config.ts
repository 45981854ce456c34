import type { CanActivate, Type } from '@nestjs/common';
import { bool, origins, type Check } from './config-rules';

/** Look of the customer portal page. */
export interface PortalTheme {
  /** Page title and heading, 1 to 80 characters. Default `'Webhooks'`. */
  title?: string;
  /** Accent colour, `#rgb` or `#rrggbb`. Default the page's own blue. */
  primary_color?: string;
  /** Logo shown in the header: an `https://` URL or a path on the app (`/static/logo.svg`). Default none. */
  logo_url?: string;
}

/**
 * Which tenant a request signed in through the app's own auth belongs to (`portal_tenant_resolver`): null when
 * it belongs to none (the request is then a 401).
 */
export type PortalTenantResolver = (request: unknown) => string | null | Promise<string | null>;

/** The customer portal keys of `WebhookConfig` (see docs/portal.md). */
export interface PortalConfig {
  /** Register the customer portal (its page and tenant API). Default false. */
  enable_portal: boolean;
  /** Route prefix of the portal: the page is `/<portal_prefix>/ui`, the API `/<portal_prefix>/api`. Default `'webhooks/portal'`. */
  portal_prefix: string;
  /**
   * Secret that session tokens are signed with (a key is derived from it), at least 32 characters; required with
   * `enable_portal`. Changing it ends every session. Default none.
   */
  portal_secret?: string;
  /**
   * Absolute `http(s)://` URL put before the path in session links (`https://app.example.com`), without query or
   * fragment. Default none: `createSession` returns a path (`/webhooks/portal/ui#token=...`).
   */
  portal_base_url?: string;
  /**
   * Origins (`https://app.example.com`) that may show the portal page in an iframe (CSP `frame-ancestors`).
   * Default [] (the app itself only, `'self'`).
   */
  portal_frame_ancestors: string[];
  /** Title, accent colour and logo of the page. Default {}. */
  portal_theme: PortalTheme;
  /**
   * The app's own guards for portal requests without a bearer token (app-auth mode): every one must allow the
   * request, and `portal_tenant_resolver` then names its tenant. Default none.
   */
  portal_guards: Array<Type<CanActivate> | CanActivate>;
  /** The tenant of an app-auth request (see {@link PortalTenantResolver}). Default none: only tokens sign in. */
  portal_tenant_resolver?: PortalTenantResolver;
}

/** Keys of {@link PortalConfig} that may stay undefined. */
export const OPTIONAL_PORTAL_KEYS: ReadonlySet<keyof PortalConfig> = new Set(['portal_secret', 'portal_base_url', 'portal_tenant_resolver']);

/** Defaults of the portal keys. */
export const DEFAULT_PORTAL_CONFIG = Object.freeze({
  enable_portal: false,
  portal_prefix: 'webhooks/portal',
  portal_frame_ancestors: [] as string[],
  portal_theme: {} as PortalTheme,
  portal_guards: [] as Array<Type<CanActivate> | CanActivate>,
});

/** The shortest `portal_secret` accepted. */
export const PORTAL_SECRET_MIN_LENGTH = 32;

const THEME_KEYS = new Set(['title', 'primary_color', 'logo_url']);

/** `https://...` or a path on the app (`/...`, not `//host`), without characters that could leave an attribute. */
function logoProblem(v: unknown): string | null {
  if (typeof v !== 'string' || v.length > 2048 || /["'<>\\\s]/.test(v)) return 'logo_url must be an https:// URL or a path such as "/logo.svg"';
  if (v.startsWith('/') && !v.startsWith('//')) return null;
  try {
    return new URL(v).protocol === 'https:' ? null : 'logo_url must be an https:// URL or a path such as "/logo.svg"';
  } catch {
    return 'logo_url must be an https:// URL or a path such as "/logo.svg"';
  }
}

const theme: Check = (v) => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'must be an object { title?, primary_color?, logo_url? }';
  const t = v as Record<string, unknown>;
  const unknown = Object.keys(t).find((k) => !THEME_KEYS.has(k));
  if (unknown !== undefined) return `has an unknown key ${JSON.stringify(unknown)}: use title, primary_color or logo_url`;
  if (t.title !== undefined && (typeof t.title !== 'string' || t.title.trim().length === 0 || t.title.length > 80)) return 'title must be a string of 1 to 80 characters';
  if (t.primary_color !== undefined && (typeof t.primary_color !== 'string' || !/^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/.test(t.primary_color))) return 'primary_color must be a colour such as "#0a7" or "#00aa77"';
  return t.logo_url === undefined ? null : logoProblem(t.logo_url);
};

const baseUrl: Check = (v) => {
  const problem = 'must be an absolute http(s) URL without query or fragment, such as "https://app.example.com"';
  if (typeof v !== 'string') return problem;
  try {
    const url = new URL(v);
    return /^https?:$/.test(url.protocol) && !url.search && !url.hash && !v.includes('?') && !v.includes('#') && !url.username && !url.password ? null : problem;
  } catch {
    return problem;
  }
};

/** The check of every portal key. */
export const PORTAL_CHECKS: Record<keyof PortalConfig, Check> = {
  enable_portal: bool,
  portal_prefix: (v) => (typeof v === 'string' && /^[A-Za-z0-9/_-]*[A-Za-z0-9_-][A-Za-z0-9/_-]*$/.test(v) ? null : 'must be a route prefix such as "webhooks/portal"'),
  portal_secret: (v) => (typeof v === 'string' && v.length >= PORTAL_SECRET_MIN_LENGTH ? null : `must be a string of at least ${PORTAL_SECRET_MIN_LENGTH} characters (e.g. \`openssl rand -base64 48\`)`),
  portal_base_url: baseUrl,
  portal_frame_ancestors: origins,
  portal_theme: theme,
  portal_guards: (v) => (Array.isArray(v) ? null : 'must be an array of guard classes or instances'),
  portal_tenant_resolver: (v) => (typeof v === 'function' ? null : 'must be a function (request) => tenant id | null'),
};

/** Keys whose problems describe the part at fault themselves. */
export const SELF_DESCRIBED_PORTAL_KEYS: ReadonlySet<keyof PortalConfig> = new Set(['portal_secret', 'portal_theme']);

/**
 * The cross-key rules of the portal: a secret is required once it is enabled, and app-auth mode takes both its
 * keys (one without the other would answer 401 to every request without a token). Returns [key, problem] or null.
 */
export function portalConfigProblem(config: PortalConfig): [keyof PortalConfig, string] | null {
  if (config.enable_portal && config.portal_secret === undefined) {
    return ['portal_secret', `is required with enable_portal: set it to a random string of at least ${PORTAL_SECRET_MIN_LENGTH} characters (e.g. \`openssl rand -base64 48\`)`];
  }
  if (config.enable_portal && config.portal_tenant_resolver !== undefined && config.portal_guards.length === 0) {
    return ['portal_guards', 'is empty while portal_tenant_resolver is set: app-auth mode lets a request in when your guards allow it, so list the guards that check your users (or leave both out to use session links only)'];
  }
  if (config.enable_portal && config.portal_tenant_resolver === undefined && config.portal_guards.length > 0) {
    return ['portal_tenant_resolver', 'is required with portal_guards: it names the tenant of a request your guards allowed, (request) => tenant id | null'];
  }
  return null;
}

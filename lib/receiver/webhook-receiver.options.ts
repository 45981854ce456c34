import { HEADER_NAME_PATTERN } from '../domain/custom-headers';
import { DEFAULT_TOLERANCE_SECONDS } from '../signing/verify';
import { MemoryReplayStore } from './memory-replay.store';
import { InvalidWebhookReceiverOptionError } from './receiver-option.error';
import { checkReceiverKeys, type ReceiverScheme } from './receiver-keys';
import { isWebhookReplayStore, type WebhookReplayStore } from './webhook-replay.store';

/** One verification key (`whsec_...` or `whpk_...`; body-hmac: the secret string), or several during a rotation. */
export type WebhookReceiverKeys = string | readonly string[];

/**
 * Finds the keys of the sender of one request (multi-tenant receivers): from its path, a header, your database...
 * Gets the platform's request (Express `Request`). Returns null, undefined or `[]` for an unknown sender (the
 * request is refused with `unknown_sender`); may throw an `HttpException` of its own.
 */
export type WebhookSecretResolver<TRequest = any> = (request: TRequest) => WebhookReceiverKeys | null | undefined | Promise<WebhookReceiverKeys | null | undefined>;

/** Options of `WebhookReceiverModule.forRoot()` / `forRootAsync()`. Give exactly one of `secrets` and `secret_resolver`. */
export interface WebhookReceiverOptions {
  /** The key(s) every request must verify with; several during a rotation (a request matching any one passes). */
  secrets?: WebhookReceiverKeys;
  /** A key per sender, looked up per request. */
  secret_resolver?: WebhookSecretResolver;
  /**
   * `'standard-webhooks'` (default: `v1,` HMAC and `v1a,` ed25519 signatures over `id.timestamp.body`, with
   * timestamp tolerance and replay protection) or `'body-hmac'` (GitHub-style `sha256=<hex>` over the body alone:
   * it signs no id or time, so there is no timestamp check and no replay protection).
   */
  scheme?: ReceiverScheme;
  /** body-hmac only: `'sha256'` (default) or `'sha512'`. */
  signature_algorithm?: 'sha256' | 'sha512';
  /** Header holding the signature(s). Default `webhook-signature` for both schemes (GitHub: `x-hub-signature-256`). */
  signature_header?: string;
  /** Default `webhook-id`. */
  event_id_header?: string;
  /** Default `webhook-timestamp`. */
  timestamp_header?: string;
  /** Where `@WebhookEvent()` reads the event type before looking in the body. Default `webhook-event-type`. */
  event_type_header?: string;
  /** Max age (and max clock skew into the future) of the signed timestamp, seconds. Default 300. */
  tolerance_seconds?: number;
  /** Where accepted messages are remembered so a replay is refused. Default: a new `MemoryReplayStore` (one process). */
  replay_store?: WebhookReplayStore;
}

/** {@link WebhookReceiverOptions} checked, with every default filled in. */
export interface WebhookReceiverConfig {
  /** The fixed keys, or null when a resolver finds them per request. */
  keys: string[] | null;
  secret_resolver: WebhookSecretResolver | null;
  scheme: ReceiverScheme;
  signature_algorithm: 'sha256' | 'sha512';
  signature_header: string;
  event_id_header: string;
  timestamp_header: string;
  event_type_header: string;
  tolerance_seconds: number;
  replay_store: WebhookReplayStore;
}

const KNOWN = new Set<string>([
  'secrets',
  'secret_resolver',
  'scheme',
  'signature_algorithm',
  'signature_header',
  'event_id_header',
  'timestamp_header',
  'event_type_header',
  'tolerance_seconds',
  'replay_store',
]);

/** Checks the options (throwing {@link InvalidWebhookReceiverOptionError} naming the option) and fills in defaults. */
export function resolveReceiverOptions(options: WebhookReceiverOptions | null | undefined): WebhookReceiverConfig {
  if (options === null || typeof options !== 'object') {
    throw new InvalidWebhookReceiverOptionError('secrets', 'no options given: pass { secrets: ... } or { secret_resolver: ... }');
  }
  const fail = (key: string, message: string): never => {
    throw new InvalidWebhookReceiverOptionError(key, message);
  };
  for (const key of Object.keys(options)) {
    if (!KNOWN.has(key)) fail(key, `unknown option (known: ${[...KNOWN].join(', ')})`);
  }
  const o = options;
  const scheme = o.scheme ?? 'standard-webhooks';
  if (scheme !== 'standard-webhooks' && scheme !== 'body-hmac') fail('scheme', `must be 'standard-webhooks' or 'body-hmac' (got ${JSON.stringify(scheme)})`);
  const signature_algorithm = o.signature_algorithm ?? 'sha256';
  if (signature_algorithm !== 'sha256' && signature_algorithm !== 'sha512') fail('signature_algorithm', "must be 'sha256' or 'sha512'");
  if (scheme === 'standard-webhooks' && signature_algorithm !== 'sha256') fail('signature_algorithm', "Standard Webhooks signatures are HMAC-SHA256 or ed25519: 'sha512' needs scheme 'body-hmac'");

  let keys: string[] | null = null;
  const hasSecrets = o.secrets !== undefined && o.secrets !== null;
  const hasResolver = o.secret_resolver !== undefined && o.secret_resolver !== null;
  if (hasSecrets && hasResolver) fail('secrets', 'give secrets or secret_resolver, not both');
  if (!hasSecrets && !hasResolver) fail('secrets', "missing: give the key(s) to verify with (whsec_... or whpk_...), or a secret_resolver: (request) => key(s)");
  if (hasResolver && typeof o.secret_resolver !== 'function') fail('secret_resolver', 'must be a function (request) => key | key[] | Promise<...>');
  if (hasSecrets) {
    const checked = checkReceiverKeys(o.secrets, scheme);
    if (!checked.ok) fail('secrets', checked.problem);
    else if (checked.keys.length === 0) fail('secrets', 'is empty: give at least one key');
    else keys = checked.keys;
  }

  const header = (key: 'signature_header' | 'event_id_header' | 'timestamp_header' | 'event_type_header', fallback: string): string => {
    const value = o[key] ?? fallback;
    if (typeof value !== 'string' || !HEADER_NAME_PATTERN.test(value)) fail(key, `must be a valid HTTP header name (got ${JSON.stringify(value)})`);
    return value.toLowerCase();
  };
  const tolerance_seconds = o.tolerance_seconds ?? DEFAULT_TOLERANCE_SECONDS;
  if (typeof tolerance_seconds !== 'number' || !Number.isFinite(tolerance_seconds) || tolerance_seconds <= 0) fail('tolerance_seconds', 'must be a number of seconds > 0');
  if (o.replay_store !== undefined && !isWebhookReplayStore(o.replay_store)) {
    fail('replay_store', 'must implement WebhookReplayStore: an object with remember(id, expires_at): Promise<boolean>');
  }
  return {
    keys,
    secret_resolver: hasResolver ? o.secret_resolver! : null,
    scheme,
    signature_algorithm,
    signature_header: header('signature_header', 'webhook-signature'),
    event_id_header: header('event_id_header', 'webhook-id'),
    timestamp_header: header('timestamp_header', 'webhook-timestamp'),
    event_type_header: header('event_type_header', 'webhook-event-type'),
    tolerance_seconds,
    replay_store: o.replay_store ?? new MemoryReplayStore(),
  };
}

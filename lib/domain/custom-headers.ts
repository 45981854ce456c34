import { InvalidSubscriptionError } from './webhook.error';

/** Most custom headers one subscription may carry. */
export const MAX_CUSTOM_HEADERS = 32;
/** Most bytes of all custom header names and values of one subscription together. */
export const MAX_CUSTOM_HEADER_BYTES = 8192;

/** An HTTP header name: an RFC 9110 token. */
export const HEADER_NAME_PATTERN = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;
/** Longest custom header name. */
const MAX_HEADER_NAME = 256;
/** Visible ASCII, spaces and tabs: no CR, LF or other control characters. */
const HEADER_VALUE = /^[\t\x20-\x7e]*$/;

/**
 * Headers a subscription can never set, whatever the module config: the ones HTTP itself manages (the transport
 * writes host, content-length and connection; hop-by-hop headers are refused by it) and the body's type, which
 * the signature covers.
 */
export const FIXED_RESERVED_HEADERS: readonly string[] = Object.freeze(['host', 'content-length', 'content-type', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'expect', 'te', 'trailer']);

/** The module's own header names, as configured. */
export interface ModuleHeaderNames {
  signature_header: string;
  event_id_header: string;
  timestamp_header: string;
  event_type_header: string;
}

/** Every header name (lower case) a subscription cannot set under this config: the fixed ones and the module's own. */
export function reservedHeaderNames(names: ModuleHeaderNames): ReadonlySet<string> {
  const own = [names.signature_header, `${names.signature_header}-previous`, names.event_id_header, names.timestamp_header, names.event_type_header];
  return new Set([...FIXED_RESERVED_HEADERS, ...own.map((n) => n.toLowerCase())]);
}

/** The first thing wrong with a subscription's `headers`: where (`headers.x-api-key`) and what. */
export interface HeadersProblem {
  path: string;
  message: string;
}

/**
 * What is wrong with `value` as custom headers, or null. Names are HTTP tokens (compared without case, so each
 * at most once), values have no CR/LF or other control characters, and `reserved` names are refused. Messages
 * never repeat a value: values are credentials.
 */
export function headersProblem(value: unknown, reserved: ReadonlySet<string>): HeadersProblem | null {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { path: 'headers', message: 'must be an object of header names to string values, or null for none' };
  }
  const names = Object.keys(value);
  if (names.length > MAX_CUSTOM_HEADERS) return { path: 'headers', message: `holds ${names.length} headers, more than ${MAX_CUSTOM_HEADERS}` };
  const seen = new Set<string>();
  let bytes = 0;
  for (const name of names) {
    const path = `headers.${name}`;
    if (name.length > MAX_HEADER_NAME || !HEADER_NAME_PATTERN.test(name)) return { path: `headers[${JSON.stringify(name.slice(0, 40))}]`, message: 'is not a valid HTTP header name (letters, digits and !#$%&\'*+.^_`|~-, at most 256)' };
    const lower = name.toLowerCase();
    if (reserved.has(lower)) return { path, message: `${lower} is set by the module and cannot be overridden` };
    if (seen.has(lower)) return { path, message: `${lower} is given twice (header names ignore case)` };
    seen.add(lower);
    const v = (value as Record<string, unknown>)[name];
    if (typeof v !== 'string') return { path, message: 'must be a string' };
    if (!HEADER_VALUE.test(v)) return { path, message: 'has a character that is not allowed: use visible ASCII, spaces and tabs (no CR/LF)' };
    bytes += name.length + v.length;
  }
  if (bytes > MAX_CUSTOM_HEADER_BYTES) return { path: 'headers', message: `names and values are ${bytes} bytes together, over ${MAX_CUSTOM_HEADER_BYTES}` };
  return null;
}

/**
 * Valid custom headers as a fresh object with lower-case names (`{}` for null or undefined). Throws
 * {@link InvalidSubscriptionError} naming the header, never its value.
 */
export function validateHeaders(value: unknown, reserved: ReadonlySet<string>): Record<string, string> {
  if (value === undefined || value === null) return {};
  const problem = headersProblem(value, reserved);
  if (problem) throw new InvalidSubscriptionError(`${problem.path}: ${problem.message}`, 'headers');
  // fromEntries defines own properties, also for a name such as __proto__ (an assignment would drop it).
  return Object.fromEntries(Object.entries(value as Record<string, string>).map(([name, v]) => [name.toLowerCase(), v]));
}

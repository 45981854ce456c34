/** The per-key rules of the config check: pure functions, each saying what is wrong with a value. */
import { CronTime } from 'cron';
import { HEADER_NAME_PATTERN } from '../domain/custom-headers';

/** A per-key rule: what is wrong with a value (phrased to follow the key name), or null when it is fine. */
export type Check = (value: unknown) => string | null;

/** A finite number > 0. */
export const positiveNumber: Check = (v) => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? null : 'must be a number > 0');
/** A finite number >= 0. */
export const nonNegativeNumber: Check = (v) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? null : 'must be a number >= 0');
/** An integer >= 1. */
export const positiveInt: Check = (v) => (Number.isInteger(v) && (v as number) > 0 ? null : 'must be an integer >= 1');
/** An integer >= 0. */
export const nonNegativeInt: Check = (v) => (Number.isInteger(v) && (v as number) >= 0 ? null : 'must be an integer >= 0');
/** true or false. */
export const bool: Check = (v) => (typeof v === 'boolean' ? null : 'must be true or false');
/** One of the given strings. */
export const oneOf =
  (...allowed: string[]): Check =>
  (v) =>
    allowed.includes(v as string) ? null : `must be one of ${allowed.map((a) => `'${a}'`).join(', ')}`;
/** An RFC 9110 header name. */
export const headerName: Check = (v) =>
  typeof v === 'string' && HEADER_NAME_PATTERN.test(v) ? null : 'must be a valid HTTP header name';
/** A string with something besides white space. */
export const nonEmptyString: Check = (v) => (typeof v === 'string' && v.trim().length > 0 ? null : 'must be a non-empty string');
/** An array of non-empty strings. */
export const stringArray: Check = (v) => (Array.isArray(v) && v.every((x) => typeof x === 'string' && x.length > 0) ? null : 'must be an array of non-empty strings');
/** A cron expression with seconds, as `CronTime` parses it. */
export const cron: Check = (v) => {
  if (typeof v !== 'string' || v.trim() === '') return "must be a cron expression such as '* * * * * *' (second minute hour day month weekday)";
  try {
    new CronTime(v);
    return null;
  } catch (err) {
    return `is not a valid cron expression: ${(err as Error).message}`;
  }
};
/** An array of origins (`scheme://host[:port]`, http or https, no path). */
export const origins: Check = (v) => {
  if (!Array.isArray(v)) return 'must be an array of origins such as "https://admin.example.com"';
  for (const o of v) {
    let parsed: URL | null = null;
    try {
      parsed = typeof o === 'string' ? new URL(o) : null;
    } catch {
      parsed = null;
    }
    if (!parsed || !/^https?:$/.test(parsed.protocol) || parsed.origin !== o) return `must be an array of origins (scheme://host[:port], no path or trailing slash); ${JSON.stringify(o)} is not one`;
  }
  return null;
};
/** An array of distinct canonical base64 strings of 32 bytes each. */
export const encryptionKeys: Check = (v) => {
  if (!Array.isArray(v)) return 'must be an array of base64 strings of 32 random bytes each (openssl rand -base64 32)';
  for (let i = 0; i < v.length; i++) {
    const k = v[i];
    // Canonical base64 only, so that a truncated or mangled key is an error here rather than a different key.
    if (typeof k !== 'string' || !/^[A-Za-z0-9+/]{43}=$/.test(k) || Buffer.from(k, 'base64').length !== 32) {
      return `entry ${i} is not the base64 of 32 bytes: make a key with \`openssl rand -base64 32\``;
    }
  }
  if (new Set(v).size !== v.length) return 'holds the same key twice';
  return null;
};
/** A number in [min, max]. */
export const between =
  (min: number, max: number): Check =>
  (v) =>
    typeof v === 'number' && v >= min && v <= max ? null : `must be a number between ${min} and ${max}`;

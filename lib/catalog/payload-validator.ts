import type { PayloadFieldError } from '../domain/webhook.error';

/** Checks payloads against one event type's schema. */
export interface PayloadValidator {
  /** The fields of `payload` (a JSON value, as receivers get it) that fail the schema; [] when it passes. */
  validate(payload: unknown): Promise<PayloadFieldError[]>;
}

/** `customer.email: must be an email; lines.0.quantity: must not be less than 1`, at most `max` of them. */
export function describeFieldErrors(errors: readonly PayloadFieldError[], max = 20): string {
  const shown = errors.slice(0, max).map((e) => `${e.path === '' ? '(payload)' : e.path}: ${e.message}`);
  if (errors.length > max) shown.push(`and ${errors.length - max} more`);
  return shown.join('; ');
}

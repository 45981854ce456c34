import { BadRequestException } from '@nestjs/common';
import type { AttemptCursor, SubscriptionCursor } from '../domain/stores';
import type { DeliveryAttempt, WebhookSubscription } from '../domain/types';

/** Response header carrying the cursor of the next page, when there may be one. */
export const NEXT_CURSOR_HEADER = 'X-Next-Cursor';

/**
 * Opaque page cursors of the admin list routes: the key of the last item of a page (base64url JSON), so the next
 * page starts there with an index range scan, whatever its depth. `?cursor=` takes the `X-Next-Cursor` header of
 * the previous response.
 */
export function subscriptionCursor(page: readonly WebhookSubscription[], limit: number): string | null {
  const last = page.length >= limit ? page[page.length - 1] : undefined;
  return last ? encode([new Date(last.created_at).toISOString(), last.subscription_id]) : null;
}

export function attemptCursor(page: readonly DeliveryAttempt[], limit: number): string | null {
  const last = page.length >= limit ? page[page.length - 1] : undefined;
  return last ? encode([new Date(last.attempted_at).toISOString(), last.attempt_number, last.attempt_id]) : null;
}

/** The subscription list position a `cursor` names; a 400 naming `cursor` when it is not one. */
export function parseSubscriptionCursor(cursor: string | undefined): SubscriptionCursor | undefined {
  if (cursor === undefined) return undefined;
  const v = decode(cursor);
  if (v.length !== 2 || typeof v[1] !== 'string') throw badCursor();
  return { created_at: date(v[0]), subscription_id: v[1] };
}

/** The attempt log position a `cursor` names; a 400 naming `cursor` when it is not one. */
export function parseAttemptCursor(cursor: string | undefined): AttemptCursor | undefined {
  if (cursor === undefined) return undefined;
  const v = decode(cursor);
  if (v.length !== 3 || !Number.isInteger(v[1]) || typeof v[2] !== 'string') throw badCursor();
  return { attempted_at: date(v[0]), attempt_number: v[1] as number, attempt_id: v[2] };
}

function encode(key: unknown[]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

function decode(cursor: string): unknown[] {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(v)) return v;
  } catch {
    // refused below
  }
  throw badCursor();
}

function date(v: unknown): Date {
  const d = typeof v === 'string' ? new Date(v) : new Date(NaN);
  if (Number.isNaN(d.getTime())) throw badCursor();
  return d;
}

function badCursor(): BadRequestException {
  return new BadRequestException({
    statusCode: 400,
    error: 'Bad Request',
    message: [`cursor is not a cursor of this list: pass the ${NEXT_CURSOR_HEADER} header of the previous page`],
    code: 'VALIDATION_FAILED',
    fields: ['cursor'],
  });
}

/** Sets the next-page header on an Express or Fastify response (nothing when this was the last page). */
export function setNextCursor(res: unknown, cursor: string | null): void {
  if (cursor === null) return;
  const r = res as { setHeader?: (name: string, value: string) => void; header?: (name: string, value: string) => void };
  if (typeof r.setHeader === 'function') r.setHeader(NEXT_CURSOR_HEADER, cursor);
  else r.header?.(NEXT_CURSOR_HEADER, cursor);
}

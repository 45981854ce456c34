import type { DataSource } from 'typeorm';
import type { StoredEvent } from '../../../../domain/types';
import type { NewDeliveryRow } from '../../typeorm-rows';
import { WebhookDeliveryEntity } from '../../webhook-delivery.entity';
import { WebhookEventEntity } from '../../webhook-event.entity';
import { dateParam, textFor, type SqlStatement } from '../sql-statement';

/**
 * The enqueue, ONE statement over `unnest`ed arrays: inserts the events (`ON CONFLICT DO NOTHING`: one already
 * stored is skipped, and a concurrent insert of the same id is waited for instead of failing), then the deliveries
 * of the events that were new. Returns `{ event_id }` of each event it created. `events` hold each id once.
 */
export function pgEnqueue(ds: DataSource, events: readonly StoredEvent[], rows: readonly NewDeliveryRow[]): SqlStatement {
  const text = textFor(ds, 'pg.enqueue', ({ table, columns }) => {
    const ev = columns(WebhookEventEntity);
    const dl = columns(WebhookDeliveryEntity);
    return (
      `WITH ev AS (INSERT INTO ${table(WebhookEventEntity)} (${ev('event_id')}, ${ev('event_type')}, ${ev('body')}, ${ev('occurred_at')}, ${ev('source')}, ${ev('created_at')}, ${ev('traceparent')}) ` +
      `SELECT v.id, v.typ, json_build_object('text', v.body), v.occurred, v.src, v.created, v.tp ` +
      `FROM unnest($1::varchar[], $2::varchar[], $3::text[], $4::timestamp(3)[], $5::varchar[], $6::timestamp(3)[], $7::varchar[]) AS v(id, typ, body, occurred, src, created, tp) ` +
      `ON CONFLICT (${ev('event_id')}) DO NOTHING RETURNING ${ev('event_id')} AS event_id), ` +
      `dl AS (INSERT INTO ${table(WebhookDeliveryEntity)} (${dl('delivery_id')}, ${dl('subscription_id')}, ${dl('event_id')}, ${dl('event_type')}, ` +
      `${dl('status')}, ${dl('attempts')}, ${dl('next_attempt_at')}, ${dl('created_at')}, ${dl('updated_at')}, ${dl('locked_by')}, ${dl('locked_until')}, ${dl('lane_key')}, ${dl('lane_seq')}) ` +
      `SELECT d.id, d.sub, d.evt, d.typ, 'pending', 0, d.at, d.at, d.at, d.lby, d.luntil, d.lane, d.seq ` +
      `FROM unnest($8::varchar[], $9::varchar[], $10::varchar[], $11::varchar[], $12::timestamp(3)[], $13::varchar[], $14::timestamp(3)[], $15::varchar[], $16::bigint[]) AS d(id, sub, evt, typ, at, lby, luntil, lane, seq) ` +
      `WHERE d.evt IN (SELECT event_id FROM ev)) ` +
      `SELECT event_id FROM ev`
    );
  });
  const at = dateParam(ds);
  return {
    text,
    values: [
      events.map((e) => e.event_id),
      events.map((e) => e.event_type),
      events.map((e) => e.body),
      events.map((e) => at(e.occurred_at)),
      events.map((e) => e.source),
      events.map((e) => at(e.created_at)),
      events.map((e) => e.traceparent ?? null),
      rows.map((d) => d.delivery_id),
      rows.map((d) => d.subscription_id),
      rows.map((d) => d.event_id),
      rows.map((d) => d.event_type),
      rows.map((d) => at(d.at)),
      rows.map((d) => d.locked_by),
      rows.map((d) => at(d.locked_until)),
      rows.map((d) => d.lane),
      rows.map((d) => d.lane_seq),
    ],
  };
}

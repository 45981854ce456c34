import type { DataSource } from 'typeorm';
import { WebhookDeliveryEntity } from '../../webhook-delivery.entity';
import { WebhookEventEntity } from '../../webhook-event.entity';
import { dueQuery } from '../claim-query';
import type { ClaimRequest } from '../queue-dialect';
import { dateParam, textFor, type SqlStatement } from '../sql-statement';

/**
 * The claim, ONE statement (its own transaction): picks due rows with `FOR UPDATE SKIP LOCKED` (`dueQuery`, whose
 * parameters come first), leases them, and returns them joined with their events (`e_*` columns), oldest due
 * first. The text varies with the request (the pick's lists), so only its tail is kept per DataSource.
 */
export function pgClaim(ds: DataSource, request: ClaimRequest): SqlStatement {
  // PostgreSQL computes the array of the fair pick once.
  const pick = dueQuery(ds.manager, 'due', request, (idColumn, chosenSql) => `${idColumn} = ANY(ARRAY(${chosenSql}))`);
  const [pickText, pickValues] = pick.setLock('pessimistic_write').setOnLocked('skip_locked').getQueryAndParameters();
  const n = pickValues.length;
  const tail = textFor(ds, 'pg.claim.tail', ({ table }) =>
    `SELECT leased.*, e.body AS e_body, e.occurred_at AS e_occurred_at, e.source AS e_source, e.created_at AS e_created_at, e.traceparent AS e_traceparent ` +
    `FROM leased JOIN ${table(WebhookEventEntity)} AS e ON e.event_id = leased.event_id ORDER BY leased.next_attempt_at, leased.delivery_id`,
  );
  const deliveries = textFor(ds, 'pg.claim.table', ({ table }) => table(WebhookDeliveryEntity));
  const at = dateParam(ds);
  return {
    text:
      `WITH picked AS (${pickText}), ` +
      `leased AS (UPDATE ${deliveries} AS d SET locked_until = $${n + 1}, locked_by = $${n + 2}, updated_at = $${n + 3} ` +
      `FROM picked WHERE d.delivery_id = picked.delivery_id RETURNING d.*) ` +
      tail,
    values: [...pickValues, at(request.lease.locked_until), request.lease.locked_by, at(request.lease.updated_at)],
  };
}

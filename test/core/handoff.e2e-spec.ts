import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { WEBHOOK_DELIVERY_STORE, WebhookDeliveryService, WebhookSubscriptionService, type WebhookDeliveryStore, type WebhookModuleOptions } from '../../lib';
import { startOnStore } from '../support/app';
import { describeIfDatabase, type DatabaseKind } from '../support/databases';
import { ok, TestReceiver, waitFor, type Behaviour } from '../support/receiver';

/**
 * Fresh deliveries of this process's dispatch() are stored already leased to its worker and sent without a
 * claim; what does not fit goes to the store and is claimed, and new deliveries for that endpoint cannot keep
 * it waiting there.
 */
/** A retry cron that does not fire during a test (noon on January 1st): only hand-offs and wakes are at play. */
const NEVER = '0 0 12 1 1 *';

interface Harness {
  delivery: WebhookDeliveryService;
  subscriptions: WebhookSubscriptionService;
  store: WebhookDeliveryStore;
  /** Rows returned by claimDue since the app started. */
  claimedRows: () => number;
  /** claimDue calls that have returned. */
  claims: () => number;
  close(): Promise<void>;
}

async function start(kind: 'memory' | DatabaseKind, options: WebhookModuleOptions): Promise<Harness> {
  // Counts what claims return, on the real store (the store still does the work).
  let claimedRows = 0;
  let claims = 0;
  let store!: WebhookDeliveryStore;
  const { module, close } = await startOnStore(kind, options, {
    namespace: 'webhook_handoff',
    prepare: (m) => {
      store = m.get<WebhookDeliveryStore>(WEBHOOK_DELIVERY_STORE);
      const claimDue = store.claimDue.bind(store);
      store.claimDue = async (o) => {
        const rows = await claimDue(o);
        claimedRows += rows.length;
        claims++;
        return rows;
      };
    },
  });
  return {
    delivery: module.get(WebhookDeliveryService),
    subscriptions: module.get(WebhookSubscriptionService),
    store,
    claimedRows: () => claimedRows,
    claims: () => claims,
    close,
  };
}

function suite(kind: 'memory' | DatabaseKind): void {
  let receiver: TestReceiver;
  let h: Harness | undefined;
  const timers = new Set<NodeJS.Timeout>();

  beforeAll(async () => {
    receiver = await TestReceiver.start();
  });
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });
  afterAll(async () => {
    for (const t of timers) clearTimeout(t);
    await receiver.close();
  });

  /** Answers 200 after `ms`. */
  const slow =
    (ms: number): Behaviour =>
    (_req, res) => {
      const t = setTimeout(() => {
        timers.delete(t);
        res.end('ok');
      }, ms);
      timers.add(t);
    };

  it('sends fresh deliveries without claiming them, leased to this worker until sent', async () => {
    const path = `/fresh-${kind}`;
    receiver.on(path, ok());
    // No periodic claims during the test (each one holds hand-offs back until it has looked in the store), and
    // room for all 20 at once (twice the per-endpoint cap), as the memory store dispatches faster than HTTP sends.
    h = await start(kind, { retry_cron: NEVER, max_concurrent_per_endpoint: 10 });
    const sub = await h.subscriptions.create({ url: receiver.url(path), event_types: ['fresh'] });
    // Let the start-up claim (there may be older work in the store) come back empty first.
    await waitFor(() => h!.claims() > 0 || undefined, 'the first claim');
    const before = h.claimedRows();
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) ids.push((await h.delivery.dispatch({ event_type: 'fresh', payload: { i } })).event_id);
    await waitFor(() => receiver.received(path).length >= 20 || undefined, 'the 20 deliveries');
    await waitFor(async () => ((await h!.store.getAttempts({ subscription_id: sub.subscription_id, limit: 100 })).length >= 20 ? true : undefined), 'the 20 attempts');
    expect(h.claimedRows() - before).toBe(0);
    for (const id of ids) expect(await h.store.getDelivery(id, sub.subscription_id)).toMatchObject({ status: 'delivered', locked_by: null, attempts: 1 });
    expect(new Set(receiver.received(path).map((r) => r.headers['webhook-id']))).toEqual(new Set(ids));
  });

  it('stores what does not fit unleased, and drains that backlog while new deliveries keep coming faster than the endpoint answers', async () => {
    const path = `/backlog-${kind}`;
    receiver.on(path, slow(30));
    // Two sends at a time, 30 ms each: the endpoint takes about 66 deliveries a second. No periodic claims
    // (they too would make room for the store's work): only the backlog rule is at play.
    h = await start(kind, { max_concurrent_per_endpoint: 2, retry_cron: NEVER });
    await h.subscriptions.create({ url: receiver.url(path), event_types: ['backlog'] });
    await waitFor(() => h!.claims() > 0 || undefined, 'the first claim');
    // A burst: four fit (twice the cap), the rest wait in the store.
    const burst: string[] = [];
    for (let i = 0; i < 20; i++) burst.push((await h.delivery.dispatch({ event_type: 'backlog', event_id: `burst-${kind}-${i}`, payload: { i } })).event_id);
    // Then a stream of about 150 a second for 1.5 s, more than the endpoint takes: hand-offs alone would keep it
    // busy with new deliveries and leave the burst waiting in the store until the stream stops.
    const streamEnd = Date.now() + 1500;
    for (let i = 0; Date.now() < streamEnd; i += 2) {
      const event = (n: number) => ({ event_type: 'backlog', event_id: `stream-${kind}-${n}`, payload: { n } });
      await Promise.all([h.delivery.dispatch(event(i)), h.delivery.dispatch(event(i + 1))]);
      await new Promise((r) => setTimeout(r, 10));
    }
    const arrivedBeforeEnd = new Set(receiver.received(path).filter((r) => r.at <= streamEnd).map((r) => r.headers['webhook-id']));
    expect(burst.filter((id) => !arrivedBeforeEnd.has(id))).toEqual([]);
    expect(h.claimedRows()).toBeGreaterThanOrEqual(16);
  });
}

describe('hand-off of fresh deliveries: memory store', () => suite('memory'));
describeIfDatabase('postgres', 'hand-off of fresh deliveries: PostgreSQL', () => suite('postgres'));
describe('hand-off of fresh deliveries: SQLite', () => suite('sqlite'));

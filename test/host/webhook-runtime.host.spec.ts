import { describe, expect, it } from '@jest/globals';
import { Logger } from '@nestjs/common';
import type { StoreSignalListener } from '../../lib/domain/stores';
import { WebhookRuntimeHost } from '../../lib/delivery/webhook-runtime.host';

/**
 * A unit test of the one class that starts and stops the module's background parts: each part is a fake that
 * records its calls in one shared list, so the list is the order in which the host called them.
 */

type Calls = string[];

/** Fake parts; `failing` names the call that throws (e.g. 'cache.start'). */
function host(options: { failing?: string; signals?: boolean; shutdownTimeoutSeconds?: number } = {}) {
  const calls: Calls = [];
  let listener: StoreSignalListener | null = null;
  const call = (name: string) => {
    calls.push(name);
    if (options.failing === name) throw new Error(`${name} broke`);
  };
  const callAsync = async (name: string) => call(name);
  const startable = (name: string) => ({ start: () => call(`${name}.start`), stop: () => callAsync(`${name}.stop`) });
  const signals = {
    start: async (l: StoreSignalListener) => {
      listener = l;
      call('signals.start');
    },
    stop: () => callAsync('signals.stop'),
  };
  const runtime = new WebhookRuntimeHost(
    { shutdown_timeout_seconds: options.shutdownTimeoutSeconds ?? 30 },
    { resolve: () => call('transactions.resolve') },
    options.signals === false ? null : signals,
    { ...startable('cache'), refresh: () => call('cache.refresh') },
    { close: () => callAsync('transport.close') },
    { wake: () => call('engine.wake'), stop: (graceMs: number) => callAsync(`engine.stop(${graceMs})`) },
    { lookUp: () => callAsync('scheduler.lookUp') },
    startable('retry'),
    startable('retention'),
  );
  return { runtime, calls, listener: () => listener };
}

/** Silences the host's error log for a test that makes a part fail on purpose. */
async function quietly<T>(run: () => Promise<T>): Promise<T> {
  const original = Logger.prototype.error;
  Logger.prototype.error = () => undefined;
  try {
    return await run();
  } finally {
    Logger.prototype.error = original;
  }
}

const START_ORDER = ['transactions.resolve', 'signals.start', 'cache.start', 'engine.wake', 'scheduler.lookUp', 'retry.start', 'retention.start'];

describe('WebhookRuntimeHost', () => {
  it('starts the store signals, the subscription cache, the engine, then the cron jobs (retry, retention)', async () => {
    const { runtime, calls } = host();
    await runtime.onApplicationBootstrap();
    expect(calls).toEqual(START_ORDER);
  });

  it('stops in the reverse order: cron jobs, the engine with shutdown_timeout_seconds, the transport, the cache, the signals', async () => {
    const { runtime, calls } = host({ shutdownTimeoutSeconds: 2.5 });
    await runtime.onApplicationBootstrap();
    calls.length = 0;
    await runtime.beforeApplicationShutdown();
    expect(calls).toEqual(['retention.stop', 'retry.stop', 'engine.stop(2500)', 'transport.close', 'cache.stop', 'signals.stop']);
  });

  it('stops nothing twice: a second stop() calls no part', async () => {
    const { runtime, calls } = host();
    await runtime.start();
    await runtime.stop();
    calls.length = 0;
    await runtime.stop();
    expect(calls).toEqual([]);
  });

  it.each([
    // Before the engine's step the engine and the transport are stopped too: they exist from construction.
    ['signals.start', ['signals.start', 'engine.stop(30000)', 'transport.close']],
    ['cache.start', ['signals.start', 'cache.start', 'engine.stop(30000)', 'transport.close', 'signals.stop']],
    ['engine.wake', ['signals.start', 'cache.start', 'engine.wake', 'engine.stop(30000)', 'transport.close', 'cache.stop', 'signals.stop']],
    ['retention.start', ['signals.start', 'cache.start', 'engine.wake', 'scheduler.lookUp', 'retry.start', 'retention.start', 'retry.stop', 'engine.stop(30000)', 'transport.close', 'cache.stop', 'signals.stop']],
  ])('when %s fails, what had started is stopped (in reverse) and the start-up fails with its error', async (failing, expected) => {
    const { runtime, calls } = host({ failing });
    await quietly(() => expect(runtime.start()).rejects.toThrow(`${failing} broke`));
    expect(calls).toEqual(['transactions.resolve', ...expected]);
    // A later app.close() has nothing left to stop.
    calls.length = 0;
    await runtime.stop();
    expect(calls).toEqual([]);
  });

  it('a transaction host that cannot be found fails the start-up before anything runs', async () => {
    const { runtime, calls } = host({ failing: 'transactions.resolve' });
    await quietly(() => expect(runtime.start()).rejects.toThrow('transactions.resolve broke'));
    expect(calls).toEqual(['transactions.resolve', 'engine.stop(30000)', 'transport.close']);
  });

  it('closed without a start (a testing module compiled and closed without init): the engine and the transport are stopped all the same, once', async () => {
    const { runtime, calls } = host();
    await runtime.beforeApplicationShutdown();
    expect(calls).toEqual(['engine.stop(30000)', 'transport.close']);
    calls.length = 0;
    await runtime.stop();
    expect(calls).toEqual([]);
  });

  it('a part that fails to stop does not keep the others running: all are stopped, then the first failure is thrown', async () => {
    const { runtime, calls } = host({ failing: 'engine.stop(30000)' });
    await runtime.start();
    calls.length = 0;
    await quietly(() => expect(runtime.stop()).rejects.toThrow('engine.stop(30000) broke'));
    expect(calls).toEqual(['retention.stop', 'retry.stop', 'engine.stop(30000)', 'transport.close', 'cache.stop', 'signals.stop']);
  });

  it('without store signals (the memory store) the other parts start and stop in the same order', async () => {
    const { runtime, calls } = host({ signals: false });
    await runtime.start();
    await runtime.stop();
    expect(calls).toEqual([...START_ORDER.filter((c) => c !== 'signals.start'), 'retention.stop', 'retry.stop', 'engine.stop(30000)', 'transport.close', 'cache.stop']);
  });

  it('wires the store signals: committed deliveries wake the engine, subscription changes refresh the cache', async () => {
    const { runtime, calls, listener } = host();
    await runtime.start();
    calls.length = 0;
    listener()!.deliveriesDue();
    listener()!.subscriptionsChanged();
    expect(calls).toEqual(['engine.wake', 'cache.refresh']);
    await runtime.stop();
  });
});

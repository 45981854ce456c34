import { describe, expect, it } from '@jest/globals';
import { ClaimLoop } from '../../lib/delivery/engine/claim-loop';
import { FakeClock, settle } from '../support/fake-clock';

/** A step whose answers the test controls: each call waits until `answer(more)` releases it. */
function controlledStep() {
  const calls: Array<(more: boolean) => void> = [];
  return {
    calls,
    step: () => new Promise<boolean>((resolve) => calls.push(resolve)),
    answer(more: boolean) {
      const next = calls.shift();
      if (!next) throw new Error('no step is waiting');
      next(more);
    },
  };
}

describe('ClaimLoop', () => {
  it('goes idle -> claiming -> idle, running steps while they say there is more', async () => {
    const clock = new FakeClock();
    let n = 0;
    const loop = new ClaimLoop(async () => ++n < 3, clock, () => undefined);
    expect(loop.state).toBe('idle');
    const round = loop.run();
    expect(loop.state).toBe('claiming');
    await round;
    expect(n).toBe(3);
    expect(loop.state).toBe('idle');
  });

  it('coalesces the wakes of one tick into one round', async () => {
    const clock = new FakeClock();
    let steps = 0;
    const loop = new ClaimLoop(async () => (steps++, false), clock, () => undefined);
    loop.wake();
    loop.wake();
    loop.wake();
    expect(steps).toBe(0);
    await clock.flush();
    expect(steps).toBe(1);
  });

  it('a wake during a round runs the steps again after it, once', async () => {
    const clock = new FakeClock();
    const c = controlledStep();
    const loop = new ClaimLoop(c.step, clock, () => undefined);
    const round = loop.run();
    await settle();
    expect(c.calls).toHaveLength(1);
    void loop.run();
    void loop.run();
    c.answer(false);
    await settle();
    expect(c.calls).toHaveLength(1);
    c.answer(false);
    await round;
    expect(loop.state).toBe('idle');
  });

  it('wakeAt keeps only the earliest timer and tells onTimer when it fires', async () => {
    const clock = new FakeClock();
    let steps = 0;
    let timers = 0;
    const loop = new ClaimLoop(async () => (steps++, false), clock, () => undefined, () => timers++);
    loop.wakeAt(clock.now() + 500);
    loop.wakeAt(clock.now() + 200);
    loop.wakeAt(clock.now() + 900);
    expect(clock.pendingTimers).toBe(1);
    await clock.advance(199);
    expect(steps).toBe(0);
    await clock.advance(1);
    expect([steps, timers]).toEqual([1, 1]);
    // the later times were dropped: the next round comes from the next wake (a claim finds what is due then)
    await clock.advance(1000);
    expect(steps).toBe(1);
  });

  it('a step that throws ends the round, is reported, and the next wake starts a new one', async () => {
    const clock = new FakeClock();
    const errors: unknown[] = [];
    let fail = true;
    let steps = 0;
    const loop = new ClaimLoop(
      async () => {
        steps++;
        if (fail) throw new Error('database down');
        return false;
      },
      clock,
      (e) => errors.push(e),
    );
    await loop.run();
    expect(errors).toHaveLength(1);
    expect(loop.state).toBe('idle');
    fail = false;
    await loop.run();
    expect(steps).toBe(2);
  });

  it('stop() waits for the running round, cancels timers, and ignores wakes afterwards', async () => {
    const clock = new FakeClock();
    const c = controlledStep();
    const loop = new ClaimLoop(c.step, clock, () => undefined);
    void loop.run();
    loop.wakeAt(clock.now() + 100);
    await settle();
    let stopped = false;
    const stopping = loop.stop().then(() => (stopped = true));
    expect(loop.state).toBe('stopping');
    expect(loop.accepting).toBe(false);
    await settle();
    expect(stopped).toBe(false);
    // the step said there was more, but the loop is stopping: no further step
    c.answer(true);
    await stopping;
    expect(loop.state).toBe('stopped');
    expect(clock.pendingTimers).toBe(0);
    loop.wake();
    loop.wakeAt(clock.now() + 1);
    await loop.run();
    await clock.advance(10);
    expect(c.calls).toHaveLength(0);
  });
});

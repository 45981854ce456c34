import type { Clock, TimerHandle } from './clock';

/**
 * `idle`: waiting for a wake. `claiming`: running steps. `stopping`: no new round starts; the running one ends.
 * `stopped`: for good.
 */
export type ClaimLoopState = 'idle' | 'claiming' | 'stopping' | 'stopped';

/** What a host needs to tell whether the loop is alive. */
export interface ClaimLoopLiveness {
  /** `idle` and `claiming` are alive; `stopping` and `stopped` are shutting down. */
  state: ClaimLoopState;
  /** When the running round started (ms since the epoch): a round running much longer than a claim takes is stuck. */
  round_started_at: number | null;
  /** When the last round ended (the retry processor starts one every tick); null before the first. */
  last_round_ended_at: number | null;
}

/**
 * The loop that claims work, knowing nothing of SQL (as pg-boss's worker): it runs `step` while `step` says
 * there may be more, one round at a time. Wakes coalesce: `wake()` calls of one tick start one round, a wake
 * during a round runs the steps again after it, and `wakeAt()` keeps only the earliest timer. A step that throws
 * ends the round (reported to `onError`); the next wake starts a new one.
 */
export class ClaimLoop {
  private current: ClaimLoopState = 'idle';
  /** Woken while claiming: run the steps again once this round's are done. */
  private again = false;
  private round: Promise<void> | null = null;
  private soon: TimerHandle | null = null;
  private timer: TimerHandle | null = null;
  private timerAt = Infinity;
  private startedAt: number | null = null;
  private endedAt: number | null = null;

  constructor(
    /** Claims once; resolves true when it came back full (there may be more right away). */
    private readonly step: () => Promise<boolean>,
    private readonly clock: Clock,
    private readonly onError: (error: unknown) => void,
    /** Called when a {@link wakeAt} timer fires, before its round (the time it waited for has come). */
    private readonly onTimer: () => void = () => undefined,
  ) {}

  get state(): ClaimLoopState {
    return this.current;
  }

  /** State and timing, for health checks. */
  get liveness(): ClaimLoopLiveness {
    return { state: this.current, round_started_at: this.startedAt, last_round_ended_at: this.endedAt };
  }

  /** Not stopping or stopped. */
  get accepting(): boolean {
    return this.current === 'idle' || this.current === 'claiming';
  }

  /** Runs a round soon (after the current I/O callbacks, so the wakes of one tick share it). */
  wake(): void {
    if (!this.accepting || this.soon) return;
    this.soon = this.clock.defer(() => {
      this.soon = null;
      void this.run();
    });
  }

  /** Runs a round at `at` (ms since the epoch); only the earliest such timer is kept. */
  wakeAt(at: number): void {
    if (!this.accepting || at >= this.timerAt) return;
    this.timer?.cancel();
    this.timerAt = at;
    this.timer = this.clock.setTimer(() => {
      this.timer = null;
      this.timerAt = Infinity;
      this.onTimer();
      void this.run();
    }, at - this.clock.now());
  }

  /** Runs a round now, or joins the running one (which then runs its steps again); resolves when it ends. */
  run(): Promise<void> {
    if (!this.accepting) return Promise.resolve();
    if (this.round) {
      this.again = true;
      return this.round;
    }
    this.current = 'claiming';
    this.startedAt = this.clock.now();
    this.round = this.loop().finally(() => {
      this.round = null;
      this.startedAt = null;
      this.endedAt = this.clock.now();
      if (this.current === 'claiming') this.current = 'idle';
    });
    return this.round;
  }

  /** No new round; waits for the running one. Idempotent. */
  async stop(): Promise<void> {
    if (this.current === 'stopped') return;
    this.current = 'stopping';
    this.soon?.cancel();
    this.timer?.cancel();
    this.soon = this.timer = null;
    this.timerAt = Infinity;
    await this.round;
    this.current = 'stopped';
  }

  private async loop(): Promise<void> {
    try {
      do {
        this.again = false;
        while (this.current === 'claiming' && (await this.step()));
      } while (this.again && this.current === 'claiming');
    } catch (error) {
      this.onError(error);
    }
  }
}

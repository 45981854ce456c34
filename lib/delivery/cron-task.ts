import type { Logger } from '@nestjs/common';
import { CronJob } from 'cron';
import type { HostSchedulerRegistry } from './host-scheduler-registry';

/**
 * A named job of the `cron` package (the `CronJob` that @nestjs/schedule uses), listed in the host app's
 * `SchedulerRegistry` when it has one, whose ticks never overlap (a tick still running when the next is due is
 * skipped) and never throw (a failure is logged and the next tick runs). `stop()` removes it and waits for a
 * running tick.
 */
export class CronTask {
  private running: Promise<void> | null = null;
  private job: CronJob | null = null;

  constructor(
    private readonly registry: Pick<HostSchedulerRegistry, 'add' | 'remove'>,
    readonly name: string,
    private readonly cronTime: string,
    private readonly tick: () => Promise<unknown>,
    private readonly logger: Logger,
  ) {}

  start(): void {
    if (this.job) return;
    this.job = CronJob.from({ cronTime: this.cronTime, onTick: () => void this.runOnce(), start: false, name: this.name });
    this.registry.add(this.name, this.job);
    this.job.start();
  }

  /** Runs a tick now unless one is running (then waits for that one). */
  runOnce(): Promise<void> {
    this.running ??= this.tick()
      .then(() => undefined)
      .catch((err) => this.logger.error(`${this.name} tick failed (the next one will run): ${(err as Error)?.message ?? err}`))
      .finally(() => {
        this.running = null;
      });
    return this.running;
  }

  async stop(): Promise<void> {
    if (this.job) {
      this.registry.remove(this.name);
      void this.job.stop();
    }
    this.job = null;
    await this.running;
  }
}

import type { Logger } from '@nestjs/common';
import type { SchedulerRegistry } from '@nestjs/schedule';
import { CronJob } from 'cron';

/**
 * A named cron job registered with `SchedulerRegistry.addCronJob` (the `CronJob` that @nestjs/schedule uses)
 * whose ticks never overlap (a tick still running when the next is due is skipped) and never throw (a failure is
 * logged and the next tick runs). `stop()` removes it and waits for a running tick.
 */
export class CronTask {
  private running: Promise<void> | null = null;
  private job: CronJob | null = null;

  constructor(
    private readonly registry: SchedulerRegistry,
    readonly name: string,
    private readonly cronTime: string,
    private readonly tick: () => Promise<unknown>,
    private readonly logger: Logger,
  ) {}

  start(): void {
    if (this.job) return;
    this.job = CronJob.from({ cronTime: this.cronTime, onTick: () => void this.runOnce(), start: false, name: this.name });
    this.registry.addCronJob(this.name, this.job as Parameters<SchedulerRegistry['addCronJob']>[1]);
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
    if (this.job && this.registry.doesExist('cron', this.name)) this.registry.deleteCronJob(this.name);
    else void this.job?.stop();
    this.job = null;
    await this.running;
  }
}

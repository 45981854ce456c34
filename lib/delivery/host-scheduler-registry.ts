import { Inject, Injectable } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { CronJob } from 'cron';

/**
 * What is used of @nestjs/schedule's `SchedulerRegistry`, typed here because @nestjs/schedule is an optional peer
 * (no type or value of it may reach the published declarations).
 */
export interface CronJobRegistry {
  addCronJob(name: string, job: CronJob): void;
  doesExist(type: 'cron', name: string): boolean;
  deleteCronJob(name: string): void;
}

/**
 * The host app's `SchedulerRegistry` when it imports the root `ScheduleModule` (global in @nestjs/schedule), so the
 * module's cron jobs are listed with the app's own (`getCronJobs()`); none otherwise. The jobs run the same either
 * way: the registry only lists them. The module never imports `ScheduleModule` itself, because a second root
 * `ScheduleModule` runs every `@Cron` job of the host twice.
 */
@Injectable()
export class HostSchedulerRegistry {
  private registry: CronJobRegistry | null = null;

  constructor(@Inject(ModuleRef) private readonly moduleRef: ModuleRef) {}

  /** Looks the registry up (once every provider of the app exists: the runtime host does it before the jobs start). */
  async lookUp(): Promise<void> {
    this.registry = await findSchedulerRegistry(this.moduleRef);
  }

  /** Lists `job` in the host's registry, if there is one. */
  add(name: string, job: CronJob): void {
    this.registry?.addCronJob(name, job);
  }

  /** Takes `name` out of the host's registry (which stops it), if it is listed there. */
  remove(name: string): void {
    if (this.registry?.doesExist('cron', name)) this.registry.deleteCronJob(name);
  }
}

/**
 * The `SchedulerRegistry` instance of the app, looked up in every module (not only those this one imports), or null
 * when @nestjs/schedule is not installed or the app does not import the root `ScheduleModule`.
 */
export async function findSchedulerRegistry(moduleRef: ModuleRef): Promise<CronJobRegistry | null> {
  let schedule: { SchedulerRegistry?: unknown; default?: { SchedulerRegistry?: unknown } };
  try {
    // A dynamic import, so that the package is loaded only here (and only if installed); a CommonJS
    // @nestjs/schedule (v6, for NestJS 11) may give its exports under `default` only.
    schedule = await import('@nestjs/schedule');
  } catch (err) {
    const e = err as { code?: string; message?: string } | null;
    const missing = (e?.code === 'MODULE_NOT_FOUND' || e?.code === 'ERR_MODULE_NOT_FOUND') && /['"]@nestjs\/schedule['"]/.test(e.message ?? '');
    if (missing) return null;
    throw err;
  }
  const token = schedule.SchedulerRegistry ?? schedule.default?.SchedulerRegistry;
  if (typeof token !== 'function') return null;
  try {
    return moduleRef.get(token as new () => CronJobRegistry, { strict: false });
  } catch {
    // UnknownElementException: the app has no root ScheduleModule.
    return null;
  }
}

import type { CanActivate, ExecutionContext, Type } from '@nestjs/common';
import type { ModuleRef } from '@nestjs/core';
import { isObservable, lastValueFrom } from 'rxjs';

/**
 * Runs the host app's guards (`admin_guards`, `portal_guards`) in order: true when every one allows the request.
 * A guard throwing (e.g. `UnauthorizedException`) gives its own status. Guard classes are taken from the container
 * when the app provides them (so they get the app's dependencies), otherwise created once with
 * `ModuleRef.create()`; guard instances are used as they are.
 */
export class HostGuards {
  private readonly resolved = new Map<Type<CanActivate>, Promise<CanActivate>>();

  constructor(private readonly moduleRef: ModuleRef) {}

  async allow(entries: ReadonlyArray<Type<CanActivate> | CanActivate>, context: ExecutionContext): Promise<boolean> {
    for (const entry of entries) {
      const guard = typeof entry === 'function' ? await this.instance(entry) : entry;
      let allowed = guard.canActivate(context);
      if (isObservable(allowed)) allowed = lastValueFrom(allowed);
      if (!(await allowed)) return false;
    }
    return true;
  }

  private instance(cls: Type<CanActivate>): Promise<CanActivate> {
    let pending = this.resolved.get(cls);
    if (!pending) {
      pending = this.resolve(cls);
      this.resolved.set(cls, pending);
      // A failed creation is retried on the next request rather than cached.
      pending.catch(() => this.resolved.delete(cls));
    }
    return pending;
  }

  private async resolve(cls: Type<CanActivate>): Promise<CanActivate> {
    try {
      return this.moduleRef.get(cls, { strict: false });
    } catch {
      return this.moduleRef.create(cls);
    }
  }
}

import { HttpException, Inject, Injectable, type CanActivate, type ExecutionContext, type Type } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { isObservable, lastValueFrom } from 'rxjs';
import type { WebhookConfig } from '../config/webhook-config';
import { InjectWebhookConfig } from '../webhook.constants';
import { crossSiteProblem } from './csrf';
import { requestOrigin, type OriginRequest } from './request-origin';

/**
 * The one guard on every admin route (API and dashboard): runs each guard of `admin_guards` in order and lets
 * the request through only when all of them allow it. A guard returning false gives Nest's 403; a guard
 * throwing (e.g. `UnauthorizedException`) gives its own status. Guard classes are taken from the container when
 * the app provides them (so they get the app's dependencies), otherwise created once with `ModuleRef.create()`;
 * guard instances are used as they are.
 *
 * Before them, a state-changing request (POST, PATCH, DELETE) that a browser sent from another site, or with a
 * body that is not JSON, is refused ({@link crossSiteProblem}: 403 or 415, with a JSON body saying why), so a
 * cookie-session guard cannot be ridden by a form or script on another site.
 */
@Injectable()
export class WebhookAdminGuard implements CanActivate {
  private readonly resolved = new Map<Type<CanActivate>, Promise<CanActivate>>();

  constructor(
    @InjectWebhookConfig() private readonly config: WebhookConfig,
    @Inject(ModuleRef) private readonly moduleRef: ModuleRef,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<OriginRequest & { method: string }>();
    const problem = crossSiteProblem(req.method, req.headers, requestOrigin(req), this.config.admin_allowed_origins ?? []);
    if (problem) {
      const error = problem.status === 403 ? 'Forbidden' : 'Unsupported Media Type';
      throw new HttpException({ statusCode: problem.status, error, message: problem.message, code: problem.code }, problem.status);
    }
    for (const entry of this.config.admin_guards ?? []) {
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

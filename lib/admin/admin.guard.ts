import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { WebhookConfig } from '../config/webhook-config';
import { InjectWebhookConfig } from '../webhook.constants';
import { refuseCrossSite } from './cross-site-refusal';
import { HostGuards } from './host-guards';
import type { OriginRequest } from './request-origin';

/**
 * The one guard on every admin route (API and dashboard): runs each guard of `admin_guards` in order and lets
 * the request through only when all of them allow it. A guard returning false gives Nest's 403; a guard
 * throwing (e.g. `UnauthorizedException`) gives its own status. Guard classes are taken from the container when
 * the app provides them (so they get the app's dependencies), otherwise created once with `ModuleRef.create()`;
 * guard instances are used as they are.
 *
 * Before them, a state-changing request (POST, PATCH, DELETE) that a browser sent from another site, or with a
 * body that is not JSON, is refused ({@link refuseCrossSite}: 403 or 415, with a JSON body saying why), so a
 * cookie-session guard cannot be ridden by a form or script on another site.
 */
@Injectable()
export class WebhookAdminGuard implements CanActivate {
  private readonly guards: HostGuards;

  constructor(
    @InjectWebhookConfig() private readonly config: WebhookConfig,
    @Inject(ModuleRef) moduleRef: ModuleRef,
  ) {
    this.guards = new HostGuards(moduleRef);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<OriginRequest & { method: string }>();
    refuseCrossSite(req, this.config.admin_allowed_origins ?? []);
    return this.guards.allow(this.config.admin_guards ?? [], context);
  }
}

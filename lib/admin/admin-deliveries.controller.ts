import { Body, Get, HttpCode, HttpStatus, Inject, Param, Post, Query, Res } from '@nestjs/common';
import type { AttemptQuery, WebhookDeliveryStore, WebhookSubscriptionStore } from '../domain/stores';
import { DeliveryAttemptNotFoundError } from '../domain/webhook.error';
import { WebhookDeliveryService } from '../delivery/webhook-delivery.service';
import { InjectWebhookDeliveryStore, InjectWebhookSubscriptionStore } from '../webhook.constants';
import { attemptCursor, parseAttemptCursor, setNextCursor } from './admin-cursor';
import { toAttemptDetailView, toAttemptView, type AdminHealthView, type AttemptDetailView, type DeliveryAttemptView } from './admin.views';
import { ListDeadLettersQueryDto, ListDeliveriesQueryDto, RedriveDto } from './dto/delivery.dto';
import { validationFailure } from './validation-failure';

/** The store filters of a `GET deliveries` query (paging aside). */
export function attemptQueryOf(query: ListDeliveriesQueryDto): AttemptQuery {
  return {
    subscription_id: query.subscription_id,
    event_id: query.event_id,
    status: query.status,
    event_type: query.event_type,
    since: query.since ? new Date(query.since) : undefined,
    until: query.until ? new Date(query.until) : undefined,
  };
}

/** Delivery log, dead letters, redelivery and health routes of the admin API. */
export class WebhookAdminDeliveriesController {
  constructor(
    @Inject(WebhookDeliveryService) private readonly delivery: WebhookDeliveryService,
    @InjectWebhookDeliveryStore() private readonly deliveries: WebhookDeliveryStore,
    @InjectWebhookSubscriptionStore() private readonly subscriptions: WebhookSubscriptionStore,
  ) {}

  /** The attempt log, newest first; the `X-Next-Cursor` header, passed back as `?cursor=`, gives the next page. */
  @Get('deliveries')
  async list(@Query() query: ListDeliveriesQueryDto, @Res({ passthrough: true }) res: unknown): Promise<DeliveryAttemptView[]> {
    const limit = query.limit ?? 100;
    const attempts = await this.deliveries.getAttempts({ ...attemptQueryOf(query), limit, offset: query.offset ?? 0, before: parseAttemptCursor(query.cursor) });
    setNextCursor(res, attemptCursor(attempts, limit));
    return attempts.map(toAttemptView);
  }

  /** One attempt, with its event's payload (null once purged) and its delivery's current state. */
  @Get('deliveries/:attempt_id')
  async get(@Param('attempt_id') attemptId: string): Promise<AttemptDetailView> {
    const attempt = await this.deliveries.getAttempt(attemptId);
    if (!attempt) throw new DeliveryAttemptNotFoundError(attemptId);
    const [event, delivery] = await Promise.all([this.deliveries.getEvent(attempt.event_id), this.deliveries.getDelivery(attempt.event_id, attempt.subscription_id)]);
    return toAttemptDetailView(attempt, event, delivery);
  }

  /** Re-sends the attempt's event with its original body (also revives a dead letter); the send is in the background. */
  @Post('deliveries/:attempt_id/redeliver')
  @HttpCode(HttpStatus.ACCEPTED)
  async redeliver(@Param('attempt_id') attemptId: string): Promise<{ status: 'queued' }> {
    const result = await this.delivery.redeliver(attemptId);
    if (!result.ok) throw result.error;
    return { status: 'queued' };
  }

  /** The last attempt of each dead-lettered delivery, newest first. */
  @Get('dead-letters')
  async deadLetters(@Query() query: ListDeadLettersQueryDto, @Res({ passthrough: true }) res: unknown): Promise<DeliveryAttemptView[]> {
    const limit = query.limit ?? 100;
    const attempts = await this.deliveries.getDeadLetters({ subscription_id: query.subscription_id, limit, offset: query.offset ?? 0, before: parseAttemptCursor(query.cursor) });
    setNextCursor(res, attemptCursor(attempts, limit));
    return attempts.map(toAttemptView);
  }

  /** Re-queues the dead letters of a subscription and/or dead-lettered in [since, until); all when the body is empty. */
  @Post('dead-letters/redrive')
  @HttpCode(HttpStatus.OK)
  async redrive(@Body() body: RedriveDto): Promise<{ requeued: number }> {
    const since = body.since ? new Date(body.since) : undefined;
    const until = body.until ? new Date(body.until) : undefined;
    if (since && Number.isNaN(since.getTime())) throw validationFailure('since', 'since is not a valid date');
    if (until && Number.isNaN(until.getTime())) throw validationFailure('until', 'until is not a valid date');
    if (since && until && since.getTime() >= until.getTime()) throw validationFailure('until', 'until must be later than since');
    const requeued = await this.delivery.redrive({ subscription_id: body.subscription_id ?? undefined, since, until });
    return { requeued };
  }

  @Get('health')
  async health(): Promise<AdminHealthView> {
    const [total, active, dead] = await Promise.all([this.subscriptions.count(), this.subscriptions.count({ active: true }), this.deliveries.countDeadLetters()]);
    return { total_subscriptions: total, active_subscriptions: active, dead_letter_count: dead };
  }
}

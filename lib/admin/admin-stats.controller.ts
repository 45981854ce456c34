import { Get, Inject, Param, Query } from '@nestjs/common';
import { InvalidStatsWindowError } from '../observability/stats-window';
import { WebhookStatsService } from '../observability/webhook-stats.service';
import { toOverallStatsView, toSubscriptionStatsView, type OverallStatsView, type SubscriptionStatsView } from './admin-stats.views';
import { StatsQueryDto } from './dto/stats.dto';
import { validationFailure } from './validation-failure';

/** Endpoint health routes of the admin API: one subscription's stats, and every subscription's with the queue lag. */
export class WebhookAdminStatsController {
  constructor(@Inject(WebhookStatsService) private readonly stats: WebhookStatsService) {}

  @Get('subscriptions/:id/stats')
  async subscription(@Param('id') id: string, @Query() query: StatsQueryDto): Promise<SubscriptionStatsView> {
    return toSubscriptionStatsView(await validated(() => this.stats.subscriptionStats(id, query.window, query.bucket)));
  }

  @Get('stats')
  async overall(@Query() query: StatsQueryDto): Promise<OverallStatsView> {
    return toOverallStatsView(await validated(() => this.stats.overallStats(query.window, query.bucket)));
  }
}

/** A bad window or bucket as the admin API's 400 naming the field. */
async function validated<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (!(err instanceof InvalidStatsWindowError)) throw err;
    throw validationFailure(err.field, err.message);
  }
}

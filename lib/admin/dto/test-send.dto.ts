import { IsOptional, IsString, Matches } from 'class-validator';
import { EVENT_TYPE_PATTERN } from '../../domain/event-type';

/** Body of `POST /<prefix>/subscriptions/:id/test` (optional). */
export class SendTestDto {
  /** A catalogued event type: its `event_catalog` example is sent instead of `webhook.test`. */
  @IsOptional()
  @IsString()
  @Matches(EVENT_TYPE_PATTERN, { message: 'event_type must be an event type name (letters, digits, . _ - : /, 1-200 characters)' })
  event_type?: string;
}

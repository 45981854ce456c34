import { Transform } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsBoolean, IsIn, IsNotEmpty, IsObject, IsOptional, IsString, Matches, MaxLength, ValidateIf } from 'class-validator';
import type { SignatureType } from '../../config/webhook-config';
import { EVENT_TYPE_FILTER_PATTERN, EVENT_TYPE_PATTERN } from '../../domain/event-type';
import type { WebhookFilter } from '../../domain/filter/webhook-filter';
import { SIGNATURE_TYPES } from '../../domain/types';
import { MAX_EVENT_TYPES } from '../../subscriptions/subscription-validation';
import { PaginationQueryDto } from './pagination.dto';
import { IsConfigOverride, IsRateLimit, IsWebhookFilter, IsWebhookHeaders } from './subscription-controls.validators';

const EVENT_TYPE_MESSAGE = 'each value in event_types must be an event type name or pattern (letters, digits, . _ - : / and * wildcards, 1-200 characters)';

/** `?active=true|false` as a boolean; anything else is left as is so that validation names the field. */
const toBoolean = ({ value }: { value: unknown }): unknown => (value === 'true' ? true : value === 'false' ? false : value);

/** Query of `GET /<prefix>/subscriptions`. Without `active`, both active and inactive subscriptions are listed. */
export class ListSubscriptionsQueryDto extends PaginationQueryDto {
  @IsOptional()
  @Transform(toBoolean)
  @IsBoolean({ message: 'active must be true or false' })
  active?: boolean;

  /** Subscriptions that would receive this event type. */
  @IsOptional()
  @IsString()
  @Matches(EVENT_TYPE_PATTERN, { message: 'event_type must be an event type name (letters, digits, . _ - : /, 1-200 characters)' })
  event_type?: string;

  @IsOptional()
  @IsString()
  @MaxLength(255)
  tenant_id?: string;
}

/**
 * The per-subscription controls of a create or update body (on update, omitted ones stay as they are and null
 * resets one: no headers, no filter, the module's value, no limit).
 */
export class SubscriptionControlsDto {
  /** Extra request headers; an update replaces them all. Values are masked in every response. */
  @IsOptional()
  @IsWebhookHeaders()
  headers?: Record<string, string> | null;

  @IsOptional()
  @IsWebhookFilter()
  filter?: WebhookFilter | null;

  /** Overrides of the module config. */
  @IsOptional()
  @IsConfigOverride('retry_max_attempts')
  retry_max_attempts?: number | null;

  @IsOptional()
  @IsConfigOverride('delivery_timeout_seconds')
  delivery_timeout_seconds?: number | null;

  @IsOptional()
  @IsConfigOverride('max_concurrent_per_endpoint')
  max_concurrent_per_endpoint?: number | null;

  @IsOptional()
  @IsRateLimit()
  rate_limit_per_second?: number | null;

  /** Deliver one ordering key's events one at a time, in dispatch order. */
  @IsOptional()
  @IsBoolean({ message: 'ordered must be true or false' })
  ordered?: boolean;

  /**
   * `'hmac-sha256'` or `'ed25519'` (omitted: the module's `signature_type` on create, unchanged on update). On
   * update, a different type gives the subscription a new secret of that type, shown in the response.
   */
  @ValidateIf((o: SubscriptionControlsDto) => o.signature_type !== undefined)
  @IsIn(SIGNATURE_TYPES, { message: `signature_type must be one of ${SIGNATURE_TYPES.map((t) => `'${t}'`).join(', ')}` })
  signature_type?: SignatureType;
}

/** Body of `POST /<prefix>/subscriptions`. */
export class CreateSubscriptionDto extends SubscriptionControlsDto {
  @IsString()
  @IsNotEmpty()
  @MaxLength(2048)
  url!: string;

  /** Omitted or null: every event type. */
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1, { message: 'event_types must be null (all events) or contain at least 1 event type' })
  @ArrayMaxSize(MAX_EVENT_TYPES)
  @IsString({ each: true })
  @Matches(EVENT_TYPE_FILTER_PATTERN, { each: true, message: EVENT_TYPE_MESSAGE })
  event_types?: string[] | null;

  @IsOptional()
  @IsString()
  @MaxLength(1000)
  description?: string | null;

  @IsOptional()
  @IsString()
  @MaxLength(255)
  tenant_id?: string | null;

  @IsOptional()
  @IsObject()
  metadata?: Record<string, unknown> | null;
}

/** Body of `PATCH /<prefix>/subscriptions/:id`: omitted fields stay as they are. */
export class UpdateSubscriptionDto extends SubscriptionControlsDto {
  /** May be omitted, but not null. */
  @ValidateIf((o: UpdateSubscriptionDto) => o.url !== undefined)
  @IsString()
  @IsNotEmpty()
  @MaxLength(2048)
  url?: string;

  /** null: every event type. */
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1, { message: 'event_types must be null (all events) or contain at least 1 event type' })
  @ArrayMaxSize(MAX_EVENT_TYPES)
  @IsString({ each: true })
  @Matches(EVENT_TYPE_FILTER_PATTERN, { each: true, message: EVENT_TYPE_MESSAGE })
  event_types?: string[] | null;

  /** null clears it. */
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  description?: string | null;

  /** null clears it. */
  @IsOptional()
  @IsObject()
  metadata?: Record<string, unknown> | null;
}

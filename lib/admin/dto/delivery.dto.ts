import { applyDecorators } from '@nestjs/common';
import { IsIn, IsISO8601, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { EVENT_TYPE_PATTERN } from '../../domain/event-type';
import { DELIVERY_STATUSES, type DeliveryStatus } from '../../domain/types';
import { PaginationQueryDto } from './pagination.dto';

/** An optional ISO 8601 date-time field; the message names it. */
function OptionalDateTime(field: string): PropertyDecorator {
  return applyDecorators(IsOptional(), IsISO8601({ strict: true, strictSeparator: true }, { message: `${field} must be an ISO 8601 date-time such as 2024-01-31T12:00:00Z` }));
}

/** Query of `GET /<prefix>/deliveries` (the attempt log, newest first). */
export class ListDeliveriesQueryDto extends PaginationQueryDto {
  @IsOptional()
  @IsString()
  @MaxLength(255)
  subscription_id?: string;

  @IsOptional()
  @IsString()
  @MaxLength(255)
  event_id?: string;

  @IsOptional()
  @IsIn(DELIVERY_STATUSES as DeliveryStatus[], { message: `status must be one of ${DELIVERY_STATUSES.join(', ')}` })
  status?: DeliveryStatus;

  @IsOptional()
  @IsString()
  @Matches(EVENT_TYPE_PATTERN, { message: 'event_type must be an event type name (letters, digits, . _ - : /, 1-200 characters)' })
  event_type?: string;

  /** ISO 8601: attempted at or after. */
  @OptionalDateTime('since')
  since?: string;

  /** ISO 8601: attempted before. */
  @OptionalDateTime('until')
  until?: string;
}

/** Query of `GET /<prefix>/dead-letters`. */
export class ListDeadLettersQueryDto extends PaginationQueryDto {
  @IsOptional()
  @IsString()
  @MaxLength(255)
  subscription_id?: string;
}

/** Body of `POST /<prefix>/dead-letters/redrive`: which dead letters to re-queue (all when empty). */
export class RedriveDto {
  @IsOptional()
  @IsString()
  @MaxLength(255)
  subscription_id?: string;

  /** ISO 8601: dead-lettered at or after. */
  @OptionalDateTime('since')
  since?: string;

  /** ISO 8601: dead-lettered before. */
  @OptionalDateTime('until')
  until?: string;
}

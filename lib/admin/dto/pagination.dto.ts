import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

/** Largest `limit` the admin list routes accept. */
export const ADMIN_MAX_PAGE_LIMIT = 1000;

/** `limit` (1..1000, default 100) and `offset` (>= 0, default 0) of the admin list routes. */
export class PaginationQueryDto {
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(ADMIN_MAX_PAGE_LIMIT)
  limit?: number;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  offset?: number;
}

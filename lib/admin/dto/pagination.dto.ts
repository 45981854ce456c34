import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';

/** Largest `limit` the admin list routes accept. */
export const ADMIN_MAX_PAGE_LIMIT = 1000;

/**
 * `limit` (1..1000, default 100), and where the page starts: `cursor` (the `X-Next-Cursor` header of the previous
 * page: every page costs the same) or `offset` (>= 0, default 0: costs what it skips).
 */
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

  @IsOptional()
  @IsString()
  @MaxLength(1000)
  cursor?: string;
}

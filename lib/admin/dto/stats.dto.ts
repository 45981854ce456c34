import { IsOptional, IsString, MaxLength } from 'class-validator';

/** Query of the stats routes: `window` (default `24h`) and `bucket` (default chosen), checked by `parseStatsWindow`. */
export class StatsQueryDto {
  /** `1h`, `24h`, `7d`...: a whole number of 5-minute slices, at most 400d. */
  @IsOptional()
  @IsString()
  @MaxLength(16)
  window?: string;

  /** Series bucket size (`5m`, `1h`, `1d`...), dividing the window into at most 1000 buckets. */
  @IsOptional()
  @IsString()
  @MaxLength(16)
  bucket?: string;
}

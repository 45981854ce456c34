/** Percentages of `disable_after_consecutive_failures` at which a failing endpoint is reported, lowest first. */
export const FAILURE_WARNING_LEVELS = [50, 90] as const;

/** One of {@link FAILURE_WARNING_LEVELS}. */
export type FailureWarningLevel = (typeof FAILURE_WARNING_LEVELS)[number];

/** Failures that make up `level` percent of `threshold` (rounded up). */
export function failuresAtLevel(level: FailureWarningLevel, threshold: number): number {
  return Math.ceil((threshold * level) / 100);
}

/**
 * Which early-warning levels an endpoint's run of failures newly reached, so that each level is reported once per
 * run in this process. A run is known by the success that preceded it (`runId`: its time, or 0 when none is in the
 * window), so counts that arrive out of order within a run never report a level twice, and the run after a success,
 * seen by any replica, is reported afresh. Levels that fall on the threshold itself are skipped: the endpoint is
 * disabled there instead. Pure bookkeeping.
 */
export class FailureWarnings {
  /** Per endpoint: its current run and the highest level reported in it. */
  private readonly reported = new Map<string, { runId: number; level: FailureWarningLevel }>();

  /** The levels `failures` reached in run `runId` that were not reported yet (usually none). */
  reached(subscriptionId: string, runId: number, failures: number, threshold: number): FailureWarningLevel[] {
    const known = this.reported.get(subscriptionId);
    const previous = known && known.runId === runId ? known.level : 0;
    const levels = FAILURE_WARNING_LEVELS.filter((level) => level > previous && failures >= failuresAtLevel(level, threshold) && failuresAtLevel(level, threshold) < threshold);
    if (levels.length > 0) this.reported.set(subscriptionId, { runId, level: levels[levels.length - 1] });
    return levels;
  }

  /** Forgets the endpoint (it was disabled: its warnings are over). */
  forget(subscriptionId: string): void {
    this.reported.delete(subscriptionId);
  }
}

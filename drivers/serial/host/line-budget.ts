/**
 * The host's adaptive line budget (docs/protocol.md §5.9): how long the lines of requests not
 * yet sent may be. On a clean link it stays at `maxLineBytes`. Trouble — a request that had to
 * be resent, a reply line dropped as bad — halves it, down to a floor, because on a link that
 * corrupts bytes a long line is far more likely to be hit than a short one (at 1e-4 corrupted
 * bytes a 16 KiB line arrives intact one time in five, a 1 KiB line nine times in ten). A run
 * of clean replies doubles it again, up to the ceiling.
 *
 * A burst of trouble cuts once: trouble with a request that was sent before the last cut (so
 * sized with the larger budget, and already paid for) does not cut again. Callers tag each
 * request with `generation` when they send it and pass that tag back with its trouble.
 */

/** Tuning of a LineBudget. */
export interface LineBudgetOptions {
  /** Largest budget, and the starting one (bytes): the configured `maxLineBytes`. */
  ceiling: number;
  /** Smallest budget (bytes). Default 1024, or the ceiling if that is smaller. */
  floor?: number;
  /** Clean replies in a row after which the budget doubles. Default 32. */
  recoverAfter?: number;
}

export class LineBudget {
  readonly ceiling: number;
  readonly floor: number;
  readonly recoverAfter: number;
  /** Current budget (bytes): the longest line a request sized now may have. */
  value: number;
  /** Times the budget was lowered. */
  cuts = 0;
  /** Times the budget was raised. */
  raises = 0;
  /** Counts the cuts: requests sent now carry it, so that their trouble cuts at most once. */
  generation = 0;
  private clean = 0;

  constructor(o: LineBudgetOptions) {
    this.ceiling = o.ceiling;
    this.floor = Math.min(o.floor ?? 1024, o.ceiling);
    this.recoverAfter = Math.max(1, o.recoverAfter ?? 32);
    this.value = this.ceiling;
  }

  /**
   * Trouble with a request sent at `generation` (default: now). Ends the clean run; halves the
   * budget unless that request predates the last cut or the budget is at its floor. True if
   * the budget changed.
   */
  trouble(generation = this.generation): boolean {
    this.clean = 0;
    if (generation < this.generation || this.value <= this.floor) return false;
    this.value = Math.max(this.floor, Math.floor(this.value / 2));
    this.cuts++;
    this.generation++;
    return true;
  }

  /** A reply that came intact at the first try. True if the budget was raised. */
  ok(): boolean {
    if (this.value >= this.ceiling) {
      this.clean = 0;
      return false;
    }
    if (++this.clean < this.recoverAfter) return false;
    this.clean = 0;
    this.value = Math.min(this.ceiling, this.value * 2);
    this.raises++;
    return true;
  }
}

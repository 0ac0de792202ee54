/** Where one cell stands in a write-verify. */
export const CellStatus = {
  /** Still being programmed. */
  Pending: 0,
  /** Last verify within tolerance. */
  Converged: 1,
  /** Out of tolerance when an iteration or pulse cap was reached. */
  Failed: 2,
  /** Does not switch (stuck, or refused by the board as unformed): reported, never retried. */
  Stuck: 3,
} as const;

/** A CellStatus value. */
export type CellStatus = (typeof CellStatus)[keyof typeof CellStatus];

// Errors with their own types, so that the CLI can tell what the user can fix from a bug.

/** A mistake the user can fix (a bad flag or value, missing data, an unknown model): one line saying what to do. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Training produced a non-finite loss; the last good checkpoint is kept. */
export class DivergedError extends Error {
  override readonly name = 'DivergedError';
}

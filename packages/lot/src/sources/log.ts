// Where the sources' progress and status lines go when the caller gives no log of its own.

/** Writes `line` to stderr. */
export const defaultLog = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

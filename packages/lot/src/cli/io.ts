// Where the `lot` command writes: results to `out` (stdout), messages to `err` (stderr).
export interface CliIO {
  out: (text: string) => void;
  err: (text: string) => void;
}

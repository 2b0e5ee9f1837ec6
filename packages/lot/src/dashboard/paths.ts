// The one gate between a request and the disk: a path the client names (a run id, a file
// under the runs folder) becomes a real path only when it stays inside the runs folder, also
// after symbolic links are followed. Everything the server reads from the runs folder on a
// client's word goes through `resolveInside`.
import { realpathSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';

export type Resolved = { ok: true; path: string } | { ok: false; status: 403 | 404; reason: string };

const refused = (reason: string): Resolved => ({ ok: false, status: 403, reason });
const missing = (reason: string): Resolved => ({ ok: false, status: 404, reason });

/** Whether `inner` is `outer` or below it (both absolute, normalized). */
export const isInside = (outer: string, inner: string): boolean => {
  const rel = relative(outer, inner);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
};

/** The runs folder as served: its path as given (resolved) and its real path (symbolic links followed). */
export class RunsRoot {
  readonly dir: string;
  constructor(dir: string) {
    this.dir = resolve(dir);
  }

  /** The real path of the folder now (it may be replaced or deleted while we serve). */
  real(): string | null {
    try {
      return realpathSync(this.dir);
    } catch {
      return null;
    }
  }

  /**
   * The real path of `rel` ('/'-separated, already URL-decoded once by the router) when it names
   * something inside the runs folder. Refused (403): absolute paths, `..` or `.` segments,
   * backslashes, NUL, what is still percent-encoded after decoding (a double-encoded `%252e%252e`
   * arrives as `%2e%2e`), and links that lead outside. Missing (404): what is not there.
   */
  resolve(rel: string): Resolved {
    if (rel.includes('\0') || rel.includes('\\')) return refused('bad character in path');
    if (/%[0-9a-f]{2}/i.test(rel)) return refused('encoded characters in path');
    if (isAbsolute(rel) || /^[a-z]:/i.test(rel)) return refused('absolute path');
    const segments = rel.split('/').filter((s) => s !== '');
    if (segments.some((s) => s === '..' || s === '.')) return refused('path leaves the runs folder');
    const root = this.real();
    if (!root) return missing('the runs folder is gone');
    const lexical = join(root, ...segments);
    if (!isInside(root, lexical)) return refused('path leaves the runs folder');
    let real: string;
    try {
      real = realpathSync(lexical);
    } catch {
      return missing('no such file');
    }
    if (!isInside(root, real)) return refused('link leads outside the runs folder');
    return { ok: true, path: real };
  }

  /** `resolve`, and the path must be a regular file (no folder listings). */
  resolveFile(rel: string): Resolved {
    const r = this.resolve(rel);
    if (!r.ok) return r;
    try {
      return statSync(r.path).isFile() ? r : missing('not a file');
    } catch {
      return missing('no such file');
    }
  }
}

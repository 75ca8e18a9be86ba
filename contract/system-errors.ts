// File-system failures (disk full, permission denied, a file where a folder should be) in words a
// user can act on. The CLI prints them as its error line; the step runner records them as the
// step's error. Pure: the error is read by its errno fields, nothing is touched.
/** What the file system said, as a sentence with what to do, by errno code. `home` is the advice for
 *  paths in the workspace ("set MMADA_HOME to ..."), undefined for other paths. */
const SYSTEM_ERRORS: Record<string, (path: string, home: string | undefined) => string> = {
  ENOSPC: (p) => `no space left on the device that holds ${p}; free some space and run the command again (\`mmada resume <run>\` continues a run from its last checkpoints)`,
  EDQUOT: (p) => `disk quota exceeded writing ${p}; free some space and run the command again`,
  EACCES: (p, home) => `permission denied on ${p}; make it accessible to this user${home ? ` or ${home}` : ""}`,
  EPERM: (p, home) => `operation not permitted on ${p}; make it accessible to this user${home ? ` or ${home}` : ""}`,
  EROFS: (p, home) => `${p} is on a read-only file system; ${home ?? "use a writable location"}`,
  ENOTDIR: (p, home) => `${p}: a part of that path is a file, not a folder${home ? `; ${home}` : ""}`,
  EEXIST: (p, home) => `${p} exists and is not a folder${home ? `; ${home}` : ""}`,
  EISDIR: (p) => `${p} is a folder; give a file`,
  EMFILE: () => "too many open files for this process; raise the limit (`ulimit -n`) and run the command again",
  ENAMETOOLONG: (p) => `the path ${p.slice(0, 80)}... is too long for the file system; use a shorter one`,
};

/**
 * A file-system error (disk full, permission denied, a file where a folder should be) as a sentence
 * that names the path and says what to do; undefined for any other error. The errno code stays in
 * the sentence so it can be searched for.
 */
export function explainSystemError(err: unknown, workspaceRoot: string): string | undefined {
  if (!(err instanceof Error)) return undefined;
  const e = err as Error & { code?: string; syscall?: string; path?: string };
  const explain = e.code ? SYSTEM_ERRORS[e.code] : undefined;
  if (!explain) return undefined;
  const path = e.path ?? "a file";
  const inWorkspace = e.path !== undefined && (path === workspaceRoot || path.startsWith(`${workspaceRoot}/`));
  const home = inWorkspace ? `set MMADA_HOME to a folder this user can write (it is now ${workspaceRoot})` : undefined;
  return `${explain(path, home)} (${e.code}${e.syscall ? ` in ${e.syscall}` : ""})`;
}

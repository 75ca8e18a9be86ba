// File-system failures reach the user as one sentence: the path, what happened, what to do, and
// the errno code; workspace paths point at MMADA_HOME, other paths do not.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CliError, systemErrorAsCliError } from "../../cli/terminal.ts";

const ROOT = "/home/me/.mmada";

function errno(code: string, syscall: string, path?: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: raw message, ${syscall} '${path}'`), { code, syscall, path });
}

describe("system errors as user errors", () => {
  it("a full disk names the path and says how to continue", () => {
    const e = systemErrorAsCliError(errno("ENOSPC", "write", `${ROOT}/store/tmp-1`), ROOT);
    assert.ok(e instanceof CliError);
    assert.match(e.message, /^no space left on the device that holds \/home\/me\/\.mmada\/store\/tmp-1; free some space/);
    assert.match(e.message, /mmada resume <run>/);
    assert.match(e.message, /\(ENOSPC in write\)$/);
  });

  it("permission denied in the workspace suggests another MMADA_HOME; elsewhere it does not", () => {
    const inside = systemErrorAsCliError(errno("EACCES", "open", `${ROOT}/runs.db`), ROOT)!;
    assert.match(inside.message, /permission denied on \/home\/me\/\.mmada\/runs\.db; make it accessible to this user or set MMADA_HOME/);
    const outside = systemErrorAsCliError(errno("EACCES", "open", "/etc/spec.yaml"), ROOT)!;
    assert.equal(outside.message, "permission denied on /etc/spec.yaml; make it accessible to this user (EACCES in open)");
  });

  it("a read-only file system and a file in the way", () => {
    assert.match(systemErrorAsCliError(errno("EROFS", "mkdir", ROOT), ROOT)!.message, /read-only file system; set MMADA_HOME/);
    assert.match(systemErrorAsCliError(errno("ENOTDIR", "mkdir", `${ROOT}/x`), ROOT)!.message, /a part of that path is a file, not a folder/);
  });

  it("leaves other errors alone", () => {
    assert.equal(systemErrorAsCliError(new Error("plain"), ROOT), undefined);
    assert.equal(systemErrorAsCliError(errno("ECONNREFUSED", "connect"), ROOT), undefined);
    assert.equal(systemErrorAsCliError("a string", ROOT), undefined);
  });
});

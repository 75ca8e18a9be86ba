// `mmada gc`: what the workspace's store (the folder, or MMADA_STORE's bucket) holds that no run
// references any more, and its size; deleted only with --yes. What a running or resumable run may
// still need is never touched (engine/store/gc.ts says what is kept and why).
import { findGarbage } from "../../engine/store/gc.ts";
import { openRuns, storeReferences } from "../../runs/index.ts";
import { reconcileRuns, withDb, withStore } from "../context.ts";
import { CliError, duration, parse, table } from "../terminal.ts";

const USAGE = "[--yes] [--min-age 1h] [--json]";

export async function gcCommand(argv: string[]): Promise<number> {
  const { values } = parse("gc", argv, { yes: { type: "boolean" }, "min-age": { type: "string" }, json: { type: "boolean" } }, USAGE);
  const minAgeMs = age(values["min-age"] ?? "1h");
  await reconcileRuns(); // a run whose workflow is gone is not running any more
  return withStore(async (store) => {
    // a running step stores its outputs (and a starting run its inputs) before the database records
    // them: nothing is deleted while a run is open
    const open = withDb((db) => openRuns(db).map((r) => r.runId));
    if (values.yes && open.length > 0) throw new CliError(`run ${open.join(", ")} ${open.length > 1 ? "are" : "is"} still running; \`mmada gc --yes\` deletes nothing while a run is open (list with \`mmada gc\`, delete when it has ended)`);
    const refs = withDb((db) => storeReferences(db));
    const garbage = findGarbage(await store.entries(), refs, { now: new Date(), minAgeMs });
    const total = garbage.reduce((n, g) => n + g.size, 0);
    if (values.yes) await store.remove(garbage.map((g) => g.uri));
    if (values.json) {
      process.stdout.write(`${JSON.stringify({ store: store.url, deleted: !!values.yes, bytes: total, entries: garbage }, null, 2)}\n`);
      return 0;
    }
    if (garbage.length === 0) {
      process.stdout.write(`nothing to collect in ${store.url === "local" ? store.root : store.url}: every artifact and checkpoint is referenced by a run (or younger than ${values["min-age"] ?? "1h"})\n`);
      return 0;
    }
    const now = Date.now();
    process.stdout.write(`${table(["what", "size", "age", "why"], garbage.map((g) => [g.uri, bytes(g.size), duration(now - g.modified.getTime()), g.why]))}\n`);
    process.stdout.write(
      values.yes
        ? `deleted ${garbage.length} entries, ${bytes(total)}, from ${store.url === "local" ? store.root : store.url}\n`
        : `${garbage.length} entries, ${bytes(total)}, referenced by no run; \`mmada gc --yes\` deletes them\n`,
    );
    return 0;
  }, "owner");
}

function age(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(s|m|h|d)$/.exec(text);
  if (!m) throw new CliError(`--min-age ${text}: give a duration such as 30m, 1h or 2d`);
  return Number(m[1]) * { s: 1e3, m: 6e4, h: 3.6e6, d: 8.64e7 }[m[2] as "s" | "m" | "h" | "d"];
}

function bytes(n: number): string {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) (n /= 1024), i++;
  return `${n.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

// `mmada gc`'s decision: what the store holds that no run references any more. Kept, always: every
// artifact the run database records (outputs, inputs, reported checkpoints), the checkpoint folders
// of executions that may still continue (running, queued, failed, cancelled, stopped), and anything
// younger than `minAgeMs` (a step running now stores its outputs before the database records them).
import type { StoreReferences } from "../../runs/index.ts";
import type { StoredEntry } from "./artifact-store.ts";

/** A checkpoint folder is named by the first 24 characters of its cache key (engine/activities). */
const KEY_CHARS = 24;

export interface Garbage extends StoredEntry {
  why: string;
}

export function findGarbage(entries: StoredEntry[], refs: StoreReferences, opts: { now: Date; minAgeMs: number }): Garbage[] {
  const live = refs.liveCacheKeys.map((k) => k.slice(0, KEY_CHARS));
  const referenced = [...refs.uris];
  const out: Garbage[] = [];
  for (const e of entries) {
    if (opts.now.getTime() - e.modified.getTime() < opts.minAgeMs) continue;
    if (e.uri.startsWith("checkpoints/")) {
      const folder = e.uri.slice("checkpoints/".length);
      if (live.some((k) => folder.startsWith(k))) continue;
      if (referenced.some((u) => u.startsWith(`${e.uri}/`))) continue;
      out.push({ ...e, why: "checkpoints of no running or resumable step, none of them recorded by a run" });
    } else if (!refs.uris.has(e.uri)) {
      out.push({ ...e, why: "recorded by no run (an attempt that failed after storing it, or a run never started)" });
    }
  }
  return out.sort((a, b) => b.size - a.size);
}

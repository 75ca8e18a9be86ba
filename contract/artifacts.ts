// Artifacts and metrics: what steps hand each other and the run database records. Steps pass
// references (path + content hash), never the data itself.

/** A content-addressed artifact. */
export interface ArtifactRef {
  /** Content hash (sha256 hex) of the file, or of the directory manifest for directories. */
  sha256: string;
  /** Path relative to the workspace root (MMADA_HOME), e.g. `artifacts/ab/abcd…/model.ckpt`. */
  uri: string;
  /** Artifact kind: file, dir, dataset, tokens, tokenizer, vq, checkpoint, classifier, report, ... */
  kind: string;
  size: number;
  /** Optional small, JSON-serialisable facts (counts, shapes). */
  meta?: { [key: string]: string | number | boolean };
}

/** The one test for "is this value an artifact reference" (plans, cache keys, step inputs). */
export function isArtifactRef(v: unknown): v is ArtifactRef {
  return typeof v === "object" && v !== null && typeof (v as ArtifactRef).sha256 === "string" && typeof (v as ArtifactRef).uri === "string";
}

export interface MetricPoint {
  key: string;
  value: number;
  /** Training step (or evaluation index); absent for final metrics. */
  step?: number;
}

// Input artifacts of the MMaDA kinds. The engine hands each `${{ steps.x.outputs.y }}` over as an
// ArtifactRef; a plain string is a path (a project file or a substituted template). Either way the
// kind gets an absolute path, or a BadInputError naming the field and what was expected.
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { BadInputError } from "../../contract/failures.ts";
import { type StepContext } from "./step-context.ts";
import { isArtifactRef, type ArtifactRef } from "../../contract/artifacts.ts";

export type InputValue = ArtifactRef | string;

/** Absolute path of input `field`; `kind` is the artifact kind the field expects. */
export function inputPath(ctx: StepContext, value: unknown, field: string, kind: string): string {
  const where = `${ctx.input.step.uses} step '${ctx.input.step.id}'`;
  if (value === undefined || value === null || value === "") {
    throw new BadInputError(`${where}: with.${field} is missing; give it the ${kind} output of an earlier step (\${{ steps.ID.outputs.NAME }})`);
  }
  if (isArtifactRef(value)) {
    if (value.kind !== kind && value.kind !== "file" && value.kind !== "dir") {
      throw new BadInputError(`${where}: with.${field} is a '${value.kind}' artifact but a '${kind}' is expected; pass the ${kind} output of the right step`);
    }
    return ctx.pathOf(value);
  }
  if (typeof value !== "string") {
    throw new BadInputError(`${where}: with.${field} must be a step output or a path, got ${JSON.stringify(value)}`);
  }
  const path = resolve(value);
  if (!existsSync(path)) throw new BadInputError(`${where}: with.${field} '${value}' does not exist; check the path or the step output it names`);
  return path;
}

/** The content hash of an input when it is an artifact (recorded in outputs for lineage). */
export function inputSha(value: unknown): string | undefined {
  return isArtifactRef(value) ? value.sha256 : undefined;
}

/** A kind's `with` type (derived from its schema, where inputs are strings) as the step receives it:
 *  the input fields `K` hold ArtifactRefs (step outputs) or paths. */
export type WithInputs<W, K extends keyof W> = Omit<W, K> & { [P in K]: undefined extends W[P] ? InputValue | undefined : InputValue };

// The frozen helpers unigrpo and evaluate load next to the model: the VQ tokenizer (decodes
// generated image codes) and the digit classifier (scores them), plus the checks that the model,
// the tokens artifact and the VQ agree on the image grid and codebook. Every problem here is a
// user input problem (BadInputError naming the field and the file).
import { basename } from "node:path";
import { CheckpointError } from "../../model/checkpoint.ts";
import { type Classifier, loadClassifier } from "../../model/classifier.ts";
import { imageTokenCount, type ModelConfig } from "../../model/config.ts";
import { disposeVq, loadVq, numTokens, type Vq } from "../../model/vq.ts";
import * as tf from "@tensorflow/tfjs-core";
import type { TokensMeta } from "../data/tokens.ts";
import { BadInputError } from "../../contract/failures.ts";

export interface Scorers {
  vq: Vq;
  classifier: Classifier;
}

async function loadFrozen<T>(stepId: string, path: string, field: string, kind: string, load: (path: string) => Promise<T>): Promise<T> {
  try {
    return await load(path);
  } catch (err) {
    const why = err instanceof CheckpointError ? `${err.code}: ${err.message}` : (err as Error).message;
    throw new BadInputError(`step '${stepId}': with.${field} (${basename(path)}) cannot be loaded as a ${kind}: ${why}. Re-run the step that produced it`);
  }
}

/** The VQ decoder and the classifier of a step's `vq` and `classifier` inputs (their paths). */
export async function loadScorers(stepId: string, paths: { vq: string; classifier: string }): Promise<Scorers> {
  const vq = await loadFrozen(stepId, paths.vq, "vq", "vq", loadVq);
  try {
    const classifier = await loadFrozen(stepId, paths.classifier, "classifier", "classifier", loadClassifier);
    checkReadsVq(stepId, "classifier", classifier, vq);
    return { vq, classifier };
  } catch (err) {
    disposeVq(vq);
    throw err;
  }
}

/** A second judge of generated images (evaluate's `judge2`): another classifier of the VQ's images. */
export async function loadJudge(stepId: string, path: string, vq: Vq): Promise<Classifier> {
  const judge = await loadFrozen(stepId, path, "judge2", "classifier", loadClassifier);
  try {
    checkReadsVq(stepId, "judge2", judge, vq);
  } catch (err) {
    tf.dispose(Object.values(judge.params));
    throw err;
  }
  return judge;
}

function checkReadsVq(stepId: string, field: string, classifier: Classifier, vq: Vq): void {
  if (classifier.config.inputSize !== vq.config.imageSize ** 2) {
    throw new BadInputError(
      `step '${stepId}': the ${field} reads ${classifier.config.inputSize} pixels but the VQ decodes ${vq.config.imageSize}x${vq.config.imageSize} images; train both on the same dataset`,
    );
  }
}

export function disposeScorers(s: Scorers): void {
  disposeVq(s.vq);
  tf.dispose(Object.values(s.classifier.params));
}

/** Model, tokens and VQ must agree on N (tokens per image) and the codebook size. */
export function checkImageGrid(stepId: string, config: ModelConfig, tokens: TokensMeta, vq: Vq): void {
  const n = imageTokenCount(config);
  const problems: string[] = [];
  if (tokens.tokensPerImage !== n) problems.push(`the tokens artifact has ${tokens.tokensPerImage} codes per image, the model expects N=${n}`);
  if (tokens.codebookSize !== config.codebookSize) problems.push(`the tokens use a codebook of ${tokens.codebookSize}, the model ${config.codebookSize}`);
  if (numTokens(vq.config) !== n) problems.push(`the VQ makes ${numTokens(vq.config)} codes per image, the model expects N=${n}`);
  if (vq.config.codebookSize !== config.codebookSize) problems.push(`the VQ has ${vq.config.codebookSize} codes, the model ${config.codebookSize}`);
  if (problems.length > 0) {
    throw new BadInputError(`step '${stepId}': ${problems.join("; ")}; pass the tokens and vq the model was trained with`);
  }
}

/** The model, its image tokens and the VQ that decodes generated images must come from one VQ. */
export function checkVqLineage(stepId: string, modelField: string, modelVq: string, tokensVq: string, givenVq: string | undefined): void {
  const problems: string[] = [];
  if (modelVq && tokensVq && modelVq !== tokensVq) problems.push(`with.${modelField} was trained on codes of VQ ${modelVq.slice(0, 12)}, with.tokens come from VQ ${tokensVq.slice(0, 12)}`);
  if (givenVq && tokensVq && givenVq !== tokensVq) problems.push(`with.vq is ${givenVq.slice(0, 12)} but with.tokens were made by VQ ${tokensVq.slice(0, 12)}`);
  if (problems.length > 0) throw new BadInputError(`step '${stepId}': ${problems.join("; ")}; pass the vq and tokens of the same train-vq/tokenize-images steps as the model`);
}

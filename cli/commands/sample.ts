// `mmada sample --run <id> [--stage <step>] --prompt "..." | --image-prompt "..."`: generates from a
// run's checkpoint with the samplers of docs/mmada.md §5 (text: semi-AR low-confidence remasking;
// image: MaskGIT with classifier-free guidance), printing the text or writing a PNG.
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { generateImages, generateText, pngGrid } from "../../mmada/eval.ts";
import { loadModelCheckpoint } from "../../mmada/training.ts";
import { artifactPath } from "../../engine/store/artifacts.ts";
import { initBackend } from "../../model/backend.ts";
import { chatLayout, layoutContext, t2iLayout } from "../../model/layouts.ts";
import { Rng } from "../../model/rng.ts";
import { logitsFn } from "../../model/transformer.ts";
import { decode, loadVq } from "../../model/vq.ts";
import { getRun, type RunDetail } from "../../runs/index.ts";
import { withDb, withStore } from "../context.ts";
import { CliError, parse } from "../terminal.ts";

const USAGE = '--run <id> [--stage <step-id>] (--prompt "text" | --image-prompt "a handwritten 7") [--count N] [--out file.png] [--seed N] [--steps N] [--guidance W]';
const MODEL_KINDS = ["train", "unigrpo"];
const IMAGE_SIDE = 28;

function pickCheckpoint(detail: RunDetail, stage?: string) {
  const models = detail.executions.filter((e) => MODEL_KINDS.includes(e.execution.kind) && e.outputs["checkpoint"]);
  if (models.length === 0) throw new CliError(`run '${detail.run.id}' has no finished training step with a checkpoint`);
  const chosen = stage ? models.find((e) => e.execution.stepId === stage) : models[models.length - 1];
  if (!chosen) throw new CliError(`--stage ${stage}: run '${detail.run.id}' has no trained step of that id (it has ${models.map((m) => m.execution.stepId).join(", ")})`);
  const vq = detail.executions.find((e) => e.execution.kind === "train-vq" && e.outputs["vq"]);
  return { step: chosen.execution.stepId, checkpoint: chosen.outputs["checkpoint"]!, vq: vq?.outputs["vq"] };
}

function positiveInt(name: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new CliError(`--${name} ${v}: give a whole number`);
  return n;
}

export async function sampleCommand(argv: string[]): Promise<number> {
  const { values } = parse(
    "sample",
    argv,
    {
      run: { type: "string" }, stage: { type: "string" }, prompt: { type: "string" }, "image-prompt": { type: "string" },
      count: { type: "string" }, out: { type: "string" }, seed: { type: "string" }, steps: { type: "string" }, guidance: { type: "string" },
    },
    USAGE,
  );
  if (!values.run) throw new CliError(`--run is required\nusage: mmada sample ${USAGE}`);
  if (!values.prompt === !values["image-prompt"]) throw new CliError(`give exactly one of --prompt or --image-prompt\nusage: mmada sample ${USAGE}`);
  const { detail, root } = withDb((db, ws) => ({ detail: getRun(db, values.run!), root: ws.root }));
  if (!detail) throw new CliError(`unknown run '${values.run}'; \`mmada runs\` lists the runs`);
  const picked = pickCheckpoint(detail, values.stage);
  const count = Math.max(1, positiveInt("count", values.count, values.prompt ? 1 : 8));
  const rng = new Rng(positiveInt("seed", values.seed, 0));
  await initBackend();
  const loaded = await withStore(async (store) => {
    // with a bucket, the checkpoint and the VQ decoder may have been written on another machine
    await (await store.fetch([picked.checkpoint, ...(picked.vq ? [picked.vq] : [])])).release();
    return loadModelCheckpoint(store.pathOf(picked.checkpoint));
  }).catch((err: Error) => {
    throw new CliError(`cannot load the checkpoint of ${picked.step}: ${err.message}`);
  });
  const ctx = layoutContext(loaded.model.config, loaded.tokenizer);
  const logits = logitsFn(loaded.model);
  if (values.prompt) {
    const layouts = Array.from({ length: count }, () => chatLayout(ctx, values.prompt!, null));
    const gen = await generateText(logits, layouts, { genLength: 32, steps: positiveInt("steps", values.steps, 32), blockLength: 8, temperature: count > 1 ? 1 : 0 }, {
      textVocabSize: ctx.textVocabSize, rng, maxBatch: 16,
    });
    for (const r of gen.responses) process.stdout.write(`${loaded.tokenizer.decode(r, { skipSpecial: true })}\n`);
    return 0;
  }
  if (!picked.vq) throw new CliError(`run '${detail.run.id}' has no train-vq step: cannot decode images`);
  const vq = await loadVq(artifactPath(root, picked.vq));
  const layouts = Array.from({ length: count }, () => t2iLayout(ctx, values["image-prompt"]!, null, { dropCaption: false }));
  const guidance = values.guidance === undefined ? 3.5 : Number(values.guidance);
  if (!Number.isFinite(guidance)) throw new CliError(`--guidance ${values.guidance}: give a number`);
  const gen = await generateImages(logits, layouts, ctx, { steps: positiveInt("steps", values.steps, 12), guidance, temperature: 1 }, { rng, maxBatch: 16 });
  const images = decode(vq, gen.codes);
  const pixels = (await images.data()) as Float32Array;
  images.dispose();
  const out = resolve(values.out ?? `sample-${detail.run.id}-${picked.step}.png`);
  writeFileSync(out, pngGrid(pixels, IMAGE_SIDE, Math.ceil(count / 8), Math.min(count, 8)));
  process.stdout.write(`${out} (${count} image${count > 1 ? "s" : ""} of "${values["image-prompt"]}" from ${picked.step})\n`);
  return 0;
}

// The MMaDA library's evaluation entry: the benchmark suite, batched generation and its sampler
// settings, prompts, scoring and rewards, the frozen judges, the PNG grid. README.md maps the library.
export { nllTexts, runGeneval, runTextBenchmark, runTextNll, textBenchmarkPrompts, type EvalSplit, type ItemResult, type TextSample } from "./eval/benchmarks.ts";
export { generateImages, generateText, type EvalModels, type ImageSampling, type TextSampling } from "./eval/generate.ts";
export { samplingOf } from "./eval/sampling.ts";
export { cotPrompt, t2iPrompt, vqaPrompt, type TextPrompt } from "./eval/prompts.ts";
export { digitsNamed, equations, parseReasoning, reasoningCorrect, thinkPart } from "./eval/rewards.ts";
export { responseText, scoreGeneratedImages } from "./eval/scoring.ts";
export { checkImageGrid, checkVqLineage, disposeScorers, loadJudge, loadScorers, type Scorers } from "./eval/scorers.ts";
export { pngGrid } from "./eval/png-grid.ts";

// Builds the CLI into dist/ (JavaScript, one chunk per command) so `mmada` starts without
// transpiling TypeScript on every call. npm install runs it; bin/mmada.js uses dist/ when it is at
// least as new as every source file and falls back to tsx (development) otherwise.
//   npm run build
// Every module keeps its own `import.meta.url` (the source file's URL), so files found next to the
// sources (migrations, the native add-on, UI assets) are found exactly as they are under tsx.
import { mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const OUT = join(ROOT, "dist");
const TMP = join(ROOT, `dist.${process.pid}.tmp`);

/** Replaces import.meta.url in every project module by the URL of its own source file. */
const sourceUrls = {
  name: "source-import-meta-url",
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, async (args) => {
      const { readFile } = await import("node:fs/promises");
      const text = await readFile(args.path, "utf8");
      return { contents: text.replaceAll("import.meta.url", JSON.stringify(pathToFileURL(args.path).href)), loader: "ts" };
    });
  },
};

const started = Date.now();
rmSync(TMP, { recursive: true, force: true });
mkdirSync(TMP, { recursive: true });
await build({
  entryPoints: [join(ROOT, "cli", "main.ts")],
  outdir: TMP,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  packages: "external",
  sourcemap: "linked",
  plugins: [sourceUrls],
  logLevel: "warning",
});
writeFileSync(join(TMP, "build.json"), `${JSON.stringify({ root: ROOT, builtAt: new Date().toISOString() })}\n`);
rmSync(OUT, { recursive: true, force: true });
renameSync(TMP, OUT);
process.stdout.write(`built dist/ in ${Date.now() - started} ms\n`);

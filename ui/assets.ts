// The files a page may load: our stylesheet and client scripts (ui/assets/) and uPlot's dist files
// from node_modules. An explicit allow-list, served by name by the server and inlined by the export,
// so no request path ever reaches the file system.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const OWN = fileURLToPath(new URL("./assets/", import.meta.url));
/** uPlot's dist folder, found when first asked for (so importing this module never fails). */
const uplotDist = () => dirname(createRequire(import.meta.url).resolve("uplot"));

const CSS = "text/css; charset=utf-8";
const JS = "text/javascript; charset=utf-8";

export const ASSETS = {
  "ui.css": { file: () => join(OWN, "ui.css"), type: CSS },
  "charts.js": { file: () => join(OWN, "charts.js"), type: JS },
  "run-page.js": { file: () => join(OWN, "run-page.js"), type: JS },
  "compare-page.js": { file: () => join(OWN, "compare-page.js"), type: JS },
  "runs-page.js": { file: () => join(OWN, "runs-page.js"), type: JS },
  "uplot.js": { file: () => join(uplotDist(), "uPlot.iife.min.js"), type: JS },
  "uplot.css": { file: () => join(uplotDist(), "uPlot.min.css"), type: CSS },
} as const;

export type AssetName = keyof typeof ASSETS;

export const isAssetName = (name: string): name is AssetName => Object.hasOwn(ASSETS, name);

const cache = new Map<AssetName, string>();

/** The asset's text (read once per process; assets do not change while the server runs). */
export function assetText(name: AssetName): string {
  let text = cache.get(name);
  if (text === undefined) {
    text = readFileSync(ASSETS[name].file(), "utf8");
    cache.set(name, text);
  }
  return text;
}

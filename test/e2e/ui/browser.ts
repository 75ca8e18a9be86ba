// The browser of the UI tests: Debian's chromium (scripts/install-browser.sh) driven by playwright-core,
// which downloads no browser of its own. Where no chromium is installed the browser tests are skipped
// with the reason, unless MMADA_REQUIRE_BROWSER=1 (CI) makes that a failure.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { REPO_ROOT } from "../engine/helpers.ts";

/** Screenshots of the browser tests (gitignored; CI keeps them as artifacts). */
export const SCREENSHOTS = join(REPO_ROOT, "test-artifacts", "ui");

/**
 * Headless in a container as root, on a machine without network: no sandbox (root), no GPU, and none
 * of the background fetches (updates, sync, QUIC) whose refused connections slow every start.
 */
const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export function findChromium(): string | undefined {
  const candidates = [process.env.CHROMIUM_PATH, "/usr/bin/chromium", "/usr/bin/chromium-browser"];
  for (const c of candidates) if (c && existsSync(c)) return c;
  try {
    return execFileSync("sh", ["-c", "command -v chromium || command -v chromium-browser"], { encoding: "utf8" }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** undefined when the browser tests can run; else why not (a failure under MMADA_REQUIRE_BROWSER=1). */
export function browserSkipReason(): string | undefined {
  if (findChromium() !== undefined) return undefined;
  const reason = "no chromium found (bash scripts/install-browser.sh installs Debian's; or set CHROMIUM_PATH)";
  if (process.env.MMADA_REQUIRE_BROWSER === "1") throw new Error(`MMADA_REQUIRE_BROWSER=1 but ${reason}`);
  return reason;
}

export async function launchBrowser(): Promise<Browser> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  return chromium.launch({ executablePath: findChromium()!, args: CHROMIUM_ARGS });
}

/** A page that records script errors and failed requests, so a test can assert there were none. */
export async function openPage(browser: Browser): Promise<Page & { problems: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const problems: string[] = [];
  page.on("pageerror", (e) => problems.push(`script error: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(`console error: ${m.text()}`);
  });
  page.on("requestfailed", (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText ?? ""}`));
  return Object.assign(page, { problems });
}

export const screenshot = (page: Page, name: string) => page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });

/** axe-core's browser bundle, read from node_modules: the audit downloads nothing. */
let axeSource: string | undefined;
const axeScript = () => (axeSource ??= readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8"));

/** The rule sets of the audit: WCAG 2 levels A and AA. */
const AXE_TAGS = ["wcag2a", "wcag2aa"];
/** Findings at these impacts fail the audit (axe's minor and moderate ones are reported, not failed). */
const FAILING_IMPACTS = new Set(["serious", "critical"]);
const TARGETS_SHOWN = 5;

export interface AxeFinding {
  id: string;
  impact: string | null;
  help: string;
  helpUrl: string;
  /** CSS selectors of the offending elements (the first few). */
  targets: string[];
  /** How many elements of the page break the rule. */
  count: number;
}

/**
 * Runs axe-core's WCAG 2 A/AA rules on the page as it is now and returns its findings of impact
 * serious or critical. The bundle is evaluated through the DevTools protocol, not as a <script>, so
 * the UI's Content-Security-Policy (scripts from the server only) does not stop it.
 */
export async function accessibilityViolations(page: Page): Promise<AxeFinding[]> {
  if (!(await page.evaluate(() => "axe" in window))) await page.evaluate(axeScript());
  const found = await page.evaluate(async (tags) => {
    const { axe } = window as unknown as { axe: typeof import("axe-core") };
    const results = await axe.run(document, { runOnly: { type: "tag", values: tags }, resultTypes: ["violations"] });
    return results.violations.map((v) => ({ id: v.id, impact: v.impact ?? null, help: v.help, helpUrl: v.helpUrl, targets: v.nodes.map((n) => n.target.map(String).join(" ")) }));
  }, AXE_TAGS);
  return found
    .filter((v) => FAILING_IMPACTS.has(v.impact ?? ""))
    .map((v) => ({ ...v, targets: v.targets.slice(0, TARGETS_SHOWN), count: v.targets.length }));
}

/** One line per finding (id, impact, help, where): what a developer needs to fix it. */
export function formatViolations(findings: AxeFinding[]): string {
  return findings
    .map((v) => `- ${v.id} (${v.impact}): ${v.help} [${v.helpUrl}]\n    on ${v.count} element${v.count === 1 ? "" : "s"}: ${v.targets.join(" | ")}${v.count > v.targets.length ? " | …" : ""}`)
    .join("\n");
}

/** Fails when axe-core finds a serious or critical WCAG 2 A/AA violation on the page; `what` names the page. */
export async function assertAccessible(page: Page, what: string): Promise<void> {
  const findings = await accessibilityViolations(page);
  if (findings.length) throw new Error(`axe-core: ${findings.length} serious or critical accessibility violation${findings.length === 1 ? "" : "s"} on ${what} (${page.url()}):\n${formatViolations(findings)}`);
}

// The browser of the UI tests: Debian's chromium (scripts/install-browser.sh) driven by playwright-core,
// which downloads no browser of its own. Where no chromium is installed the browser tests are skipped
// with the reason, unless MMADA_REQUIRE_BROWSER=1 (CI) makes that a failure.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
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

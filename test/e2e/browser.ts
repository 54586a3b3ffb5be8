// The browser side of the e2e tests: Debian's Chromium through playwright-core (never a browser
// download of its own), and a watch on every page for Content-Security-Policy violations.
import { accessSync, constants } from "node:fs";
import { type Browser, type BrowserContext, type ConsoleMessage, chromium } from "playwright-core";

/** Where Debian's `chromium` package puts the browser; CHROMIUM in the environment overrides it. */
export const DEFAULT_CHROMIUM = "/usr/bin/chromium";

/** Headless, and nothing that would reach the internet (updates, sync, QUIC probes). */
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-background-networking",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-component-update",
  "--disable-sync",
];

/** The Chromium binary to drive; throws, saying how to install it, when there is none. */
export function chromiumPath(): string {
  const path = process.env.CHROMIUM || DEFAULT_CHROMIUM;
  try {
    accessSync(path, constants.X_OK);
  } catch {
    throw new Error(
      `e2e: no Chromium at ${path}. The end-to-end tests drive Debian's Chromium: install it with ` +
        "`apt-get update && apt-get install -y chromium` (as root), or set CHROMIUM to a Chromium binary.",
    );
  }
  return path;
}

/**
 * Launches Chromium. Playwright gives each launch a fresh user-data dir under the temporary folder
 * (global-setup.ts points TMPDIR into the run's own) and removes it on close; every scenario then
 * opens its own context, so cookies never carry over.
 */
export function launchChromium(executablePath: string): Promise<Browser> {
  return chromium.launch({ executablePath, args: CHROMIUM_ARGS, timeout: 30_000 });
}

/** A CSP violation the browser reported: on the console, or as a `securitypolicyviolation` event. */
export interface CspReport {
  via: "console" | "event";
  /** The document the violation happened in. */
  documentUrl: string;
  text: string;
}

export interface Watch {
  /** Every CSP violation seen in the context, on any site. */
  csp: CspReport[];
  /** Other console errors (e.g. a 404 for /favicon.ico), for the failure message only. */
  consoleErrors: string[];
  /** The CSP violations on the given origin's pages. */
  cspOn(origin: string): CspReport[];
}

const BINDING = "__e2eReportCspViolation";

/** Watches every page of the context, present and future, for CSP violations. */
export async function watchContext(context: BrowserContext): Promise<Watch> {
  const watch: Watch = {
    csp: [],
    consoleErrors: [],
    cspOn: (origin) => watch.csp.filter((report) => originOf(report.documentUrl) === origin),
  };
  // 1. What Chromium prints on the console ("Refused to load ... because it violates the following Content Security Policy directive ...").
  context.on("console", (message: ConsoleMessage) => {
    const text = message.text();
    const documentUrl = message.location().url || message.page()?.url() || "";
    if (/Content[- ]Security[- ]Policy/i.test(text)) watch.csp.push({ via: "console", documentUrl, text });
    else if (message.type() === "error") watch.consoleErrors.push(`${documentUrl}: ${text}`);
  });
  // 2. The DOM's securitypolicyviolation event, reported back through a binding (neither is subject to the page's CSP).
  await context.exposeBinding(BINDING, (_source, report: { documentURI: string; directive: string; blocked: string; sample: string }) => {
    watch.csp.push({
      via: "event",
      documentUrl: report.documentURI,
      text: `violated ${report.directive} (blocked: ${report.blocked || "inline"}${report.sample ? `, sample: ${report.sample}` : ""})`,
    });
  });
  await context.addInitScript((binding: string) => {
    document.addEventListener("securitypolicyviolation", (event) => {
      const report = (window as unknown as Record<string, (value: unknown) => void>)[binding];
      report?.({ documentURI: event.documentURI, directive: event.effectiveDirective, blocked: event.blockedURI, sample: event.sample });
    });
  }, BINDING);
  return watch;
}

function originOf(url: string): string | undefined {
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}

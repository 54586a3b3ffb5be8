// Vitest globalSetup for `npm run e2e`: checks that Chromium is there, then starts `wrangler dev`
// against the Twitter stand-in (at the `free` access level, startDevServer's default, as for
// npm run dev) on free loopback ports, with KV in a temporary folder. Provides the
// site's origin (http://localhost:PORT) and the stand-in's to the tests; stops both afterwards,
// and also when the run is interrupted or ends abruptly. A second `wrangler dev`, in gateway mode
// (`npm run dev -- --demo-origin`), protects the demo origin for the gateway scenario.
//
// Everything temporary lives in one folder, removed at the end (also after Ctrl+C): wrangler's KV
// in kv/, and in tmp/ what Playwright makes (Chromium's fresh user-data dir, its artifacts), since
// the test workers, started after this setup, inherit TMPDIR pointing there.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { type DevServer, startDevServer } from "../../tools/dev/dev-server.ts";
import { freePort } from "../../tools/dev/free-port.ts";
import { chromiumPath } from "./browser.ts";

let server: DevServer | undefined;
/** The Worker in gateway mode, in front of the demo origin. */
let gateway: DevServer | undefined;
/** The Worker signing in with OAuth 2.0 (TWITTER_OAUTH_VERSION=2.0) against its stand-in. */
let oauth2: DevServer | undefined;
/** The run's temporary folder. */
let scratch: string | undefined;
const originalTmpdir = process.env.TMPDIR;

/** Synchronous last resort (process exit, Ctrl+C): wrangler and its workerd are one process group. */
function killServerNow(): void {
  for (const running of [server, gateway, oauth2]) {
    const pid = running?.wrangler.pid;
    if (pid !== undefined && running?.wrangler.exitCode === null && running.wrangler.signalCode === null) {
      try {
        process.kill(-pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
  }
  if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true, maxRetries: 3 });
}
const onSignal = (): void => killServerNow();

export async function setup(project: TestProject): Promise<void> {
  // Fails the run at once, with the way out, when the browser is missing: never a silent skip.
  const chromium = chromiumPath();
  try {
    await start(project, chromium);
  } catch (error) {
    await teardown(); // Vitest does not call it when setup throws
    throw error;
  }
}

async function start(project: TestProject, chromium: string): Promise<void> {
  scratch = mkdtempSync(join(tmpdir(), "twitter-login-e2e-"));
  const persistDir = join(scratch, "kv");
  const browserTmp = join(scratch, "tmp");
  mkdirSync(browserTmp);
  process.once("exit", killServerNow);
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  const port = await freePort();
  let inspectorPort = await freePort();
  while (inspectorPort === port) inspectorPort = await freePort();
  const verbose = Boolean(process.env.E2E_VERBOSE);
  try {
    server = await startDevServer({
      standIn: true,
      port,
      ip: "127.0.0.1",
      output: verbose ? "inherit" : "ignore",
      persistTo: persistDir,
      wranglerArgs: ["--inspector-port", String(inspectorPort), "--log-level", verbose ? "log" : "warn"],
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`e2e: could not start wrangler dev with the stand-in: ${message} (run with E2E_VERBOSE=1 to see wrangler's output)`);
  }
  if (!server.standIn) throw new Error("e2e: startDevServer did not start the stand-in");
  // The site as its users see it: "localhost", whose callback the stand-in approves (loopback).
  const origin = `http://localhost:${port}`;
  await expectWorkerAt(origin);
  project.provide("e2eOrigin", origin);
  project.provide("e2eStandInOrigin", server.standIn.origin);
  project.provide("e2eChromium", chromium);

  const gatewayPort = await freePort();
  let gatewayInspectorPort = await freePort();
  while (gatewayInspectorPort === gatewayPort || gatewayInspectorPort === inspectorPort) gatewayInspectorPort = await freePort();
  try {
    gateway = await startDevServer({
      standIn: true,
      demoOrigin: true,
      port: gatewayPort,
      ip: "127.0.0.1",
      output: verbose ? "inherit" : "ignore",
      persistTo: join(scratch, "gateway-kv"),
      wranglerArgs: ["--inspector-port", String(gatewayInspectorPort), "--log-level", verbose ? "log" : "warn"],
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`e2e: could not start wrangler dev in gateway mode (--demo-origin): ${message} (run with E2E_VERBOSE=1 to see wrangler's output)`);
  }
  project.provide("e2eGatewayOrigin", `http://localhost:${gatewayPort}`);
  project.provide("e2eGatewayStandInOrigin", gateway.standIn!.origin);
  project.provide("e2eGatewayProtectedOrigin", gateway.demoOrigin!.origin);

  const oauth2Port = await freePort();
  let oauth2InspectorPort = await freePort();
  while ([oauth2Port, inspectorPort, gatewayInspectorPort, gatewayPort].includes(oauth2InspectorPort)) oauth2InspectorPort = await freePort();
  try {
    oauth2 = await startDevServer({
      standIn: true,
      port: oauth2Port,
      ip: "127.0.0.1",
      vars: { TWITTER_OAUTH_VERSION: "2.0" },
      output: verbose ? "inherit" : "ignore",
      persistTo: join(scratch, "oauth2-kv"),
      wranglerArgs: ["--inspector-port", String(oauth2InspectorPort), "--log-level", verbose ? "log" : "warn"],
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`e2e: could not start wrangler dev with TWITTER_OAUTH_VERSION=2.0: ${message} (run with E2E_VERBOSE=1 to see wrangler's output)`);
  }
  project.provide("e2eOAuth2Origin", `http://localhost:${oauth2Port}`);
  project.provide("e2eOAuth2StandInOrigin", oauth2.standIn!.origin);
  process.env.TMPDIR = browserTmp;
}

export async function teardown(): Promise<void> {
  try {
    await Promise.all([server?.stop(), gateway?.stop(), oauth2?.stop()]);
  } finally {
    server = undefined;
    gateway = undefined;
    oauth2 = undefined;
    if (originalTmpdir === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = originalTmpdir;
    if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true, maxRetries: 3 });
    scratch = undefined;
    process.off("exit", killServerNow);
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}




/** Fails unless the Worker's landing page answers at `origin` (and not, say, another server that took the port). */
async function expectWorkerAt(origin: string): Promise<void> {
  let problem: string;
  try {
    const response = await fetch(`${origin}/`, { headers: { Accept: "text/html" }, signal: AbortSignal.timeout(10_000) });
    const body = await response.text();
    if (response.status === 200 && body.includes('id="sign-in"')) return;
    problem = `HTTP ${response.status}: ${body.slice(0, 120)}`;
  } catch (error) {
    problem = error instanceof Error ? error.message : String(error);
  }
  throw new Error(`e2e: ${origin}/ is not the Worker's signed-out landing page (${problem})`);
}

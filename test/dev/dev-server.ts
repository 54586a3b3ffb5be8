// Starts `wrangler dev` for the Worker, against the Twitter stand-in unless real credentials are configured.
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { DEFAULT_CONSUMER_KEY, DEFAULT_CONSUMER_SECRET, type StandIn, type StandInOptions, startStandIn } from "../stand-in/server.ts";
import { WRANGLER_VARS_ENV } from "./wrangler-vars.ts";

/** The project's root folder. */
export const PROJECT_ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

export interface DevServerOptions {
  /** Port for wrangler dev. Default 8787. */
  port?: number;
  /** Address wrangler dev listens on. Default 127.0.0.1 (loopback only). */
  ip?: string;
  /** Force the stand-in even when .dev.vars holds real credentials (tests, load, benchmarks). */
  standIn?: boolean;
  /** Options for the stand-in. */
  standInOptions?: StandInOptions;
  /** Extra arguments for `wrangler dev`. */
  wranglerArgs?: string[];
  /** Extra variables, as `--var NAME:VALUE` would set them (they win over .dev.vars), but never on a command line. */
  vars?: Record<string, string>;
  /** Where wrangler's output goes: "inherit" (the console) or "ignore". Default "inherit". */
  output?: "inherit" | "ignore";
  /** A folder for wrangler's local state (KV); default .wrangler/state in the project. */
  persistTo?: string;
}

export interface DevServer {
  /** e.g. http://127.0.0.1:8787 */
  url: string;
  /** The stand-in, when the Worker signs in against it. */
  standIn: StandIn | undefined;
  /** wrangler's process. */
  wrangler: ChildProcess;
  /** Resolves with wrangler's exit code when it exits. */
  exited: Promise<number>;
  /** Stops wrangler (and its workerd) and the stand-in. */
  stop(): Promise<void>;
}

/** Reads `.dev.vars` (KEY=VALUE lines, optional quotes), if there is one. */
export function readDevVars(path = join(PROJECT_ROOT, ".dev.vars")): Record<string, string> {
  if (!existsSync(path)) return {};
  const vars: Record<string, string> = {};
  for (const line of readFileSync(path, "utf8").split(/\r?\n/)) {
    const match = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (!match || line.trimStart().startsWith("#")) continue;
    vars[match[1]!] = match[2]!.replace(/^"(.*)"$/, "$1").replace(/^'(.*)'$/, "$1");
  }
  return vars;
}

/** True when .dev.vars (or the environment) holds both of the app's Twitter credentials. */
export function hasTwitterCredentials(vars: Record<string, string> = readDevVars()): boolean {
  const id = vars.TWITTER_CLIENT_ID ?? process.env.TWITTER_CLIENT_ID;
  const secret = vars.TWITTER_CLIENT_SECRET ?? process.env.TWITTER_CLIENT_SECRET;
  return Boolean(id && secret);
}

/** Starts wrangler dev (and the stand-in when needed) and waits until the Worker answers. */
export async function startDevServer(options: DevServerOptions = {}): Promise<DevServer> {
  const port = options.port ?? 8787;
  const ip = options.ip ?? "127.0.0.1";
  const devVars = readDevVars();
  const useStandIn = options.standIn ?? !hasTwitterCredentials(devVars);
  const vars: Record<string, string> = {};

  let standIn: StandIn | undefined;
  if (useStandIn) {
    standIn = await startStandIn(options.standInOptions);
    Object.assign(vars, {
      TWITTER_CLIENT_ID: DEFAULT_CONSUMER_KEY,
      TWITTER_CLIENT_SECRET: DEFAULT_CONSUMER_SECRET,
      TWITTER_REQUEST_TOKEN_URL: standIn.urls.requestToken,
      TWITTER_AUTHORIZE_URL: standIn.urls.authenticate,
      TWITTER_ACCESS_TOKEN_URL: standIn.urls.accessToken,
      TWITTER_API_BASE_URL: standIn.urls.apiBase,
    });
  }
  if (!devVars.SESSION_SECRET && !process.env.SESSION_SECRET) {
    // A fresh key per run: cookies of an earlier run simply stop being valid.
    vars.SESSION_SECRET = randomBytes(32).toString("base64url");
  }
  Object.assign(vars, options.vars);

  const wranglerBin = join(dirname(createRequire(import.meta.url).resolve("wrangler/package.json")), "bin", "wrangler.js");
  // The variables hold secrets: wrangler-vars.ts hands them to wrangler as --var in memory (see there).
  const preload = pathToFileURL(join(dirname(fileURLToPath(import.meta.url)), "wrangler-vars.ts")).href;
  const args = ["--import", preload, wranglerBin, "dev", "--port", String(port), "--ip", ip, "--show-interactive-dev-session=false"];
  if (options.persistTo) args.push("--persist-to", options.persistTo);
  args.push(...(options.wranglerArgs ?? []));

  const wrangler = spawn(process.execPath, args, {
    cwd: PROJECT_ROOT,
    stdio: ["ignore", options.output ?? "inherit", options.output ?? "inherit"],
    // No telemetry, and no fetch of the `Request.cf` placeholder from the internet: all stays local.
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", [WRANGLER_VARS_ENV]: JSON.stringify(vars) },
    detached: process.platform !== "win32",
  });
  const exited = new Promise<number>((resolve) => wrangler.once("exit", (code, signal) => resolve(code ?? (signal ? 1 : 0))));
  const url = `http://${ip.includes(":") ? `[${ip}]` : ip}:${port}`;

  const stop = async () => {
    if (wrangler.exitCode === null && wrangler.signalCode === null) {
      // wrangler starts workerd as a child: end the whole process group.
      try {
        process.kill(-wrangler.pid!, "SIGTERM");
      } catch {
        wrangler.kill("SIGTERM");
      }
      const timer = setTimeout(() => {
        try {
          process.kill(-wrangler.pid!, "SIGKILL");
        } catch {
          wrangler.kill("SIGKILL");
        }
      }, 5_000);
      await exited;
      clearTimeout(timer);
    }
    await standIn?.close();
  };

  try {
    await waitUntilReady(url, exited, 90_000);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, standIn, wrangler, exited, stop };
}

async function waitUntilReady(url: string, exited: Promise<number>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exitCode: number | undefined;
  void exited.then((code) => (exitCode = code));
  while (Date.now() < deadline) {
    if (exitCode !== undefined) throw new Error(`wrangler dev exited with code ${exitCode} before it was ready`);
    try {
      const response = await fetch(`${url}/`, { signal: AbortSignal.timeout(2_000) });
      await response.arrayBuffer();
      if (response.status < 500) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`wrangler dev did not answer on ${url} within ${timeoutMs / 1000} s`);
}

// Starts `wrangler dev` for the Worker, against the Twitter stand-in unless real credentials are configured.
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { type IncomingMessage, request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath, pathToFileURL } from "node:url";
import { DEFAULT_CONSUMER_KEY, DEFAULT_CONSUMER_SECRET, type StandIn, type StandInOptions, startStandIn, workerVars } from "../stand-in/server.ts";
import { type DemoOrigin, startDemoOrigin } from "./demo-origin.ts";
import { isPortFree } from "./free-port.ts";
import { WRANGLER_VARS_ENV } from "./wrangler-vars.ts";

/** The project's root folder. */
export const PROJECT_ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

export interface DevServerOptions {
  /** Port for wrangler dev. Default 8787. A `--port` in wranglerArgs wins. */
  port?: number;
  /** Address wrangler dev listens on. Default 127.0.0.1 (loopback only). An `--ip` in wranglerArgs wins. */
  ip?: string;
  /** Force the stand-in even when .dev.vars holds real credentials (tests, load, benchmarks). */
  standIn?: boolean;
  /**
   * Options for the stand-in. Its access level defaults to `free` here, unlike startStandIn's
   * `legacy`: `npm run dev` shows X as it answers a new app today (v1.1 verify_credentials refused,
   * the sign-in served by X API v2's /2/users/me).
   */
  standInOptions?: StandInOptions;
  /** Gateway mode: start the demo origin (tools/dev/demo-origin.ts) and protect it (PROTECT_ORIGIN, ORIGIN_SHARED_SECRET, GATEWAY_JWT_KEYS). */
  demoOrigin?: boolean;
  /** Extra arguments for `wrangler dev`: any of its flags (`--port`, `--ip` and their `--name=value` forms included). */
  wranglerArgs?: string[];
  /** Extra variables, as `--var NAME:VALUE` would set them (they win over .dev.vars), but never on a command line. */
  vars?: Record<string, string>;
  /** Where wrangler's output goes: "inherit" (the console) or "ignore". Default "inherit". */
  output?: "inherit" | "ignore";
  /** A folder for wrangler's local state (KV); default .wrangler/state in the project. */
  persistTo?: string;
  /**
   * Ready only when this project's Worker answers (its JSON error for a path it does not serve: see
   * probeWorker), not merely any server. Default true, unless wranglerArgs name another
   * configuration (-c, --config): then any answer below 500 will do.
   */
  expectWorker?: boolean;
  /** Aborting it while wrangler dev starts stops wrangler and the stand-in, and rejects. */
  signal?: AbortSignal;
}

export interface DevServer {
  /** Where to send requests, e.g. http://127.0.0.1:8787 (https with --local-protocol https; 127.0.0.1 or [::1] for 0.0.0.0 or ::). */
  url: string;
  /** The URL to show people: `url`, but with localhost for a wildcard address (0.0.0.0, ::). */
  browserUrl: string;
  /** The stand-in, when the Worker signs in against it. */
  standIn: StandIn | undefined;
  /** The demo origin, when the Worker protects it (gateway mode). */
  demoOrigin: DemoOrigin | undefined;
  /** wrangler's process. */
  wrangler: ChildProcess;
  /** Resolves with wrangler's exit code when it exits. */
  exited: Promise<number>;
  /** Stops wrangler (and its workerd) and the stand-in. */
  stop(): Promise<void>;
}

/** The Worker's settings that sign in against this stand-in: its consumer key and secret, its endpoints. */
export function standInVars(standIn: StandIn): Record<string, string> {
  return {
    TWITTER_CLIENT_ID: DEFAULT_CONSUMER_KEY,
    TWITTER_CLIENT_SECRET: DEFAULT_CONSUMER_SECRET,
    ...workerVars(standIn.urls),
  };
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
  // Either protocol's pair means real X (an OAuth 2.0-only app has no 1.0a pair).
  const oauth2Id = vars.TWITTER_OAUTH2_CLIENT_ID ?? process.env.TWITTER_OAUTH2_CLIENT_ID;
  const oauth2Secret = vars.TWITTER_OAUTH2_CLIENT_SECRET ?? process.env.TWITTER_OAUTH2_CLIENT_SECRET;
  return Boolean(id && secret) || Boolean(oauth2Id && oauth2Secret);
}

/** Where `wrangler dev` listens, from the options and the `--port`/`--ip`/`--local-protocol` in its arguments. */
export interface DevAddress {
  port: number;
  /** The address wrangler dev binds, e.g. localhost, 127.0.0.1, 0.0.0.0, ::. */
  ip: string;
  protocol: "http" | "https";
  /** Where to send requests: a wildcard address (0.0.0.0, ::) becomes loopback (127.0.0.1, ::1). */
  url: string;
  /** The URL to show people: a wildcard address becomes localhost. */
  browserUrl: string;
  /** wranglerArgs without their --port and --ip (startDevServer passes its own, once). */
  otherArgs: string[];
}

/** Resolves the address: a `--port`/`--ip` in wranglerArgs (last one wins) over the options, over 8787 and 127.0.0.1. Throws on a bad value. */
export function devAddress(options: Pick<DevServerOptions, "port" | "ip" | "wranglerArgs"> = {}): DevAddress {
  const args = options.wranglerArgs ?? [];
  const otherArgs: string[] = [];
  let portText: string | undefined;
  let ip: string | undefined;
  let protocol: string | undefined;
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i]!;
    if (arg === "--") {
      otherArgs.push(...args.slice(i));
      break;
    }
    const match = /^--(port|ip|local-protocol|localProtocol)(?:=(.*))?$/s.exec(arg);
    if (!match) {
      otherArgs.push(arg);
      continue;
    }
    const flag = match[1]!;
    let value = match[2];
    if (value === undefined) {
      const next = args[i + 1];
      if (next === undefined || next.startsWith("-")) throw new Error(`--${flag} needs a value, e.g. ${exampleOf(flag)}`);
      value = next;
      i += 1;
    }
    if (flag === "port") portText = value;
    else if (flag === "ip") ip = value;
    else {
      protocol = value;
      otherArgs.push(`--${flag}=${value}`);
    }
  }
  const port = portText === undefined ? (options.port ?? 8787) : Number(portText);
  if (!Number.isInteger(port) || port < 1 || port > 65_535 || (portText !== undefined && !/^\d+$/.test(portText))) {
    throw new Error(`--port ${portText ?? port} is not a port number (1 to 65535), e.g. ${exampleOf("port")}`);
  }
  if (protocol !== undefined && protocol !== "http" && protocol !== "https") throw new Error(`--local-protocol ${protocol} is not http or https`);
  const bound = (ip ?? options.ip ?? "127.0.0.1").replace(/^\[(.*)\]$/, "$1");
  if (bound === "") throw new Error(`--ip needs an address, e.g. ${exampleOf("ip")}`);
  const scheme = protocol === "https" ? "https" : "http";
  return {
    port,
    ip: bound,
    protocol: scheme,
    url: `${scheme}://${hostInUrl(loopbackFor(bound))}:${port}`,
    browserUrl: `${scheme}://${hostInUrl(isWildcard(bound) ? "localhost" : bound)}:${port}`,
    otherArgs,
  };
}

function exampleOf(flag: string): string {
  return flag === "port" ? "--port 8788" : flag === "ip" ? "--ip 127.0.0.1" : "--local-protocol https";
}

function isWildcard(ip: string): boolean {
  return ip === "0.0.0.0" || ip === "::" || ip === "0:0:0:0:0:0:0:0";
}

/** The address to reach a server bound to `ip` from this machine: loopback for a wildcard. */
function loopbackFor(ip: string): string {
  if (ip === "0.0.0.0") return "127.0.0.1";
  if (isWildcard(ip)) return "::1";
  return ip;
}

function hostInUrl(host: string): string {
  return host.includes(":") ? `[${host}]` : host;
}

/** The port wrangler dev was to listen on is taken (by another server, or another wrangler dev). */
export class PortInUseError extends Error {
  readonly port: number;
  readonly ip: string;

  constructor(port: number, ip: string) {
    super(`port ${port} is already in use on ${ip}`);
    this.name = "PortInUseError";
    this.port = port;
    this.ip = ip;
  }
}

/** Starts wrangler dev (and the stand-in when needed) and waits until the Worker answers. */
export async function startDevServer(options: DevServerOptions = {}): Promise<DevServer> {
  const address = devAddress(options);
  const { port, ip, url, browserUrl } = address;
  // Before anything starts: else another server's answer could pass for ours, until wrangler fails.
  if (!(await isPortFree(ip, port))) throw new PortInUseError(port, ip);
  options.signal?.throwIfAborted();
  const devVars = readDevVars();
  const useStandIn = options.standIn ?? !hasTwitterCredentials(devVars);
  const vars: Record<string, string> = {};

  let standIn: StandIn | undefined;
  if (useStandIn) {
    standIn = await startStandIn({ accessLevel: "free", ...options.standInOptions });
    Object.assign(vars, standInVars(standIn));
  }
  // Settings exported in the shell count as if .dev.vars held them (wrangler itself would not pass them on).
  const fromShell = ["SESSION_SECRET", ...(useStandIn ? [] : ["TWITTER_CLIENT_ID", "TWITTER_CLIENT_SECRET"])] as const;
  for (const name of fromShell) if (!devVars[name] && process.env[name]) vars[name] = process.env[name];
  if (!devVars.SESSION_SECRET && !process.env.SESSION_SECRET) {
    // A fresh key per run: cookies of an earlier run simply stop being valid.
    vars.SESSION_SECRET = randomBytes(32).toString("base64url");
  }
  let demoOrigin: DemoOrigin | undefined;
  if (options.demoOrigin) {
    demoOrigin = await startDemoOrigin();
    vars.PROTECT_ORIGIN = demoOrigin.origin;
    vars.ORIGIN_SHARED_SECRET = demoOrigin.sharedSecret;
    vars.GATEWAY_JWT_KEYS = demoOrigin.jwtKeys;
  }
  Object.assign(vars, options.vars);

  const wranglerBin = join(dirname(createRequire(import.meta.url).resolve("wrangler/package.json")), "bin", "wrangler.js");
  // The variables hold secrets: wrangler-vars.ts hands them to wrangler as --var in memory (see there).
  const preload = pathToFileURL(join(dirname(fileURLToPath(import.meta.url)), "wrangler-vars.ts")).href;
  const args = ["--import", preload, wranglerBin, "dev", "--port", String(port), "--ip", ip, "--show-interactive-dev-session=false"];
  if (options.persistTo) args.push("--persist-to", options.persistTo);
  args.push(...address.otherArgs);

  const shown = (options.output ?? "inherit") === "inherit";
  // Colours as wrangler would choose them on this terminal, though its output now comes through a pipe.
  const colour = shown && process.stdout.isTTY && !process.env.NO_COLOR ? { FORCE_COLOR: "1" } : {};
  const wrangler = spawn(process.execPath, args, {
    cwd: PROJECT_ROOT,
    stdio: ["ignore", shown ? "pipe" : "ignore", shown ? "pipe" : "ignore"],
    // No telemetry, and no fetch of the `Request.cf` placeholder from the internet: all stays local.
    env: { ...process.env, ...colour, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", [WRANGLER_VARS_ENV]: JSON.stringify(vars) },
    detached: process.platform !== "win32",
  });
  // wrangler's output as it is, but for the log lines of the readiness probes below: nobody sent
  // those requests. Each probe asks for a path of its own, unknown to the Worker and never sent by
  // anyone else (a random word in it), so its lines are known by that path alone, whenever they come.
  const probePath = readinessPath();
  const isProbeLine = (line: string) => line.replace(/\x1b\[[0-9;]*m/g, "").includes(` ${probePath} `);
  if (wrangler.stdout) createInterface({ input: wrangler.stdout, crlfDelay: Infinity }).on("line", (line) => isProbeLine(line) || process.stdout.write(`${line}\n`));
  if (wrangler.stderr) createInterface({ input: wrangler.stderr, crlfDelay: Infinity }).on("line", (line) => isProbeLine(line) || process.stderr.write(`${line}\n`));
  const exited = new Promise<number>((resolve) => wrangler.once("exit", (code, signal) => resolve(code ?? (signal ? 1 : 0))));

  const running = () => wrangler.exitCode === null && wrangler.signalCode === null;
  // wrangler starts workerd as a child: signal the whole process group (what is left of it, once wrangler is gone).
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-wrangler.pid!, signal);
    } catch {
      if (running()) wrangler.kill(signal);
    }
  };
  const stop = async () => {
    const wasRunning = running();
    signalGroup("SIGTERM");
    if (wasRunning) {
      const timer = setTimeout(() => signalGroup("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
    }
    await standIn?.close();
    await demoOrigin?.close();
  };

  const expectWorker = options.expectWorker ?? !address.otherArgs.some((arg) => /^(-c|--config)(=|$)/.test(arg));
  try {
    await waitUntilReady({ url, path: probePath, running, exited, expectWorker, timeoutMs: 90_000, signal: options.signal });
  } catch (error) {
    await stop();
    // wrangler fails when it cannot bind: say so plainly when the port is taken (it was free a moment ago).
    if (error instanceof EarlyExit && !(await isPortFree(ip, port))) throw new PortInUseError(port, ip);
    throw error;
  }
  return { url, browserUrl, standIn, demoOrigin, wrangler, exited, stop };
}

/** wrangler exited before the Worker answered. */
class EarlyExit extends Error {}

interface Readiness {
  url: string;
  /** The path each probe asks for (readinessPath()). */
  path: string;
  running: () => boolean;
  exited: Promise<number>;
  expectWorker: boolean;
  timeoutMs: number;
  signal: AbortSignal | undefined;
}

/** Waits until our Worker answers at `url` and wrangler is still running; rejects when wrangler exits first, at the timeout, or on the signal. */
async function waitUntilReady(readiness: Readiness): Promise<void> {
  const { url, path, running, exited, expectWorker, timeoutMs, signal } = readiness;
  const deadline = Date.now() + timeoutMs;
  let lastAnswer: string | undefined;
  while (Date.now() < deadline) {
    signal?.throwIfAborted();
    if (!running()) throw new EarlyExit(`wrangler dev exited with code ${await exited} before it was ready`);
    const probe = await probeWorker(url, expectWorker, signal, path);
    if (probe.ready && running()) return;
    if (probe.answer !== undefined) lastAnswer = probe.answer;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const other = lastAnswer === undefined ? "" : `; what answers there is not this Worker (${lastAnswer})`;
  throw new Error(`wrangler dev did not answer on ${url} within ${timeoutMs / 1000} s${other}`);
}

/** What one readiness probe found: ready, or what answered instead (undefined: nothing answered). */
export interface Probe {
  ready: boolean;
  answer?: string;
}

/**
 * A path for readiness probes, e.g. `/__dev-ready-3f9c0a1b2c4d5e6f`: no route of the Worker's, and
 * with 64 random bits in it, no request anybody else sends, so wrangler's log lines for it are the
 * probes' own.
 */
export function readinessPath(): string {
  return `/__dev-ready-${randomBytes(8).toString("hex")}`;
}

/**
 * One readiness probe of the server at `url` (http, or https with any certificate: wrangler's own
 * is self-signed): `GET <path>` as JSON. With `expectWorker`, only this project's Worker is ready,
 * told by its JSON error for a path it does not serve: 404 `not_found` (the sign-in's own site),
 * 401 `not_signed_in` (gateway mode: every other path is the protected origin's), or 500
 * `server_misconfigured` (it runs, but a setting is wrong). Without it, any answer below 500 is.
 */
export async function probeWorker(url: string, expectWorker = true, signal?: AbortSignal, path = readinessPath()): Promise<Probe> {
  let status: number;
  let body: string;
  try {
    ({ status, body } = await get(`${url}${path}`, { Accept: "application/json" }, 2_000, signal));
  } catch {
    return { ready: false };
  }
  if (!expectWorker) return { ready: status < 500, answer: `GET ${path} ${status}` };
  let error: unknown;
  let description: unknown;
  try {
    ({ error, error_description: description } = JSON.parse(body) as { error?: unknown; error_description?: unknown });
  } catch {
    error = undefined;
  }
  // The Worker's errors: { "error": code, "error_description": text } (src/error-handler.ts).
  const ours = typeof description === "string";
  const ready = ours && ((status === 404 && error === "not_found") || (status === 401 && error === "not_signed_in") || (status === 500 && error === "server_misconfigured"));
  return { ready, answer: `GET ${path} ${status}${typeof error === "string" ? ` ${error}` : ""}` };
}

/** A GET with node:http(s), the body as text (at most 64 KiB); https accepts a self-signed certificate (for this probe only). */
function get(url: string, headers: Record<string, string>, timeoutMs: number, signal?: AbortSignal): Promise<{ status: number; body: string }> {
  const timeout = AbortSignal.timeout(timeoutMs);
  const options = { headers, agent: false as const, signal: signal ? AbortSignal.any([signal, timeout]) : timeout };
  return new Promise((resolve, reject) => {
    const onResponse = (response: IncomingMessage) => {
      const chunks: Buffer[] = [];
      let size = 0;
      response.on("data", (chunk: Buffer) => {
        size += chunk.length;
        if (size <= 65_536) chunks.push(chunk);
      });
      response.once("end", () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
      response.once("error", reject);
    };
    const request = url.startsWith("https:") ? httpsRequest(url, { ...options, rejectUnauthorized: false }, onResponse) : httpRequest(url, options, onResponse);
    request.once("error", reject);
    request.end();
  });
}

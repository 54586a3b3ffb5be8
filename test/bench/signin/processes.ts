// What the sign-in benchmarks start, and how every bit of it is stopped: the Twitter stand-in in
// its own process (so its CPU time is its own), and `wrangler dev` for the real Worker and for the
// bench-only skeleton, each with its own local KV in a temporary folder.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { type DevServer, PROJECT_ROOT, startDevServer } from "../../../tools/dev/dev-server.ts";
import { freePort } from "../../../tools/dev/free-port.ts";
import type { Stats } from "../../../tools/stand-in/server.ts";
import { type ProcStat, listProcesses, processGroup, procCmdline, procStat } from "../../../tools/dev/proc.ts";

// ---------------------------------------------------------------- the registry of what is running

/** Process groups started here (each child is spawned detached: its own group) and folders to remove. */
const groups = new Set<number>();
const folders = new Set<string>();

/** Synchronous last resort (hard limit, second Ctrl+C): SIGKILL every group started here, remove the folders. */
export function killEverythingNow(): void {
  // A wrangler dev still starting is not registered yet: it is a direct child of this process.
  for (const pid of ownChildren()) groups.add(pid);
  for (const pgid of groups) {
    try {
      process.kill(-pgid, "SIGKILL");
    } catch {
      // gone already
    }
  }
  groups.clear();
  for (const folder of folders) removeFolder(folder);
  folders.clear();
}

/** Live processes left in the groups started here and not yet stopped (0 after a clean stop). */
export function leftoverProcesses(): number {
  let left = 0;
  for (const pgid of groups) left += processGroup(pgid).length;
  return left;
}

/** A temporary folder, removed by removeFolder or killEverythingNow. */
export function temporaryFolder(prefix: string): string {
  const folder = mkdtempSync(join(tmpdir(), prefix));
  folders.add(folder);
  return folder;
}

export function removeFolder(folder: string): void {
  try {
    rmSync(folder, { recursive: true, force: true, maxRetries: 3 });
  } catch {
    // best effort; reported by nobody, it is in the system's temporary folder
  }
  folders.delete(folder);
}

/** Ends a process group: SIGTERM, then SIGKILL after graceMs; resolves when no member is left (at most graceMs + 2 s). */
export async function stopGroup(pgid: number, graceMs = 5_000): Promise<void> {
  const alive = () => processGroup(pgid).length > 0;
  try {
    process.kill(-pgid, "SIGTERM");
  } catch {
    // gone already
  }
  const deadline = Date.now() + graceMs;
  while (alive() && Date.now() < deadline) await sleep(50);
  if (alive()) {
    try {
      process.kill(-pgid, "SIGKILL");
    } catch {
      // gone meanwhile
    }
    for (let i = 0; i < 40 && alive(); i += 1) await sleep(50);
  }
  groups.delete(pgid);
}

// ---------------------------------------------------------------- the stand-in, in its own process

export interface StandInProcess {
  pid: number;
  origin: string;
  consumerKey: string;
  consumerSecret: string;
  /** The Worker vars that point at it (wrangler.toml names). */
  vars: Record<string, string>;
  /** Its counters (GET /__stand-in/stats). */
  stats(): Promise<Stats>;
  /** Zeroes its counters (DELETE /__stand-in/stats). */
  resetStats(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts tools/stand-in/cli.ts as a child process (its own process group) and reads its one line of JSON. */
export async function startStandInProcess(timeoutMs = 20_000): Promise<StandInProcess> {
  // At the legacy level: the bench counts request_token, access_token and verify_credentials per sign-in.
  const child = spawn(process.execPath, [join(PROJECT_ROOT, "tools", "stand-in", "cli.ts"), "--access-level", "legacy"], {
    cwd: PROJECT_ROOT,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  if (child.pid === undefined) throw new Error("could not start the stand-in");
  groups.add(child.pid);
  const pid = child.pid;
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr = (stderr + chunk).slice(-2_000)));
  const description = await new Promise<{ origin: string; consumerKey: string; consumerSecret?: string; vars: Record<string, string> }>((resolve, reject) => {
    let stdout = "";
    const timer = setTimeout(() => reject(new Error(`the stand-in did not describe itself within ${timeoutMs / 1000} s`)), timeoutMs);
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
      const end = stdout.indexOf("\n");
      if (end === -1) return;
      clearTimeout(timer);
      try {
        resolve(JSON.parse(stdout.slice(0, end)));
      } catch (error) {
        reject(error);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the stand-in exited with code ${code}: ${stderr.trim().split("\n").at(-1) ?? ""}`));
    });
  }).catch(async (error: unknown) => {
    await stopGroup(pid, 1_000);
    throw error;
  });
  child.stdout.resume();
  const control = `${description.origin}/__stand-in/stats`;
  return {
    pid,
    origin: description.origin,
    consumerKey: description.consumerKey,
    consumerSecret: description.consumerSecret ?? "",
    vars: description.vars,
    stats: async () => (await (await fetch(control, { signal: AbortSignal.timeout(5_000) })).json()) as Stats,
    resetStats: async () => {
      await (await fetch(control, { method: "DELETE", signal: AbortSignal.timeout(5_000) })).arrayBuffer();
    },
    stop: () => stopGroup(pid, 3_000),
  };
}

// ---------------------------------------------------------------- wrangler dev

export type WranglerLogLevel = "debug" | "info" | "log" | "warn" | "error" | "none";

export interface WorkerServer {
  /** "real" or "skeleton", or whatever the caller named it. */
  name: string;
  url: string;
  /** wrangler's process group (wrangler's node processes, workerd, esbuild). */
  pgid: number;
  /** The port wrangler dev listens on. */
  port: number;
  stop(): Promise<void>;
}

export interface WorkerServerOptions {
  name: string;
  standIn: StandInProcess;
  /** Extra arguments: e.g. ["-c", "test/bench/skeleton/wrangler.toml"], or an entry point. */
  wranglerArgs?: string[];
  logLevel: WranglerLogLevel;
  /** Show wrangler's output (else it is discarded). */
  verbose?: boolean;
}

/** `wrangler dev` on 127.0.0.1 (free ports), vars pointing at the stand-in, local KV in a fresh temporary folder. */
export async function startWorkerServer(options: WorkerServerOptions): Promise<WorkerServer> {
  const port = await freePort();
  const inspectorPort = await freePort();
  const persistTo = temporaryFolder(`twitter-login-bench-${options.name}-`);
  // wrangler dev keeps its build output beside the config it is given: remove what it adds.
  const configDir = configFolder(options.wranglerArgs ?? []);
  const buildDir = join(configDir, ".wrangler");
  const buildDirExisted = existsSync(buildDir);
  let server: DevServer;
  try {
    server = await startDevServer({
      standIn: false,
      port,
      ip: "127.0.0.1",
      output: options.verbose ? "inherit" : "ignore",
      persistTo,
      vars: {
        ...options.standIn.vars,
        TWITTER_CLIENT_ID: options.standIn.consumerKey,
        TWITTER_CLIENT_SECRET: options.standIn.consumerSecret,
      },
      wranglerArgs: [...(options.wranglerArgs ?? []), "--inspector-port", String(inspectorPort), "--log-level", options.logLevel],
    });
  } catch (error) {
    removeFolder(persistTo);
    throw new Error(`wrangler dev for ${options.name}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const pgid = server.wrangler.pid!;
  groups.add(pgid);
  return {
    name: options.name,
    url: server.url,
    pgid,
    port,
    stop: async () => {
      await Promise.race([server.stop(), sleep(8_000)]);
      await stopGroup(pgid, 2_000);
      removeFolder(persistTo);
      if (!buildDirExisted && configDir !== PROJECT_ROOT) removeFolder(buildDir);
    },
  };
}

function configFolder(args: string[]): string {
  const at = args.findIndex((a) => a === "-c" || a === "--config");
  const config = at === -1 ? undefined : args[at + 1];
  if (config === undefined) return PROJECT_ROOT;
  return dirname(resolve(PROJECT_ROOT, config));
}

// ---------------------------------------------------------------- which process is which

/** The processes a sign-in goes through, by role. */
export type Role = "worker" | "proxy" | "wrangler" | "standIn" | "driver" | "other";

export const ROLE_LABELS: Record<Role, string> = {
  worker: "workerd: the Worker + KV simulation",
  proxy: "workerd: wrangler's proxy",
  wrangler: "wrangler (node)",
  standIn: "stand-in (node)",
  driver: "driver (node, this process)",
  other: "other (esbuild, ...)",
};

/**
 * wrangler dev's process group by role. wrangler 4 runs two workerd processes: its proxy, which
 * listens on the dev port (`--socket-addr=entry=<ip>:<port>`) and forwards each request, and the
 * one that runs the Worker, its bindings' simulations (KV) and the inspector. The group leader
 * (bin/wrangler.js) and the CLI it starts are node; esbuild waits for rebuilds.
 */
export function wranglerRoles(server: WorkerServer): Map<number, { role: Role; stat: ProcStat }> {
  const roles = new Map<number, { role: Role; stat: ProcStat }>();
  for (const stat of processGroup(server.pgid)) {
    let role: Role = "other";
    if (stat.comm === "workerd") role = procCmdline(stat.pid).includes(`entry=127.0.0.1:${server.port} `) ? "proxy" : "worker";
    else if (stat.pid === server.pgid || stat.comm === "MainThread" || stat.comm === "node") role = "wrangler";
    roles.set(stat.pid, { role, stat });
  }
  return roles;
}

/** CPU ms by role, right now: one wrangler dev's group, the stand-in, this process. */
export function cpuByRole(server: WorkerServer | undefined, standIn: StandInProcess | undefined, ownMs: number): Record<Role, number> {
  const totals: Record<Role, number> = { worker: 0, proxy: 0, wrangler: 0, standIn: 0, driver: ownMs, other: 0 };
  if (server) for (const { role, stat } of wranglerRoles(server).values()) totals[role] += stat.cpuMs;
  if (standIn) totals.standIn += procStat(standIn.pid)?.cpuMs ?? 0;
  return totals;
}

// ---------------------------------------------------------------- helpers


export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => {
    setTimeout(resolve, ms);
  });
}

/** Pids whose parent is this process (each child here is spawned detached, so each leads its own group). */
function ownChildren(): number[] {
  return listProcesses()
    .filter((stat) => stat.ppid === process.pid && stat.pid === stat.pgrp)
    .map((stat) => stat.pid);
}

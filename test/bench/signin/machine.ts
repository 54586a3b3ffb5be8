// "Every figure names the machine and the run": what the sign-in benchmarks print first.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import { join } from "node:path";
import { PROJECT_ROOT } from "../../../tools/dev/dev-server.ts";

const require = createRequire(join(PROJECT_ROOT, "package.json"));

function attempt<T>(read: () => T, fallback: T): T {
  try {
    return read();
  } catch {
    return fallback;
  }
}

function packageVersion(name: string): string {
  return attempt(() => (JSON.parse(readFileSync(require.resolve(`${name}/package.json`), "utf8")) as { version: string }).version, "?");
}

/** CPU model, cores, memory, OS, versions; commit and whether src/ has uncommitted changes. */
export function describeMachine(): { machine: string; software: string; commit: string } {
  const cpuinfo = attempt(() => readFileSync("/proc/cpuinfo", "utf8"), "");
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? os.cpus()[0]?.model ?? "unknown CPU";
  const memory = `${Math.round(os.totalmem() / 2 ** 30)} GiB`;
  const commit = attempt(() => execFileSync("git", ["-C", PROJECT_ROOT, "rev-parse", "--short", "HEAD"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim(), "no git");
  const dirty = attempt(
    () => execFileSync("git", ["-C", PROJECT_ROOT, "status", "--porcelain", "src", "wrangler.toml"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim() !== "",
    false,
  );
  return {
    machine: `${model}, ${os.availableParallelism()} cores, ${memory}, ${os.type()} ${os.release()} ${os.arch()}`,
    software: `node ${process.version}, wrangler ${packageVersion("wrangler")}, workerd ${packageVersion("workerd")}, miniflare ${packageVersion("miniflare")}`,
    commit: `${commit}${dirty ? " + uncommitted changes in src/ or wrangler.toml" : ""}`,
  };
}

/** A short random id, so that two printed runs are never confused. */
export function runId(): string {
  return randomBytes(3).toString("hex");
}

/** "load average 1.23 (1 min)". */
export function loadAverage(): string {
  return `load average ${os.loadavg()[0]?.toFixed(2) ?? "?"}`;
}

export const CORES = os.availableParallelism();

/** CPU time the hypervisor gave to others while this machine's CPUs wanted it (/proc/stat "steal"), ms; undefined off Linux. */
export function stealMs(): number | undefined {
  const line = attempt(() => readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "", "");
  const fields = line.trim().split(/\s+/);
  if (fields[0] !== "cpu" || fields[8] === undefined) return undefined;
  return Number(fields[8]) * 10; // USER_HZ = 100
}

/** Modification times of what `wrangler dev` watches for the real Worker (src/, wrangler.toml): a change mid-run reloads it. */
export function workerSourceTimes(): Map<string, number> {
  const times = new Map<string, number>();
  const visit = (dir: string, depth: number) => {
    if (depth > 8) return;
    for (const entry of attempt(() => readdirSync(join(PROJECT_ROOT, dir)), [] as string[])) {
      if (entry.startsWith(".")) continue; // wrangler's own build output (.wrangler) changes on every start
      const path = `${dir}/${entry}`;
      const stat = attempt(() => statOf(join(PROJECT_ROOT, path)), undefined);
      if (!stat) continue;
      if (stat.dir) visit(path, depth + 1);
      else times.set(path, stat.mtimeMs);
    }
  };
  visit("src", 0);
  visit("test/bench/skeleton", 0);
  const config = attempt(() => statOf(join(PROJECT_ROOT, "wrangler.toml")), undefined);
  if (config) times.set("wrangler.toml", config.mtimeMs);
  return times;
}

/** Files that changed between two workerSourceTimes() readings. */
export function changedFiles(before: Map<string, number>, after: Map<string, number>): string[] {
  const changed = new Set<string>();
  for (const [path, time] of after) if (before.get(path) !== time) changed.add(path);
  for (const path of before.keys()) if (!after.has(path)) changed.add(path);
  return [...changed].sort();
}

function statOf(path: string): { dir: boolean; mtimeMs: number } {
  const stat = statSync(path);
  return { dir: stat.isDirectory(), mtimeMs: stat.mtimeMs };
}

// `npm run load`: hundreds of concurrent complete sign-ins through `wrangler dev` against the Twitter stand-in.
//
// Proves every sign-in succeeds, every user gets their own identity (no cross-talk), and no
// request-token entry is left in KV afterwards; reports its figures and ends with `load: PASS` or
// `load: FAIL (<reasons>)` (exit 0 / 1). A correctness check: it never fails on speed.
//
//   npm run load -- [--count N] [--concurrency N] [--time-budget SECONDS] [--next PATH] [--me WHEN] [--verbose]
//   (or LOAD_COUNT, LOAD_CONCURRENCY, LOAD_TIME_BUDGET in the environment; LOAD_HARD_LIMIT, seconds,
//   default 170, is the limit after which everything is killed and the run fails, whatever it is doing)
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { cpus, loadavg, release, tmpdir, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { type DevServer, PROJECT_ROOT, startDevServer } from "../../tools/dev/dev-server.ts";
import { freePort } from "../../tools/dev/free-port.ts";
import { listProcesses, procStat, processGroup } from "../../tools/dev/proc.ts";
import type { Stats } from "../../tools/stand-in/server.ts";
import { userIdForScreenName } from "../../tools/stand-in/twitter.ts";
import { type LatencySummary, type SignInOutcome, type SignInResults, benchmarkIp, randomUserPrefix, runSignIns } from "./driver.ts";

/** The whole run ends by itself after this, whatever happens (the task allows about 3 minutes). */
const HARD_LIMIT_MS = 1000 * Number(process.env.LOAD_HARD_LIMIT ?? 170) || 170_000;
/** Kept after the sign-ins for stopping wrangler dev and listing KV. */
const TEARDOWN_RESERVE_MS = 45_000;
const WARM_UP_COUNT = 5;
const REPEAT_COUNT = 3;
const KV_LIST_TIMEOUT_MS = 30_000;
const REQUEST_TOKEN_PREFIX = "request-token:";

const require = createRequire(import.meta.url);
const WRANGLER_JS = join(dirname(require.resolve("wrangler/package.json")), "bin", "wrangler.js");
/** No telemetry, no fetch of the Request.cf placeholder: everything stays local. */
const WRANGLER_ENV = { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" };

// ---------------------------------------------------------------- settings

const { values: flags } = parseArgs({
  options: {
    count: { type: "string" },
    concurrency: { type: "string" },
    "time-budget": { type: "string" },
    next: { type: "string" },
    me: { type: "string", default: "always" },
    verbose: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (flags.help) {
  console.log(
    [
      "npm run load -- [options]",
      "  --count N              sign-ins in the main run (400; env LOAD_COUNT)",
      "  --concurrency N        sign-ins in flight at once (200; env LOAD_CONCURRENCY)",
      "  --time-budget SECONDS  for the main run (90; env LOAD_TIME_BUDGET); the whole run is killed after LOAD_HARD_LIMIT (170) s",
      "  --next PATH            start at /login?next=PATH: /auth then redirects and the identity comes from /me",
      "  --me always|after-redirect|never   when to read the identity back from /me (always)",
      "  --verbose              show wrangler dev's output",
    ].join("\n"),
  );
  process.exit(0);
}
const count = positiveInteger("count", flags.count ?? process.env.LOAD_COUNT ?? "400");
const concurrency = positiveInteger("concurrency", flags.concurrency ?? process.env.LOAD_CONCURRENCY ?? "200");
const requestedBudgetMs = 1000 * positiveNumber("time-budget", flags["time-budget"] ?? process.env.LOAD_TIME_BUDGET ?? "90");

const meMode: "always" | "after-redirect" | "never" = flags.me === "always" || flags.me === "after-redirect" || flags.me === "never" ? flags.me : usage(`--me must be always, after-redirect or never, not ${JSON.stringify(flags.me)}`);
const loginPath = flags.next === undefined ? "/login" : `/login?${new URLSearchParams({ next: flags.next })}`;

function positiveInteger(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) usage(`--${name} must be a positive integer, not ${JSON.stringify(text)}`);
  return value;
}
function positiveNumber(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) usage(`--${name} must be a positive number, not ${JSON.stringify(text)}`);
  return value;
}
function usage(message: string): never {
  console.error(`load: ${message}`);
  process.exit(2);
}

// ---------------------------------------------------------------- what must be torn down

const runStarted = Date.now();
const hardDeadline = runStarted + HARD_LIMIT_MS;
const interrupt = new AbortController();
const failures: string[] = [];
let phase = "starting";
let server: DevServer | undefined;
let kvLister: ChildProcess | undefined;
let persistDir: string | undefined;
let exiting = false;

/** Kills the process groups of the children this process started (wrangler's holds workerd). Synchronous. */
function killChildren(signal: NodeJS.Signals): void {
  const groups = new Set<number>();
  if (server?.wrangler.pid) groups.add(server.wrangler.pid);
  if (kvLister?.pid) groups.add(kvLister.pid);
  // Before startDevServer resolves its wrangler is not known by handle: our own direct children, by pid.
  for (const pid of ownChildPids()) groups.add(pid);
  for (const pid of groups) {
    try {
      process.kill(-pid, signal); // each was spawned detached: its own process group
    } catch {
      try {
        process.kill(pid, signal);
      } catch {
        // already gone
      }
    }
  }
}

/** Pids whose parent is this process (Linux /proc; elsewhere none). */
function ownChildPids(): number[] {
  return listProcesses()
    .filter((stat) => stat.ppid === process.pid)
    .map((stat) => stat.pid);
}

function removePersistDir(): void {
  if (persistDir === undefined) return;
  try {
    rmSync(persistDir, { recursive: true, force: true, maxRetries: 3 });
  } catch (error) {
    console.error(`load: could not remove ${persistDir}: ${error instanceof Error ? error.message : String(error)}`);
  }
  persistDir = undefined;
}

/** Last resort (hard limit, second Ctrl+C): kill everything we started, remove the temp dir, exit 1. */
function emergencyExit(reason: string): never {
  exiting = true;
  killChildren("SIGKILL");
  removePersistDir();
  console.log(`load: FAIL (${reason})`);
  process.exit(1);
}

const watchdog = setTimeout(() => emergencyExit(`hard time limit of ${HARD_LIMIT_MS / 1000} s reached while ${phase}`), HARD_LIMIT_MS);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (exiting || interrupt.signal.aborted) emergencyExit(`${signal} again while ${phase}`);
    console.log(`\nload: ${signal} while ${phase}: stopping…`);
    interrupt.abort();
    // While wrangler dev starts, startDevServer has no way to be cancelled: end its wrangler, so it rejects.
    if (server === undefined) killChildren("SIGTERM");
  });
}

// ---------------------------------------------------------------- the run

interface Report {
  startedAt: Date;
  versions: { wrangler: string; workerd: string; node: string };
  startupMs?: number;
  warmUp?: SignInResults;
  main?: SignInResults;
  repeat?: SignInResults;
  crossRunMismatches: string[];
  standIn?: Stats;
  kv?: { total: number; byPrefix: Record<string, number>; requestTokenExamples: string[] } | { error: string };
  cpu?: CpuFigures;
  teardown?: string;
  /** Files of the Worker that changed while wrangler dev ran (it then rebuilds and reloads the Worker). */
  changedDuringRun: string[];
}

const report: Report = { startedAt: new Date(runStarted), versions: versions(), crossRunMismatches: [], changedDuringRun: [] };

try {
  await run();
} catch (error) {
  // After Ctrl+C, what broke is the interruption itself ("interrupted" is reported below).
  if (!interrupt.signal.aborted) failures.push(`${phase}: ${error instanceof Error ? error.message : String(error)}`);
} finally {
  phase = "tearing down";
  await stopServer();
  removePersistDir();
}
clearTimeout(watchdog);
exiting = true;
printReport();
if (interrupt.signal.aborted) failures.unshift("interrupted");
console.log(failures.length === 0 ? "load: PASS" : `load: FAIL (${failures.join("; ")})`);
process.exit(failures.length === 0 ? 0 : 1);

async function run(): Promise<void> {
  persistDir = mkdtempSync(join(tmpdir(), "twitter-login-load-"));
  const port = await freePort();
  const inspectorPort = await freePort();
  const sourcesBefore = workerSources();
  phase = "starting wrangler dev and the stand-in";
  console.log(`load: starting wrangler dev on 127.0.0.1:${port} with the stand-in (local KV in ${persistDir})…`);
  const startupStarted = Date.now();
  try {
    server = await startDevServer({
      standIn: true,
      // The driver checks /auth's v1.1 user object (screen_name, id_str): the stand-in serves v1.1.
      standInOptions: { accessLevel: "legacy" },
      port,
      ip: "127.0.0.1",
      output: flags.verbose ? "inherit" : "ignore",
      persistTo: persistDir,
      wranglerArgs: ["--inspector-port", String(inspectorPort), "--log-level", flags.verbose ? "log" : "warn"],
    });
  } catch (error) {
    // wrangler dev keeps waiting (without exiting) when the Worker does not build: its output says why.
    const hint = flags.verbose ? "" : " (run with --verbose to see wrangler's output, e.g. a build error)";
    throw new Error(`${error instanceof Error ? error.message : String(error)}${hint}`);
  }
  report.startupMs = Date.now() - startupStarted;
  if (interrupt.signal.aborted) return;
  const standIn = server.standIn;
  if (!standIn) throw new Error("startDevServer did not start the stand-in");
  const baseUrl = server.url;
  const prefix = randomUserPrefix();
  // Each phase's users send CF-Connecting-IP from their own block of 198.18.0.0/15: never the same client twice.
  const common = { baseUrl, loginPath, me: meMode, expectedId: userIdForScreenName, signal: interrupt.signal };

  phase = "warming up";
  console.log(`load: Worker at ${baseUrl}, stand-in at ${standIn.origin}; warming up with ${WARM_UP_COUNT} sign-ins…`);
  report.warmUp = await runSignIns({
    ...common,
    count: WARM_UP_COUNT,
    concurrency: WARM_UP_COUNT,
    timeBudgetMs: 30_000,
    screenName: (i) => `${prefix}w${i}`,
    clientIp: (i) => benchmarkIp(120_000 + i),
  });
  if (interrupt.signal.aborted) return;

  // What was asked for, but never so long that the teardown would not fit before the hard limit.
  const budgetMs = Math.min(requestedBudgetMs, Math.max(5_000, hardDeadline - Date.now() - TEARDOWN_RESERVE_MS));
  phase = "running the sign-ins";
  console.log(`load: ${count} sign-ins from ${loginPath}, ${concurrency} at a time, identity from /me: ${meMode}, time budget ${(budgetMs / 1000).toFixed(0)} s…`);
  const cpuBefore = cpuSample(server.wrangler.pid);
  let lastProgress = Date.now();
  report.main = await runSignIns({
    ...common,
    count,
    concurrency,
    timeBudgetMs: budgetMs,
    userPrefix: prefix,
    clientIp: (i) => benchmarkIp(i),
    onProgress: (finished, total) => {
      if (Date.now() - lastProgress < 5_000 || finished === total) return;
      lastProgress = Date.now();
      console.log(`load:   ${finished}/${total} finished`);
    },
  });
  report.cpu = cpuFigures(cpuBefore, cpuSample(server.wrangler.pid), report.main.durationMs);
  if (interrupt.signal.aborted) return;

  // The same users again: each must get the id they got the first time.
  const again = report.main.outcomes.filter((o) => o.ok).slice(0, REPEAT_COUNT);
  if (again.length > 0) {
    phase = "signing the same users in again";
    report.repeat = await runSignIns({
      ...common,
      count: again.length,
      concurrency: again.length,
      timeBudgetMs: 15_000,
      screenName: (i) => again[i]!.screenName,
      clientIp: (i) => benchmarkIp(125_000 + i),
    });
  }
  report.crossRunMismatches = crossRunMismatches([report.warmUp, report.main, report.repeat]);

  report.standIn = standIn.stats();
  report.changedDuringRun = changedSources(sourcesBefore, workerSources());
  phase = "stopping wrangler dev";
  await stopServer();
  if (interrupt.signal.aborted) return;

  phase = "listing the KV entries left behind";
  report.kv = await listKv(persistDir);
}

async function stopServer(): Promise<void> {
  if (!server) return;
  const pgid = server.wrangler.pid;
  const stopping = server.stop();
  const gone = await Promise.race([stopping.then(() => true), sleep(15_000).then(() => false)]);
  if (!gone) killChildren("SIGKILL");
  // Is anything of wrangler's process group (workerd included) still alive?
  let left: number[] = [];
  for (let attempt = 0; attempt < 20; attempt += 1) {
    left = pgid === undefined ? [] : processGroupMembers(pgid);
    if (left.length === 0) break;
    await sleep(100);
  }
  if (left.length > 0) {
    try {
      process.kill(-pgid!, "SIGKILL");
    } catch {
      // gone meanwhile
    }
    report.teardown = `wrangler's process group ${pgid} still had ${left.length} process(es) after stop(); killed`;
  } else report.teardown ??= `wrangler dev, workerd and the stand-in stopped (process group ${pgid} empty)`;
  server = undefined;
}

// ---------------------------------------------------------------- KV, after wrangler dev stopped

async function listKv(dir: string): Promise<NonNullable<Report["kv"]>> {
  const args = [WRANGLER_JS, "kv", "key", "list", "--binding", "AUTH_KV", "--local", "--persist-to", dir];
  const child = spawn(process.execPath, args, { cwd: PROJECT_ROOT, env: WRANGLER_ENV, stdio: ["ignore", "pipe", "pipe"], detached: process.platform !== "win32" });
  kvLister = child;
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.once("close", (code) => resolve(code)));
  const code = await Promise.race([exited, sleep(KV_LIST_TIMEOUT_MS).then(() => "timeout" as const)]);
  if (code === "timeout") {
    killChildren("SIGKILL");
    await exited;
  }
  kvLister = undefined;
  if (code !== 0) return { error: `wrangler kv key list ${code === "timeout" ? "timed out" : `exited with ${code}`}: ${lastLine(stderr || stdout)}` };
  const start = stdout.indexOf("[");
  const end = stdout.lastIndexOf("]");
  let keys: { name: string }[];
  try {
    keys = JSON.parse(stdout.slice(start, end + 1)) as { name: string }[];
    if (start === -1 || !Array.isArray(keys)) throw new Error("not a list");
  } catch {
    return { error: `wrangler kv key list printed no JSON list: ${lastLine(stdout)}` };
  }
  const byPrefix: Record<string, number> = {};
  for (const { name } of keys) {
    const colon = name.indexOf(":");
    const keyPrefix = colon === -1 ? "(no prefix)" : name.slice(0, colon + 1);
    byPrefix[keyPrefix] = (byPrefix[keyPrefix] ?? 0) + 1;
  }
  const requestTokenExamples = keys.filter((k) => k.name.startsWith(REQUEST_TOKEN_PREFIX)).slice(0, 3).map((k) => k.name);
  return { total: keys.length, byPrefix, requestTokenExamples };
}

// ---------------------------------------------------------------- checks and the report

/** Across warm-up, main run and repeat: one id per screen name, one screen name per id. */
function crossRunMismatches(runs: (SignInResults | undefined)[]): string[] {
  const idByName = new Map<string, string>();
  const nameById = new Map<string, string>();
  const problems: string[] = [];
  for (const outcome of runs.flatMap((r) => r?.outcomes ?? []) as SignInOutcome[]) {
    if (!outcome.ok || !outcome.identity) continue;
    const name = outcome.screenName.toLowerCase();
    const { id } = outcome.identity;
    if (idByName.has(name) && idByName.get(name) !== id) problems.push(`${outcome.screenName}: id ${id}, before ${idByName.get(name)}`);
    else if (nameById.has(id) && nameById.get(id) !== name) problems.push(`${outcome.screenName}: id ${id} was ${nameById.get(id)}'s`);
    idByName.set(name, id);
    nameById.set(id, name);
  }
  return problems;
}

function printReport(): void {
  const r = report;
  const line = (label: string, value: string) => console.log(`  ${label.padEnd(32)} ${value}`);
  const cpu = cpus();
  console.log("\n== load test: Sign in with Twitter through wrangler dev, against the Twitter stand-in ==");
  line("machine", `${cpu[0]?.model.trim() ?? "unknown CPU"}, ${cpu.length} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, ${process.platform} ${release()}`);
  line("date", r.startedAt.toISOString());
  line("versions", `wrangler ${r.versions.wrangler}, workerd ${r.versions.workerd}, node ${r.versions.node}`);
  if (r.startupMs !== undefined) line("wrangler dev ready after", `${(r.startupMs / 1000).toFixed(1)} s`);
  if (r.warmUp) line("warm-up", `${r.warmUp.succeeded}/${r.warmUp.requested} sign-ins succeeded`);

  const main = r.main;
  if (main) {
    line("sign-ins", `${main.requested} requested, ${main.started} started, ${main.finished} finished, ${main.succeeded} succeeded`);
    line("concurrency", `${main.concurrency} in flight at once (distinct CF-Connecting-IP per user)`);
    line("duration", `${(main.durationMs / 1000).toFixed(2)} s${main.budgetExhausted ? " (time budget exhausted)" : ""}`);
    line("sign-ins/s", main.signInsPerSecond.toFixed(1));
    line("per sign-in (ms)", latency(main.latency.signIn));
    for (const [step, summary] of Object.entries(main.latency.steps)) line(`  step ${step} (ms)`, latency(summary));
    line("identity checked via", `/auth 200 JSON ${main.via.json}, /auth 200 JSON + /me ${main.via["json+me"]}, /auth redirect + /me ${main.via["redirect+me"]}`);
  }
  const failureKinds = mergeCounts([r.warmUp?.failures, main?.failures, r.repeat?.failures]);
  const failureCount = Object.values(failureKinds).reduce((a, b) => a + b, 0);
  line("failures", failureCount === 0 ? "0" : `${failureCount}: ${Object.entries(failureKinds).map(([k, n]) => `${k} × ${n}`).join(", ")}`);
  const crossTalk = (r.warmUp?.crossTalk ?? 0) + (main?.crossTalk ?? 0) + (r.repeat?.crossTalk ?? 0) + r.crossRunMismatches.length;
  const examples = [...(r.warmUp?.crossTalkExamples ?? []), ...(main?.crossTalkExamples ?? []), ...(r.repeat?.crossTalkExamples ?? []), ...r.crossRunMismatches].slice(0, 3);
  line("cross-talk", crossTalk === 0 ? "0" : `${crossTalk} (e.g. ${examples.join("; ")})`);
  if (r.repeat) line("same users again", `${r.repeat.succeeded}/${r.repeat.requested} signed in again with the same id`);

  if (r.kv && "error" in r.kv) line("KV entries left", `unknown: ${r.kv.error}`);
  else if (r.kv) {
    const requestTokens = r.kv.byPrefix[REQUEST_TOKEN_PREFIX] ?? 0;
    // A sign-in that got its /login answer but never reached /auth leaves its entry until the TTL, as it should.
    const abandoned = [r.warmUp, main, r.repeat]
      .flatMap((run) => run?.outcomes ?? [])
      .filter((o) => !o.ok && (o.reached === "login" || o.reached === "consent_page" || o.reached === "consent_post" || /^login (aborted|timeout|network)/.test(o.failure ?? "")))
      .length;
    const note = abandoned > 0 ? `; ${abandoned} failed sign-ins stopped between /login (answered or cut off) and /auth, so up to ${abandoned} are expected` : "";
    line(`leftover ${REQUEST_TOKEN_PREFIX} entries`, `${requestTokens}${requestTokens ? ` (e.g. ${r.kv.requestTokenExamples.join(", ")})` : ""}${note}`);
    const others = Object.entries(r.kv.byPrefix).filter(([p]) => p !== REQUEST_TOKEN_PREFIX);
    const successes = (r.warmUp?.succeeded ?? 0) + (main?.succeeded ?? 0) + (r.repeat?.succeeded ?? 0);
    line("other KV entries", others.length === 0 ? "none" : `${others.map(([p, n]) => `${p} ${n}`).join(", ")} (successful sign-ins in all: ${successes})`);
  }

  if (r.standIn) {
    const s = r.standIn;
    line("stand-in signature failures", String(s.signatureFailures));
    const endpoints = Object.entries(s.endpoints).map(([name, e]) => `${name} ${e.accepted}/${e.requests}`);
    line("stand-in accepted/requests", endpoints.join(", "));
    const rejections = Object.entries(s.endpoints).flatMap(([name, e]) => Object.entries(e.rejected).map(([reason, n]) => `${name}: ${reason} × ${n}`));
    line("stand-in rejections", rejections.length === 0 ? "none" : rejections.join(", "));
    line("stand-in live tokens after", `request ${s.liveRequestTokens}, access ${s.liveAccessTokens}`);
  }
  if (r.cpu) line("CPU during the sign-ins", r.cpu.text);
  if (r.teardown) line("teardown", r.teardown);
  if (r.changedDuringRun.length > 0) {
    line("WARNING", `${r.changedDuringRun.slice(0, 5).join(", ")} changed during the run: wrangler dev rebuilt and reloaded the Worker mid-run (dropped connections and failures may come from that)`);
  }
  console.log("");

  // The verdict: correctness only, never speed.
  if (r.warmUp && r.warmUp.succeeded !== r.warmUp.requested) failures.push(`${r.warmUp.failed} of ${r.warmUp.requested} warm-up sign-ins failed`);
  if (main && main.succeeded !== main.requested) failures.push(`${main.failed} of ${main.requested} sign-ins failed`);
  if (main?.budgetExhausted) failures.push(`the time budget ran out before every sign-in finished (raise --time-budget, or lower --count)`);
  if (!main && failures.length === 0 && !interrupt.signal.aborted) failures.push("the sign-ins did not run");
  if (r.repeat && r.repeat.succeeded !== r.repeat.requested) failures.push(`${r.repeat.failed} repeated sign-ins failed`);
  if (crossTalk > 0) failures.push(`${crossTalk} cross-talk`);
  if (main && !r.kv && !interrupt.signal.aborted) failures.push("KV was not listed");
  if (r.kv && "error" in r.kv) failures.push("could not list KV");
  else if (r.kv && (r.kv.byPrefix[REQUEST_TOKEN_PREFIX] ?? 0) > 0) failures.push(`${r.kv.byPrefix[REQUEST_TOKEN_PREFIX]} ${REQUEST_TOKEN_PREFIX} entries left in KV`);
  if (r.standIn && r.standIn.signatureFailures > 0) failures.push(`${r.standIn.signatureFailures} signature failures at the stand-in`);
  if (failures.length > 0 && r.changedDuringRun.length > 0) failures.push("src/ changed during the run, so wrangler dev reloaded the Worker");
}

/** Modification times of what wrangler dev watches and rebuilds: src/ and wrangler.toml. */
function workerSources(): Map<string, number> {
  const times = new Map<string, number>();
  const visit = (dir: string, depth: number) => {
    if (depth > 8) return;
    for (const entry of safeReaddir(join(PROJECT_ROOT, dir))) {
      const path = `${dir}/${entry}`;
      try {
        const stat = statSync(join(PROJECT_ROOT, path));
        if (stat.isDirectory()) visit(path, depth + 1);
        else times.set(path, stat.mtimeMs);
      } catch {
        // removed meanwhile
      }
    }
  };
  visit("src", 0);
  try {
    times.set("wrangler.toml", statSync(join(PROJECT_ROOT, "wrangler.toml")).mtimeMs);
  } catch {
    // no wrangler.toml: wrangler dev would not have started
  }
  return times;
}

function changedSources(before: Map<string, number>, after: Map<string, number>): string[] {
  const changed = new Set<string>();
  for (const [path, time] of after) if (before.get(path) !== time) changed.add(path);
  for (const path of before.keys()) if (!after.has(path)) changed.add(path);
  return [...changed].sort();
}

function latency(s: LatencySummary): string {
  if (s.count === 0) return "n/a";
  const f = (v: number) => v.toFixed(0);
  return `p50 ${f(s.p50)}, p95 ${f(s.p95)}, p99 ${f(s.p99)}, min ${f(s.min)}, mean ${f(s.mean)}, max ${f(s.max)}`;
}

function mergeCounts(all: (Record<string, number> | undefined)[]): Record<string, number> {
  const merged: Record<string, number> = {};
  for (const counts of all) for (const [k, n] of Object.entries(counts ?? {})) merged[k] = (merged[k] ?? 0) + n;
  return merged;
}

function versions(): Report["versions"] {
  const version = (pkg: string) => {
    try {
      return (JSON.parse(readFileSync(createRequire(WRANGLER_JS).resolve(`${pkg}/package.json`), "utf8")) as { version: string }).version;
    } catch {
      return "unknown";
    }
  };
  return { wrangler: version("wrangler"), workerd: version("workerd"), node: process.version };
}

// ---------------------------------------------------------------- CPU accounting (Linux /proc), to see what bounds throughput

interface CpuSample {
  at: number;
  self: number; // ms: the driver and the stand-in (same process)
  wranglerGroup: Map<string, number>; // command -> ms, wrangler's process group (wrangler's node, workerd)
}
interface CpuFigures {
  text: string;
}

function cpuSample(pgid: number | undefined): CpuSample {
  const usage = process.cpuUsage();
  const wranglerGroup = new Map<string, number>();
  if (pgid !== undefined) {
    for (const pid of processGroupMembers(pgid)) {
      const stat = procStat(pid);
      // bin/wrangler.js (the group leader) runs wrangler's CLI as a child node process, which shows
      // up as "MainThread"; workerd and esbuild by name.
      if (stat) wranglerGroup.set(`${pid === pgid || stat.comm === "MainThread" || stat.comm === "node" ? "wrangler (node)" : stat.comm}#${pid}`, stat.cpuMs);
    }
  }
  return { at: performance.now(), self: (usage.user + usage.system) / 1000, wranglerGroup };
}

function cpuFigures(before: CpuSample, after: CpuSample, durationMs: number): CpuFigures | undefined {
  const wall = after.at - before.at;
  if (wall <= 0 || durationMs <= 0) return undefined;
  const pct = (ms: number) => `${((100 * ms) / wall).toFixed(0)}%`;
  const parts = [`this process (driver + stand-in) ${pct(after.self - before.self)}`];
  const byCommand = new Map<string, number>();
  for (const [key, ms] of after.wranglerGroup) {
    const command = key.slice(0, key.lastIndexOf("#"));
    byCommand.set(command, (byCommand.get(command) ?? 0) + ms - (before.wranglerGroup.get(key) ?? 0));
  }
  for (const [command, ms] of byCommand) if (ms >= 0.005 * wall) parts.push(`${command} ${pct(ms)}`);
  const [load1] = loadavg();
  return { text: `${parts.join(", ")} of one core (of ${cpus().length}); load average ${load1?.toFixed(1)}` };
}

function processGroupMembers(pgid: number): number[] {
  return processGroup(pgid).map((member) => member.pid);
}

// ---------------------------------------------------------------- small helpers


function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => {
    setTimeout(resolve, ms);
  });
}

function lastLine(text: string): string {
  return text.trim().split("\n").filter(Boolean).at(-1)?.slice(0, 300) ?? "(no output)";
}

function safeReaddir(path: string): string[] {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
}

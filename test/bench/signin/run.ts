// npm run bench:signin (part 2 of npm run bench): whole sign-ins through `wrangler dev`, the real
// Worker against the protocol's bare skeleton (test/bench/skeleton/), in the same run.
//
// One Twitter stand-in in its own process (tools/stand-in/cli.ts), two `wrangler dev` (the real
// Worker with the project's wrangler.toml; the skeleton with test/bench/skeleton/wrangler.toml),
// each with its own local KV in a temporary folder, all on 127.0.0.1. The load driver
// (test/load/driver.ts) behaves like browsers: a cookie jar per user, every redirect followed by
// hand, the consent form posted, and each identity checked against the stand-in's (cross-talk).
// After a warm-up, rounds alternate the contenders (real, skeleton, then skeleton, real, ...) at
// concurrency 16 and then 1. Around every measured phase, the CPU time of each process is read
// from /proc (utime + stime, all threads): the workerd that runs the Worker (and the local KV
// simulation), wrangler's proxy (a second workerd), wrangler's node, the stand-in, the driver.
//
// No targets: the real Worker's rate is printed as a share of the skeleton's, with what the
// skeleton leaves out. Timing never fails the run. Exit 1 only on cross-talk, when a server does
// not start, or when nothing could be measured; exit 130 on Ctrl+C.
//
//   npm run bench:signin
//   environment: BENCH_SIGNIN_ROUNDS (4), BENCH_SIGNIN_COUNT (300, at concurrency 16),
//   BENCH_SIGNIN_COUNT_C1 (100), BENCH_SIGNIN_LOG_LEVEL (wrangler's --log-level, "log": what
//   `npm run dev` shows; "none" drops the per-request line), BENCH_SIGNIN_TIME_LIMIT (seconds for
//   the whole part, 150; after it no round starts), BENCH_VERBOSE=1 (wrangler's output).
import { fileURLToPath } from "node:url";
import { type LatencySummary, type SignInResults, benchmarkIp, runSignIns, summarize } from "../../load/driver.ts";
import type { Stats } from "../../../tools/stand-in/server.ts";
import { userIdForScreenName } from "../../../tools/stand-in/twitter.ts";
import { ownCpuMs } from "../../../tools/dev/proc.ts";
import { CORES, changedFiles, describeMachine, loadAverage, runId, stealMs, workerSourceTimes } from "./machine.ts";
import {
  ROLE_LABELS,
  type Role,
  type StandInProcess,
  type WorkerServer,
  type WranglerLogLevel,
  cpuByRole,
  killEverythingNow,
  leftoverProcesses,
  sleep,
  startStandInProcess,
  startWorkerServer,
} from "./processes.ts";

export type Contender = "real" | "skeleton";
export const CONTENDERS: readonly Contender[] = ["real", "skeleton"];
const CONTENDER_LABELS: Record<Contender, string> = { real: "real Worker", skeleton: "skeleton" };
const ROLES: readonly Role[] = ["worker", "proxy", "wrangler", "standIn", "driver", "other"];
/** With more than one sign-in in flight, cores this busy or more count as CPU-bound in the "bound" lines. */
const CPU_BOUND_BUSY = 0.7;
/** Sign-ins per contender before the measured rounds (concurrency 16). */
const WARM_UP_COUNT = 100;

export interface SignInBenchOptions {
  /** Rounds per concurrency; each round runs every contender once. Default 4. */
  rounds?: number;
  /** Sign-ins per contender and round at concurrency 16. Default 300. */
  count16?: number;
  /** Sign-ins per contender and round at concurrency 1. Default 100. */
  count1?: number;
  /** wrangler dev's --log-level for both contenders. Default "log" (as `npm run dev`). */
  logLevel?: WranglerLogLevel;
  /** No round starts after this many ms from the start (the part's own budget). Default 150 s. */
  timeLimitMs?: number;
  /** Show wrangler's output. */
  verbose?: boolean;
  /** Stops the run (Ctrl+C): nothing new starts, everything started is stopped. */
  signal?: AbortSignal;
  /** Where the report goes, line by line. Default console.log. */
  print?: (line: string) => void;
}

/** One contender's measured phase: one round at one concurrency. */
export interface Phase {
  contender: Contender;
  concurrency: number;
  round: number;
  results: SignInResults;
  /** CPU ms spent during the phase, by role, in the contender's processes, the stand-in and the driver. */
  cpuMs: Record<Role, number>;
  /** CPU ms the other contender's (idle) wrangler dev spent meanwhile: should be about 0. */
  idleOtherMs: number;
  wallMs: number;
  /** Calls the Worker made to the stand-in (request_token + access_token + verify_credentials). */
  providerCalls: number;
}

/** What a contender did at one concurrency, over all its rounds. */
export interface ContenderSummary {
  rounds: number;
  requested: number;
  succeeded: number;
  /** Successful sign-ins per second, each round's. */
  ratePerRound: number[];
  medianRate: number;
  latency: LatencySummary;
  failures: Record<string, number>;
  failed: number;
  crossTalk: number;
  crossTalkExamples: string[];
  /** CPU ms per successful sign-in, by role (all rounds pooled). */
  cpuPerSignIn: Record<Role, number>;
  /** Sum over the roles. */
  cpuPerSignInTotal: number;
  /** Share of the machine's cores busy in these processes during the phases (0..1). */
  busy: number;
  providerCallsPerSignIn: number;
}

export interface ConcurrencySummary {
  concurrency: number;
  contenders: Record<Contender, ContenderSummary>;
  /** real / skeleton sign-ins per second, round by round (both from the same round). */
  ratios: number[];
  medianRatio: number;
}

export interface SignInBenchResult {
  machine: string;
  software: string;
  commit: string;
  run: string;
  logLevel: WranglerLogLevel;
  phases: Phase[];
  byConcurrency: ConcurrencySummary[];
  /** Files of the Worker or the skeleton that changed during the run (wrangler dev then reloads). */
  changedDuringRun: string[];
  interrupted: boolean;
  /** Why the part stopped before its last round when its time limit came first (not an error: the figures cover the rounds that ran). */
  timeLimitReached: string | undefined;
  /** Setup or run errors. */
  errors: string[];
  durationMs: number;
}

/** Runs part 2 and prints it; never throws for a failed sign-in. Stops every process it started before returning. */
export async function benchSignIns(options: SignInBenchOptions = {}): Promise<SignInBenchResult> {
  const started = Date.now();
  const print = options.print ?? ((line: string) => console.log(line));
  const rounds = options.rounds ?? 4;
  const count16 = options.count16 ?? 300;
  const count1 = options.count1 ?? 100;
  const logLevel = options.logLevel ?? "log";
  const timeLimitMs = options.timeLimitMs ?? 150_000;
  const signal = options.signal ?? new AbortController().signal;
  const { machine, software, commit } = describeMachine();
  const run = `${new Date(started).toISOString()}, id ${runId()}, commit ${commit}`;
  const result: SignInBenchResult = { machine, software, commit, run, logLevel, phases: [], byConcurrency: [], changedDuringRun: [], interrupted: false, timeLimitReached: undefined, errors: [], durationMs: 0 };

  print("## 2. Whole sign-ins through wrangler dev: the real Worker and the protocol's bare skeleton");
  print(`machine: ${machine}`);
  print(`software: ${software}`);
  print(`run: ${run}, ${loadAverage()} at the start`);
  print(
    `plan: after ${WARM_UP_COUNT} warm-up sign-ins each, ${rounds} rounds × ${count16} sign-ins at concurrency 16, then ${rounds} × ${count1} at concurrency 1, per contender, ` +
      `alternating (real, skeleton / skeleton, real / ...); wrangler dev --log-level ${logLevel}, its output discarded; all on 127.0.0.1`,
  );
  const stealBefore = stealMs();

  let standIn: StandInProcess | undefined;
  const servers: Partial<Record<Contender, WorkerServer>> = {};
  const sourcesBefore = workerSourceTimes();
  try {
    standIn = await startStandInProcess();
    if (signal.aborted) throw new Interrupted();
    const [real, skeleton] = await Promise.allSettled([
      startWorkerServer({ name: "real", standIn, logLevel, verbose: options.verbose }),
      startWorkerServer({ name: "skeleton", standIn, logLevel, verbose: options.verbose, wranglerArgs: ["-c", "test/bench/skeleton/wrangler.toml"] }),
    ]);
    if (real.status === "fulfilled") servers.real = real.value;
    if (skeleton.status === "fulfilled") servers.skeleton = skeleton.value;
    for (const settled of [real, skeleton]) if (settled.status === "rejected") throw settled.reason;
    if (signal.aborted) throw new Interrupted();
    print(`started: stand-in ${standIn.origin} (pid ${standIn.pid}); real Worker ${servers.real!.url}; skeleton ${servers.skeleton!.url}`);

    let nextIp = 0;
    let phaseIndex = 0;
    const runPhase = async (contender: Contender, concurrency: number, round: number, count: number, budgetMs: number): Promise<Phase> => {
      const server = servers[contender]!;
      const other = servers[contender === "real" ? "skeleton" : "real"]!;
      await standIn!.resetStats();
      const firstIp = nextIp;
      nextIp += count;
      const prefix = `${contender[0]}${concurrency}${round < 0 ? "w" : `r${round}`}p${phaseIndex++}_`;
      const cpuBefore = cpuByRole(server, standIn, ownCpuMs());
      const otherBefore = sumRoles(cpuByRole(other, undefined, 0));
      const wallStarted = performance.now();
      const results = await runSignIns({
        baseUrl: server.url,
        count,
        concurrency,
        timeBudgetMs: budgetMs,
        userPrefix: prefix,
        clientIp: (index) => benchmarkIp(firstIp + index),
        expectedId: userIdForScreenName,
        signal,
      });
      const wallMs = performance.now() - wallStarted;
      const cpuAfter = cpuByRole(server, standIn, ownCpuMs());
      const idleOtherMs = sumRoles(cpuByRole(other, undefined, 0)) - otherBefore;
      const stats = await standIn!.stats();
      const cpuMs = Object.fromEntries(ROLES.map((role) => [role, cpuAfter[role] - cpuBefore[role]])) as Record<Role, number>;
      return { contender, concurrency, round, results, cpuMs, idleOtherMs, wallMs, providerCalls: providerCalls(stats) };
    };

    // Warm-up (not measured): JIT, connections, KV's files; also checks both contenders work at all.
    for (const contender of CONTENDERS) {
      const warm = await runPhase(contender, 16, -1, WARM_UP_COUNT, 30_000);
      if (warm.results.succeeded === 0) throw new Error(`the ${contender} warm-up failed: ${formatFailures(warm.results.failures)}`);
    }

    const plan: { concurrency: number; count: number }[] = [
      { concurrency: 16, count: count16 },
      { concurrency: 1, count: count1 },
    ];
    for (const { concurrency, count } of plan) {
      for (let round = 0; round < rounds; round += 1) {
        const order: Contender[] = round % 2 === 0 ? ["real", "skeleton"] : ["skeleton", "real"];
        for (const contender of order) {
          if (signal.aborted) throw new Interrupted();
          const left = timeLimitMs - (Date.now() - started);
          if (left < 5_000) throw new OutOfTime(`the time limit of ${timeLimitMs / 1000} s left no time for round ${round + 1} at concurrency ${concurrency}`);
          const phase = await runPhase(contender, concurrency, round, count, Math.min(60_000, left));
          // A phase cut short by Ctrl+C is not a measurement.
          if (phase.results.aborted) throw new Interrupted();
          result.phases.push(phase);
          await sleep(200);
        }
      }
    }
  } catch (error) {
    if (error instanceof Interrupted || signal.aborted) result.interrupted = true;
    else if (error instanceof OutOfTime) result.timeLimitReached = error.message;
    else result.errors.push(error instanceof Error ? error.message : String(error));
  } finally {
    result.changedDuringRun = changedFiles(sourcesBefore, workerSourceTimes());
    await Promise.all([servers.real?.stop(), servers.skeleton?.stop(), standIn?.stop()]);
  }

  result.byConcurrency = summarizePhases(result.phases);
  for (const line of report(result)) print(line);
  result.durationMs = Date.now() - started;
  const stealAfter = stealMs();
  const steal = stealBefore === undefined || stealAfter === undefined ? "" : `; CPU time stolen by the hypervisor meanwhile: ${((stealAfter - stealBefore) / 1000).toFixed(1)} s`;
  const left = leftoverProcesses();
  if (left > 0) result.errors.push(`${left} process(es) it started are still running`);
  print(`part 2 took ${(result.durationMs / 1000).toFixed(0)} s; ${loadAverage()} at the end${steal}; ${left === 0 ? "every process it started is stopped" : `WARNING: ${left} process(es) it started are still running`}`);
  return result;
}

class Interrupted extends Error {}
class OutOfTime extends Error {}

function providerCalls(stats: Stats): number {
  const e = stats.endpoints;
  return e.request_token.requests + e.access_token.requests + e.verify_credentials.requests;
}

function sumRoles(cpu: Record<Role, number>): number {
  return ROLES.reduce((sum, role) => sum + cpu[role], 0);
}

// ---------------------------------------------------------------- figures

export function summarizePhases(phases: Phase[]): ConcurrencySummary[] {
  const summaries: ConcurrencySummary[] = [];
  for (const concurrency of [...new Set(phases.map((p) => p.concurrency))]) {
    const of = (contender: Contender) => phases.filter((p) => p.concurrency === concurrency && p.contender === contender);
    const contenders = Object.fromEntries(CONTENDERS.map((c) => [c, summarizeContender(of(c))])) as Record<Contender, ContenderSummary>;
    // Ratios within a round: both phases of a round ran back to back.
    const ratios: number[] = [];
    for (const real of of("real")) {
      const skeleton = of("skeleton").find((p) => p.round === real.round);
      if (skeleton && skeleton.results.signInsPerSecond > 0) ratios.push(real.results.signInsPerSecond / skeleton.results.signInsPerSecond);
    }
    summaries.push({ concurrency, contenders, ratios, medianRatio: median(ratios) });
  }
  return summaries;
}

function summarizeContender(phases: Phase[]): ContenderSummary {
  const succeeded = phases.reduce((n, p) => n + p.results.succeeded, 0);
  const failures: Record<string, number> = {};
  for (const p of phases) for (const [kind, n] of Object.entries(p.results.failures)) failures[kind] = (failures[kind] ?? 0) + n;
  const cpu = Object.fromEntries(ROLES.map((role) => [role, phases.reduce((sum, p) => sum + p.cpuMs[role], 0)])) as Record<Role, number>;
  const cpuPerSignIn = Object.fromEntries(ROLES.map((role) => [role, succeeded > 0 ? cpu[role] / succeeded : Number.NaN])) as Record<Role, number>;
  const wallMs = phases.reduce((sum, p) => sum + p.wallMs, 0);
  const started = phases.reduce((n, p) => n + p.results.started, 0);
  const ratePerRound = phases.map((p) => p.results.signInsPerSecond);
  return {
    rounds: phases.length,
    requested: phases.reduce((n, p) => n + p.results.requested, 0),
    succeeded,
    ratePerRound,
    medianRate: median(ratePerRound),
    latency: summarize(phases.flatMap((p) => p.results.outcomes.filter((o) => o.ok).map((o) => o.durationMs))),
    failures,
    failed: phases.reduce((n, p) => n + p.results.failed, 0),
    crossTalk: phases.reduce((n, p) => n + p.results.crossTalk, 0),
    crossTalkExamples: phases.flatMap((p) => p.results.crossTalkExamples).slice(0, 3),
    cpuPerSignIn,
    cpuPerSignInTotal: sumRoles(cpuPerSignIn),
    busy: wallMs > 0 ? sumRoles(cpu) / (wallMs * CORES) : Number.NaN,
    providerCallsPerSignIn: started > 0 ? phases.reduce((n, p) => n + p.providerCalls, 0) / started : Number.NaN,
  };
}

function report(r: SignInBenchResult): string[] {
  const lines: string[] = [];
  const table = (rows: string[][]) => {
    const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? "").length)));
    for (const row of rows) lines.push(row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join("   ").trimEnd());
  };
  for (const s of r.byConcurrency) {
    const real = s.contenders.real;
    const skeleton = s.contenders.skeleton;
    lines.push("");
    lines.push(`concurrency ${s.concurrency}: ${real.rounds} rounds of ${real.rounds > 0 ? real.requested / real.rounds : 0} sign-ins per contender`);
    const ratio = (a: number, b: number) => (b > 0 && Number.isFinite(a / b) ? (a / b).toFixed(2) : "n/a");
    const rows: string[][] = [["", CONTENDER_LABELS.real, CONTENDER_LABELS.skeleton, "real/skeleton"]];
    rows.push([
      "sign-ins/s (median of rounds)",
      fixed(real.medianRate),
      fixed(skeleton.medianRate),
      `${Number.isFinite(s.medianRatio) ? s.medianRatio.toFixed(2) : "n/a"} (rounds: ${s.ratios.map((x) => x.toFixed(2)).join(", ")})`,
    ]);
    rows.push(["sign-ins/s per round", real.ratePerRound.map((x) => fixed(x)).join(" "), skeleton.ratePerRound.map((x) => fixed(x)).join(" "), ""]);
    rows.push(["sign-in ms p50 / p95 / p99", percentiles(real.latency), percentiles(skeleton.latency), `p50 ${ratio(real.latency.p50, skeleton.latency.p50)}`]);
    rows.push(["failures", failureText(real), failureText(skeleton), ""]);
    rows.push(["cross-talk", String(real.crossTalk), String(skeleton.crossTalk), ""]);
    rows.push(["provider calls per sign-in", fixed(real.providerCallsPerSignIn, 2), fixed(skeleton.providerCallsPerSignIn, 2), ""]);
    rows.push(["CPU ms per sign-in, by process:", "", "", ""]);
    for (const role of ROLES) {
      if (role === "other" && !(real.cpuPerSignIn.other >= 0.05 || skeleton.cpuPerSignIn.other >= 0.05)) continue;
      rows.push([`  ${ROLE_LABELS[role]}`, fixed(real.cpuPerSignIn[role], 2), fixed(skeleton.cpuPerSignIn[role], 2), ratio(real.cpuPerSignIn[role], skeleton.cpuPerSignIn[role])]);
    }
    rows.push(["  all of them", fixed(real.cpuPerSignInTotal, 2), fixed(skeleton.cpuPerSignInTotal, 2), ratio(real.cpuPerSignInTotal, skeleton.cpuPerSignInTotal)]);
    rows.push([`CPU busy, of ${CORES} cores`, percent(real.busy), percent(skeleton.busy), ""]);
    table(rows);
    for (const contender of CONTENDERS) {
      const c = s.contenders[contender];
      if (c.crossTalk > 0) lines.push(`cross-talk (${CONTENDER_LABELS[contender]}), e.g.: ${c.crossTalkExamples.join("; ")}`);
    }
    lines.push(...bounds(s));
  }
  if (r.byConcurrency.length > 0) {
    lines.push(
      "",
      "the first workerd line holds both the Worker's own code and wrangler's local simulation of its bindings (KV, rate limiter) and of its logs; " +
        "part 3 (npm run bench:cost) measures the Worker's own code alone",
    );
  }
  const idle = Math.max(0, ...r.phases.map((p) => (p.results.succeeded > 0 ? p.idleOtherMs / p.results.succeeded : 0)));
  if (r.phases.length > 0) {
    lines.push(`the other contender's idle wrangler dev: at most ${idle.toFixed(2)} CPU ms per sign-in of a phase (not counted above; near 0 means it did not compete for the cores)`);
  }

  const c16 = r.byConcurrency.find((s) => s.concurrency === 16);
  if (c16 && Number.isFinite(c16.medianRatio)) {
    lines.push(
      `the real Worker signs in at ${(c16.medianRatio * 100).toFixed(0)}% of the skeleton's rate at concurrency 16 (median of per-round ratios; not a target): ` +
        `the skeleton does the same I/O without the Worker's own work (Hono, HMAC signatures, cookies, session write, log lines, rate limiter), ` +
        `so the gap is what that work costs through wrangler dev; the CPU rows above show where it goes`,
    );
  }
  if (r.changedDuringRun.length > 0) {
    lines.push(`WARNING: ${r.changedDuringRun.slice(0, 5).join(", ")} changed during the run: wrangler dev rebuilt and reloaded a Worker mid-run, so some figures include a reload`);
  }
  if (r.interrupted) lines.push("INTERRUPTED: the figures above cover the phases that finished");
  if (r.timeLimitReached) lines.push(`time limit reached: ${r.timeLimitReached}; the figures above cover the rounds that finished (BENCH_SIGNIN_TIME_LIMIT sets the limit)`);
  for (const error of r.errors) lines.push(`ERROR: ${error}`);
  return lines;
}

/** What bounds the throughput at this concurrency, from the CPU figures. */
function bounds(s: ConcurrencySummary): string[] {
  const real = s.contenders.real;
  const skeleton = s.contenders.skeleton;
  if (!(real.succeeded > 0 && skeleton.succeeded > 0)) return [];
  const lines: string[] = [];
  for (const contender of CONTENDERS) {
    const c = s.contenders[contender];
    const ceiling = (CORES * 1000) / c.cpuPerSignInTotal;
    lines.push(
      `bound (${CONTENDER_LABELS[contender]}): ${fixed(c.cpuPerSignInTotal, 1)} CPU ms per sign-in over all processes; ${CORES} cores allow at most ` +
        `${fixed(ceiling)}/s; measured ${fixed(c.medianRate)}/s (${percent(c.medianRate / ceiling)} of that), cores ${percent(c.busy)} busy: ` +
        (s.concurrency > 1 && c.busy >= CPU_BOUND_BUSY
          ? `CPU-bound (${percent(CPU_BOUND_BUSY)} busy or more with ${s.concurrency} sign-ins in flight: the cores are nearly saturated; what is left idle is the hand-offs between processes)`
          : `latency-bound (${s.concurrency > 1 ? `under ${percent(CPU_BOUND_BUSY)} busy` : "one sign-in at a time"}: each sign-in waits on its own chain of requests; the cores are not the limit)`),
    );
  }
  const extra = real.cpuPerSignInTotal - skeleton.cpuPerSignInTotal;
  const extraWorker = real.cpuPerSignIn.worker - skeleton.cpuPerSignIn.worker;
  lines.push(
    `the real Worker costs ${fixed(extra, 2)} CPU ms per sign-in more than the skeleton over all processes, ${fixed(extraWorker, 2)} of them in the workerd ` +
      `that runs it; the skeleton's total over the real one's predicts a rate ratio of ${fixed(skeleton.cpuPerSignInTotal / real.cpuPerSignInTotal, 2)} when CPU-bound`,
  );
  return lines;
}

function percentiles(l: LatencySummary): string {
  return l.count === 0 ? "n/a" : `${fixed(l.p50, 0)} / ${fixed(l.p95, 0)} / ${fixed(l.p99, 0)}`;
}

function failureText(c: ContenderSummary): string {
  return c.failed === 0 ? "0" : `${c.failed} (${formatFailures(c.failures)})`;
}

function formatFailures(failures: Record<string, number>): string {
  const kinds = Object.entries(failures);
  return kinds.length === 0 ? "none" : kinds.map(([kind, n]) => `${kind} × ${n}`).join(", ");
}

function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function fixed(value: number, digits = 1): string {
  return Number.isFinite(value) ? value.toFixed(digits) : "n/a";
}

function percent(value: number): string {
  return Number.isFinite(value) ? `${(value * 100).toFixed(0)}%` : "n/a";
}

// ---------------------------------------------------------------- command line

/** Ctrl+C stops the run cleanly; a second one, or the hard limit, kills every process started and exits. */
export function installInterruptHandling(name: string, hardLimitMs: number): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const emergency = (reason: string) => {
    killEverythingNow();
    console.error(`${name}: ${reason}: killed every process it started`);
    process.exit(130);
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) emergency(`${signal} again`);
    console.error(`\n${name}: ${signal}: stopping (again to kill at once)…`);
    controller.abort();
  };
  const watchdog = setTimeout(() => emergency(`still running after the hard limit of ${hardLimitMs / 1000} s`), hardLimitMs);
  watchdog.unref();
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  process.on("SIGHUP", onSignal);
  return {
    signal: controller.signal,
    dispose: () => {
      clearTimeout(watchdog);
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      process.off("SIGHUP", onSignal);
    },
  };
}

function numberFromEnv(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === "") return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, not ${JSON.stringify(text)}`);
  return value;
}

/** The command line's options, from the environment. */
export function optionsFromEnv(): SignInBenchOptions {
  const level = process.env.BENCH_SIGNIN_LOG_LEVEL ?? "log";
  if (!["debug", "info", "log", "warn", "error", "none"].includes(level)) throw new Error(`BENCH_SIGNIN_LOG_LEVEL must be one of debug, info, log, warn, error, none`);
  return {
    rounds: Math.round(numberFromEnv("BENCH_SIGNIN_ROUNDS", 4)),
    count16: Math.round(numberFromEnv("BENCH_SIGNIN_COUNT", 300)),
    count1: Math.round(numberFromEnv("BENCH_SIGNIN_COUNT_C1", 100)),
    logLevel: level as WranglerLogLevel,
    timeLimitMs: 1000 * numberFromEnv("BENCH_SIGNIN_TIME_LIMIT", 150),
    verbose: process.env.BENCH_VERBOSE === "1",
  };
}

/** Exit status for a finished part: 1 on cross-talk, on an error, or with nothing measured; 130 when interrupted. Reaching the time limit is not an error. */
export function exitStatus(result: SignInBenchResult): number {
  if (result.interrupted) return 130;
  const crossTalk = result.byConcurrency.some((s) => CONTENDERS.some((c) => s.contenders[c].crossTalk > 0));
  return crossTalk || result.errors.length > 0 || result.phases.length === 0 ? 1 : 0;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  let options: SignInBenchOptions;
  try {
    options = optionsFromEnv();
  } catch (error) {
    console.error(`bench:signin: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(2);
  }
  const limitMs = options.timeLimitMs ?? 150_000;
  const interrupt = installInterruptHandling("bench:signin", limitMs + 60_000);
  const result = await benchSignIns({ ...options, signal: interrupt.signal });
  interrupt.dispose();
  process.exit(exitStatus(result));
}

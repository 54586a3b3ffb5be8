// npm run bench:cost (part 3 of npm run bench): what one sign-in costs on Workers and KV.
//
// Counts, exactly, what one sign-in does (requests, subrequests, KV reads, writes, deletes and
// lists, rate-limit calls, log lines) by running whole sign-ins inside workerd against counting
// stand-ins for fetch, KV and the rate limiter (worker.ts, through Miniflare); measures the
// Worker's own CPU time per sign-in there with the I/O answered at once (rounds alternating the
// real Worker, the protocol's skeleton and the bare harness); adds, when part 2's figures are at
// hand, the CPU the workerd running the Worker spent per sign-in through `wrangler dev`; counts the
// same for the Durable Object store (calls to objects, SQLite rows read and written, the calls'
// wall time); counts and times a sign-in over OAuth 2.0 too (TWITTER_OAUTH_VERSION=2.0, X's
// token endpoint and /2/users/me answered by the stand-in); and prices a million sign-ins (either
// protocol) and ten million session reads a month on Workers Paid with KV and with Durable
// Objects, showing the arithmetic.
//
// Timing never fails the run. Exit 1 only when a contender's sign-in does not work in the harness.
//
//   npm run bench:cost            (environment: BENCH_COST_ROUNDS, default 25)
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Plugin } from "esbuild";
import type { Miniflare } from "miniflare";
import { calibrateBatches, jsonCaller, median, quantile, rotated, startBenchWorker, stopAfter } from "../harness.ts";
import { PROJECT_ROOT } from "../../../tools/dev/dev-server.ts";
import type { SignInBenchResult } from "../signin/run.ts";
import { describeMachine, runId } from "../signin/machine.ts";
// Types only: worker.ts runs inside workerd, never in Node.
import type { Contender, Counts, Info, OAuth2StoreCounts, ProfileEndpoint, RoundResult, SignOutCounts, StoreCounts } from "./worker.ts";
import { writeBlock } from "../../support/generated-block.ts";
import { PROFILE_CHOICES, SIGN_INS_PER_MONTH as X_SIGN_INS, X_PRICES, X_PRICE_SOURCE, usd, xPerMonth, xPerSignIn, xShareMarkdown } from "./x-share.ts";

/** Published prices as of this writing (November 2026); see PRICE_SOURCES. USD. */
export const PRICES = {
  workersPaidMonthly: 5,
  includedRequests: 10_000_000,
  perMillionRequests: 0.3,
  includedCpuMs: 30_000_000,
  perMillionCpuMs: 0.02,
  kvIncludedReads: 10_000_000,
  kvPerMillionReads: 0.5,
  kvIncludedWrites: 1_000_000,
  kvPerMillionWrites: 5,
  kvIncludedDeletes: 1_000_000,
  kvPerMillionDeletes: 5,
  kvIncludedLists: 1_000_000,
  kvPerMillionLists: 5,
  // Durable Objects (Workers Paid; SQLite-backed): each RPC call is a billed request; duration is
  // wall-clock time while the object is active, billed for 128 MB; setAlarm and deletes count as rows written.
  objectIncludedRequests: 1_000_000,
  objectPerMillionRequests: 0.15,
  objectIncludedGbSeconds: 400_000,
  objectPerMillionGbSeconds: 12.5,
  objectMemoryGb: 0.128,
  objectIncludedRowsRead: 25_000_000_000,
  objectPerMillionRowsRead: 0.001,
  objectIncludedRowsWritten: 50_000_000,
  objectPerMillionRowsWritten: 1,
} as const;
export const PRICE_SOURCES = [
  "https://developers.cloudflare.com/workers/platform/pricing/",
  "https://developers.cloudflare.com/kv/platform/pricing/",
  "https://developers.cloudflare.com/durable-objects/platform/pricing/",
];
/** The session reads (GET /me, a twitterSession() page, a gateway page view) a month the second price is for. */
const SESSION_READS_PER_MONTH = 10_000_000;

const CONTENDERS: readonly Contender[] = ["real", "oauth2", "skeleton", "harness"];
const LABELS: Record<Contender, string> = { real: "real Worker", oauth2: "real Worker, OAuth 2.0", skeleton: "skeleton", harness: "harness alone" };
const TARGET_BATCH_MS = 100;
const WARMUP_ROUNDS = 3;
const SOFT_DEADLINE_MS = 40_000;
const HARD_DEADLINE_MS = 75_000;
const SIGN_INS_PER_MONTH = 1_000_000;

export interface CostOptions {
  /** Part 2's result, for the CPU the workerd running the Worker spent per sign-in through wrangler dev. */
  signIn?: SignInBenchResult;
  /** Measured rounds. Default 25. */
  rounds?: number;
  print?: (line: string) => void;
  signal?: AbortSignal;
}

export interface CostResult {
  machine: string;
  run: string;
  counts: Partial<Record<Contender, Counts>>;
  /** ms of CPU per sign-in in the harness, median over rounds, per contender; undefined when the clock did not move. */
  msPerSignIn: Partial<Record<Contender, number>>;
  /** The real Worker's own CPU per sign-in: real minus the bare harness, median of per-round differences. */
  workerCpuMs: number | undefined;
  /** The same for the real Worker signing in over OAuth 2.0. */
  oauth2CpuMs: number | undefined;
  /** The skeleton's own CPU per sign-in, the same way. */
  skeletonCpuMs: number | undefined;
  /** USD per month for SIGN_INS_PER_MONTH sign-ins, real Worker (KV, and the Durable Object store; over OAuth 2.0 too) and protocol minimum. */
  monthly: { real: number; object: number | undefined; oauth2: { kv: number; object: number } | undefined; minimum: number } | undefined;
  /** USD per month for SESSION_READS_PER_MONTH session reads, beyond the sign-ins, per store. */
  monthlyReads: { kv: number; object: number } | undefined;
  errors: string[];
}

/** Runs part 3 and prints it. Disposes of its workerd before returning. */
export async function benchCost(options: CostOptions = {}): Promise<CostResult> {
  const print = options.print ?? ((line: string) => console.log(line));
  const rounds = options.rounds ?? 25;
  const started = Date.now();
  const { machine, software, commit } = describeMachine();
  const run = `${new Date(started).toISOString()}, id ${runId()}, commit ${commit}`;
  const result: CostResult = { machine, run, counts: {}, msPerSignIn: {}, workerCpuMs: undefined, oauth2CpuMs: undefined, skeletonCpuMs: undefined, monthly: undefined, monthlyReads: undefined, errors: [] };

  print("## 3. Cost of a sign-in");
  print(`machine: ${machine}`);
  print(`software: ${software}`);
  print(`run: ${run}`);

  const miniflare = await startHarness();
  const hardStop = stopAfter("bench:cost", HARD_DEADLINE_MS, miniflare);
  try {
    const call = jsonCaller(miniflare, "harness");
    const info = await call<Info>("/info");
    if (!info.ok) {
      result.errors.push(...info.problems);
      throw new Error(`a sign-in did not work in the harness: ${info.problems.join("; ")}`);
    }

    // 1. What one sign-in does, counted.
    const counted = await call<Partial<Record<Contender, Counts | { error: string }>>>("/count");
    for (const contender of CONTENDERS) {
      const c = counted[contender];
      if (c && !("error" in c)) result.counts[contender] = c;
      else result.errors.push(`${contender}: ${c && "error" in c ? c.error : "no counts"}`);
    }
    for (const line of operationsTable(result.counts)) print(line);
    const stores = await call<StoreCounts | { error: string }>("/count-stores");
    if ("error" in stores) {
      result.errors.push(`stores: ${stores.error}`);
      print(`the two stores' counts: n/a (${stores.error})`);
    }
    else for (const line of storesTable(stores)) print(line);
    const oauth2Stores = await call<OAuth2StoreCounts | { error: string }>("/count-oauth2-stores");
    if ("error" in oauth2Stores) {
      result.errors.push(`OAuth 2.0 stores: ${oauth2Stores.error}`);
      print(`an OAuth 2.0 sign-in with each store: n/a (${oauth2Stores.error})`);
    } else for (const line of oauth2StoresTable(oauth2Stores)) print(line);

    // 2. The Worker's own CPU per sign-in, I/O answered at once.
    if (info.clock === "live" && !options.signal?.aborted) {
      const perSignIn: Record<Contender, number[]> = { real: [], oauth2: [], skeleton: [], harness: [] };
      const batch = Object.fromEntries(CONTENDERS.map((c) => [c, 8])) as Record<Contender, number>;
      const round = (index: number) => call<RoundResult>("/round", { order: rotated(CONTENDERS, index), batch });
      await calibrateBatches(CONTENDERS, batch, TARGET_BATCH_MS, async (step) => {
        const { results } = await round(step);
        return Object.fromEntries(CONTENDERS.map((c) => [c, { count: results[c]!.signIns, ms: results[c]!.ms }]));
      });
      for (let index = 0; index < WARMUP_ROUNDS; index += 1) await round(index);
      let done = 0;
      for (; done < rounds && Date.now() - started < SOFT_DEADLINE_MS && !options.signal?.aborted; done += 1) {
        const { results } = await round(done);
        for (const contender of CONTENDERS) perSignIn[contender].push(results[contender]!.ms / results[contender]!.signIns);
      }
      const own = (contender: Contender) => median(perSignIn[contender].map((ms, at) => ms - perSignIn.harness[at]!));
      for (const contender of CONTENDERS) result.msPerSignIn[contender] = median(perSignIn[contender]);
      result.workerCpuMs = own("real");
      result.oauth2CpuMs = own("oauth2");
      result.skeletonCpuMs = own("skeleton");
      print("");
      print(
        `Worker CPU per sign-in, in workerd (Miniflare) with the I/O answered at once: ${done} rounds, contenders alternating (order rotated), ` +
          `batches of ${CONTENDERS.map((c) => batch[c]).join("/")} sign-ins (~${TARGET_BATCH_MS} ms; clock ${info.resolutionMs} ms ticks, batches start on a tick edge)`,
      );
      const rows = [["", "ms per sign-in (median)", "IQR", "own (minus harness, median per round)"]];
      for (const contender of CONTENDERS) {
        rows.push([
          `  ${LABELS[contender]}`,
          fixed(result.msPerSignIn[contender]!, 3),
          `${fixed(quantile(perSignIn[contender], 0.25), 3)}–${fixed(quantile(perSignIn[contender], 0.75), 3)}`,
          contender === "harness" ? "" : fixed(own(contender), 3),
        ]);
      }
      for (const line of table(rows)) print(line);
      print(
        `  the harness: building the two requests, reading the answers and the cookies, and the counting stand-ins for fetch and KV; ` +
          `the real Worker's own figure is its code (Hono, three HMAC-SHA1 signatures, cookie HMACs, the session's AES-GCM, JSON) as a deployed Worker's CPU time counts it, ` +
          `minus the runtime's own work for the 3 subrequests and 5 KV calls (native, outside the isolate's JavaScript; small)`,
      );
      print(
        `  over OAuth 2.0 the same Worker signs no request: its figure is the PKCE verifier and its SHA-256 challenge, the state, X's JSON token answer and /2/users/me, ` +
          `cookie HMACs and the session's AES-GCM (the grant sealed in the session), with the stand-in's token endpoint and /2/users/me in it as the 1.0a endpoints are in the real Worker's`,
      );
    } else if (info.clock !== "live") {
      print("");
      print("Worker CPU per sign-in in the harness: n/a (the clock does not move during computation in this workerd)");
    }

    // 3. Through wrangler dev (part 2), when at hand.
    const c16 = options.signIn?.byConcurrency.find((s) => s.concurrency === 16);
    if (c16 && c16.contenders.real.succeeded > 0 && c16.contenders.skeleton.succeeded > 0) {
      const real = c16.contenders.real.cpuPerSignIn.worker;
      const skeleton = c16.contenders.skeleton.cpuPerSignIn.worker;
      print("");
      print(
        `through wrangler dev (part 2, concurrency 16, same machine): the workerd running the Worker spent ${fixed(real, 2)} CPU ms per sign-in for the real Worker ` +
          `and ${fixed(skeleton, 2)} for the skeleton: ${fixed(real - skeleton, 2)} ms more. That difference is an upper bound of the real Worker's own extra CPU: it also holds ` +
          `the local KV simulation's work for the session write, the rate limiter's simulation, and shipping 2 log lines to wrangler (inspector and structured logs), ` +
          `none of which a deployed Worker is billed for as its CPU time.`,
      );
      const total = c16.contenders.real.cpuPerSignInTotal;
      if (result.workerCpuMs !== undefined && Number.isFinite(total) && total > 0) {
        print(
          `  the real Worker's own code (${fixed(result.workerCpuMs, 2)} ms, above) is ${((100 * result.workerCpuMs) / total).toFixed(1)}% of the ${fixed(total, 1)} CPU ms all processes ` +
            `(workerd, wrangler's proxy and node, the stand-in, the driver) spent per sign-in through wrangler dev; the rest is the local simulator's, the stand-in's and the driver's.`,
        );
      }
    } else {
      print("");
      print(
        "through wrangler dev: part 2's figures are not passed to this part (npm run bench runs each part in its own process); " +
          "part 2's row \"workerd: the Worker + KV simulation\" is the CPU the workerd running the Worker spent per sign-in there",
      );
    }

    // 4. Prices.
    const figures: Partial<CloudflareFigures> = { workerCpuMs: result.workerCpuMs, skeletonCpuMs: result.skeletonCpuMs };
    const realCounts = result.counts.real;
    const minimum: PerSignIn = { ...perOperation(undefined), requests: 2, reads: 1, writes: 1, deletes: 1, cpuMs: Math.ceil(10 * (result.skeletonCpuMs ?? 0.1)) / 10 };
    if (realCounts) {
      // Rounded up to a whole 0.1 ms: a generous figure, so the bill is not understated.
      const cpuMs = Math.ceil(10 * (result.workerCpuMs ?? 1)) / 10;
      const perSignIn: PerSignIn = { ...perOperation(realCounts), cpuMs };
      const real = price(perSignIn);
      const floor = price(minimum);
      const objectSignIn = "error" in stores ? undefined : { ...perOperation(stores.object.signIn), cpuMs };
      const object = objectSignIn && price(objectSignIn);
      // OAuth 2.0: its own sign-in with each store, counted, and its own CPU, measured (rounded up the same way).
      const oauth2CpuMs = Math.ceil(10 * (result.oauth2CpuMs ?? 1)) / 10;
      const oauth2SignIn = "error" in oauth2Stores ? undefined : { kv: { ...perOperation(oauth2Stores.kv), cpuMs: oauth2CpuMs }, object: { ...perOperation(oauth2Stores.object), cpuMs: oauth2CpuMs } };
      const oauth2 = oauth2SignIn && { kv: price(oauth2SignIn.kv), object: price(oauth2SignIn.object) };
      result.monthly = { real: real.total, object: object?.total, oauth2: oauth2 && { kv: oauth2.kv.total, object: oauth2.object.total }, minimum: floor.total };
      print("");
      print(`What ${SIGN_INS_PER_MONTH.toLocaleString("en-US")} sign-ins a month cost, at the published prices as of this writing (${PRICE_SOURCES.join(", ")}):`);
      print(
        `  Workers Paid: $${PRICES.workersPaidMonthly}/month, including ${millions(PRICES.includedRequests)} requests and ${millions(PRICES.includedCpuMs)} CPU ms; ` +
          `then $${PRICES.perMillionRequests.toFixed(2)} per million requests and $${PRICES.perMillionCpuMs.toFixed(2)} per million CPU ms. Subrequests are not billed.`,
      );
      print(
        `  KV (with Workers Paid): included ${millions(PRICES.kvIncludedReads)} reads, ${millions(PRICES.kvIncludedWrites)} writes, ${millions(PRICES.kvIncludedDeletes)} deletes, ` +
          `${millions(PRICES.kvIncludedLists)} lists a month; then $${PRICES.kvPerMillionReads.toFixed(2)} per million reads, $${PRICES.kvPerMillionWrites.toFixed(2)} per million writes, deletes or lists.`,
      );
      print(
        `  CPU time is free at this volume up to ${(PRICES.includedCpuMs / SIGN_INS_PER_MONTH).toFixed(0)} ms per sign-in (30M CPU ms included / 1M sign-ins), ` +
          `against the real Worker's ${perSignIn.cpuMs} ms (${result.workerCpuMs === undefined ? "assumed: not measured here" : "measured above, rounded up"}), ${oauth2CpuMs} ms over OAuth 2.0 (${result.oauth2CpuMs === undefined ? "assumed" : "the same way"}); requests are free up to ${millions(PRICES.includedRequests / 2)} sign-ins a month (2 requests each).`,
      );
      print(
        `  Durable Objects (with Workers Paid, SQLite-backed): included ${millions(PRICES.objectIncludedRequests)} requests (each call to an object), ${millions(PRICES.objectIncludedGbSeconds)} GB-s of duration ` +
          `(wall-clock time while active, billed for ${PRICES.objectMemoryGb * 1000} MB), ${millions(PRICES.objectIncludedRowsRead)} rows read and ${millions(PRICES.objectIncludedRowsWritten)} rows written a month; then ` +
          `$${PRICES.objectPerMillionRequests.toFixed(2)} per million requests, $${PRICES.objectPerMillionGbSeconds.toFixed(2)} per million GB-s, $${PRICES.objectPerMillionRowsRead} per million rows read, $${PRICES.objectPerMillionRowsWritten.toFixed(2)} per million rows written. ` +
          `Duration: the calls' wall time measured here, each at least 1 ms (a local object answers within about a millisecond; deployed, the object's own work is of that order, and the network time before it is not the object's)`,
      );
      for (const line of priceLines("real Worker, KV", perSignIn, real)) print(line);
      if (objectSignIn && object) for (const line of priceLines("real Worker, Durable Object store", objectSignIn, object)) print(line);
      if (oauth2SignIn && oauth2) {
        for (const line of priceLines("real Worker over OAuth 2.0, KV", oauth2SignIn.kv, oauth2.kv)) print(line);
        for (const line of priceLines("real Worker over OAuth 2.0, Durable Object store", oauth2SignIn.object, oauth2.object)) print(line);
      }
      for (const line of priceLines("protocol minimum (the skeleton)", minimum, floor)) print(line);
      const extraWrites = perSignIn.writes - minimum.writes;
      if (extraWrites > 0) {
        print(
          `  the difference: ${fixed(extraWrites, 0)} KV writes per sign-in more than the protocol's minimum (the session and its index key, "${Object.keys(realCounts.kvWritesByPrefix).filter((p) => p !== "request-token:").join(", ")}", written at /auth by design), ` +
            `$${fixed(real.total - floor.total, 2)} a month at this volume; once every allowance is used up, each further million sign-ins costs $${fixed(marginal(perSignIn), 2)} (the minimum: $${fixed(marginal(minimum), 2)}).`,
        );
      }
      if (objectSignIn) {
        print(`  each further million sign-ins once every allowance is used up: KV $${fixed(marginal(perSignIn), 2)}, Durable Object store $${fixed(marginal(objectSignIn), 2)}`);
      }
      if (oauth2SignIn) {
        print(`  over OAuth 2.0, each further million sign-ins once every allowance is used up: KV $${fixed(marginal(oauth2SignIn.kv), 2)}, Durable Object store $${fixed(marginal(oauth2SignIn.object), 2)}`);
      }
      Object.assign(figures, {
        signIns: { kv: [real.total, marginal(perSignIn)], object: object && objectSignIn && [object.total, marginal(objectSignIn)] },
        oauth2: oauth2 && oauth2SignIn && { kv: [oauth2.kv.total, marginal(oauth2SignIn.kv)], object: [oauth2.object.total, marginal(oauth2SignIn.object)] },
        oauth2CpuMs: result.oauth2CpuMs,
        minimum: floor.total,
      });
      if (!("error" in stores)) {
        // Session reads alone (the Worker's requests and CPU are the same with either store: not counted here).
        const readsOf = (c: Counts) => ({ ...perOperation(c), requests: 0, cpuMs: 0 });
        // The steady state: a session read again within five minutes in the same isolate (KV looks at lastSeenAt once per isolate every five minutes: one read more then).
        const reads = { kv: readsOf(stores.kv.sessionReadAgain), object: readsOf(stores.object.sessionReadAgain) };
        const bills = { kv: price(reads.kv, SESSION_READS_PER_MONTH, false), object: price(reads.object, SESSION_READS_PER_MONTH, false) };
        result.monthlyReads = { kv: bills.kv.total, object: bills.object.total };
        print("");
        print(
          `What ${SESSION_READS_PER_MONTH.toLocaleString("en-US")} session reads a month (GET /me, a twitterSession() page, a gateway page view) cost the store, beyond the Worker's own requests and CPU (the same with either), all allowances still unused, ` +
            `each read as a session read again within five minutes in the same isolate (KV adds one read per session, isolate and five minutes of use, for the devices list's "last seen"):`,
        );
        for (const [name, label] of [
          ["kv", "KV"],
          ["object", "Durable Object store"],
        ] as const) {
          for (const line of priceLines(`${label}, per read`, reads[name], bills[name])) print(line);
        }
        print(`  each further million session reads once every allowance is used up: KV $${fixed(marginal(reads.kv), 2)}, Durable Object store $${fixed(marginal(reads.object), 2)}`);
        figures.reads = { kv: [bills.kv.total, marginal(reads.kv)], object: [bills.object.total, marginal(reads.object)] };
      }
    }
    const block = cloudflareMarkdown(figures, `${new Date(started).toISOString().slice(0, 10)}, commit ${commit}`);
    if (block && writeBlock("docs/benchmarks.md", "cloudflare-cost", block)) print("  (wrote these prices into docs/benchmarks.md)");
    // 5. X's share beside the Worker's, per protocol and profile choice.
    const profiles = await call<Partial<Record<ProfileEndpoint, Counts | { error: string }>>>("/count-profiles");
    for (const line of xShareLines(profiles, "error" in oauth2Stores ? oauth2Stores : oauth2Stores.kv, result.monthly)) print(line);
    for (const file of ["docs/x-app.md", "docs/benchmarks.md"]) if (writeBlock(file, "x-share", xShareMarkdown())) print(`  (wrote the table into ${file})`);

    // 6. Before anyone signs in: what the limiter lets one network spend on /login's KV write.
    for (const line of loginSpendLines(result.counts.real)) print(line);
  } catch (error) {
    if (result.errors.length === 0) result.errors.push(error instanceof Error ? error.message : String(error));
    print(`ERROR: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    clearTimeout(hardStop);
    await miniflare.dispose();
  }
  print(`part 3 took ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return result;
}

// ---------------------------------------------------------------- the harness in workerd

function startHarness(): Promise<Miniflare> {
  const realWorker: Plugin = {
    name: "worker-under-test",
    setup(b) {
      b.onResolve({ filter: /^worker-under-test$/ }, () => ({ path: join(PROJECT_ROOT, "src", "index.ts") }));
    },
  };
  return startBenchWorker(fileURLToPath(new URL("./worker.ts", import.meta.url)), [realWorker]);
}

// ---------------------------------------------------------------- figures

/** What each store does per sign-in, per session read and per sign-out (revocation included: it runs after the answer, in waitUntil). */
function storesTable(counts: StoreCounts): string[] {
  const cases: [string, (c: StoreCounts["kv"]) => Counts][] = [
    ["sign-in (GET /login, GET /auth)", (c) => c.signIn],
    ["session read (GET /me), its first in the isolate", (c) => c.sessionRead],
    ["session read again, within five minutes", (c) => c.sessionReadAgain],
    ["sign-out, another session of the user open", (c) => c.signOuts.anotherSessionOpen],
    ["sign-out, the user's last session", (c) => c.signOuts.lastSession],
    ["sign-out ?everywhere=true, two sessions", (c) => c.signOuts.everywhereOfTwo],
  ];
  const rows = [["", "KV reads", "writes", "deletes", "lists", "|", "object calls", "rows read", "rows written", "wall ms", "calls to X", "object calls by method"]];
  for (const [label, pick] of cases) {
    const kv = pick(counts.kv);
    const object = pick(counts.object);
    const calls = (c: Counts) => Object.values(c.subrequests).reduce((a, b) => a + b, 0);
    const byMethod = Object.entries(object.object.requests).map(([method, n]) => `${n}× ${method}`).join(", ");
    rows.push([label, String(kv.kv.get + kv.kv.getWithMetadata), String(kv.kv.put), String(kv.kv.delete), String(kv.kv.list), "|", "", "", "", "", String(calls(kv)), "KV store"]);
    rows.push(["", String(object.kv.get + object.kv.getWithMetadata), String(object.kv.put), String(object.kv.delete), String(object.kv.list), "|", String(totalRequests(object)), String(object.object.rowsRead), String(object.object.rowsWritten), fixed(object.object.wallMs, 1), String(calls(object)), `Durable Object store: ${byMethod}`]);
  }
  return [
    "",
    "Operations per sign-in, session read and sign-out with each store, counted the same way (the Durable Object store's rows as its statements report them, setAlarm as a row written; " +
      "its getAlarm and deleteAll calls are not in Cloudflare's price list and are not priced)",
    ...table(rows),
  ];
}

/** What one OAuth 2.0 sign-in does with each store, counted as storesTable counts 1.0a's (the calls to X named). */
function oauth2StoresTable(counts: OAuth2StoreCounts): string[] {
  const rows = [["", "KV reads", "writes", "deletes", "lists", "|", "object calls", "rows read", "rows written", "wall ms", "log lines", "calls to X"]];
  for (const [label, c] of [
    ["KV store", counts.kv],
    ["Durable Object store", counts.object],
  ] as const) {
    const object = totalRequests(c) > 0;
    rows.push([
      label,
      String(c.kv.get + c.kv.getWithMetadata),
      String(c.kv.put),
      String(c.kv.delete),
      String(c.kv.list),
      "|",
      object ? String(totalRequests(c)) : "",
      object ? String(c.object.rowsRead) : "",
      object ? String(c.object.rowsWritten) : "",
      object ? fixed(c.object.wallMs, 1) : "",
      String(c.logLines),
      Object.entries(c.subrequests).map(([path, n]) => `${n}× ${path}`).join(", "),
    ]);
  }
  const writes = Object.entries(counts.kv.kvWritesByPrefix).map(([prefix, n]) => `${prefix} ${n}`).join(", ");
  const methods = Object.entries(counts.object.object.requests).map(([method, n]) => `${n}× ${method}`).join(", ");
  return [
    "",
    "One sign-in over OAuth 2.0 (TWITTER_OAUTH_VERSION=2.0: GET /login to X's authorize page, GET /auth with its state and code), with each store, counted the same way " +
      "(X's token endpoint and /2/users/me answered by the stand-in as X documents them)",
    ...table(rows),
    `  KV writes by key prefix: ${writes}; the Durable Object store's calls by method: ${methods}`,
  ];
}

function totalRequests(c: Counts): number {
  return Object.values(c.object.requests).reduce((a, b) => a + b, 0);
}

/** What one counted operation uses, per sign-in (or per read): requests, KV operations and the Durable Object store's. */
function perOperation(c: Counts | undefined): PerSignIn {
  const n = c?.signIns || 1;
  return {
    requests: (c?.requests ?? 0) / n,
    reads: c ? (c.kv.get + c.kv.getWithMetadata) / n : 0,
    writes: (c?.kv.put ?? 0) / n,
    deletes: (c?.kv.delete ?? 0) / n,
    lists: (c?.kv.list ?? 0) / n,
    objectRequests: c ? totalRequests(c) / n : 0,
    rowsRead: (c?.object.rowsRead ?? 0) / n,
    rowsWritten: (c?.object.rowsWritten ?? 0) / n,
    gbSeconds: ((c?.object.wallMs ?? 0) / 1000 / n) * PRICES.objectMemoryGb,
    cpuMs: 0,
  };
}

function operationsTable(counts: Partial<Record<Contender, Counts>>): string[] {
  const real = counts.real;
  const skeleton = counts.skeleton;
  if (!real || !skeleton) return ["operations per sign-in: n/a"];
  const per = (c: Counts, n: number) => fixed(n / c.signIns, 0);
  const subrequests = (c: Counts) => Object.values(c.subrequests).reduce((a, b) => a + b, 0);
  const lines = [
    "",
    "Operations per sign-in, counted: one whole sign-in (GET /login, then GET /auth) run inside workerd with fetch, KV and the rate limiter replaced by counting stand-ins (test/bench/cost/worker.ts)",
  ];
  const rows = [
    ["", "real Worker", "protocol minimum (skeleton)", ""],
    ["requests to the Worker", per(real, real.requests), per(skeleton, skeleton.requests), "/login and /auth"],
    ["subrequests (calls to X)", per(real, subrequests(real)), per(skeleton, subrequests(skeleton)), Object.keys(real.subrequests).join(", ")],
    ["KV reads", per(real, real.kv.get + real.kv.getWithMetadata), per(skeleton, skeleton.kv.get + skeleton.kv.getWithMetadata), ""],
    ["KV writes", per(real, real.kv.put), per(skeleton, skeleton.kv.put), `by key prefix: ${Object.entries(real.kvWritesByPrefix).map(([p, n]) => `${p} ${n}`).join(", ")}`],
    ["KV deletes", per(real, real.kv.delete), per(skeleton, skeleton.kv.delete), ""],
    ["KV lists", per(real, real.kv.list), per(skeleton, skeleton.kv.list), ""],
    ["rate-limit calls", per(real, real.rateLimitCalls), per(skeleton, skeleton.rateLimitCalls), "the Rate Limiting binding on /login (not KV, not a subrequest)"],
    ["log lines", per(real, real.logLines), per(skeleton, skeleton.logLines), "one JSON line per step, for wrangler tail"],
  ];
  lines.push(...table(rows));
  const extra: string[] = [];
  if (subrequests(real) > 3) extra.push(`${subrequests(real) - 3} more subrequest(s) than the protocol's 3`);
  if (real.kv.get + real.kv.getWithMetadata > 1) extra.push("more than one KV read");
  if (real.kv.delete > 1) extra.push("more than one KV delete");
  if (real.kv.put > 1) {
    extra.push(
      `${real.kv.put - 1} KV writes more than the protocol's one, both at /auth by design: the session record (the signed-in user and their sealed token, read by /me and twitterSession()) ` +
        `and its empty index key user-session:<user id>:<session id> (so sign-out can list the user's sessions: everywhere, and whether the token is still in use); written side by side, one round trip`,
    );
  }
  if (real.kv.list > 0) extra.push(`${real.kv.list} KV list after the answer: the cap (MAX_SESSIONS_PER_USER), the user's sessions listed to end the oldest beyond it`);
  lines.push(`beyond the protocol's minimum (3 calls to X, one KV put, get and delete): ${extra.length === 0 ? "nothing" : extra.join("; ")}`);
  return lines;
}

/** What docs/benchmarks.md quotes of part 3: each a month's total and each further million's, USD. */
interface CloudflareFigures {
  signIns: { kv: [number, number]; object: [number, number] | undefined };
  /** The same sign-ins over OAuth 2.0. */
  oauth2: { kv: [number, number]; object: [number, number] } | undefined;
  oauth2CpuMs: number | undefined;
  reads: { kv: [number, number]; object: [number, number] };
  minimum: number;
  workerCpuMs: number | undefined;
  skeletonCpuMs: number | undefined;
}

/** The Markdown block docs/benchmarks.md quotes, from this run's figures; undefined when a figure is missing (the docs keep the last complete run's). */
function cloudflareMarkdown(f: Partial<CloudflareFigures>, from: string): string | undefined {
  if (!f.signIns?.object || !f.oauth2 || !f.reads || f.minimum === undefined || f.workerCpuMs === undefined || f.oauth2CpuMs === undefined || f.skeletonCpuMs === undefined) return undefined;
  const dollars = (value: number) => `$${value.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
  const pair = ([month, further]: [number, number]) => `${dollars(month)} (further million: ${dollars(further)})`;
  return [
    `From \`npm run bench:cost\`, ${from}:`,
    "",
    "| A month on Workers Paid, at Cloudflare's published prices | KV | Durable Object store |",
    "| --- | --- | --- |",
    `| ${SIGN_INS_PER_MONTH.toLocaleString("en-US")} sign-ins over OAuth 1.0a | ${pair(f.signIns.kv)} | ${pair(f.signIns.object)} |`,
    `| ${SIGN_INS_PER_MONTH.toLocaleString("en-US")} sign-ins over OAuth 2.0 | ${pair(f.oauth2.kv)} | ${pair(f.oauth2.object)} |`,
    `| ${SESSION_READS_PER_MONTH.toLocaleString("en-US")} session reads, the store's part | ${pair(f.reads.kv)} | ${pair(f.reads.object)} |`,
    `| the protocol's minimum (the skeleton, KV), ${SIGN_INS_PER_MONTH.toLocaleString("en-US")} sign-ins | ${dollars(f.minimum)} | |`,
    `| Worker CPU per sign-in (its own code, I/O answered at once) | ${fixed(f.workerCpuMs, 2)} ms (skeleton ${fixed(f.skeletonCpuMs, 2)} ms) | the same code |`,
    `| Worker CPU per sign-in over OAuth 2.0, the same way | ${fixed(f.oauth2CpuMs, 2)} ms | the same code |`,
  ].join("\n");
}

/** The billed profile reads X's answer to each endpoint counts as (a User: Read, by our inference: see x-share.ts). */
const PROFILE_PATHS = ["GET /1.1/account/verify_credentials.json", "GET /2/users/me"];

/**
 * X's share beside the Worker's: for each protocol and profile choice, the calls to X one sign-in
 * made here (OAuth 1.0a, counted per TWITTER_PROFILE_ENDPOINT; OAuth 2.0, its sign-in with KV),
 * the billed reads x-share.ts declares (a disagreement with the count is printed), X's month
 * at SIGN_INS_PER_MONTH sign-ins, each its user's first of the UTC day (X's highest bill), and the
 * Worker's month with each store for that protocol, as priced above.
 */
function xShareLines(profiles: Partial<Record<ProfileEndpoint, Counts | { error: string }>>, oauth2: Counts | { error: string }, monthly: CostResult["monthly"]): string[] {
  const month = (kv: number | undefined, object: number | undefined) => `${kv === undefined ? "n/a" : usd(kv)} / ${object === undefined ? "n/a" : usd(object)}`;
  const workerMonth = {
    "OAuth 1.0a": monthly ? month(monthly.real, monthly.object) : "n/a",
    "OAuth 2.0": monthly?.oauth2 ? month(monthly.oauth2.kv, monthly.oauth2.object) : "n/a",
  };
  const lines = [
    "",
    `X's share beside the Worker's, per protocol and profile choice, for ${X_SIGN_INS.toLocaleString("en-US")} sign-ins a month: X at its published pay-per-use price ` +
      `(User: Read ${usd(X_PRICES.userRead)} per resource, deduplicated per UTC day; ${X_PRICE_SOURCE}), assuming every sign-in is its user's first of that UTC day ` +
      `(X's highest bill; a user's further sign-ins that day add nothing at X); the OAuth endpoints carry no price in X's table. The Worker's month is the same for every ` +
      `profile choice of a protocol (a profile call is a subrequest, which Workers do not bill): OAuth 1.0a ${workerMonth["OAuth 1.0a"]}, OAuth 2.0 ${workerMonth["OAuth 2.0"]} (KV / Durable Object store).`,
  ];
  const rows = [["protocol", "profile", "calls to X per sign-in (counted)", "billed reads", "X per sign-in", "X per month", "Worker per month (KV / Durable Object store)"]];
  const problems: string[] = [];
  for (const choice of PROFILE_CHOICES) {
    const setting = choice.protocol === "OAuth 1.0a" ? (choice.profile.split(" ")[0] as ProfileEndpoint) : undefined;
    const counted = setting ? profiles[setting] : oauth2;
    let calls = "n/a";
    if (counted && "error" in counted) calls = `error: ${counted.error}`;
    else if (counted) {
      calls = Object.entries(counted.subrequests).map(([path, n]) => `${n}× ${path}`).join(", ");
      const reads = PROFILE_PATHS.reduce((sum, path) => sum + (counted.subrequests[path] ?? 0), 0);
      if (reads !== choice.userReads) problems.push(`${choice.protocol} ${setting ?? choice.profile}: ${reads} profile call(s) counted, ${choice.userReads} declared in x-share.ts`);
    }
    rows.push([choice.protocol, choice.profile, calls, String(choice.userReads), usd(xPerSignIn(choice)), usd(xPerMonth(choice)), workerMonth[choice.protocol]]);
  }
  lines.push(...table(rows).map((line) => `  ${line}`));
  for (const problem of problems) lines.push(`  MISMATCH: ${problem}`);
  return lines;
}

/** Workers Free's KV writes a day, as of this writing (https://developers.cloudflare.com/kv/platform/limits/). */
const FREE_KV_WRITES_PER_DAY = 1_000;
/** The /64s in one IPv6 /48: the client keys one /48 holds. */
const SLASH_64S_PER_48 = 2 ** 16;

/**
 * What GET /login can make KV write before anyone signs in: each Rate Limiting binding's limit and
 * period (wrangler.toml) per key, times the KV writes one /login made above.
 */
function loginSpendLines(real: Counts | undefined): string[] {
  const toml = readFileSync(join(PROJECT_ROOT, "wrangler.toml"), "utf8");
  const binding = (name: string) => {
    const match = new RegExp(`name = "${name}"[^\\[]*?simple\\s*=\\s*\\{\\s*limit\\s*=\\s*(\\d+)\\s*,\\s*period\\s*=\\s*(\\d+)\\s*\\}`).exec(toml);
    return match ? { limit: Number(match[1]), period: Number(match[2]) } : undefined;
  };
  const client = binding("LOGIN_RATE_LIMITER");
  const network = binding("LOGIN_NETWORK_RATE_LIMITER");
  if (!client || !real) return ["", "KV writes before anyone signs in: n/a (no LOGIN_RATE_LIMITER limit in wrangler.toml, or no counts)"];
  const writesPerLogin = (real.kvWritesByPrefix["request-token:"] ?? 0) / real.signIns;
  const perDay = ({ limit, period }: { limit: number; period: number }) => ((limit * 86_400) / period) * writesPerLogin;
  const perKeyPerDay = perDay(client);
  const usd = (writes: number) => `$${fixed((writes / 1_000_000) * PRICES.kvPerMillionWrites, 2)}`;
  const unbounded = perKeyPerDay * SLASH_64S_PER_48;
  return [
    "",
    `KV writes before anyone signs in: each GET /login writes ${fixed(writesPerLogin, 0)} (its request token, counted above); LOGIN_RATE_LIMITER allows ${client.limit} per ${client.period} s per client key, ` +
      `per Cloudflare location (wrangler.toml; src/middleware/rate-limit.ts)`,
    `  one client key, an IPv4 address or an IPv6 /64: ${perKeyPerDay.toLocaleString("en-US")} writes a day; Workers Free allows ${FREE_KV_WRITES_PER_DAY.toLocaleString("en-US")} ` +
      `(spent in ${fixed((FREE_KV_WRITES_PER_DAY / perKeyPerDay) * 24 * 60, 0)} minutes by one key alone); on Workers Paid, ${usd(perKeyPerDay)} a day beyond the included writes`,
    network
      ? `  one IPv6 /48 (${SLASH_64S_PER_48.toLocaleString("en-US")} /64 keys), bounded by LOGIN_NETWORK_RATE_LIMITER's ${network.limit} per ${network.period} s: ${Math.min(perDay(network), unbounded).toLocaleString("en-US")} writes a day, ` +
        `${usd(Math.min(perDay(network), unbounded))} a day on Workers Paid (without that binding: ${unbounded.toLocaleString("en-US")}, ${usd(unbounded)})`
      : `  one IPv6 /48 without LOGIN_NETWORK_RATE_LIMITER: ${SLASH_64S_PER_48.toLocaleString("en-US")} /64 keys, ${unbounded.toLocaleString("en-US")} writes a day, ${usd(unbounded)} a day on Workers Paid`,
    `  so a public deployment assumes Workers Paid: on Free, one client can spend the day's writes, and then every /login answers 503 storage_unavailable until the quota resets (00:00 UTC)`,
  ];
}

interface PerSignIn {
  requests: number;
  reads: number;
  writes: number;
  deletes: number;
  lists: number;
  /** The Durable Object store: calls to objects, SQLite rows, and duration (GB-s). */
  objectRequests: number;
  rowsRead: number;
  rowsWritten: number;
  gbSeconds: number;
  cpuMs: number;
}

interface Bill {
  lines: [string, number][];
  total: number;
}

/** The month's bill for `n` operations (sign-ins by default), line by line; `worker` adds Workers Paid, its requests and CPU. */
function price(p: PerSignIn, n = SIGN_INS_PER_MONTH, worker = true): Bill {
  const over = (used: number, included: number, perMillion: number) => (Math.max(0, used - included) / 1_000_000) * perMillion;
  const lines: [string, number][] = worker
    ? [
        ["Workers Paid", PRICES.workersPaidMonthly],
        [`requests ${millions(n * p.requests)} (included ${millions(PRICES.includedRequests)})`, over(n * p.requests, PRICES.includedRequests, PRICES.perMillionRequests)],
        [`CPU ${millions(n * p.cpuMs)} ms at ${p.cpuMs} ms each (included ${millions(PRICES.includedCpuMs)})`, over(n * p.cpuMs, PRICES.includedCpuMs, PRICES.perMillionCpuMs)],
      ]
    : [];
  if (p.reads > 0) lines.push([`KV reads ${millions(n * p.reads)} (included ${millions(PRICES.kvIncludedReads)})`, over(n * p.reads, PRICES.kvIncludedReads, PRICES.kvPerMillionReads)]);
  if (p.writes > 0) lines.push([`KV writes ${millions(n * p.writes)} (included ${millions(PRICES.kvIncludedWrites)})`, over(n * p.writes, PRICES.kvIncludedWrites, PRICES.kvPerMillionWrites)]);
  if (p.deletes > 0) lines.push([`KV deletes ${millions(n * p.deletes)} (included ${millions(PRICES.kvIncludedDeletes)})`, over(n * p.deletes, PRICES.kvIncludedDeletes, PRICES.kvPerMillionDeletes)]);
  if (p.lists > 0) lines.push([`KV lists ${millions(n * p.lists)} (included ${millions(PRICES.kvIncludedLists)})`, over(n * p.lists, PRICES.kvIncludedLists, PRICES.kvPerMillionLists)]);
  if (p.objectRequests > 0) {
    lines.push(
      [`object requests ${millions(n * p.objectRequests)} (included ${millions(PRICES.objectIncludedRequests)})`, over(n * p.objectRequests, PRICES.objectIncludedRequests, PRICES.objectPerMillionRequests)],
      [`object duration ${millions(Math.round(n * p.gbSeconds))} GB-s (included ${millions(PRICES.objectIncludedGbSeconds)})`, over(n * p.gbSeconds, PRICES.objectIncludedGbSeconds, PRICES.objectPerMillionGbSeconds)],
      [`rows read ${millions(n * p.rowsRead)} (included ${millions(PRICES.objectIncludedRowsRead)})`, over(n * p.rowsRead, PRICES.objectIncludedRowsRead, PRICES.objectPerMillionRowsRead)],
      [`rows written ${millions(n * p.rowsWritten)} (included ${millions(PRICES.objectIncludedRowsWritten)})`, over(n * p.rowsWritten, PRICES.objectIncludedRowsWritten, PRICES.objectPerMillionRowsWritten)],
    );
  }
  return { lines, total: lines.reduce((sum, [, usd]) => sum + usd, 0) };
}

/** USD for each further million sign-ins once every allowance is used up. */
function marginal(p: PerSignIn): number {
  return (
    p.requests * PRICES.perMillionRequests +
    p.cpuMs * PRICES.perMillionCpuMs +
    p.reads * PRICES.kvPerMillionReads +
    p.writes * PRICES.kvPerMillionWrites +
    p.deletes * PRICES.kvPerMillionDeletes +
    p.lists * PRICES.kvPerMillionLists +
    p.objectRequests * PRICES.objectPerMillionRequests +
    p.gbSeconds * PRICES.objectPerMillionGbSeconds +
    p.rowsRead * PRICES.objectPerMillionRowsRead +
    p.rowsWritten * PRICES.objectPerMillionRowsWritten
  );
}

function priceLines(title: string, p: PerSignIn, bill: Bill): string[] {
  const kv = `${fixed(p.reads, 0)} KV read(s), ${fixed(p.writes, 0)} KV write(s), ${fixed(p.deletes, 0)} KV delete(s), ${fixed(p.lists, 0)} KV list(s)`;
  const object = `${fixed(p.objectRequests, 0)} object call(s), ${fixed(p.rowsRead, 0)} rows read, ${fixed(p.rowsWritten, 0)} rows written, ${(p.gbSeconds * 1000).toFixed(2)} GB-ms`;
  const lines = [`  ${title}: ${p.requests} requests, ${p.objectRequests > 0 ? object : kv}, ${p.cpuMs} CPU ms`];
  for (const [what, usd] of bill.lines) lines.push(`    ${what.padEnd(64)} $${usd.toFixed(2)}`);
  lines.push(`    ${"total per month".padEnd(64)} $${bill.total.toFixed(2)}`);
  return lines;
}

function millions(value: number): string {
  return value >= 1_000_000 ? `${+(value / 1_000_000).toFixed(2)}M` : value.toLocaleString("en-US");
}

export function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? "").length)));
  return rows.map((row) => row.map((cell, column) => (column === 0 || column === row.length - 1 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join("   ").trimEnd());
}

function fixed(value: number, digits = 1): string {
  return Number.isFinite(value) ? value.toFixed(digits) : "n/a";
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const rounds = Number(process.env.BENCH_COST_ROUNDS ?? 25);
  const result = await benchCost({ rounds: Number.isInteger(rounds) && rounds > 0 ? rounds : 25 });
  process.exit(result.errors.length > 0 ? 1 : 0);
}

// npm run bench:latency (part 4 of npm run bench): how long each route keeps a person waiting, against its minimum.
//
// On a deployed Worker a sign-in's time is waiting, not CPU: each call to X takes 100–300 ms, each
// KV write goes to KV's central store. This part runs the real Worker in workerd (through
// Miniflare) with X and KV replaced by stand-ins that answer after set delays (routes.ts DELAYS:
// 120 ms per call to X; KV get 30 ms, put and delete 60 ms, list 30 ms), and with the Durable
// Object store (the real AuthStore, each call held to 20 ms), and times each route end to end
// (workerd/worker.ts says how, and why inside the isolate). Beside each figure: the route's
// minimum at those delays, the sum of the calls that must run one after another (its chain,
// declared in routes.ts and printed below the table), the difference, and the target. /auth is
// also run in its order before issue 12 (test/bench/latency/workerd/auth-before.ts, bench only), alternating
// with the Worker in the same rounds.
//
// Figures are information: no verdicts, and timing never fails the run. Exit 1 only when a route
// could not be measured (a wrong status, a setup that failed, a clock that does not count waits).
//
//   npm run bench:latency            (environment: BENCH_LATENCY_ROUNDS, default 15)
import { fileURLToPath } from "node:url";
import type { Miniflare } from "miniflare";
import { jsonCaller, median, quantile, rotated, startBenchWorker, stopAfter } from "../harness.ts";
import { describeMachine, runId } from "../signin/machine.ts";
import { CONTENDER_LABELS, type Contender, DELAYS, type Info, type LatencyRoute, type Measurement, ROUTES, type RouteId, type RoundResult, WITHIN_MS, chainOf, minimumMs } from "./routes.ts";

const WARMUP_ROUNDS = 2;
const SOFT_DEADLINE_MS = 45_000;
const HARD_DEADLINE_MS = 90_000;

const started = Date.now();
const print = (line: string) => console.log(line);
const fixed = (value: number, digits = 1) => (Number.isFinite(value) ? value.toFixed(digits) : "n/a");
const signed = (value: number) => `${value >= 0 ? "+" : "−"}${fixed(Math.abs(value))}`;


function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? "").length)));
  const numeric = (column: number) => column >= 2 && column <= 5;
  return rows.map((row) => row.map((cell, column) => (numeric(column) ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!))).join("   ").trimEnd());
}

function startWorkerd(): Promise<Miniflare> {
  return startBenchWorker(fileURLToPath(new URL("./workerd/worker.ts", import.meta.url)));
}

/** Every (route, contender) pair, in the table's order. */
const PAIRS: [RouteId, Contender][] = ROUTES.flatMap((route) => route.contenders.map((contender): [RouteId, Contender] => [route.id, contender]));
const key = (route: RouteId, contender: Contender) => `${route} ${contender}`;

/** One line per delayed call: `start–end call`, with ‖ for a call that overlapped the one before and ⤷ for one after the answer. */
function timeline(m: Measurement): string {
  let previousEnd = 0;
  return m.spans
    .map((span) => {
      const mark = span.start >= m.ms ? "⤷ " : span.start < previousEnd - 0.5 ? "‖ " : "";
      previousEnd = Math.max(previousEnd, span.end);
      return `${mark}${fixed(span.start, 0)}–${fixed(span.end, 0)} ${span.call}`;
    })
    .join(", ");
}

async function main(): Promise<number> {
  const rounds = Math.max(3, Number(process.env.BENCH_LATENCY_ROUNDS ?? 15) || 15);
  const { machine, software, commit } = describeMachine();
  print("## 4. Latency of each route: what a person waits for");
  print(`machine: ${machine}`);
  print(`software: ${software}`);
  print(`run: ${new Date(started).toISOString()}, id ${runId()}, commit ${commit}`);
  print(
    `delays: every call to X ${DELAYS.x} ms; KV get ${DELAYS.kvGet} ms, put ${DELAYS.kvPut} ms, delete ${DELAYS.kvDelete} ms, list ${DELAYS.kvList} ms; ` +
      `a call to a Durable Object ${DELAYS.durableObject} ms (an object in the visitor's region; Cloudflare publishes no figure: from another continent add 100 ms or more per call); ` +
      `gateway mode's protected site ${DELAYS.origin} ms; the rate limiter answers at once (stand-ins in workerd: test/bench/latency/workerd/worker.ts)`,
  );

  const miniflare = await startWorkerd();
  const hardStop = stopAfter("bench:latency", HARD_DEADLINE_MS, miniflare);
  try {
    const call = jsonCaller(miniflare, "latency");
    const info = await call<Info>("/info");
    if (info.problems.length > 0) {
      for (const problem of info.problems) print(`ERROR: ${problem}`);
      return 1;
    }
    if (!(info.timerMs >= 45)) {
      print(`ERROR: a 50 ms timer measured ${fixed(info.timerMs)} ms in the isolate: this workerd's clock does not count waits, so nothing here can be timed`);
      return 1;
    }

    for (let index = 0; index < WARMUP_ROUNDS; index += 1) await call<RoundResult>("/round", { order: rotated(PAIRS, index), index });
    const times = new Map<string, number[]>(PAIRS.map(([route, contender]) => [key(route, contender), []]));
    const last = new Map<string, Measurement[]>();
    let done = 0;
    for (; done < rounds && (done < 3 || Date.now() - started < SOFT_DEADLINE_MS); done += 1) {
      const { measurements } = await call<RoundResult>("/round", { order: rotated(PAIRS, done), index: done + 1 });
      for (const m of measurements) {
        times.get(key(m.route, m.contender))!.push(m.ms);
        last.set(key(m.route, m.contender), [...(last.get(key(m.route, m.contender)) ?? []), m]);
      }
    }

    print(
      `method: ${done} rounds${done < rounds ? ` (of ${rounds}: time bound reached)` : ""} after ${WARMUP_ROUNDS} warm-up rounds; each round runs every route and contender once, ` +
        `in an order rotated every round; each request is prepared with the delays off (a /login before /auth, a whole sign-in before /me), then run with them on`,
    );
    print(
      `timing: inside the isolate, performance.now() from the Worker's fetch handler being called until the answer's body is read (workerd's clock advances across I/O ` +
        `and timers, which the delays are; a 50 ms timer measured ${fixed(info.timerMs)} ms); waitUntil work is awaited after that span, as a browser does not wait for it`,
    );
    print(
      `the stand-ins' delays, median of 5 each: ${Object.entries(info.delayMs).map(([set, took]) => `${set} ms took ${fixed(took)}`).join(", ")} ` +
        `(a timer for all but the last 2 ms, then a spin to the clock's 1 ms tick: workerd's timers alone fire 1–2 ms late)`,
    );
    print("");

    const rows = [["route", "contender", "measured ms (median)", "IQR", "minimum ms (declared chain)", "difference", "target"]];
    for (const route of ROUTES) {
      for (const contender of route.contenders) {
        const minimum = minimumMs(route, contender);
        const values = times.get(key(route.id, contender))!;
        const measured = median(values);
        const target =
          contender === "worker"
            ? `within ${WITHIN_MS} ms of the minimum (≤ ${minimum + WITHIN_MS} ms)${route.alsoTarget ? `; ${route.alsoTarget} (below)` : ""}`
            : contender === "durable-object"
              ? `within ${WITHIN_MS} ms of the minimum (≤ ${minimum + WITHIN_MS} ms); ${chainOf(route, contender).filter((step) => step.call.startsWith("Durable Object")).length} object call(s) in a row`
              : "reference: this route in its old order (bench-only copy)";
        rows.push([route.title, CONTENDER_LABELS[contender], fixed(measured), `${fixed(quantile(values, 0.25))}–${fixed(quantile(values, 0.75))}`, String(minimum), signed(measured - minimum), target]);
      }
    }
    for (const line of table(rows)) print(line);

    // The order before issue 12 against this Worker, round by round (both sides from the same round).
    print("");
    for (const route of ROUTES.filter((r) => r.contenders.includes("before"))) {
      const ours = times.get(key(route.id, "worker"))!;
      const before = times.get(key(route.id, "before"))!;
      const gains = ours.map((ms, index) => before[index]! - ms);
      const expected = route.off.reduce((sum, o) => sum + (o.savesMs ?? 0), 0);
      print(
        `${route.title}: the order before issue 12 minus this Worker, median of per-round differences: ${fixed(median(gains))} ms ` +
          `(IQR ${fixed(quantile(gains, 0.25))}–${fixed(quantile(gains, 0.75))}); target ${expected} ms: ${route.off.map((o) => o.call).join(" and ")} off the path`,
      );
    }

    print("");
    print(`each round's figure, ms, rounds 1 to ${done}:`);
    for (const [route, contender] of PAIRS) {
      print(`  ${`${ROUTES.find((r) => r.id === route)!.title}, ${CONTENDER_LABELS[contender]}`.padEnd(52)} ${times.get(key(route, contender))!.map((ms) => fixed(ms, 0)).join(" ")}`);
    }

    print("");
    print("minimum of each route: the calls that must run one after another (declared in test/bench/latency/routes.ts), summed");
    for (const route of ROUTES) printChain(route);

    print("");
    print("what each waited on, in its median run: start–end ms from the request's start; ‖ beside the call before it, ⤷ after the answer");
    for (const [route, contender] of PAIRS) {
      const runs = last.get(key(route, contender)) ?? [];
      const mid = median(runs.map((m) => m.ms));
      const closest = runs.reduce<Measurement | undefined>((best, m) => (!best || Math.abs(m.ms - mid) < Math.abs(best.ms - mid) ? m : best), undefined);
      if (closest) print(`  ${ROUTES.find((r) => r.id === route)!.title}, ${CONTENDER_LABELS[contender]} (${fixed(closest.ms)} ms): ${timeline(closest)}`);
    }
    print("");
    print(`(information only: no verdicts, timing never fails this script; part 4 took ${fixed((Date.now() - started) / 1000, 0)} s)`);
    return 0;
  } catch (error) {
    print(`ERROR: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  } finally {
    clearTimeout(hardStop);
    await miniflare.dispose();
  }
}

function printChain(route: LatencyRoute): void {
  for (const contender of ["worker", "durable-object"] as const) {
    const chain = chainOf(route, contender);
    print(`  ${route.title}, ${CONTENDER_LABELS[contender]} = ${chain.map((step) => step.ms).join(" + ")} = ${minimumMs(route, contender)} ms`);
    for (const step of chain) print(`    ${String(step.ms).padStart(4)}  ${step.call}: ${step.why}`);
  }
  for (const off of route.off) print(`     off  ${off.call}: ${off.where}`);
}

process.exitCode = await main();

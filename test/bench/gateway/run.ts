// npm run bench:gateway (part 6 of npm run bench): the Worker's own CPU per forwarded request in gateway mode, with and without X-Twitter-Jwt-Assertion.
//
// Runs workerd/worker.ts in workerd (Miniflare): signed-in GET requests through the real Worker in gateway
// mode with X, KV and the origin answering at once, rounds alternating the contenders (order
// rotated), batches sized to about TARGET_MS of the local clock's 1 ms ticks. Prints the median
// per request with its spread, each contender less the bare harness, and what the assertion adds
// (gateway-jwt minus gateway, taken within each round). Timing never fails the run; only a
// contender that does not answer as it should (the origin not reached, the assertion missing or
// present where it should not be) exits 1.
//
//   npm run bench:gateway         (environment: BENCH_GATEWAY_ROUNDS, default 25)
import { fileURLToPath } from "node:url";
import { calibrateBatches, jsonCaller, median, quantile, rotated, startBenchWorker, stopAfter } from "../harness.ts";
import { table } from "../cost/run.ts";
import { describeMachine, runId } from "../signin/machine.ts";
import type { Contender, Info, RoundResult } from "./contenders.ts";

const CONTENDERS: readonly Contender[] = ["gateway", "gateway-jwt", "sign-only", "harness"];
const LABELS: Record<Contender, string> = {
  gateway: "gateway, PROTECT_ORIGIN only",
  "gateway-jwt": "gateway with GATEWAY_JWT_KEYS",
  "sign-only": "the assertion alone (signAssertion)",
  harness: "harness alone",
};
const TARGET_MS = 100;
const WARMUP = 3;
const SOFT_DEADLINE_MS = 40_000;
const HARD_DEADLINE_MS = 75_000;

const started = Date.now();
const rounds = Math.max(4, Number(process.env.BENCH_GATEWAY_ROUNDS ?? 25) || 25);
const { machine, software, commit } = describeMachine();
console.log("## 6. Gateway mode: CPU per forwarded request, with and without the JWT");
console.log(`machine: ${machine}`);
console.log(`software: ${software}`);
console.log(`run: ${new Date(started).toISOString()}, id ${runId()}, commit ${commit}`);

const miniflare = await startBenchWorker(fileURLToPath(new URL("./workerd/worker.ts", import.meta.url)));
const hardStop = stopAfter("bench:gateway", HARD_DEADLINE_MS, miniflare);
let status = 0;
try {
  const call = jsonCaller(miniflare, "bench");
  const info = await call<Info>("/info");
  if (info.problems.length > 0) {
    console.error(`bench:gateway: ${info.problems.join("; ")}`);
    status = 1;
  } else if (info.clock !== "live") {
    console.log("CPU per request: n/a (the clock does not move during computation in this workerd)");
  } else {
    const batch = Object.fromEntries(CONTENDERS.map((c) => [c, 16])) as Record<Contender, number>;
    const round = (index: number) => call<RoundResult>("/round", { order: rotated(CONTENDERS, index), batch });
    await calibrateBatches(CONTENDERS, batch, TARGET_MS, async (step) => {
      const { results } = await round(step);
      return Object.fromEntries(CONTENDERS.map((c) => [c, { count: results[c]!.requests, ms: results[c]!.ms }]));
    });
    for (let index = 0; index < WARMUP; index++) await round(index);
    const perRequest: Record<Contender, number[]> = { gateway: [], "gateway-jwt": [], "sign-only": [], harness: [] };
    let done = 0;
    for (; done < rounds && Date.now() - started < SOFT_DEADLINE_MS; done++) {
      const { results } = await round(done);
      for (const c of CONTENDERS) perRequest[c].push(results[c]!.ms / results[c]!.requests);
    }
    const own = (c: Contender) => median(perRequest[c].map((ms, at) => ms - perRequest.harness[at]!));
    const us = (ms: number) => (ms * 1000).toFixed(0);
    console.log("");
    console.log(`${done} rounds, contenders alternating (order rotated), batches of ${CONTENDERS.map((c) => batch[c]).join("/")} (~${TARGET_MS} ms; clock ${info.resolutionMs} ms ticks)`);
    const rows = [["", "µs per request (median)", "IQR", "own (minus harness)"]];
    for (const c of CONTENDERS) rows.push([`  ${LABELS[c]}`, us(median(perRequest[c])), `${us(quantile(perRequest[c], 0.25))}–${us(quantile(perRequest[c], 0.75))}`, c === "harness" || c === "sign-only" ? "" : us(own(c))]);
    for (const line of table(rows)) console.log(line);
    const added = median(perRequest["gateway-jwt"].map((ms, at) => ms - perRequest.gateway[at]!));
    console.log("");
    console.log(
      `the JWT adds ${us(added)} µs of CPU per forwarded request (median of per-round differences), ` +
        `${((100 * added) / own("gateway")).toFixed(0)}% of the gateway's own ${us(own("gateway"))} µs; signed per request, never reused ` +
        `(the Worker's own code, the I/O answered at once; a deployed Worker's CPU time counts the same code)`,
    );
  }
} finally {
  clearTimeout(hardStop);
  await miniflare.dispose();
}
process.exit(status);

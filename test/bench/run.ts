// `npm run bench`: the six parts of the benchmark report, one after the other so they never share the cores.
// 1. signing inside workerd (test/bench/sign), 2. whole sign-ins through wrangler dev against the
// protocol's bare skeleton (test/bench/signin), 3. the cost of a sign-in (test/bench/cost), 4. the
// latency of each route with X and KV answering after set delays (test/bench/latency), 5. what the package adds to a
// host Worker's bundle (test/bench/bundle), 6. gateway mode's CPU per forwarded request with and without the JWT (test/bench/gateway).
// Figures are information: timing never fails this script; it fails only when a part does
// (e.g. cross-talk between users, or a part that could not run).
import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const parts = [
  { title: "1. Signing, inside workerd", script: join(here, "sign", "run.ts") },
  { title: "2. Whole sign-ins through wrangler dev", script: join(here, "signin", "run.ts") },
  { title: "3. Cost of a sign-in", script: join(here, "cost", "run.ts") },
  { title: "4. Latency of each route", script: join(here, "latency", "run.ts") },
  { title: "5. What the package adds to a Worker's bundle", script: join(here, "bundle", "run.ts") },
  { title: "6. Gateway mode: CPU per forwarded request, with and without the JWT", script: join(here, "gateway", "run.ts") },
];

let current: ReturnType<typeof spawn> | undefined;
let interrupted = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    interrupted = true;
    // Each part stops what it started on this signal.
    current?.kill(signal);
  });
}

const statuses: number[] = [];
const seconds: string[] = [];
const started = Date.now();
for (const part of parts) {
  if (interrupted) break;
  console.log(`\n======== ${part.title} ========\n`);
  const partStarted = Date.now();
  current = spawn(process.execPath, [part.script], { stdio: "inherit" });
  const status = await new Promise<number>((resolve) => current!.once("exit", (code, signal) => resolve(code ?? (signal ? 130 : 1))));
  statuses.push(status);
  seconds.push(`part ${part.title.split(".")[0]} ${((Date.now() - partStarted) / 1000).toFixed(0)} s`);
  if (status !== 0) console.log(`\n(${part.title}: exit status ${status})`);
}
current = undefined;

const worst = interrupted ? 130 : Math.max(0, ...statuses);
console.log(
  `\nbench: ${statuses.length} of ${parts.length} parts ran in ${((Date.now() - started) / 1000).toFixed(0)} s (${seconds.join(", ")}, each with its process start); ` +
    `${worst === 0 ? "all completed" : `exit status ${worst}`}`,
);
process.exit(worst);

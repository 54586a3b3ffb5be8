// npm run bench:sign: what one HMAC-SHA1 Authorization header costs inside workerd.
//
// Bundles worker.ts with esbuild, runs it in workerd through Miniflare, and drives it over fetch:
// /info probes the clock and checks that every contender computes the same signature, then
// calibration rounds size each contender's batch to about TARGET_MS (they also warm the JIT up),
// WARMUP more rounds are dropped, and ROUNDS rounds are measured, each running every contender
// once, in an order rotated every round. The table gives the median µs per header over the rounds
// with the interquartile range, and ratios taken round by round (so both sides of a ratio come
// from the same round) and summarized by their median. There are no targets: the floor and
// oauth-1.0a are reference points, and the report says what each ratio compares. Timing never
// fails the run; only a disagreement between signatures exits non-zero.
//
// Environment: BENCH_ROUNDS (default 32), BENCH_CLOCK=io (force the I/O-bracketed timing that
// deployed Workers would need; see worker.ts).
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { Miniflare, convertV4MiniflareOptions } from "miniflare";
import { calibrateBatches, jsonCaller, median, quantile, rotated, stopAfter } from "../harness.ts";
import type { Contender, Info, RoundResult } from "./worker.ts";

const CONTENDERS: readonly Contender[] = ["floor", "ours", "ours-cached", "oauth-1.0a"];
const LABELS: Record<Contender, string> = {
  floor: "WebCrypto importKey + sign (the floor)",
  ours: "ours, key imported per call",
  "ours-cached": "ours, cached key",
  "oauth-1.0a": "oauth-1.0a + crypto-js",
};
const ROUNDS = Math.max(4, Number(process.env.BENCH_ROUNDS ?? 32) || 32);
const WARMUP = 3;
const TARGET_MS = 100;
const SOFT_DEADLINE_MS = 45_000;
const HARD_DEADLINE_MS = 58_000;

const started = Date.now();
const root = fileURLToPath(new URL("../../../", import.meta.url));
const require = createRequire(import.meta.url);

function attempt<T>(read: () => T, fallback: T): T {
  try {
    return read();
  } catch {
    return fallback;
  }
}

function machine(): string[] {
  const cpuinfo = attempt(() => readFileSync("/proc/cpuinfo", "utf8"), "");
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? os.cpus()[0]?.model ?? "unknown CPU";
  const workerdPackage = attempt(() => JSON.parse(readFileSync(require.resolve("workerd/package.json"), "utf8")).version as string, "?");
  const workerdSays = attempt(() => execFileSync(require.resolve("workerd/bin/workerd"), ["--version"], { encoding: "utf8" }).trim(), "");
  const miniflarePackage = attempt(() => JSON.parse(readFileSync(`${root}node_modules/miniflare/package.json`, "utf8")).version as string, "?");
  const commit = attempt(() => execFileSync("git", ["-C", root, "rev-parse", "--short", "HEAD"], { encoding: "utf8" }).trim(), "no git");
  const dirty = attempt(() => execFileSync("git", ["-C", root, "status", "--porcelain", "src/oauth1"], { encoding: "utf8" }).trim() !== "", false);
  return [
    `machine: ${model}, ${os.availableParallelism()} cores, ${os.type()} ${os.release()} ${os.arch()}`,
    `runtime: workerd ${workerdPackage}${workerdSays ? ` (${workerdSays})` : ""} via miniflare ${miniflarePackage}; driver node ${process.version}`,
    `run: ${new Date(started).toISOString()}, id ${randomBytes(4).toString("hex")}, commit ${commit}${dirty ? " + uncommitted changes in src/oauth1" : ""}`,
  ];
}

const fixed = (value: number, digits = 1) => value.toFixed(digits);

async function main(): Promise<number> {
  const compatibilityDate = /^compatibility_date\s*=\s*"([^"]+)"/m.exec(attempt(() => readFileSync(`${root}wrangler.toml`, "utf8"), ""))?.[1] ?? "2026-11-01";
  const bundle = await build({
    entryPoints: [fileURLToPath(new URL("./worker.ts", import.meta.url))],
    bundle: true,
    format: "esm",
    // crypto-js's "browser" field maps its optional require("crypto") away: it uses WebCrypto.
    platform: "browser",
    conditions: ["workerd", "worker", "browser"],
    target: "es2024",
    write: false,
    logLevel: "warning",
  });
  const script = bundle.outputFiles[0]!.text;

  const miniflare = new Miniflare(
    convertV4MiniflareOptions({ modules: true, script, compatibilityDate, cf: false, telemetry: { enabled: false } }),
  );
  const hardStop = stopAfter("bench:sign", HARD_DEADLINE_MS, miniflare);

  try {
    const call = jsonCaller(miniflare, "bench");
    const info = await call<Info>(process.env.BENCH_CLOCK === "io" ? "/info?clock=io" : "/info");
    if (!info.agree) {
      console.error("bench:sign: the contenders disagree on the signature of the pinned request; no figures.");
      for (const contender of CONTENDERS) console.error(`  ${LABELS[contender]}: ${info.signatures[contender]}`);
      return 1;
    }
    const round = (index: number, batch: Record<Contender, number>) => call<RoundResult>("/round", { order: rotated(CONTENDERS, index), batch });

    // Calibration: grow each batch until it lasts about TARGET_MS (with a few ticks at least).
    const batch = Object.fromEntries(CONTENDERS.map((contender) => [contender, 16])) as Record<Contender, number>;
    const calibration = await calibrateBatches(CONTENDERS, batch, TARGET_MS, async (step) => {
      const { results } = await round(step, batch);
      return Object.fromEntries(CONTENDERS.map((c) => [c, { count: results[c]!.iterations, ms: results[c]!.ms }]));
    });
    for (let index = 0; index < WARMUP; index++) await round(index, batch);

    const perHeader: Record<Contender, number[]> = { floor: [], ours: [], "ours-cached": [], "oauth-1.0a": [] };
    let rounds = 0;
    for (; rounds < ROUNDS && Date.now() - started < SOFT_DEADLINE_MS; rounds++) {
      const { results } = await round(rounds, batch);
      for (const contender of CONTENDERS) {
        const { iterations, ms } = results[contender]!;
        perHeader[contender].push((ms * 1000) / iterations);
      }
    }

    // Ratios round by round.
    const ratio = (a: Contender, b: Contender) => perHeader[a].map((value, index) => value / perHeader[b][index]!);
    const toFloor = Object.fromEntries(CONTENDERS.map((contender) => [contender, ratio(contender, "floor")])) as Record<Contender, number[]>;
    const speedup = ratio("oauth-1.0a", "ours");
    const speedupCached = ratio("oauth-1.0a", "ours-cached");

    const lines = [
      "Signing benchmark: one HMAC-SHA1 Authorization header for POST https://api.x.com/1.1/statuses/update.json?include_entities=true",
      ...machine(),
      `method: ${rounds} rounds${rounds < ROUNDS ? ` (of ${ROUNDS}: time bound reached)` : ""} after ${calibration} calibration and ${WARMUP} warm-up rounds, contenders alternating (order rotated every round); ` +
        `batches of ${CONTENDERS.map((contender) => `${batch[contender]}`).join("/")} headers (~${TARGET_MS} ms each); ` +
        (info.clock === "live"
          ? `clock: live, ${info.resolutionMs} ms ticks, batches start on a tick edge`
          : `clock: moves only across I/O, batches bracketed by timers (${fixed(info.ioOverheadMs, 2)} ms per bracket subtracted)`),
      "",
    ];
    const header = ["contender", "µs/header (median)", "IQR (µs)", "× floor (median per round)"];
    const rows = CONTENDERS.map((contender) => [
      LABELS[contender],
      fixed(median(perHeader[contender]), 2),
      `${fixed(quantile(perHeader[contender], 0.25), 2)}–${fixed(quantile(perHeader[contender], 0.75), 2)}`,
      fixed(median(toFloor[contender]), 2),
    ]);
    const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
    const format = (row: string[]) => row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join("  ");
    lines.push(format(header), widths.map((width) => "-".repeat(width)).join("  "), ...rows.map(format), "");

    const oursToFloor = median(toFloor.ours);
    const oursSpeedup = median(speedup);
    lines.push(
      `ours vs oauth-1.0a + crypto-js: ${fixed(oursSpeedup, 2)}x faster (key per call), ${fixed(median(speedupCached), 2)}x (cached key); median of per-round ratios`,
      `ours (key per call) takes ${fixed(oursToFloor, 2)}x the floor's time: the floor is WebCrypto's importKey + sign alone over a ready-made base string; ` +
        `ours also makes the nonce, timestamp, base string, header, URL, form body and Headers (a reference point, not a target)`,
      `(information only: no targets, timing never fails this script; whole run ${fixed((Date.now() - started) / 1000)} s)`,
    );
    console.log(lines.join("\n"));
    return 0;
  } finally {
    clearTimeout(hardStop);
    await miniflare.dispose();
  }
}

process.exitCode = await main();

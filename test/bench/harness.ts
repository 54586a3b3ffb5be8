// What the benchmarks that run a Worker in Miniflare share: starting it, a hard stop, JSON calls to it, and the statistics.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type Plugin, build } from "esbuild";
import { Miniflare, convertV4MiniflareOptions } from "miniflare";
import { PROJECT_ROOT } from "../../tools/dev/dev-server.ts";
import { jsonText, userIdForScreenName, userObject, usersMeObject } from "../../tools/stand-in/twitter.ts";

/** The user every benchmark's sign-ins sign in. */
export const BENCH_SCREEN_NAME = "bench_user";

/** A Worker bundled as wrangler.toml deploys it (minified), and the compatibility date it runs at. */
export interface BundledWorker {
  script: string;
  compatibilityDate: string;
}

/** Bundles the Worker at `entry` (a file path) as wrangler.toml deploys it: minified, at its compatibility date. */
export async function bundleWorker(entry: string, plugins: Plugin[] = []): Promise<BundledWorker> {
  const bundle = await build({
    entryPoints: [entry],
    bundle: true,
    format: "esm",
    platform: "browser",
    conditions: ["workerd", "worker", "browser"],
    target: "es2024",
    minify: true, // as wrangler.toml deploys it
    external: ["cloudflare:*"], // the runtime's own modules (the Durable Object base class)
    write: false,
    logLevel: "warning",
    plugins,
  });
  const wranglerToml = readFileSync(join(PROJECT_ROOT, "wrangler.toml"), "utf8");
  const compatibilityDate = /^compatibility_date\s*=\s*"([^"]+)"/m.exec(wranglerToml)?.[1] ?? "2026-11-01";
  return { script: bundle.outputFiles[0]!.text, compatibilityDate };
}

/**
 * Bundles a benchmark's Worker (`entry`, a file path) with bundleWorker and starts it in workerd,
 * with the bindings the harnesses read: the app's key and secret, a SESSION_SECRET, X's
 * verify_credentials and /2/users/me answers for BENCH_SCREEN_NAME, and AUTH_STORE, the Durable
 * Object class the entry exports as `AuthStore` (the Durable Object store).
 */
export async function startBenchWorker(entry: string, plugins: Plugin[] = []): Promise<Miniflare> {
  const { script, compatibilityDate } = await bundleWorker(entry, plugins);
  const body = jsonText(userObject({ screenName: BENCH_SCREEN_NAME }, { origin: "https://pbs.twimg.com", includeStatus: false, includeEmail: false, includeEntities: true }));
  return new Miniflare(
    convertV4MiniflareOptions({
      modules: true,
      script,
      compatibilityDate,
      cf: false,
      telemetry: { enabled: false },
      durableObjects: { AUTH_STORE: { className: "AuthStore", useSQLite: true } },
      bindings: {
        CONSUMER_KEY: "bench-consumer-key",
        CONSUMER_SECRET: "bench-consumer-secret-0123456789abcdef",
        SESSION_SECRET: "bench-session-secret-0123456789abcdef0123456789",
        VERIFY_CREDENTIALS_BODY: body,
        USERS_ME_BODY: jsonText(usersMeObject({ screenName: BENCH_SCREEN_NAME }, "https://pbs.twimg.com", ["profile_image_url"])),
        USER_ID: userIdForScreenName(BENCH_SCREEN_NAME),
        SCREEN_NAME: BENCH_SCREEN_NAME,
      },
    }),
  );
}

/** The q-quantile (0 to 1) of the values, interpolated between the two nearest; NaN for none. */
export function quantile(values: number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const at = (sorted.length - 1) * q;
  const low = Math.floor(at);
  const high = Math.ceil(at);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (at - low);
}

export function median(values: number[]): number {
  return quantile(values, 0.5);
}

/** Stops the process (disposing Miniflare first) if a benchmark is still running after `ms`; clear the timer when done. */
export function stopAfter(name: string, ms: number, miniflare: Miniflare): ReturnType<typeof setTimeout> {
  const hardStop = setTimeout(() => {
    console.error(`${name}: still running after ${ms / 1000} s, stopping`);
    void miniflare.dispose().finally(() => process.exit(2));
  }, ms);
  hardStop.unref();
  return hardStop;
}

/** GET (or POST with a JSON body) a path of the benchmark Worker and read its JSON answer; throws on non-2xx. */
export function jsonCaller(miniflare: Miniflare, host: string): <T>(path: string, body?: unknown) => Promise<T> {
  return async <T>(path: string, body?: unknown): Promise<T> => {
    const response = await miniflare.dispatchFetch(`http://${host}${path}`, body === undefined ? {} : { method: "POST", body: JSON.stringify(body) });
    if (!response.ok) throw new Error(`${path}: HTTP ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  };
}

/**
 * Calibration: resizes each contender's batch until one round of it lasts about `targetMs` (a
 * batch under 4 ms, a few clock ticks, grows eightfold), for at most 8 rounds. `round(step)`
 * runs one round with the current batches and says, per contender, how many it ran and in how
 * long. Resolves with the number of calibration rounds run; `batch` is updated in place.
 */
export async function calibrateBatches<C extends string>(
  contenders: readonly C[],
  batch: Record<C, number>,
  targetMs: number,
  round: (step: number) => Promise<Partial<Record<C, { count: number; ms: number }>>>,
): Promise<number> {
  let rounds = 0;
  for (let step = 0; step < 8; step++) {
    rounds++;
    const results = await round(step);
    let settled = true;
    for (const contender of contenders) {
      const { count, ms } = results[contender]!;
      if (ms < targetMs * 0.7 || ms > targetMs * 1.5) settled = false;
      batch[contender] = ms < 4 ? count * 8 : Math.max(1, Math.round((count * targetMs) / ms));
    }
    if (settled) break;
  }
  return rounds;
}

/** The same contenders, rotated by `index`: each round starts with another one. */
export function rotated<C>(contenders: readonly C[], index: number): C[] {
  return contenders.map((_, at) => contenders[(at + index) % contenders.length]!);
}

// What the benchmarks that run a Worker in Miniflare share: a hard stop, and JSON calls to the Worker.
import type { Miniflare } from "miniflare";

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

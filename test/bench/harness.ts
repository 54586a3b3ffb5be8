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

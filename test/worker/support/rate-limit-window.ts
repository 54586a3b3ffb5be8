// Bursts of /login from one client that must land in one window of the Rate Limiting binding, whatever the clock says.

/** LOGIN_RATE_LIMITER's period in wrangler.toml (`simple = { limit = 10, period = 60 }`), in milliseconds. */
const PERIOD_MS = 60_000;

/**
 * How long a burst may take: a dozen /login requests take about 0.3 s in a full run on a loaded
 * 2-core machine, so 5 s holds there with room to spare, and a test waits at most that long for a
 * fresh window (a test that calls this needs `2 * BURST_BUDGET_MS` more than its usual budget).
 */
export const BURST_BUDGET_MS = 5_000;

/**
 * Runs `burst` inside one window of the binding and returns what it returns. The local binding
 * (miniflare's RateLimiterObject) counts in fixed windows aligned to the wall clock, the window
 * being `floor(now / period)`: a burst that straddles a boundary is counted in two windows, and
 * the request past the limit is let through (a flake of about 1 run in 200 per test, before
 * issue 25). So a burst starts at once when at least BURST_BUDGET_MS of the window is left, else
 * in the next window; and it fails, saying so, when it took longer than that and crossed into
 * another window after all, rather than leaving a puzzling 302 where the test expects 429.
 */
export async function inOneRateLimitWindow<T>(burst: () => Promise<T>): Promise<T> {
  const left = PERIOD_MS - (Date.now() % PERIOD_MS);
  if (left < BURST_BUDGET_MS) await new Promise((resolve) => setTimeout(resolve, left + 100));
  const window = Math.floor(Date.now() / PERIOD_MS);
  const result = await burst();
  const elapsedWindows = Math.floor(Date.now() / PERIOD_MS) - window;
  if (elapsedWindows !== 0) throw new Error(`the burst took longer than ${BURST_BUDGET_MS / 1000} s and crossed into the next rate-limit window: its counts say nothing`);
  return result;
}

// The benchmark Workers' clock (bench only, runs inside workerd): local workerd's clock moves during computation, in 1 ms ticks.

/** Waits for the clock's next tick: a batch then starts on a tick edge. */
export function nextTick(): number {
  const start = performance.now();
  let now = start;
  for (let spins = 0; spins < 50_000_000 && now === start; spins += 1) now = performance.now();
  return now;
}

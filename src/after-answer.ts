// Work that need not hold up the answer: after it (waitUntil) where the runtime allows, else before it.

import type { Context } from "hono";

/**
 * Runs `work` without delaying the answer when the request has an ExecutionContext (Workers do),
 * and awaits it otherwise (`app.request()` in tests and tools). Never throws: `work` handles and
 * logs its own failures; anything left is dropped.
 */
export async function afterAnswer(c: Context, work: Promise<unknown>): Promise<void> {
  const settled = work.then(
    () => undefined,
    () => undefined,
  );
  let executionCtx: { waitUntil(promise: Promise<unknown>): void } | undefined;
  try {
    executionCtx = c.executionCtx;
  } catch {
    // Hono's getter throws when there is none.
  }
  if (typeof executionCtx?.waitUntil === "function") executionCtx.waitUntil(settled);
  else await settled;
}

// Rate limiting of GET /login per client, with the Workers Rate Limiting binding.

import type { MiddlewareHandler } from "hono";
import type { Env } from "../env.js";
import { SignInError } from "../errors.js";

/**
 * Each /login costs a KV write and a call to X: refuses more than the binding's limit per client
 * IP (`CF-Connecting-IP`, set by Cloudflare) with 429 and `Retry-After`. The limit and period are
 * the binding's `simple = { limit, period }` in wrangler.toml. Without the binding, does nothing.
 *
 * @see https://developers.cloudflare.com/workers/runtime-apis/bindings/rate-limit/
 */
export function rateLimitLogin(retryAfterSeconds = 60): MiddlewareHandler<{ Bindings: Env }> {
  return async (c, next) => {
    const limiter = c.env.LOGIN_RATE_LIMITER;
    if (limiter) {
      const client = (c.req.header("CF-Connecting-IP") ?? "unknown").slice(0, 64);
      const { success } = await limiter.limit({ key: `login:${client}` });
      if (!success) {
        c.header("Retry-After", String(retryAfterSeconds));
        throw new SignInError(429, "rate_limited", `Too many sign-ins from your network. Try again in ${retryAfterSeconds} seconds.`);
      }
    }
    await next();
  };
}

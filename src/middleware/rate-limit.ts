// Rate limiting of GET /login per client, with the Workers Rate Limiting binding.

import type { MiddlewareHandler } from "hono";
import type { Env } from "../env.js";
import { SignInError } from "../errors.js";

/**
 * Each /login costs a KV write and a call to X: refuses more than the binding's limit per client
 * (`CF-Connecting-IP`, set by Cloudflare: an IPv4 address, or an IPv6 /48, the block one site is
 * commonly given: per /64 one /48 could start 65,536 times as many) with 429 and `Retry-After`.
 * The limit and period are the binding's `simple = { limit, period }` in wrangler.toml, counted
 * per Cloudflare location. Without the binding, does nothing.
 *
 * @see https://developers.cloudflare.com/workers/runtime-apis/bindings/rate-limit/
 */
export function rateLimitLogin(retryAfterSeconds = 60): MiddlewareHandler<{ Bindings: Env }> {
  return async (c, next) => {
    const limiter = c.env.LOGIN_RATE_LIMITER;
    if (limiter) {
      const { success } = await limiter.limit({ key: `login:${clientKey(c.req.header("CF-Connecting-IP"))}` });
      if (!success) {
        c.header("Retry-After", String(retryAfterSeconds));
        throw new SignInError(429, "rate_limited", `Too many sign-ins from your network. Try again in ${retryAfterSeconds} seconds.`);
      }
    }
    await next();
  };
}

/**
 * The rate-limit bucket of a client address: an IPv4 address as it is (also when written as an
 * IPv4-mapped IPv6 address), an IPv6 address by its /48 (its first three groups, expanded).
 */
export function clientKey(address: string | undefined): string {
  if (!address) return "unknown";
  const mapped = /^::ffff:(\d{1,3}(\.\d{1,3}){3})$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (!address.includes(":")) return address.slice(0, 64);
  const [head = "", tail] = address.toLowerCase().split("::", 2);
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  const groups = tail === undefined ? left : [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill("0"), ...right];
  if (!groups.slice(0, 3).every((group) => /^[0-9a-f]{1,4}$/.test(group))) return address.slice(0, 64);
  return `${groups.slice(0, 3).map((group) => group.replace(/^0+(?=.)/, "")).join(":")}::/48`;
}

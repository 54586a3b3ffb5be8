// Rate limiting of GET /login per client and per network, with two Workers Rate Limiting bindings.

import type { MiddlewareHandler } from "hono";
import type { Env } from "../env.js";
import { SignInError } from "../errors.js";

/**
 * Each /login costs a KV write and a call to X: refuses it with 429 and `Retry-After` past either
 * of two bindings' limits. LOGIN_RATE_LIMITER counts per client (`CF-Connecting-IP`, set by
 * Cloudflare): an IPv4 address, or an IPv6 /64 (one household or phone); tight (10 per minute in
 * wrangler.toml). LOGIN_NETWORK_RATE_LIMITER counts per IPv6 /48 (one site, or a carrier's block
 * shared by many phones): loose (200 per minute), so that one client cannot shut sign-in for its
 * neighbours, while a /48's 65,536 /64s still cannot each spend the tight limit. Each limit and
 * period is its binding's `simple = { limit, period }`, counted per Cloudflare location; each
 * binding is optional (without either, nothing is limited).
 *
 * @see https://developers.cloudflare.com/workers/runtime-apis/bindings/rate-limit/
 */
export function rateLimitLogin(retryAfterSeconds = 60): MiddlewareHandler<{ Bindings: Env }> {
  return async (c, next) => {
    const { LOGIN_RATE_LIMITER: client, LOGIN_NETWORK_RATE_LIMITER: network } = c.env;
    if (client || network) {
      const keys = clientKeys(c.req.header("CF-Connecting-IP"));
      const [own, shared] = await Promise.all([
        client?.limit({ key: `login:${keys.client}` }),
        keys.network === undefined ? undefined : network?.limit({ key: `login48:${keys.network}` }),
      ]);
      if (own?.success === false || shared?.success === false) {
        c.header("Retry-After", String(retryAfterSeconds));
        throw new SignInError(429, "rate_limited", `Too many sign-ins from your network. Try again in ${retryAfterSeconds} seconds.`);
      }
    }
    await next();
  };
}

/** A client's rate-limit keys: its own (an IPv4 address, an IPv6 /64) and, for IPv6, its /48's. */
export interface ClientKeys {
  client: string;
  network: string | undefined;
}

/**
 * The rate-limit keys of a client address, the same for every spelling of it: brackets, a zone id
 * (`%eth0`), upper case, leading zeros, `::` anywhere and a trailing dotted IPv4 are read as RFC
 * 4291 section 2.2 allows, and an IPv4-mapped address (`::ffff:a.b.c.d`) is its IPv4 address.
 * Anything else (a 5-digit group, nine groups, two `::`) is `invalid`, one key for all; no address
 * is `unknown`.
 *
 * @see https://www.rfc-editor.org/rfc/rfc4291#section-2.2
 */
export function clientKeys(address: string | undefined): ClientKeys {
  if (!address) return { client: "unknown", network: undefined };
  const ipv4 = parseIpv4(address);
  if (ipv4) return { client: ipv4.join("."), network: undefined };
  const groups = parseIpv6(address);
  if (!groups) return { client: "invalid", network: undefined };
  // ::ffff:0:0/96, IPv4-mapped (RFC 4291 section 2.5.5.2).
  if (groups.slice(0, 6).join(":") === "0:0:0:0:0:65535") return { client: [groups[6]! >> 8, groups[6]! & 255, groups[7]! >> 8, groups[7]! & 255].join("."), network: undefined };
  const hex = groups.map((group) => group.toString(16));
  return { client: `${hex.slice(0, 4).join(":")}::/64`, network: `${hex.slice(0, 3).join(":")}::/48` };
}

/** Four decimal octets, 0 to 255, without leading zeros (which some read as octal). */
function parseIpv4(text: string): number[] | undefined {
  const parts = text.split(".");
  if (parts.length !== 4 || !parts.every((part) => /^(0|[1-9]\d{0,2})$/.test(part) && Number(part) <= 255)) return undefined;
  return parts.map(Number);
}

/** The eight 16-bit groups of an IPv6 address, brackets and zone id removed; undefined when it is none. */
function parseIpv6(text: string): number[] | undefined {
  let address = text;
  if (address.startsWith("[") !== address.endsWith("]")) return undefined;
  if (address.startsWith("[")) address = address.slice(1, -1);
  const zone = address.indexOf("%");
  if (zone !== -1) {
    if (zone === address.length - 1) return undefined;
    address = address.slice(0, zone);
  }
  const halves = address.split("::");
  if (halves.length > 2) return undefined;
  const read = (half: string | undefined, last: boolean): number[] | undefined => {
    if (!half) return [];
    const parts = half.split(":");
    const groups: number[] = [];
    for (const [index, part] of parts.entries()) {
      const ipv4 = last && index === parts.length - 1 && part.includes(".") ? parseIpv4(part) : undefined;
      if (ipv4) groups.push((ipv4[0]! << 8) | ipv4[1]!, (ipv4[2]! << 8) | ipv4[3]!);
      else if (/^[0-9a-f]{1,4}$/i.test(part)) groups.push(parseInt(part, 16));
      else return undefined;
    }
    return groups;
  };
  const head = read(halves[0], halves.length === 1);
  const tail = halves.length === 2 ? read(halves[1], true) : [];
  if (!head || !tail) return undefined;
  if (halves.length === 1) return head.length === 8 ? head : undefined;
  const missing = 8 - head.length - tail.length;
  return missing >= 1 ? [...head, ...Array<number>(missing).fill(0), ...tail] : undefined;
}

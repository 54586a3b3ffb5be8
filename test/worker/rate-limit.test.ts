// /login's rate limits (issue 25): per IPv4 address or IPv6 /64 tightly, per IPv6 /48 loosely, every spelling of an address counted as one.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { clientKeys } from "../../src/middleware/rate-limit";
import { BURST_BUDGET_MS, inOneRateLimitWindow } from "./support/rate-limit-window";

/** The address's keys: [the tight one, the loose one (IPv6 only)]. */
const table: [string, ReturnType<typeof clientKeys>][] = [
  // IPv4: the address itself.
  ["198.51.100.7", { client: "198.51.100.7", network: undefined }],
  ["0.0.0.0", { client: "0.0.0.0", network: undefined }],
  // IPv4-mapped IPv6, in each spelling: the IPv4 address.
  ["::ffff:198.51.100.7", { client: "198.51.100.7", network: undefined }],
  ["::FFFF:198.51.100.7", { client: "198.51.100.7", network: undefined }],
  ["0:0:0:0:0:ffff:198.51.100.7", { client: "198.51.100.7", network: undefined }],
  ["::ffff:c633:6407", { client: "198.51.100.7", network: undefined }],
  ["[::ffff:198.51.100.7]", { client: "198.51.100.7", network: undefined }],
  // IPv6: the /64 and the /48, however written.
  ["2001:db8::1", { client: "2001:db8:0:0::/64", network: "2001:db8:0::/48" }],
  ["[2001:db8::1]", { client: "2001:db8:0:0::/64", network: "2001:db8:0::/48" }],
  ["2001:0DB8:0000:0000:0000:0000:0000:0001", { client: "2001:db8:0:0::/64", network: "2001:db8:0::/48" }],
  ["2001:db8:0:0::1%eth0", { client: "2001:db8:0:0::/64", network: "2001:db8:0::/48" }],
  ["[2001:db8::1%25en0]", { client: "2001:db8:0:0::/64", network: "2001:db8:0::/48" }],
  ["2001:db8:a:b::1", { client: "2001:db8:a:b::/64", network: "2001:db8:a::/48" }],
  ["2001:db8:a:b:ffff:0:0:1", { client: "2001:db8:a:b::/64", network: "2001:db8:a::/48" }],
  ["2001:db8:a:c:1:2:3:4", { client: "2001:db8:a:c::/64", network: "2001:db8:a::/48" }],
  ["2001:db8:a:b:1:2:192.0.2.1", { client: "2001:db8:a:b::/64", network: "2001:db8:a::/48" }],
  ["::", { client: "0:0:0:0::/64", network: "0:0:0::/48" }],
  ["::1", { client: "0:0:0:0::/64", network: "0:0:0::/48" }],
  ["2001:db8:a:b:c:d:e::", { client: "2001:db8:a:b::/64", network: "2001:db8:a::/48" }],
  // Not an address: one bucket for all of them (Cloudflare always sends a valid one).
  ["2001:db8:a:b:c:d:e:f:1", { client: "invalid", network: undefined }],
  ["20010:db8::1", { client: "invalid", network: undefined }],
  ["2001:db8::a::1", { client: "invalid", network: undefined }],
  ["2001:db8:g::1", { client: "invalid", network: undefined }],
  ["1:2:3:4:5:6:7", { client: "invalid", network: undefined }],
  [":1:2:3:4:5:6:7", { client: "invalid", network: undefined }],
  ["198.51.100.256", { client: "invalid", network: undefined }],
  ["198.51.100.07", { client: "invalid", network: undefined }],
  ["198.51.100", { client: "invalid", network: undefined }],
  ["::ffff:198.51.100.7.1", { client: "invalid", network: undefined }],
  ["[2001:db8::1", { client: "invalid", network: undefined }],
  ["2001:db8::1%", { client: "invalid", network: undefined }],
  ["example.com", { client: "invalid", network: undefined }],
  ["", { client: "unknown", network: undefined }],
];

describe("the rate-limit keys of a client address", () => {
  it.each(table)("%j", (address, keys) => {
    expect(clientKeys(address)).toEqual(keys);
  });

  it("is unknown without CF-Connecting-IP", () => {
    expect(clientKeys(undefined)).toEqual({ client: "unknown", network: undefined });
  });
});

/** A Rate Limiting binding that allows `limit` per key, and records the keys it was asked about. */
function fakeLimiter(limit: number): RateLimit & { keys: string[] } {
  const counts = new Map<string, number>();
  const keys: string[] = [];
  return {
    keys,
    async limit({ key }: RateLimitOptions) {
      keys.push(key);
      counts.set(key, (counts.get(key) ?? 0) + 1);
      return { success: counts.get(key)! <= limit };
    },
  };
}

async function login(environment: Cloudflare.Env, address: string): Promise<Response> {
  return createApp().request("http://localhost:8787/login", { headers: { "CF-Connecting-IP": address }, redirect: "manual" }, environment);
}

async function expectLimited(response: Response): Promise<void> {
  expect(response.status).toBe(429);
  expect(response.headers.get("Retry-After")).toBe("60");
  expect(await response.json()).toEqual({ error: "rate_limited", error_description: "Too many sign-ins from your network. Try again in 60 seconds." });
}

describe("GET /login's two limits", () => {
  it("binds both from wrangler.toml", () => {
    expect(typeof env.LOGIN_RATE_LIMITER?.limit).toBe("function");
    expect(typeof env.LOGIN_NETWORK_RATE_LIMITER?.limit).toBe("function");
  });

  it("counts one /64 together, whatever the spelling, and keeps a neighbouring /64 of the same /48 apart (the real binding: 10 per minute)", async () => {
    const [a, b] = [Math.floor(Math.random() * 0xfffe), Math.floor(Math.random() * 0xffff)];
    const spellings = [`2001:db8:${a.toString(16)}:${b.toString(16)}::1`, `[2001:0db8:${a.toString(16).padStart(4, "0")}:${b.toString(16)}:0:0:0:2]`, `2001:db8:${a.toString(16)}:${b.toString(16)}::3%eth0`];
    const statuses = await inOneRateLimitWindow(async () => {
      const statuses: number[] = [];
      for (let index = 0; index < 11; index++) statuses.push((await login(env, spellings[index % 3]!)).status);
      return statuses;
    });
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(302));
    expect(statuses[10]).toBe(429);
    expect((await login(env, `2001:db8:${a.toString(16)}:${(b + 1).toString(16)}::1`)).status).toBe(302);
  }, 5_000 + 2 * BURST_BUDGET_MS);

  it("refuses a whole /48 past the loose limit, though each of its /64s is under the tight one", async () => {
    const network = fakeLimiter(3);
    const environment = { ...env, LOGIN_RATE_LIMITER: fakeLimiter(10), LOGIN_NETWORK_RATE_LIMITER: network };
    for (let subnet = 1; subnet <= 3; subnet++) expect((await login(environment, `2001:db8:5:${subnet}::1`)).status).toBe(302);
    await expectLimited(await login(environment, `2001:db8:5:4::1`));
    expect(network.keys).toEqual(Array(4).fill("login48:2001:db8:5::/48"));
    // Another /48 has its own count.
    expect((await login(environment, `2001:db8:6:1::1`)).status).toBe(302);
  });

  it("refuses one /64 past the tight limit, and never asks the loose one about an IPv4 address", async () => {
    const client = fakeLimiter(2);
    const network = fakeLimiter(100);
    const environment = { ...env, LOGIN_RATE_LIMITER: client, LOGIN_NETWORK_RATE_LIMITER: network };
    for (let index = 0; index < 2; index++) expect((await login(environment, "2001:db8:7:1::1")).status).toBe(302);
    await expectLimited(await login(environment, "2001:db8:7:1:0::2"));
    expect(client.keys).toEqual(Array(3).fill("login:2001:db8:7:1::/64"));
    expect((await login(environment, "::ffff:203.0.113.9")).status).toBe(302);
    expect(client.keys.at(-1)).toBe("login:203.0.113.9");
    expect(network.keys).not.toContain("login48:203.0.113.9");
    expect(network.keys.every((key) => key.endsWith("/48"))).toBe(true);
  });

  it("works with either binding alone, or none", async () => {
    const { LOGIN_RATE_LIMITER: _client, LOGIN_NETWORK_RATE_LIMITER: _network, ...unbound } = env;
    expect((await login(unbound as Cloudflare.Env, "2001:db8:8::1")).status).toBe(302);
    await expectLimited(await login({ ...unbound, LOGIN_NETWORK_RATE_LIMITER: fakeLimiter(0) } as Cloudflare.Env, "2001:db8:8::1"));
    await expectLimited(await login({ ...unbound, LOGIN_RATE_LIMITER: fakeLimiter(0) } as Cloudflare.Env, "2001:db8:8::1"));
  });
});

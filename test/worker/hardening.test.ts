// Hardening: provider faults through the real HTTP stack, bad input, one-time tokens, rate limits, headers, logs.
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import app from "../../src/index";
import { kvKeys, nextClientIp } from "./support/browser";
import { type Endpoint, approve, clearFaults, completeSignIn, faultyEnv, login, request, setFault } from "./support/faulty";
import { BURST_BUDGET_MS, inOneRateLimitWindow } from "./support/rate-limit-window";

const PREFIX = "request-token:";
type ErrorBody = { error: string; error_description: string };

let logged: string[] = [];
beforeEach(async () => {
  await clearFaults();
  logged = [];
  for (const method of ["log", "info", "warn", "error", "debug"] as const) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => void logged.push(args.map(String).join(" ")));
  }
});
afterEach(async () => {
  vi.restoreAllMocks();
  await clearFaults();
});

/** Asserts an error answer: status, code, a sentence, JSON, no-store, no stack trace or secret. */
async function expectError(response: Response, status: number, code: string, sentence?: string | RegExp): Promise<ErrorBody> {
  expect(response.status).toBe(status);
  expect(response.headers.get("Content-Type")).toMatch(/^application\/json/);
  expect(response.headers.get("Cache-Control")).toBe("no-store");
  const text = await response.text();
  const body = JSON.parse(text) as ErrorBody;
  expect(Object.keys(body).sort()).toEqual(["error", "error_description"]);
  expect(body.error).toBe(code);
  if (sentence) expect(body.error_description).toMatch(sentence);
  expect(text).not.toMatch(/\bat .+:\d+:\d+|Error:|stack/);
  for (const secret of [env.TWITTER_CLIENT_SECRET!, env.SESSION_SECRET!, env.TWITTER_CLIENT_ID!]) expect(text).not.toContain(secret);
  return body;
}

/** After a fault is gone, the service completes a normal sign-in. */
async function expectRecovered(screenName: string): Promise<void> {
  await clearFaults();
  const response = await completeSignIn(screenName);
  expect(response.status).toBe(200);
  expect(JSON.parse(await response.text()).screen_name).toBe(screenName);
}

describe("provider faults at request_token", () => {
  const cases: { name: string; fault: Record<string, unknown>; status: number; code: string; sentence: RegExp }[] = [
    { name: "a 503", fault: { kind: "status", status: 503 }, status: 502, code: "twitter_error", sentence: /Twitter answered HTTP 503 \(request_token\)/ },
    { name: "a 500 with an HTML page", fault: { kind: "status", status: 500, body: "<html><b>Internal</b> stack at x.js:1:2</html>", contentType: "text/html" }, status: 502, code: "twitter_error", sentence: /HTTP 500/ },
    { name: "a hang", fault: { kind: "hang" }, status: 504, code: "twitter_timeout", sentence: /did not answer in time/ },
    { name: "slowness beyond the timeout", fault: { kind: "slow", delayMs: 1500 }, status: 504, code: "twitter_timeout", sentence: /did not answer in time/ },
    { name: "a garbage body", fault: { kind: "garbage" }, status: 502, code: "twitter_bad_response", sentence: /malformed/ },
    { name: "no oauth_callback_confirmed", fault: { kind: "missing-fields", omit: ["oauth_callback_confirmed"] }, status: 502, code: "twitter_bad_response", sentence: /did not confirm the callback/ },
    { name: "no token secret", fault: { kind: "missing-fields", omit: ["oauth_token_secret"] }, status: 502, code: "twitter_bad_response", sentence: /malformed/ },
    { name: "401 code 32 (wrong consumer key or secret)", fault: { kind: "unauthorized" }, status: 502, code: "twitter_rejected_credentials", sentence: /TWITTER_CLIENT_ID or TWITTER_CLIENT_SECRET is wrong/ },
    {
      name: "401 code 416 (a suspended app)",
      fault: { kind: "status", status: 401, body: '{"errors":[{"code":416,"message":"Invalid / suspended application"}]}', contentType: "application/json" },
      status: 502,
      code: "twitter_rejected_credentials",
      sentence: /^Twitter says this app is suspended or invalid \(error 416\): see it in X's developer console \(console\.x\.com\)\.$/,
    },
    { name: "403 code 415 (callback not approved)", fault: { kind: "callback-not-approved" }, status: 502, code: "callback_not_approved", sentence: /Register http:\/\/localhost:8787\/auth as a callback URL/ },
  ];
  for (const { name, fault, status, code, sentence } of cases) {
    it(`answers ${status} ${code} for ${name}, stores nothing, and recovers`, async () => {
      const before = await kvKeys(env.AUTH_KV, PREFIX);
      await setFault("request_token", fault);
      const started = Date.now();
      const { response } = await login();
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(response.headers.get("Set-Cookie")).toBeNull();
      await expectError(response, status, code, sentence);
      expect(await kvKeys(env.AUTH_KV, PREFIX)).toEqual(before);
      await expectRecovered(`rt_${code.slice(0, 8)}_${status}`);
    });
  }

  it("goes on when X is slow but within the timeout", async () => {
    await setFault("request_token", { kind: "slow", delayMs: 150 });
    const { response } = await login();
    expect(response.status).toBe(302);
  });
});

describe("provider faults after the user authorized", () => {
  const cases: { endpoint: Endpoint; name: string; fault: Record<string, unknown>; status: number; code: string }[] = [
    { endpoint: "access_token", name: "a 503", fault: { kind: "status", status: 503 }, status: 502, code: "twitter_error" },
    { endpoint: "access_token", name: "a hang", fault: { kind: "hang" }, status: 504, code: "twitter_timeout" },
    { endpoint: "access_token", name: "a garbage body", fault: { kind: "garbage" }, status: 502, code: "twitter_bad_response" },
    { endpoint: "access_token", name: "no token secret", fault: { kind: "missing-fields", omit: ["oauth_token_secret"] }, status: 502, code: "twitter_bad_response" },
    { endpoint: "access_token", name: "401 code 32", fault: { kind: "unauthorized" }, status: 502, code: "twitter_error" },
    { endpoint: "verify_credentials", name: "a 503", fault: { kind: "status", status: 503 }, status: 502, code: "twitter_error" },
    { endpoint: "verify_credentials", name: "a hang", fault: { kind: "hang" }, status: 504, code: "twitter_timeout" },
    { endpoint: "verify_credentials", name: "slowness beyond the timeout", fault: { kind: "slow", delayMs: 1500 }, status: 504, code: "twitter_timeout" },
    { endpoint: "verify_credentials", name: "a garbage body", fault: { kind: "garbage" }, status: 502, code: "twitter_bad_response" },
    { endpoint: "verify_credentials", name: "a user without id_str", fault: { kind: "missing-fields", omit: ["id_str"] }, status: 502, code: "twitter_bad_response" },
    { endpoint: "verify_credentials", name: "401 code 32", fault: { kind: "unauthorized" }, status: 502, code: "twitter_error" },
  ];
  for (const { endpoint, name, fault, status, code } of cases) {
    it(`answers ${status} ${code} for ${name} at ${endpoint}, consumes the request token, and recovers`, async () => {
      const start = await login();
      const back = await approve(start.oauthToken, "fault_victim");
      await setFault(endpoint, fault);
      const response = await request(back.pathname + back.search, { headers: { Cookie: start.cookie } });
      await expectError(response, status, code);
      expect(response.headers.get("Set-Cookie")).toMatch(/Max-Age=0/);
      const stored = await Promise.all((await kvKeys(env.AUTH_KV, PREFIX)).map((key) => env.AUTH_KV.get(key)));
      expect(stored.join()).not.toContain(start.oauthToken);
      await expectRecovered(`${endpoint.slice(0, 6)}_${status}`);
    });
  }

  it("logs the failing step with the provider's status and the error code, and no secret", async () => {
    const start = await login();
    const back = await approve(start.oauthToken, "log_fault");
    await setFault("access_token", { kind: "status", status: 503 });
    await request(back.pathname + back.search, { headers: { Cookie: start.cookie } });
    const line = logged.map((text) => JSON.parse(text) as Record<string, unknown>).find((entry) => entry.step === "auth");
    expect(line).toMatchObject({ event: "twitter_sign_in", step: "auth", outcome: "error", status: 502, error: "twitter_error", providerStatus: 503 });
    expect(typeof line!.durationMs).toBe("number");
    const all = logged.join("\n");
    for (const value of [start.oauthToken, back.searchParams.get("oauth_verifier")!, start.cookie.split("=")[1]!, env.TWITTER_CLIENT_SECRET!, env.SESSION_SECRET!]) {
      expect(all).not.toContain(value);
    }
  });
});

describe("one-time and bound", () => {
  it("lets only one of two concurrent callbacks for one sign-in succeed", async () => {
    const start = await login();
    const back = await approve(start.oauthToken, "concurrent");
    const path = back.pathname + back.search;
    const answers = await Promise.all([
      request(path, { headers: { Cookie: start.cookie } }),
      request(path, { headers: { Cookie: start.cookie } }),
    ]);
    const statuses = answers.map((response) => response.status).sort();
    expect(statuses).toEqual([200, 400]);
    const refused = answers.find((response) => response.status === 400)!;
    expect(["expired_sign_in", "invalid_callback"]).toContain(((await refused.json()) as ErrorBody).error);
  });

  it("refuses a callback carried with someone else's cookie, and leaves the other's sign-in usable", async () => {
    const alice = await login();
    const bob = await login();
    const aliceBack = await approve(alice.oauthToken, "alice_bound");
    const bobBack = await approve(bob.oauthToken, "bob_bound");
    // Alice's callback with Bob's cookie: the token does not match, and nothing is used up.
    await expectError(await request(aliceBack.pathname + aliceBack.search, { headers: { Cookie: bob.cookie } }), 400, "token_mismatch");
    // Both finish with their own cookies.
    for (const [back, cookie, name] of [[bobBack, bob.cookie, "bob_bound"], [aliceBack, alice.cookie, "alice_bound"]] as const) {
      const response = await request(back.pathname + back.search, { headers: { Cookie: cookie } });
      expect(response.status).toBe(200);
      expect(JSON.parse(await response.text()).screen_name).toBe(name);
    }
  });

  it("answers 400 when X refuses a forged verifier", async () => {
    const start = await login();
    const back = await approve(start.oauthToken, "forged");
    back.searchParams.set("oauth_verifier", "forged-verifier");
    await expectError(await request(back.pathname + back.search, { headers: { Cookie: start.cookie } }), 400, "invalid_callback", /already used, expired or forged/);
  });
});

describe("bad input changes nothing", () => {
  it("refuses an oversized oauth_token without consuming the sign-in", async () => {
    const start = await login();
    const back = await approve(start.oauthToken, "oversized");
    const query = new URLSearchParams(back.search);
    query.set("oauth_token", "a".repeat(300));
    await expectError(await request(`/auth?${query}`, { headers: { Cookie: start.cookie } }), 400, "invalid_request", /too long/);
    // The real callback still works: nothing was consumed.
    expect((await request(back.pathname + back.search, { headers: { Cookie: start.cookie } })).status).toBe(200);
  });

  it("refuses control characters and a header-injection attempt, setting no header from it", async () => {
    const response = await request("/auth?oauth_token=abc%0D%0ASet-Cookie:%20evil=1&oauth_verifier=v");
    await expectError(response, 400, "invalid_request", /characters no token has/);
    expect(response.headers.get("Set-Cookie") ?? "").not.toContain("evil");
    // Malformed percent-encoding is read as is, not a crash.
    await expectError(await request("/auth?oauth_token=%E0%A4%A&oauth_verifier=v"), 400, "missing_cookie");
    await expectError(await request('/auth?oauth_token=a"b&oauth_verifier=v'), 400, "invalid_request");
  });

  it("refuses a repeated parameter", async () => {
    await expectError(await request("/auth?oauth_token=a&oauth_token=b&oauth_verifier=v"), 400, "invalid_request", /more than once/);
  });

  it("answers 414 for an oversized URL and 431 for oversized cookies", async () => {
    await expectError(await request(`/auth?x=${"a".repeat(3000)}`), 414, "uri_too_long");
    await expectError(await request("/auth", { headers: { Cookie: `a=${"b".repeat(9000)}` } }), 431, "cookie_too_large");
  });

  it("answers 405 for other methods and 404 for other paths, with the same shape", async () => {
    await expectError(await request("/login", { method: "POST" }), 405, "method_not_allowed");
    await expectError(await request("/wp-admin"), 404, "not_found");
  });

  it("answers 503 storage_unavailable when KV fails, with nothing of the exception", async () => {
    const failing = {
      ...faultyEnv(),
      AUTH_KV: {
        put: async () => {
          throw new Error("KV put failed: internal detail 10.0.0.1");
        },
      } as unknown as KVNamespace,
    };
    const response = await app.request("http://localhost:8787/login", { headers: { "CF-Connecting-IP": nextClientIp() } }, failing);
    const body = await expectError(response, 503, "storage_unavailable");
    expect(JSON.stringify(body)).not.toContain("internal detail");
    expect(logged.join("\n")).not.toContain("internal detail");
  });
});

describe("rate limiting /login", () => {
  it("answers 429 with Retry-After past the limit for one client, and not for another", async () => {
    const ip = nextClientIp();
    const statuses = await inOneRateLimitWindow(async () => {
      const statuses: number[] = [];
      for (let attempt = 0; attempt < 11; attempt++) {
        const response = await request("/login", { headers: { "CF-Connecting-IP": ip } });
        statuses.push(response.status);
        if (response.status === 429) {
          expect(response.headers.get("Retry-After")).toBe("60");
          await expectError(response, 429, "rate_limited", /Try again in 60 seconds/);
        }
      }
      return statuses;
    });
    expect(statuses.slice(0, 10).every((status) => status === 302)).toBe(true);
    expect(statuses[10]).toBe(429);
    expect((await request("/login")).status).toBe(302);
  }, 5_000 + 2 * BURST_BUDGET_MS);

  it("does not limit the callback", async () => {
    const ip = nextClientIp();
    for (let attempt = 0; attempt < 12; attempt++) expect((await request("/auth", { headers: { "CF-Connecting-IP": ip } })).status).toBe(400);
  });
});

describe("headers", () => {
  it("sends secure headers and no-store on redirects, successes, errors and 404s", async () => {
    const start = await login();
    const back = await approve(start.oauthToken, "headers_user");
    const answers = [start.response, await request(back.pathname + back.search, { headers: { Cookie: start.cookie } }), await request("/auth"), await request("/nowhere")];
    for (const response of answers) {
      expect(response.headers.get("Content-Security-Policy")).toContain("default-src 'none'");
      expect(response.headers.get("Content-Security-Policy")).toContain("frame-ancestors 'none'");
      expect(response.headers.get("Referrer-Policy")).toBe("no-referrer");
      expect(response.headers.get("X-Content-Type-Options")).toBe("nosniff");
      expect(response.headers.get("X-Frame-Options")).toBe("DENY");
    }
    for (const response of answers.slice(0, 3)) expect(response.headers.get("Cache-Control")).toBe("no-store");
  });
});

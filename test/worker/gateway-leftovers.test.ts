// Gateway mode, what the last security review left (issue 24): the origin's address in redirects, other proxies' identity headers, a flood of Set-Cookie, TRACE, plain http, an id written as a TOML number.
// (What needs raw HTTP through workerd, or wrangler dev, is in test/node/gateway-runtime.test.ts and test/node/dev-server.test.ts.)
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, inject, it, vi } from "vitest";
import worker from "../../src/index";
import { rewriteOriginAddress } from "../../src/gateway/origin-answer";
import { callback, decide, nextClientIp, startLogin } from "./support/browser";
import { SITE, answer, echoed, gateway, send, sessionCookie } from "./support/gateway";

afterEach(() => vi.restoreAllMocks());

/** A request to the Worker at this full URL (another origin than SITE allowed). */
function at(url: string, bindings: Cloudflare.Env, headers: Record<string, string> = {}, init: RequestInit = {}): Promise<Response> {
  return Promise.resolve(worker.request(url, { ...init, headers: { "CF-Connecting-IP": nextClientIp(), ...headers }, redirect: "manual" }, bindings));
}

describe("the origin's address in Location, Content-Location and Refresh", () => {
  it("is rewritten when the public site and the origin share a host name and differ in port (npm run dev -- --demo-origin's layout)", async () => {
    const origin = inject("testOrigin");
    const { host, port } = new URL(origin);
    const site = "http://127.0.0.1:8787";
    const cookie = { Cookie: await sessionCookie("gw_same_host") };
    const rewritten = [
      ["Location", `${origin}/x?y=1#z`, `${site}/x?y=1#z`],
      ["Location", `//${host}/x`, `${site}/x`],
      ["Location", `https://${host}/secure`, `${site}/secure`],
      ["Location", `http://127.0.0.1.:${port}/dot`, `${site}/dot`],
      ["Content-Location", `${origin}/doc.json`, `${site}/doc.json`],
      ["Refresh", `0; url=${origin}/next`, `0; url=${site}/next`],
    ];
    // Another service on the same host (another port) is not the origin: left alone, as are the site's own URLs.
    const kept = [
      ["Location", "http://127.0.0.1:9/other"],
      ["Location", `${site}/already-public`],
      ["Location", "/relative"],
    ];
    for (const [path, headers] of [["", cookie], ["/assets", {}]] as const) {
      for (const [name, value, expected] of rewritten) expect((await at(site + path + answer(302, `${name}:${value}`), gateway(), headers)).headers.get(name!), `${path} ${name}: ${value}`).toBe(expected);
      for (const [name, value] of kept) expect((await at(site + path + answer(302, `${name}:${value}`), gateway(), headers)).headers.get(name!), `${path} ${name}: ${value}`).toBe(value);
    }
  });

  it("compares origins, not host names: a trailing-dot host, the other scheme at its default port, and another port", () => {
    const site = new URL("https://example.com");
    const rewrite = (value: string, origin = "http://origin.example.com") => rewriteOriginAddress(value, new URL(origin), site);
    expect(rewrite("http://origin.example.com./x")).toBe("https://example.com/x");
    expect(rewrite("http://ORIGIN.example.com:80/x?q#f")).toBe("https://example.com/x?q#f");
    // The origin sending itself to https: still its own address.
    expect(rewrite("https://origin.example.com/secure")).toBe("https://example.com/secure");
    expect(rewrite("//origin.example.com./x")).toBe("https://example.com/x");
    // Another port on the origin's host is another service.
    expect(rewrite("http://origin.example.com:8080/x")).toBe("http://origin.example.com:8080/x");
    expect(rewrite("http://origin.example.com:8080/x", "http://origin.example.com:8080")).toBe("https://example.com/x");
    expect(rewrite("http://origin.example.com/x", "http://origin.example.com:8080")).toBe("http://origin.example.com/x");
    expect(rewrite("https://partner.example/x")).toBe("https://partner.example/x");
  });
});

describe("other gateways' identity headers and framework-internal headers", () => {
  const made = {
    "Remote-User": "admin",
    "Remote-Email": "admin@example.com",
    "Remote-Groups": "admins",
    "Remote-Name": "Admin",
    "X-Auth-Request-User": "admin",
    "X-Auth-Request-Email": "admin@example.com",
    "X-Auth-Request-Groups": "admins",
    "X-Auth-Request-Preferred-Username": "admin",
    "X-Auth-Request-Access-Token": "token",
    "X-WEBAUTH-USER": "admin",
    "X-Forwarded-User": "admin",
    "X-Forwarded-Email": "admin@example.com",
    "X-Forwarded-Groups": "admins",
    "X-Forwarded-Preferred-Username": "admin",
    "X-Forwarded-Access-Token": "token",
    "GAP-Auth": "admin@example.com",
    "GAP-Signature": "sha1 x",
    "X-Pomerium-Jwt-Assertion": "a.b.c",
    "X-Pomerium-Claim-Email": "admin@example.com",
    "X-Authentik-Username": "admin",
    "X-Goog-Authenticated-User-Email": "accounts.google.com:admin@example.com",
    "X-Goog-Iap-Jwt-Assertion": "a.b.c",
    "X-Amzn-Oidc-Identity": "admin",
    "X-Amzn-Oidc-Data": "a.b.c",
    "Cf-Access-Authenticated-User-Email": "admin@example.com",
    "Cf-Access-Jwt-Assertion": "a.b.c",
    "X-Client-Cert": "-----BEGIN CERTIFICATE-----",
    "X-Client-Cert-Dn": "CN=admin",
    "X-SSL-Client-Cert": "cert",
    "X-SSL-Client-Verify": "SUCCESS",
    "X-SSL-Client-S-DN": "CN=admin",
    "Ssl-Client-Verify": "SUCCESS",
    "Ssl-Client-Subject-Dn": "CN=admin",
    "X-ARR-ClientCert": "cert",
    "X-Middleware-Subrequest": "middleware:middleware:middleware:middleware:middleware",
    "X-Middleware-Prefetch": "1",
  };

  it("never reach the origin, signed in or on a public path; the site's own headers still do", async () => {
    const cookie = await sessionCookie("gw_proxies");
    for (const [path, headers] of [["/echo", { Cookie: cookie }], ["/assets/echo", {}]] as const) {
      const seen = await echoed(await send(gateway(), path, { ...made, ...headers, "X-Requested-With": "XMLHttpRequest", Authorization: "Bearer site-token" }));
      const names = seen.rawHeaders.filter((_, i) => i % 2 === 0).map((name) => name.toLowerCase());
      for (const name of Object.keys(made)) expect(names, `${path} ${name}`).not.toContain(name.toLowerCase());
      expect(seen.headers["x-requested-with"]).toBe("XMLHttpRequest");
      expect(seen.headers.authorization).toBe("Bearer site-token");
    }
  });

  it("keeps Next.js's internal X-Middleware-* answers from the browser", async () => {
    const response = await send(gateway(), `/assets${answer(200, "X-Middleware-Rewrite:http://internal.example/admin", "X-Middleware-Set-Cookie:a=b", "X-Site:kept")}`);
    expect(response.headers.get("X-Middleware-Rewrite")).toBeNull();
    expect(response.headers.get("X-Middleware-Set-Cookie")).toBeNull();
    expect(response.headers.get("X-Site")).toBe("kept");
  });
});

describe("what the origin may set in one answer", () => {
  it("passes at most 50 Set-Cookie headers (RFC 6265's floor per domain), the first ones, and logs how many it dropped", async () => {
    const log = vi.spyOn(console, "warn").mockImplementation(() => {});
    const cookie = await sessionCookie("gw_flood");
    const sent = Array.from({ length: 200 }, (_, i) => `Set-Cookie:f${i}=1`);
    const response = await send(gateway(), answer(200, ...sent), { Cookie: cookie });
    expect(response.status).toBe(200);
    expect(response.headers.getSetCookie()).toEqual(sent.slice(0, 50).map((line) => line.slice("Set-Cookie:".length)));
    expect(log.mock.calls.map(([line]) => JSON.parse(String(line)))).toContainEqual({ event: "origin_cookies_dropped", dropped: 150, kept: 50 });
  });

  it("cannot rank its cookies above the sign-in's: Priority is taken off them", async () => {
    const response = await send(gateway(), `/assets${answer(200, "Set-Cookie:a=1; Path=/; Priority=High; Secure", "Set-Cookie:b=2;priority=high", "Set-Cookie:c=3; Path=/")}`);
    expect(response.headers.getSetCookie()).toEqual(["a=1; Path=/; Secure", "b=2", "c=3; Path=/"]);
    // The session cookie itself is Priority=High: Chromium evicts Low and Medium ones first.
    const start = await startLogin();
    const signedIn = await callback(await decide(start.oauthToken, "gw_priority"), start.cookie);
    expect(signedIn.headers.getSetCookie().find((header) => header.startsWith("twitter_session="))).toMatch(/; Priority=High(;|$)/);
  });
});

describe("TRACE (TRACK and CONNECT, which workerd's Request refuses: test/node/gateway-runtime.test.ts)", () => {
  it("are refused with 405, Allow and a clear body, signed in or not, public path or not; the origin is never asked", async () => {
    const cookie = await sessionCookie("gw_trace");
    for (const method of ["TRACE", "trace"]) {
      for (const [path, headers] of [["/echo", { Cookie: cookie }], ["/assets/echo", {}], ["/echo", {}]] as const) {
        const response = await send(gateway(), path, headers, { method });
        expect(response.status, `${method} ${path}`).toBe(405);
        expect(response.headers.get("Allow")).toBe("GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS");
        expect(await response.json()).toEqual({ error: "method_not_allowed", error_description: "TRACE is not served through this gateway." });
      }
    }
  });
});

describe("plain http to a site whose PUBLIC_ORIGIN is https", () => {
  const bindings = () => gateway({ PUBLIC_ORIGIN: "https://example.com" });

  it("sends GET and HEAD to the same path and query over https with 301, on the site's paths and the sign-in's", async () => {
    for (const method of ["GET", "HEAD"]) {
      for (const path of ["/reports?year=2026", "/assets/app.css", "/_auth/login?next=%2F", "/"]) {
        const response = await at(`http://example.com${path}`, bindings(), {}, { method });
        expect(response.status, `${method} ${path}`).toBe(301);
        expect(response.headers.get("Location")).toBe(`https://example.com${path}`);
        expect(response.headers.get("Cache-Control")).toBe("no-store");
      }
    }
  });

  it("refuses another method with 400 https_required (its body already crossed the network in clear)", async () => {
    const response = await at("http://example.com/_auth/logout", bindings(), { Accept: "application/json" }, { method: "POST", body: "a=1" });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: "https_required", error_description: "This site is served at https://example.com only. Send the request there, over https." });
  });

  it("still refuses another host, over http or https, with 400 wrong_host", async () => {
    for (const url of ["http://evil.example/reports", "https://evil.example/reports"]) {
      const response = await at(url, bindings(), { Accept: "application/json" });
      expect(response.status, url).toBe(400);
      expect(await response.json()).toEqual({ error: "wrong_host", error_description: "This site is served at https://example.com. Open it there." });
    }
  });
});

describe("ALLOWED_USER_IDS written as a TOML number", () => {
  it("is refused with a 500 naming the setting and saying to quote it, when the number has lost digits", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    // What wrangler hands the Worker for ALLOWED_USER_IDS = 1234567890123456789 (no quotes): a rounded float.
    const rounded = 1234567890123456789 as unknown as string;
    for (const path of ["/", "/assets/app.css", "/_auth/me"]) {
      const response = await send(gateway({ ALLOWED_USER_IDS: rounded }), path);
      expect(response.status, path).toBe(500);
      expect(await response.json()).toEqual({
        error: "server_misconfigured",
        error_description:
          'The server\'s ALLOWED_USER_IDS setting is a number too large to hold a user id exactly (X\'s ids have up to 19 digits; a TOML number has already lost the last ones). Quote it in wrangler.toml: ALLOWED_USER_IDS = "1234567890123456789,12".',
      });
    }
  });

  it("reads a number small enough to be exact as its digits", async () => {
    const cookie = await sessionCookie("gw_small_id");
    const me = (await (await worker.request(`${SITE}/me`, { headers: { Cookie: cookie } }, env)).json()) as { id: string };
    const response = await send(gateway({ ALLOWED_USER_IDS: 12 as unknown as string }), "/echo", { Cookie: cookie, Accept: "application/json" });
    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({ error: "not_allowed", error_description: "Signed in as @gw_small_id, who may not enter this site. Sign out with POST /_auth/logout." });
    expect(me.id).not.toBe("12");
  });
});

describe("GATEWAY_WEBSOCKET_ORIGINS (the WebSockets themselves: test/node/gateway-websocket.test.ts)", () => {
  it("refuses an entry that is not an origin with a 500 naming the setting", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    for (const value of ["app.example.com", "https://app.example.com/chat", "https://a.example, ftp://b.example"]) {
      const response = await send(gateway({ GATEWAY_WEBSOCKET_ORIGINS: value }), "/");
      expect(response.status, value).toBe(500);
      expect(await response.json()).toEqual({
        error: "server_misconfigured",
        error_description: "The server's GATEWAY_WEBSOCKET_ORIGINS setting is not an origin such as https://app.example.com (scheme and host, no path). Fix it in wrangler.toml [vars] or .dev.vars.",
      });
    }
  });

  it("refuses another site's WebSocket before the origin or the session store is asked, signed out or in", async () => {
    const cookie = await sessionCookie("gw_ws_origin");
    for (const headers of [{ Cookie: cookie }, {}] as Record<string, string>[]) {
      const response = await send(gateway(), "/ws", { ...headers, Upgrade: "websocket", Connection: "Upgrade", Origin: "https://evil.example", Accept: "text/html" });
      expect(response.status).toBe(403);
      expect(response.headers.get("Cache-Control")).toBe("no-store");
      expect(await response.json()).toEqual({
        error: "websocket_origin_not_allowed",
        error_description: "This site accepts WebSockets from its own pages only. Its operator can allow another site's in GATEWAY_WEBSOCKET_ORIGINS.",
      });
    }
  });
});

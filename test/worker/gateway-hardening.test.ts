// Gateway mode, issue 19's findings: what the origin receives and what the browser gets back, against servers as they really parse.
// (What needs raw HTTP through workerd, paths, Cookie joins and bodies, is in test/node/gateway-runtime.test.ts.)
import { env } from "cloudflare:workers";
import { describe, expect, inject, it, vi } from "vitest";
import worker from "../../src/index";
import { nextClientIp } from "./support/browser";
import type { Echo } from "./support/echo";
import { SITE, answer, echoed, gateway, send, sessionCookie } from "./support/gateway";
import { BURST_BUDGET_MS, inOneRateLimitWindow } from "./support/rate-limit-window";

/** The header names the origin received, as CGI, WSGI and Rack fold them: upper case, `-` as `_`, under `HTTP_`. */
function cgiNames(seen: Echo): string[] {
  return seen.rawHeaders.filter((_, i) => i % 2 === 0).map((name) => `HTTP_${name.toUpperCase().replaceAll("-", "_")}`);
}

/** The values of the header lines that fold onto this CGI name. */
function cgiValues(seen: Echo, cgiName: string): string[] {
  return seen.rawHeaders.filter((_, i) => i % 2 === 1 && `HTTP_${seen.rawHeaders[i - 1]!.toUpperCase().replaceAll("-", "_")}` === cgiName);
}

describe("header names an origin folds together", () => {
  const spellings = {
    X_Twitter_User_Id: "1",
    X_Twitter_Screen_Name: "alice",
    "X-Twitter_Name": "Alice",
    x_twitter_signature: "t=1,v1=00",
    X_Forwarded_Host: "evil.example",
    X_Forwarded_For: "203.0.113.66",
    X_Forwarded_Proto: "gopher",
    X_Real_IP: "203.0.113.66",
    X_Original_URL: "/admin",
    Client_IP: "203.0.113.66",
    "X.Twitter.Screen.Name": "alice",
  };

  it("never lets a client header fold onto one the gateway sets or strips, signed in", async () => {
    const cookie = await sessionCookie("gw_fold_mallory");
    const seen = await echoed(await send(gateway(), "/echo", { ...spellings, Cookie: cookie, "CF-Connecting-IP": "198.51.100.7" }));
    expect(cgiValues(seen, "HTTP_X_TWITTER_SCREEN_NAME")).toEqual(["gw_fold_mallory"]);
    expect(cgiValues(seen, "HTTP_X_TWITTER_USER_ID")).toHaveLength(1);
    expect(cgiValues(seen, "HTTP_X_TWITTER_USER_ID")[0]).toMatch(/^\d{19}$/);
    expect(cgiValues(seen, "HTTP_X_TWITTER_NAME")).toEqual(["gw_fold_mallory"]);
    expect(cgiValues(seen, "HTTP_X_TWITTER_SIGNATURE")).toEqual([]);
    expect(cgiValues(seen, "HTTP_X_FORWARDED_HOST")).toEqual(["localhost:8787"]);
    expect(cgiValues(seen, "HTTP_X_FORWARDED_FOR")).toEqual(["198.51.100.7"]);
    expect(cgiValues(seen, "HTTP_X_FORWARDED_PROTO")).toEqual(["http"]);
    expect(cgiValues(seen, "HTTP_X_REAL_IP")).toEqual(["198.51.100.7"]);
    for (const name of ["HTTP_X_ORIGINAL_URL", "HTTP_CLIENT_IP"]) expect(cgiValues(seen, name), name).toEqual([]);
  });

  it("passes no header whose name holds anything but letters, digits and -, signed out on a public path too", async () => {
    const seen = await echoed(await send(gateway(), "/assets/echo", spellings));
    expect(cgiNames(seen).filter((name) => name.startsWith("HTTP_X_TWITTER"))).toEqual([]);
    expect(seen.rawHeaders.filter((_, i) => i % 2 === 0 && /[^A-Za-z0-9-]/.test(seen.rawHeaders[i]!))).toEqual([]);
  });
});

describe("headers that change path, method or client address at the origin", () => {
  const family = [
    "X-Original-URL",
    "X-Original-URI",
    "X-Original-Host",
    "X-Original-Method",
    "X-Rewrite-URL",
    "X-HTTP-Method-Override",
    "X-HTTP-Method",
    "X-Method-Override",
    "Client-IP",
    "X-Client-IP",
    "X-Cluster-Client-IP",
    "Fastly-Client-IP",
    "WL-Proxy-Client-IP",
    "X-Originating-IP",
    "X-Remote-IP",
    "X-Remote-Addr",
    "X-ProxyUser-IP",
    "X-Host",
    "X-Forwarded-Server",
    "X-Forwarded-Prefix",
    "X-Forwarded-Port",
    "Front-End-Https",
    "X-Url-Scheme",
  ];
  const headers = Object.fromEntries(family.map((name, i) => [name, `planted-${i}`]));
  const kept = { "X-Requested-With": "XMLHttpRequest", "X-CSRF-Token": "token-1", Authorization: "Bearer site-token", "X-App-Version": "7" };

  for (const signedIn of [true, false]) {
    it(`strips the whole family ${signedIn ? "for a signed-in user" : "signed out on a public path"}, and passes the site's own headers`, async () => {
      const cookie: Record<string, string> = signedIn ? { Cookie: await sessionCookie("gw_family") } : {};
      const seen = await echoed(await send(gateway(), signedIn ? "/echo" : "/assets/echo", { ...headers, ...kept, ...cookie }));
      const received = seen.rawHeaders.join("\n");
      for (const [i, name] of family.entries()) expect(received, name).not.toContain(`planted-${i}`);
      expect(seen.headers).toMatchObject({ "x-requested-with": "XMLHttpRequest", "x-csrf-token": "token-1", authorization: "Bearer site-token", "x-app-version": "7" });
    });
  }
});

describe("another Host", () => {
  /** A request to the Worker at another origin than SITE. */
  const at = (url: string, bindings: Cloudflare.Env, headers: Record<string, string> = {}) =>
    Promise.resolve(worker.request(url, { headers: { "CF-Connecting-IP": nextClientIp(), ...headers }, redirect: "manual" }, bindings));

  it("is refused with 400 wrong_host on every path when PUBLIC_ORIGIN is set", async () => {
    const bindings = gateway({ PUBLIC_ORIGIN: SITE });
    const cookie = await sessionCookie("gw_host");
    for (const url of ["http://evil.example/echo", "http://evil.example/assets/echo", "https://localhost:8787/echo", "http://twitter-login.example.workers.dev/", "http://evil.example/_auth/me"]) {
      const response = await at(url, bindings, { Cookie: cookie, Accept: "application/json" });
      expect(response.status, url).toBe(400);
      const description = new URL(url).pathname.startsWith("/_auth/") ? `This sign-in is served at ${SITE}. Open it there.` : `This site is served at ${SITE}. Open it there.`;
      expect(await response.json(), url).toEqual({ error: "wrong_host", error_description: description });
    }
  });

  it("serves the gateway on whatever host was asked for when PUBLIC_ORIGIN is unset (workers.dev included)", async () => {
    const seen = await echoed(await at("http://twitter-login.example.workers.dev/assets/echo", gateway()));
    expect(seen.headers["x-forwarded-host"]).toBe("twitter-login.example.workers.dev");
  });
});

describe("what the browser gets back from the origin", () => {
  it("loses the Clear-Site-Data types that would clear the sign-in's cookies, signed in or not", async () => {
    const cookie = { Cookie: await sessionCookie("gw_clear") };
    for (const [path, headers] of [["", cookie], ["/assets", {}]] as const) {
      const only = await send(gateway(), path + answer(200, 'Clear-Site-Data:"cookies"'), headers);
      expect(only.headers.has("Clear-Site-Data"), path).toBe(false);
      const all = await send(gateway(), path + answer(200, 'Clear-Site-Data:"*"'), headers);
      expect(all.headers.has("Clear-Site-Data"), path).toBe(false);
      const mixed = await send(gateway(), path + answer(200, 'Clear-Site-Data:"cache", "Cookies", "storage"'), headers);
      expect(mixed.headers.get("Clear-Site-Data"), path).toBe('"cache", "storage"');
    }
  });

  it("drops every targeted cache header (RFC 9213 and the vendors') from a signed-in user's answer, and keeps them on public paths", async () => {
    const targeted = ["CDN-Cache-Control", "Cloudflare-CDN-Cache-Control", "Akamai-Cache-Control", "Vercel-CDN-Cache-Control", "Surrogate-Control", "Edge-Control"];
    const path = answer(200, "Cache-Control:public, max-age=60", ...targeted.map((name) => `${name}:public, max-age=86400`));
    const signedIn = await send(gateway(), path, { Cookie: await sessionCookie("gw_cdn") });
    for (const name of targeted) expect(signedIn.headers.get(name), name).toBeNull();
    expect(signedIn.headers.get("Cache-Control")).toBe("private, max-age=60");
    const asset = await send(gateway(), `/assets${path}`);
    for (const name of targeted) expect(asset.headers.get(name), name).toBe("public, max-age=86400");
  });

  it("rewrites the origin's own address in Location (scheme-relative, any scheme), Content-Location and Refresh", async () => {
    const origin = inject("testOrigin");
    const host = new URL(origin).host;
    const cookie = { Cookie: await sessionCookie("gw_address") };
    const rewritten = [
      ["Location", `//${host}/x?y=1#z`, `${SITE}/x?y=1#z`],
      ["Location", `https://${host}/secure`, `${SITE}/secure`],
      ["Location", `/\\${host}/slashes`, `${SITE}/slashes`],
      ["Content-Location", `${origin}/doc.json`, `${SITE}/doc.json`],
      ["Refresh", `0; url=${origin}/next`, `0; url=${SITE}/next`],
      ["Refresh", `5;URL='//${host}/a'`, `5;URL='${SITE}/a'`],
    ];
    const kept = [
      ["Location", "/relative"],
      ["Location", "https://partner.example/x"],
      ["Content-Location", "/doc.json"],
      ["Refresh", "5"],
      ["Refresh", "1; url=https://partner.example/"],
    ];
    for (const [path, headers] of [["", cookie], ["/assets", {}]] as const) {
      for (const [name, value, expected] of rewritten) expect((await send(gateway(), path + answer(200, `${name}:${value}`), headers)).headers.get(name!), `${path} ${name}: ${value}`).toBe(expected);
      for (const [name, value] of kept) expect((await send(gateway(), path + answer(200, `${name}:${value}`), headers)).headers.get(name!), `${path} ${name}: ${value}`).toBe(value);
    }
  });
});

describe("settings that would fail open", () => {
  const misconfigured = async (settings: Record<string, string>, description: string) => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    for (const path of ["/", "/assets/app.css", "/_auth/login"]) {
      const response = await send(gateway(settings), path);
      expect(response.status, path).toBe(500);
      expect(await response.json(), path).toEqual({ error: "server_misconfigured", error_description: description });
    }
    vi.restoreAllMocks();
  };

  it("refuses PUBLIC_PATHS holding /, the whole site, with a 500 naming it", async () => {
    for (const value of ["/", "/assets/, /", " / "]) {
      await misconfigured({ PUBLIC_PATHS: value }, "The server's PUBLIC_PATHS setting is a list holding /, which would make the whole site public. Fix it in wrangler.toml [vars] or .dev.vars.");
    }
  });

  it("refuses an allow-list that is set but lists nobody, empty string included, with a 500 naming it", async () => {
    for (const name of ["ALLOWED_SCREEN_NAMES", "ALLOWED_USER_IDS"]) {
      for (const value of [" , ", ",", "", "  "]) {
        await misconfigured({ [name]: value }, `The server's ${name} setting is set but lists nobody (remove it to admit anyone who signs in). Fix it in wrangler.toml [vars] or .dev.vars.`);
      }
    }
  });
});

describe("KV writes before anyone signs in", () => {
  const login = async (address: string) => {
    const response = await worker.request(`${SITE}/login`, { headers: { "CF-Connecting-IP": address }, redirect: "manual" }, env);
    return { status: response.status, body: response.status === 302 ? null : await response.json() };
  };

  it("lets one IPv6 /64 start no more sign-ins (each a KV write) than one address may; its /48 neighbours keep theirs (issue 25: the /48 has its own, looser limit)", async () => {
    // In 3fff::/20 (RFC 9637's documentation block), apart from the other tests' 2001:db8::/32.
    const [a, b] = [Math.floor(Math.random() * 0xfff), Math.floor(Math.random() * 0xfffe)];
    const subnet = `3fff:${a.toString(16)}:${b.toString(16)}:1`;
    const outcomes = await inOneRateLimitWindow(async () => {
      const outcomes = [];
      for (let host = 1; host <= 12; host++) outcomes.push(await login(`${subnet}::${host.toString(16)}`));
      return outcomes;
    });
    expect(outcomes.map(({ status }) => status)).toEqual([...Array<number>(10).fill(302), 429, 429]);
    expect(outcomes[11]!.body).toEqual({ error: "rate_limited", error_description: "Too many sign-ins from your network. Try again in 60 seconds." });
    // Another /64 of the same /48 is counted apart (the /48's own limit, 200 a minute: rate-limit.test.ts).
    expect((await login(`3fff:${a.toString(16)}:${b.toString(16)}:2::1`)).status).toBe(302);
  }, 5_000 + 2 * BURST_BUDGET_MS);
});

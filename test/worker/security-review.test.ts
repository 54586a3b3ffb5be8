// The security review's findings, each reproduced as the attack and shown refused.
import { env } from "cloudflare:workers";
import { Hono } from "hono";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createApp } from "../../src/app";
import { type TwitterAuthEnv, twitterAuth } from "../../src/twitter-auth";
import { decide, kvKeys, nextClientIp, standInOrigin } from "./support/browser";
import { clearFaults, faultyEnv, faultyOrigin, setFault } from "./support/faulty";
import { BURST_BUDGET_MS, inOneRateLimitWindow } from "./support/rate-limit-window";

const REQUEST_TOKENS = "request-token:";
const SESSIONS = "session:";
type ErrorBody = { error: string; error_description: string };

function send(app: Hono<TwitterAuthEnv>, url: string, init: RequestInit = {}, bindings: Cloudflare.Env = env): Promise<Response> {
  const headers = new Headers(init.headers);
  if (!headers.has("CF-Connecting-IP")) headers.set("CF-Connecting-IP", nextClientIp());
  return Promise.resolve(app.request(url, { redirect: "manual", ...init, headers }, bindings));
}

/** The `name=value` of the cookie a response set whose name starts with `name`. */
function cookieNamed(response: Response, name: RegExp): string | undefined {
  return response.headers.getSetCookie().find((cookie) => name.test(cookie.split("=")[0]!));
}

/** The user's consent on the stand-in that issued this /login redirect. */
async function consent(login: Response, screenName: string, origin = standInOrigin()): Promise<URL> {
  const oauthToken = new URL(login.headers.get("Location")!).searchParams.get("oauth_token")!;
  const response = await fetch(`${origin}/oauth/authorize`, {
    method: "POST",
    body: new URLSearchParams({ oauth_token: oauthToken, screen_name: screenName, action: "allow" }),
    redirect: "manual",
  });
  return new URL(response.headers.get("Location")!);
}

/** The `name=value` of the first cookie a response set (the request-token cookie of a /login). */
function firstCookie(response: Response): string {
  return response.headers.getSetCookie()[0]!.split(";")[0]!;
}

/**
 * A whole sign-in: GET loginUrl, the user's consent on the stand-in, X's callback with the
 * request-token cookie (and `extraCookie`, such as an earlier session's). The callback's answer,
 * its session cookie as `name=value`, and the session's id.
 */
async function signInVia(
  app: Hono<TwitterAuthEnv>,
  loginUrl: string,
  screenName: string,
  options: { bindings?: Cloudflare.Env; standIn?: string; extraCookie?: string } = {},
): Promise<{ auth: Response; session: string; id: string }> {
  const login = await send(app, loginUrl, {}, options.bindings);
  const back = await consent(login, screenName, options.standIn);
  const cookie = [firstCookie(login), options.extraCookie].filter(Boolean).join("; ");
  const auth = await send(app, back.href, { headers: { Cookie: cookie } }, options.bindings);
  const session = cookieNamed(auth, /twitter_session$/)!.split(";")[0]!;
  return { auth, session, id: decodeURIComponent(session.split("=")[1]!).split(".")[0]! };
}

async function expectRefused(response: Response, status: number, code: string): Promise<ErrorBody> {
  expect(response.status).toBe(status);
  const body = (await response.json()) as ErrorBody;
  expect(body.error).toBe(code);
  expect(response.headers.getSetCookie()).toEqual([]);
  return body;
}

describe("Low 1: the callback URL no longer follows the Host header when PUBLIC_ORIGIN is set", () => {
  const configured = () => ({ ...env, PUBLIC_ORIGIN: "https://login.example.org" });

  it("refuses a request for another host before anything is stored or sent to X", async () => {
    const before = await kvKeys(env.AUTH_KV, REQUEST_TOKENS);
    for (const url of ["https://evil.example/login", "http://login.example.org/login", "https://login.example.org:8443/login"]) {
      const body = await expectRefused(await send(createApp(), url, {}, configured()), 400, "wrong_host");
      expect(body.error_description).toBe("This sign-in is served at https://login.example.org. Open it there.");
    }
    await expectRefused(await send(createApp(), "https://evil.example/auth?oauth_token=a&oauth_verifier=b", {}, configured()), 400, "wrong_host");
    expect(await kvKeys(env.AUTH_KV, REQUEST_TOKENS)).toEqual(before);
  });

  it("builds the callback from PUBLIC_ORIGIN (and the twitterAuth() option of the same name)", async () => {
    const login = await send(createApp(), "https://login.example.org/login", {}, configured());
    expect(login.status).toBe(302);
    expect((await consent(login, "public_origin")).href).toMatch(/^https:\/\/login\.example\.org\/auth\?/);

    const app = new Hono<TwitterAuthEnv>().route("/auth/twitter", twitterAuth({ publicOrigin: "https://login.example.org" }));
    await expectRefused(await send(app, "https://evil.example/auth/twitter/login"), 400, "wrong_host");
    const mounted = await send(app, "https://login.example.org/auth/twitter/login");
    expect((await consent(mounted, "origin_option")).href).toMatch(/^https:\/\/login\.example\.org\/auth\/twitter\/auth\?/);
  });

  it("answers 500 when PUBLIC_ORIGIN is not an origin: naming it locally and in the log, not to a visitor of the deployed site", async () => {
    for (const value of ["login.example.org", "https://login.example.org/path", "ftp://login.example.org"]) {
      const lines: string[] = [];
      const spy = vi.spyOn(console, "error").mockImplementation((...args: unknown[]) => void lines.push(args.map(String).join(" ")));
      try {
        const deployed = await send(createApp(), "https://login.example.org/login", {}, { ...env, PUBLIC_ORIGIN: value });
        expect(deployed.status).toBe(500);
        expect(await deployed.json()).toEqual({
          error: "server_misconfigured",
          error_description: "This site's sign-in is not configured yet. Its operator can see what is missing in the Worker's logs.",
        });
        expect(lines).toEqual([JSON.stringify({ event: "server_misconfigured", settings: ["PUBLIC_ORIGIN"] })]);
      } finally {
        spy.mockRestore();
      }
      const local = await send(createApp(), "http://localhost/login", {}, { ...env, PUBLIC_ORIGIN: value });
      expect(local.status).toBe(500);
      expect(((await local.json()) as ErrorBody).error_description).toContain("PUBLIC_ORIGIN");
    }
  });
});

describe("Low 2: the mount prefix comes from the matched route, and only a plain path is accepted", () => {
  const tenants = () => new Hono<TwitterAuthEnv>().route("/:tenant", twitterAuth());

  for (const [attack, path] of [
    ["cookie attributes injected through the path", "/x;%20SameSite=None;%20Max-Age=99999999/login"],
    ["a backslash that turns the callback into another host", "/%5Cevil.com/login"],
    ["a header injection", "/x%0D%0ASet-Cookie:%20a=b/login"],
    // (A plain %2E%2E never gets this far: the URL parser resolves it. Decoded once by the router, this one would.)
    ["a double-encoded dot-dot segment", "/%252E%252E/login"],
  ] as const) {
    it(`refuses ${attack} under a parameterised mount, storing and sending nothing`, async () => {
      const before = await kvKeys(env.AUTH_KV, REQUEST_TOKENS);
      const response = await send(tenants(), `http://localhost:8787${path}`);
      const body = await expectRefused(response, 400, "invalid_request");
      expect(body.error_description).toBe("The sign-in is mounted under a path it cannot use: only letters, digits and . _ ~ - between slashes.");
      expect(await kvKeys(env.AUTH_KV, REQUEST_TOKENS)).toEqual(before);
    });
  }

  it("signs in under a plain tenant path, with the callback beside the matched /login", async () => {
    const app = tenants();
    const login = await send(app, "http://localhost:8787/acme/login");
    expect(login.status).toBe(302);
    const back = await consent(login, "tenant_user");
    expect(back.origin + back.pathname).toBe("http://localhost:8787/acme/auth");
    const cookie = cookieNamed(login, /^twitter_login/)!.split(";")[0]!;
    expect((await send(app, back.href, { headers: { Cookie: cookie } })).status).toBe(200);
  });

  it("keeps the callback inside the mount when a non-strict parent matches /login/", async () => {
    const app = new Hono<TwitterAuthEnv>({ strict: false }).route("/auth/twitter", twitterAuth());
    const login = await send(app, "http://localhost:8787/auth/twitter/login/");
    expect(login.status).toBe(302);
    const back = await consent(login, "trailing_slash");
    expect(back.origin + back.pathname).toBe("http://localhost:8787/auth/twitter/auth");
  });
});

describe("Low 3: the request-token cookie is __Host- with Path=/, named after its mount", () => {
  const mounted = () => new Hono<TwitterAuthEnv>().route("/auth/twitter", twitterAuth());

  it("sets __Host-twitter_login%2Fauth%2Ftwitter over https, never __Secure-", async () => {
    const login = await send(mounted(), "https://login.example.org/auth/twitter/login");
    const [header] = login.headers.getSetCookie();
    expect(header).toMatch(/^__Host-twitter_login%2Fauth%2Ftwitter=[^;]+; Max-Age=900; Path=\/; HttpOnly; Secure; SameSite=Lax$/);
  });

  it("ignores a __Secure- cookie tossed in by a sibling subdomain (login CSRF: the victim is not signed in as the attacker)", async () => {
    const app = mounted();
    // The attacker starts a sign-in in their own browser and authorizes as themselves...
    const attackerLogin = await send(app, "https://login.example.org/auth/twitter/login");
    const attackerValue = firstCookie(attackerLogin).split("=")[1]!;
    const back = await consent(attackerLogin, "attacker");
    // ...then plants their cookie, as evil.example.org can with Domain=example.org (any name but a
    // __Host- one), and sends the victim to the callback.
    for (const name of ["__Secure-twitter_login", "__Secure-twitter_login%2Fauth%2Ftwitter", "twitter_login%2Fauth%2Ftwitter"]) {
      const victim = await send(app, back.href, { headers: { Cookie: `${name}=${attackerValue}` } });
      expect(victim.status).toBe(400);
      expect(((await victim.json()) as ErrorBody).error).toBe("missing_cookie");
    }
  });

  it("reads the session cookie over https only under its __Host- name", async () => {
    const app = mounted();
    const { auth } = await signInVia(app, "https://login.example.org/auth/twitter/login", "tossed_session");
    const value = cookieNamed(auth, /^__Host-twitter_session$/)!.split(";")[0]!.split("=")[1]!;
    expect((await send(app, "https://login.example.org/auth/twitter/me", { headers: { Cookie: `__Host-twitter_session=${value}` } })).status).toBe(200);
    for (const name of ["twitter_session", "__Secure-twitter_session"]) {
      expect((await send(app, "https://login.example.org/auth/twitter/me", { headers: { Cookie: `${name}=${value}` } })).status).toBe(401);
    }
  });

  it("keeps two mounts' sign-ins apart in one browser", async () => {
    const app = new Hono<TwitterAuthEnv>().route("/a", twitterAuth()).route("/b", twitterAuth());
    const loginA = await send(app, "http://localhost:8787/a/login");
    const loginB = await send(app, "http://localhost:8787/b/login");
    const cookieA = firstCookie(loginA);
    const cookieB = firstCookie(loginB);
    expect(cookieA.split("=")[0]).toBe("twitter_login%2Fa");
    expect(cookieB.split("=")[0]).toBe("twitter_login%2Fb");
    const both = `${cookieA}; ${cookieB}`;
    expect((await send(app, (await consent(loginA, "mount_a")).href, { headers: { Cookie: both } })).status).toBe(200);
    expect((await send(app, (await consent(loginB, "mount_b")).href, { headers: { Cookie: both } })).status).toBe(200);
  });
});

describe("Low 4: the avatar's origin enters the CSP only as a plain https host", () => {
  beforeEach(clearFaults);
  afterEach(clearFaults);

  for (const avatar of ["https://*/x.png", "https://x.example;script-src/x.png", "https://a,img-src/x", "http://pbs.example/x.png", "https://pbs.example'/x.png"]) {
    it(`shows no image and keeps img-src 'none' for ${avatar}`, async () => {
      const user = { id: 1, id_str: "1", screen_name: "hostile_avatar", name: "Hostile", profile_image_url_https: avatar };
      await setFault("verify_credentials", { kind: "garbage", body: JSON.stringify(user), times: 1 });
      const app = createApp();
      const { auth, session } = await signInVia(app, "http://localhost:8787/login", "hostile_avatar", { bindings: faultyEnv(), standIn: faultyOrigin() });
      expect(auth.status).toBe(200);
      const page = await send(app, "http://localhost:8787/", { headers: { Cookie: session } }, faultyEnv());
      expect(await page.text()).not.toContain("<img");
      const policy = page.headers.get("Content-Security-Policy")!;
      expect(policy).toContain("img-src 'none';");
      expect(policy.split(";").map((directive) => directive.trim().split(" ")[0])).toEqual(["default-src", "style-src", "img-src", "form-action", "base-uri", "frame-ancestors"]);
    });
  }

  it("still shows an avatar on a plain https host, with that origin alone in img-src", async () => {
    const user = { id: 2, id_str: "2", screen_name: "good_avatar", name: "Good", profile_image_url_https: "https://pbs.example:8443/a/b.png" };
    await setFault("verify_credentials", { kind: "garbage", body: JSON.stringify(user), times: 1 });
    const app = createApp();
    const { session } = await signInVia(app, "http://localhost:8787/login", "good_avatar", { bindings: faultyEnv(), standIn: faultyOrigin() });
    const page = await send(app, "http://localhost:8787/", { headers: { Cookie: session } }, faultyEnv());
    expect(page.headers.get("Content-Security-Policy")).toContain("img-src https://pbs.example:8443;");
    expect(await page.text()).toContain('<img class="avatar" src="https://pbs.example:8443/a/b.png"');
  });
});

describe("Low 4, in development: the local stand-in's http avatar", () => {
  it("is shown on a page served from loopback, and not on a page served from a public host", async () => {
    const app = createApp();
    for (const [site, shown] of [["http://localhost:8787", true], ["https://login.example.org", false]] as const) {
      const { session } = await signInVia(app, `${site}/login`, "loopback_avatar");
      const page = await send(app, `${site}/`, { headers: { Cookie: session } });
      expect(page.headers.get("Content-Security-Policy")).toContain(shown ? `img-src ${standInOrigin()};` : "img-src 'none';");
      expect((await page.text()).includes("<img")).toBe(shown);
    }
  });
});

// Low 5 (/login's rate limit per IPv6 /48 and IPv4 address) became two limits, per /64 and per /48, in issue 25: rate-limit.test.ts.

describe("Informational: sessions", () => {
  const signIn = (screenName: string, extraCookie?: string) => signInVia(createApp(), "http://localhost:8787/login", screenName, extraCookie ? { extraCookie } : {});
  const me = (session: string) => send(createApp(), "http://localhost:8787/me", { headers: { Cookie: session } });

  it("ends the browser's previous session when it signs in again", async () => {
    const first = await signIn("first_session");
    expect((await me(first.session)).status).toBe(200);
    const second = await signIn("second_session", first.session);
    expect((await me(second.session)).status).toBe(200);
    expect((await me(first.session)).status).toBe(401);
    expect(await env.AUTH_KV.get(SESSIONS + first.id)).toBeNull();
  });

  it("treats a session record altered in KV (another user's record copied in) as no session", async () => {
    const victim = await signIn("record_victim");
    const other = await signIn("record_other");
    await env.AUTH_KV.put(SESSIONS + victim.id, (await env.AUTH_KV.get(SESSIONS + other.id))!);
    const response = await me(victim.session);
    expect(response.status).toBe(401);
    expect(((await response.json()) as ErrorBody).error).toBe("not_signed_in");
  });

  it("treats a session record whose profile was edited in KV as no session", async () => {
    const victim = await signIn("profile_edit");
    const text = (await env.AUTH_KV.get(SESSIONS + victim.id))!;
    let altered: string;
    try {
      const record = JSON.parse(text) as { profile?: { screenName: string } };
      if (!record.profile) throw new Error("sealed");
      record.profile.screenName = "someone_else";
      altered = JSON.stringify(record);
    } catch {
      altered = text.slice(0, -2) + (text.endsWith("AA") ? "BB" : "AA");
    }
    await env.AUTH_KV.put(SESSIONS + victim.id, altered);
    expect((await me(victim.session)).status).toBe(401);
  });

  it("does not keep the profile in clear in KV", async () => {
    const { id } = await signIn("sealed_profile");
    expect(await env.AUTH_KV.get(SESSIONS + id)).not.toContain("sealed_profile");
  });
});

describe("Informational: next", () => {
  async function afterSignIn(next: string): Promise<Response> {
    const app = createApp();
    const login = await send(app, `http://localhost:8787/login?next=${next}`);
    if (login.status !== 302) return login;
    const back = await consent(login, "next_user");
    return send(app, back.href, { headers: { Cookie: firstCookie(login) } });
  }

  it("refuses C1 control characters", async () => {
    for (const next of ["%2F%C2%85x", "%2Fa%C2%9Bb", "%2F%C2%80"]) await expectRefused(await afterSignIn(next), 400, "invalid_request");
  });

  it("percent-encodes what is not ASCII in Location, and only that", async () => {
    // U+00E9 alone would go out as a raw Latin-1 byte.
    const cafe = await afterSignIn("%2Fcaf%C3%A9");
    expect(cafe.status).toBe(303);
    expect(cafe.headers.get("Location")).toBe("/caf%C3%A9");
    // An escape already in the path stays as it is (encodeURI of the whole would turn %20 into %2520).
    const mixed = await afterSignIn("%2F%E6%97%A5%2520x%3Fq%3D%C3%A9");
    expect(mixed.headers.get("Location")).toBe("/%E6%97%A5%20x?q=%C3%A9");
  });
});

describe("Informational: the cookie signature's base64 is compared in its canonical form", () => {
  it("refuses a signature whose last character differs only in the two unused bits, and leaves the sign-in usable", async () => {
    const app = createApp();
    const login = await send(app, "http://localhost:8787/login");
    const [name, value] = firstCookie(login).split("=") as [string, string];
    const signed = decodeURIComponent(value);
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const last = signed.at(-2)!;
    const twin = alphabet[alphabet.indexOf(last) ^ 1]!;
    const malleated = `${signed.slice(0, -2)}${twin}=`;
    expect(atob(malleated.split(".")[2]!)).toBe(atob(signed.split(".")[2]!));
    const back = await consent(login, "malleable");
    const refused = await send(app, back.href, { headers: { Cookie: `${name}=${encodeURIComponent(malleated)}` } });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as ErrorBody).error).toBe("invalid_cookie");
    expect((await send(app, back.href, { headers: { Cookie: `${name}=${value}` } })).status).toBe(200);
  });
});

describe("Informational: 405 with Allow", () => {
  for (const [method, path, allow] of [
    ["GET", "/logout", "POST"],
    ["DELETE", "/logout", "POST"],
    ["OPTIONS", "/logout", "POST"],
    ["POST", "/login", "GET"],
    ["OPTIONS", "/login", "GET"],
    ["PUT", "/auth", "GET"],
    ["OPTIONS", "/me", "GET, HEAD"],
  ] as const) {
    it(`answers ${method} ${path} with 405 and Allow: ${allow}`, async () => {
      const response = await send(createApp(), `http://localhost:8787${path}`, { method });
      expect(response.status).toBe(405);
      expect(response.headers.get("Allow")).toBe(allow);
      expect(await response.json()).toEqual({ error: "method_not_allowed", error_description: `Use ${allow.replace(", HEAD", " (or HEAD)")} for ${path}.` });
    });
  }
});

describe("Second review: what the fixes themselves must not break", () => {
  afterEach(() => vi.restoreAllMocks());

  it("puts nothing of the sign-in (headers, bounds, host check, settings) on the host app's own routes, even mounted at /", async () => {
    const app = new Hono<TwitterAuthEnv>().route("/", twitterAuth({ publicOrigin: "https://login.example.org" }));
    app.get("/dashboard", (c) => c.html("<script src=/app.js></script>"));
    app.get("/auth/extra", (c) => c.text("the host's own"));
    const broken = { ...env, SESSION_SECRET: undefined };
    for (const url of ["https://login.example.org/dashboard", "https://other.example.org/dashboard", `https://login.example.org/dashboard?${"a".repeat(3000)}`, "https://login.example.org/auth/extra"]) {
      const response = await send(app, url, {}, broken);
      expect(response.status).toBe(200);
      expect(response.headers.get("Content-Security-Policy")).toBeNull();
      expect(response.headers.get("X-Frame-Options")).toBeNull();
    }
    // Its own routes still get them, and never HSTS, which binds the whole host: the site's decision.
    const login = await send(app, "https://login.example.org/login");
    expect(login.status).toBe(302);
    expect(login.headers.get("Content-Security-Policy")).toContain("default-src 'none'");
    expect(login.headers.get("Strict-Transport-Security")).toBeNull();
    expect((await send(app, "https://other.example.org/login")).status).toBe(400);
  });

  it("sends nothing to X for a request it refuses for its host or its mount path", async () => {
    const calls = vi.spyOn(globalThis, "fetch");
    await send(createApp(), "https://evil.example/login", {}, { ...env, PUBLIC_ORIGIN: "https://login.example.org" });
    await send(new Hono<TwitterAuthEnv>().route("/:tenant", twitterAuth()), "http://localhost:8787/x;%20Path=%2F/login");
    expect(calls).not.toHaveBeenCalled();
    // (And the spy does see a sign-in's call to X.)
    await send(createApp(), "http://localhost:8787/login");
    expect(calls).toHaveBeenCalled();
  });

  it("answers HEAD on /login and /auth with 405 (Allow: GET), starting and using up nothing", async () => {
    const before = await kvKeys(env.AUTH_KV, REQUEST_TOKENS);
    const calls = vi.spyOn(globalThis, "fetch");
    for (const path of ["/login", "/auth?oauth_token=a&oauth_verifier=b"]) {
      const response = await send(createApp(), `http://localhost:8787${path}`, { method: "HEAD" });
      expect(response.status).toBe(405);
      expect(response.headers.get("Allow")).toBe("GET");
    }
    expect(calls).not.toHaveBeenCalled();
    expect(await kvKeys(env.AUTH_KV, REQUEST_TOKENS)).toEqual(before);
    expect((await send(createApp(), "http://localhost:8787/me", { method: "HEAD" })).status).toBe(401);
  });

  it("does not follow a next that was altered in KV (an open redirect for whoever can write there)", async () => {
    const app = createApp();
    const login = await send(app, "http://localhost:8787/login?next=%2Fok");
    const id = decodeURIComponent(firstCookie(login).split("=")[1]!).split(".")[0]!;
    const record = JSON.parse((await env.AUTH_KV.get(REQUEST_TOKENS + id))!) as { next: string };
    expect(record.next).toBe("/ok");
    await env.AUTH_KV.put(REQUEST_TOKENS + id, JSON.stringify({ ...record, next: "https://evil.example/phish" }));
    const back = await consent(login, "kv_next");
    const response = await send(app, back.href, { headers: { Cookie: firstCookie(login) } });
    expect(response.status).toBe(400);
    expect(response.headers.get("Location")).toBeNull();
    expect(((await response.json()) as ErrorBody).error).toBe("expired_sign_in");
  });

  it("keeps the new session when deleting the previous one fails, and keeps the request-token cookie when KV fails before it is used", async () => {
    const app = createApp();
    const { session: oldSession } = await signInVia(app, "http://localhost:8787/login", "kv_first");

    const failingDeletes = {
      ...env,
      AUTH_KV: new Proxy(env.AUTH_KV, {
        get: (target, key) => (key === "delete" ? async (name: string) => (name.startsWith(SESSIONS) ? Promise.reject(new Error("KV delete failed")) : target.delete(name)) : Reflect.get(target, key).bind(target)),
      }),
    };
    const second = await send(app, "http://localhost:8787/login", {}, failingDeletes);
    const secondBack = await consent(second, "kv_second");
    const cookies = `${firstCookie(second)}; ${oldSession}`;
    const secondAuth = await send(app, secondBack.href, { headers: { Cookie: cookies } }, failingDeletes);
    expect(secondAuth.status).toBe(200);
    expect(cookieNamed(secondAuth, /twitter_session$/)).toMatch(/Max-Age=604800/);

    const failingReads = { ...env, AUTH_KV: { get: async () => Promise.reject(new Error("KV get failed")) } as unknown as KVNamespace };
    const third = await send(app, "http://localhost:8787/login");
    const thirdBack = await consent(third, "kv_third");
    const thirdCookie = firstCookie(third);
    const unavailable = await send(app, thirdBack.href, { headers: { Cookie: thirdCookie } }, failingReads);
    expect(unavailable.status).toBe(503);
    expect(unavailable.headers.getSetCookie()).toEqual([]);
    expect((await send(app, thirdBack.href, { headers: { Cookie: thirdCookie } })).status).toBe(200);
  });

  it("takes a TOML boolean or number for the variables that hold one, and names AUTH_KV when called with no bindings at all", async () => {
    const settings = { ...env, TWITTER_INCLUDE_EMAIL: true, TWITTER_TIMEOUT_MS: 5000, SESSION_TTL_SECONDS: 3600 };
    expect((await send(createApp(), "http://localhost:8787/login", {}, settings)).status).toBe(302);
    const bare = await createApp().request("http://localhost:8787/login");
    expect(bare.status).toBe(500);
    expect(((await bare.json()) as ErrorBody).error_description).toContain("AUTH_KV");
  });
});

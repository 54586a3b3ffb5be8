// TWITTER_PROFILE_ENDPOINT=none: the user from X's oauth/access_token answer, no profile call (nothing billed at X), on both stores.
import { Hono } from "hono";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { GatewayEnv } from "../../src/env";
import { type TwitterAuthEnv, twitterAuth } from "../../src/twitter-auth";
import { kvKeys, standInOrigin } from "./support/browser";
import { clearFaults, completeSignIn, faultyEnv, setFault } from "./support/faulty";
import { echoed, gateway, send as sendToGateway } from "./support/gateway";
import { ENVS, STORES, expectError, get, send, sessionCookieOf, sessionOf } from "./support/stores";

type EndpointCounts = { requests: number; accepted: number };
type StandInStats = { endpoints: Record<string, EndpointCounts> };

const none = (base: Cloudflare.Env, settings: Partial<GatewayEnv> = {}) => ({ ...base, TWITTER_PROFILE_ENDPOINT: "none", ...settings }) as Cloudflare.Env;

async function standInStats(origin = standInOrigin()): Promise<StandInStats> {
  return (await (await fetch(`${origin}/__stand-in/stats`)).json()) as StandInStats;
}

/** A sign-in through /login, the consent form of whichever stand-in /login sent the browser to, and /auth; /auth's answer (not followed). */
async function signIn(environment: Cloudflare.Env, screenName: string, on?: Hono<TwitterAuthEnv>): Promise<Response> {
  const login = await send(environment, "/login", {}, on);
  expect(login.status).toBe(302);
  const location = new URL(login.headers.get("Location")!);
  const consent = await fetch(`${location.origin}/oauth/authorize`, {
    method: "POST",
    body: new URLSearchParams({ oauth_token: location.searchParams.get("oauth_token")!, screen_name: screenName, action: "allow" }),
    redirect: "manual",
  });
  const back = new URL(consent.headers.get("Location")!);
  return send(environment, back.pathname + back.search, { headers: { Cookie: login.headers.get("Set-Cookie")!.split(";")[0]! } }, on);
}

/** The id X gives this screen name, read from verify_credentials' id_str through an ordinary (auto) sign-in: the oracle for the token answer's user_id. */
async function idFromVerifyCredentials(screenName: string): Promise<string> {
  const response = await signIn(ENVS.KV, screenName);
  expect(response.headers.get("X-Twitter-Profile-Source")).toBe("verify_credentials");
  return ((await response.json()) as { id_str: string }).id_str;
}

describe.each(STORES)("TWITTER_PROFILE_ENDPOINT=none with the %s store", (store) => {
  const environment = () => none(ENVS[store]);
  const screenName = `none_${store === "KV" ? "kv" : "do"}`;

  it("answers {id, screenName} from the token answer, with no profile request reaching X (the stand-in's counters)", async () => {
    const id = await idFromVerifyCredentials(screenName);
    const before = await standInStats();
    const response = await signIn(environment(), screenName);
    const after = await standInStats();
    const calls = (endpoint: string) => after.endpoints[endpoint]!.requests - before.endpoints[endpoint]!.requests;

    expect(response.status).toBe(200);
    expect(response.headers.get("Content-Type")).toBe("application/json; charset=utf-8");
    expect(response.headers.get("X-Twitter-Profile-Source")).toBe("access_token");
    expect(response.headers.get("Cache-Control")).toBe("no-store");
    expect(await response.text()).toBe(`{"id":"${id}","screenName":"${screenName}"}`);
    expect({ request_token: calls("request_token"), access_token: calls("access_token"), verify_credentials: calls("verify_credentials"), users_me: calls("users_me") }).toEqual({
      request_token: 1,
      access_token: 1,
      verify_credentials: 0,
      users_me: 0,
    });
  });

  it("starts the session that /me, /sessions and the landing page read: the name is the screen name, no avatar, no email", async () => {
    const id = await idFromVerifyCredentials(`${screenName}_me`);
    const device = sessionCookieOf(await signIn(environment(), `${screenName}_me`));
    const session = await sessionOf(environment(), device);
    expect(session?.profile).toEqual({ id, screenName: `${screenName}_me`, name: `${screenName}_me`, profileImageUrl: undefined, email: undefined });

    const me = await get(environment(), "/me", device.cookie);
    expect(me.status).toBe(200);
    expect(await me.json()).toEqual({ id, screenName: `${screenName}_me`, name: `${screenName}_me` });

    const sessions = await get(environment(), "/sessions", device.cookie);
    expect(sessions.status).toBe(200);
    const list = ((await sessions.json()) as { sessions: { current: boolean }[] }).sessions;
    expect(list.filter((row) => row.current)).toHaveLength(1);

    const page = await (await get(environment(), "/", device.cookie, { Accept: "text/html" })).text();
    expect(page).toContain(`<h1 class="name" id="name">${screenName}_me</h1>`);
    expect(page).not.toContain('class="avatar"');
  });

  it("gives the gateway's origin the id, the screen name and the screen name as the name", async () => {
    const id = await idFromVerifyCredentials(`${screenName}_gw`);
    const device = sessionCookieOf(await signIn(environment(), `${screenName}_gw`));
    const seen = await echoed(await sendToGateway(gateway({ TWITTER_PROFILE_ENDPOINT: "none" }, ENVS[store]), "/account", { Cookie: device.cookie }));
    expect([seen.headers["x-twitter-user-id"], seen.headers["x-twitter-screen-name"], seen.headers["x-twitter-name"]]).toEqual([id, `${screenName}_gw`, `${screenName}_gw`]);
    // The allow-lists read the same id and screen name.
    for (const list of [{ ALLOWED_USER_IDS: id }, { ALLOWED_SCREEN_NAMES: `${screenName}_GW` }]) {
      expect((await sendToGateway(gateway({ TWITTER_PROFILE_ENDPOINT: "none", ...list }, ENVS[store]), "/account", { Cookie: device.cookie })).status).toBe(200);
    }
    await expectError(await sendToGateway(gateway({ TWITTER_PROFILE_ENDPOINT: "none", ALLOWED_USER_IDS: "1" }, ENVS[store]), "/account", { Cookie: device.cookie }), 403, "not_allowed");
  });
});

describe("TWITTER_PROFILE_ENDPOINT=none when X's token answer names no user", () => {
  beforeEach(clearFaults);
  afterEach(clearFaults);
  const DESCRIPTION =
    "Twitter's answer (access_token) names no user (a user_id of digits and a screen_name), which TWITTER_PROFILE_ENDPOINT=none signs in with. Try again later; if it persists, set TWITTER_PROFILE_ENDPOINT=auto.";
  const withNone = () => none(faultyEnv());

  /** A sign-in on the faulty stand-in with `none`; /auth's answer. */
  const signInOnFaulty = (screenName: string) => signIn(withNone(), screenName);

  for (const omit of [["user_id"], ["screen_name"], ["user_id", "screen_name"]]) {
    it(`answers 502 twitter_bad_response, and stores no session, without ${omit.join(" and ")}`, async () => {
      await setFault("access_token", { kind: "missing-fields", omit, times: 1 });
      const sessionsBefore = await kvKeys(ENVS.KV.AUTH_KV, "session:");
      const response = await signInOnFaulty(`none_miss_${omit.length}${omit[0]!.slice(0, 2)}`);
      await expectError(response, 502, "twitter_bad_response", DESCRIPTION);
      expect(response.headers.getSetCookie().some((cookie) => cookie.startsWith("twitter_session="))).toBe(false);
      expect(await kvKeys(ENVS.KV.AUTH_KV, "session:")).toEqual(sessionsBefore);
    });
  }

  for (const [what, user] of [
    ["a user_id that is not digits", "user_id=12a4&screen_name=someone"],
    ["an empty screen_name", "user_id=1234&screen_name="],
  ] as const) {
    it(`answers 502 twitter_bad_response for ${what}`, async () => {
      const body = `oauth_token=1-abc&oauth_token_secret=def&${user}`;
      await setFault("access_token", { kind: "status", status: 200, contentType: "application/x-www-form-urlencoded", body, times: 1 });
      await expectError(await signInOnFaulty(`none_bad_${user.length}`), 502, "twitter_bad_response", DESCRIPTION);
    });
  }

  it("with auto, the same token answer without user_id and screen_name still signs in (the profile call names the user)", async () => {
    await setFault("access_token", { kind: "missing-fields", omit: ["user_id", "screen_name"], times: 1 });
    const response = await completeSignIn("none_auto_ok");
    expect(response.status).toBe(200);
    expect(response.headers.get("X-Twitter-Profile-Source")).toBe("verify_credentials");
  });
});

describe("TWITTER_PROFILE_ENDPOINT=none and the email", () => {
  it("is a 500 naming the setting when TWITTER_INCLUDE_EMAIL is true (none reads no profile, so no email)", async () => {
    await expectError(
      await send(none(ENVS.KV, { TWITTER_INCLUDE_EMAIL: "true" }), "/login"),
      500,
      "server_misconfigured",
      "The server's TWITTER_PROFILE_ENDPOINT setting is none while TWITTER_INCLUDE_EMAIL is true (none reads no profile, so no email: choose auto or users_me for the email). Fix it in wrangler.toml [vars] or .dev.vars.",
    );
  });

  it("throws when the app is built with the options profileEndpoint none and includeEmail", () => {
    expect(() => twitterAuth({ profileEndpoint: "none", includeEmail: true })).toThrow(
      new TypeError("twitterAuth()/twitterSession() option profileEndpoint is none while includeEmail is true (none reads no profile, so no email: choose auto or users_me for the email)."),
    );
  });

  it("the profileEndpoint option none overrides the setting", async () => {
    const host = new Hono<TwitterAuthEnv>().route("/", twitterAuth({ profileEndpoint: "none" }));
    const response = await signIn(ENVS.KV, "none_option", host);
    expect(response.status).toBe(200);
    expect(response.headers.get("X-Twitter-Profile-Source")).toBe("access_token");
  });
});

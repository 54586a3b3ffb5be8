// The move from 1.0a to 2.0: a session started under 1.0a keeps working when the site switches, its token exchanged once on first use (both stores).
import { afterEach, describe, expect, it, vi } from "vitest";
import { settingsReader } from "../../src/config";
import { createSession, readNewestGrant } from "../../src/session/session-store";
import { inPlace, storeFor } from "../../src/session/store";
import { refreshGrant } from "../../src/twitter/oauth2-api";
import { decide, standInOrigin } from "./support/browser";
import { consent, oauth2Env, startOAuth2Login, visit } from "./support/oauth2";
import { TEST_SESSION_SECRET } from "./support/settings";
import { ENVS, STORES, get, logout, sessionOf, signInWith, signedSessionCookie, xSays } from "./support/stores";

afterEach(() => vi.restoreAllMocks());


describe.each(STORES)("moving a 1.0a session to OAuth 2.0 (%s store)", (store) => {
  const before = () => ENVS[store];
  // Both pairs set (the tests' env has the 1.0a pair), the site switched to 2.0.
  const after = () => oauth2Env(ENVS[store], standInOrigin());

  it("keeps the session signed in, and exchanges its 1.0a token for a 2.0 pair on first use, once", async () => {
    const device = await signInWith(before(), "move_jo");
    expect((await get(after(), "/me", device.cookie)).status).toBe(200);
    const session = (await sessionOf(after(), device))!;
    expect(session.oauth2).toBeUndefined();
    expect(await (await visit(after(), device.cookie)).json()).toMatchObject({ status: 200, body: { data: { username: "move_jo" } } });
    const exchanged = (await readNewestGrant(storeFor(after()), [TEST_SESSION_SECRET], session))!;
    expect(exchanged.scope.split(" ")).toEqual(expect.arrayContaining(["users.read", "offline.access"]));
    expect(await (await visit(after(), device.cookie)).json()).toMatchObject({ status: 200 });
    // No second exchange: the kept grant is the same one, and it still works at X.
    expect(await readNewestGrant(storeFor(after()), [TEST_SESSION_SECRET], session)).toEqual(exchanged);
  });

  it("ends the session with 401 session_revoked when X refuses the exchange (invalid_grant), and the site keeps working", async () => {
    const device = await signInWith(before(), "move_kim");
    const session = (await sessionOf(before(), device))!;
    // A session whose 1.0a token X no longer accepts.
    const ref = (await createSession(storeFor(after()), TEST_SESSION_SECRET, session.profile, { token: "1-revoked", tokenSecret: "gone" }, { ttlSeconds: 3600, limit: 100, device: {}, defer: inPlace }))!;
    const cookie = await signedSessionCookie(ref.id, ref.shard);
    const response = await visit(after(), cookie);
    expect(response.status).toBe(401);
    expect(((await response.json()) as { error: string }).error).toBe("session_revoked");
    expect((await get(after(), "/me", cookie)).status).toBe(401);
    expect((await get(after(), "/me", device.cookie)).status).toBe(200);
  });
});

describe.each(STORES)("moving a user's several 1.0a sessions (%s store)", (store) => {
  const before = () => ENVS[store];
  const after = () => oauth2Env(ENVS[store], standInOrigin());

  it("exchanges the user's 1.0a token once for all their devices: each keeps working, whichever moves first, and X issued one pair", async () => {
    const laptop = await signInWith(before(), "move_two");
    const phone = await signInWith(before(), "move_two");
    const exchanges = countTokenExchanges();
    // Both devices call X through twitterApi, one after the other and back again.
    for (const device of [laptop, phone, laptop, phone]) {
      expect(await (await visit(after(), device.cookie)).json()).toMatchObject({ status: 200, body: { data: { username: "move_two" } } });
    }
    expect(exchanges()).toBe(1);
    // The devices list and /me still know both.
    expect((await get(after(), "/me", laptop.cookie)).status).toBe(200);
    expect((await get(after(), "/me", phone.cookie)).status).toBe(200);
  });

  it("revokes the shared grant with the 1.0a token only when the last of the moved sessions signs out", async () => {
    const laptop = await signInWith(before(), "move_three");
    const phone = await signInWith(before(), "move_three");
    expect(await (await visit(after(), laptop.cookie)).json()).toMatchObject({ status: 200 });
    expect((await logout(after(), laptop.cookie)).status).toBe(303);
    // The phone's session shares the grant: still good at X.
    expect(await (await visit(after(), phone.cookie)).json()).toMatchObject({ status: 200, body: { data: { username: "move_three" } } });
    const session = (await sessionOf(after(), phone))!;
    const shared = (await readNewestGrant(storeFor(after()), [TEST_SESSION_SECRET], session))!;
    expect((await logout(after(), phone.cookie)).status).toBe(303);
    const answer = await fetch(`${standInOrigin()}/2/users/me`, { headers: { Authorization: `Bearer ${shared.accessToken}` } });
    await answer.body?.cancel();
    expect(answer.status).toBe(401);
  });
});

/** Counts the Worker's token exchanges at X's token endpoint (grant_type token-exchange) from now on. */
function countTokenExchanges(): () => number {
  let count = 0;
  const original = globalThis.fetch;
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const request = new Request(input, init);
    if (request.url.endsWith("/2/oauth2/token") && (await request.clone().text()).includes("token-exchange")) count += 1;
    return original(request);
  });
  return () => count;
}

describe.each(STORES)("a user with a 1.0a session and one begun under 2.0 (%s store)", (store) => {
  it("revokes the 1.0a token when its last 1.0a session signs out: the 2.0 session holds a grant of its own, not that token", async () => {
    const old = await signInWith(ENVS[store], "mixed_lou");
    const oldSession = (await sessionOf(ENVS[store], old))!;
    const after = oauth2Env(ENVS[store], standInOrigin());
    const { cookie, authorizeUrl } = await startOAuth2Login(after);
    const back = await consent(authorizeUrl, "mixed_lou");
    expect((await get(after, `${back.pathname}${back.search}`, cookie)).status).toBe(200);
    expect(await xSays(oldSession.credentials)).toBe(200);
    expect((await logout(after, old.cookie)).status).toBe(303);
    expect(await xSays(oldSession.credentials)).toBe(401);
  });
});

describe("two first uses of a 1.0a session at once, in two isolates", () => {
  it("Durable Object store: one exchange, and the session keeps working afterwards", async () => {
    const environment = oauth2Env(ENVS["Durable Object"], standInOrigin());
    const device = await signInWith(ENVS["Durable Object"], "move_lee");
    const session = (await sessionOf(environment, device))!;
    const settings = settingsReader()(environment);
    const none = { accessToken: "", refreshToken: undefined, accessTokenExpiresAt: 0, scope: "" };
    const store = storeFor(environment);
    const [first, second] = await Promise.all([refreshGrant(settings, settings.oauth2!, store, session, none, undefined), refreshGrant(settings, settings.oauth2!, store, session, none, undefined)]);
    expect(second).toEqual(first);
    // Had it been exchanged twice, the first pair would be ended at X: the kept one must work.
    expect(await (await visit(environment, device.cookie)).json()).toMatchObject({ status: 200, body: { data: { username: "move_lee" } } });
  });
});

describe("a sign-in under way when the site switches protocol", () => {
  it.each(STORES)("finishes under 1.0a after the switch to 2.0 (%s store)", async (store) => {
    const login = await get(before(store), "/login");
    const back = await decide(new URL(login.headers.get("Location")!).searchParams.get("oauth_token")!, "switch_max");
    const auth = await get(oauth2Env(ENVS[store], standInOrigin()), `${back.pathname}${back.search}`, login.headers.get("Set-Cookie")!.split(";")[0]!);
    expect(auth.status).toBe(200);
    // 1.0a's answer: the stand-in (legacy level) serves v1.1's user object.
    expect(((await auth.json()) as { screen_name: string }).screen_name).toBe("switch_max");
  });

  it.each(STORES)("never lets a 1.0a-shaped callback take a 2.0 sign-in under way: 400 token_mismatch, and the real redirect still finishes it (%s store)", async (store) => {
    const environment = oauth2Env(ENVS[store], standInOrigin());
    const { cookie, authorizeUrl } = await startOAuth2Login(environment);
    const state = authorizeUrl.searchParams.get("state")!;
    const forged = await get(environment, `/auth?oauth_token=${state}&oauth_verifier=forged`, cookie);
    expect(forged.status).toBe(400);
    expect(await forged.json()).toEqual({ error: "token_mismatch", error_description: "The callback's oauth_token is not this sign-in's. Start again from /login." });
    const back = await consent(authorizeUrl, "switch_ola");
    const auth = await get(environment, `${back.pathname}${back.search}`, cookie);
    expect(auth.status).toBe(200);
  });

  it.each(STORES)("finishes under 2.0 after a switch back to 1.0a (%s store)", async (store) => {
    const { cookie, authorizeUrl } = await startOAuth2Login(oauth2Env(ENVS[store], standInOrigin()));
    const back = await consent(authorizeUrl, "switch_nia");
    // The 2.0 pair still set, the site back on 1.0a.
    const switchedBack = oauth2Env(ENVS[store], standInOrigin(), { TWITTER_OAUTH_VERSION: "1.0a" });
    const auth = await get(switchedBack, `${back.pathname}${back.search}`, cookie);
    expect(auth.status).toBe(200);
    expect(((await auth.json()) as { data: { username: string } }).data.username).toBe("switch_nia");
  });
});

function before(store: (typeof STORES)[number]): Cloudflare.Env {
  return ENVS[store];
}

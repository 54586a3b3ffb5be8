// A callback held past "Sign out of all devices" (issue 25): opened afterwards it starts no session, and the token X issued for it is revoked.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Credentials } from "../../src/oauth1/index";
import { decide } from "./support/browser";
import { SIGNED_OUT_KEY_PREFIX } from "../../src/session/kv-store";
import { ENVS, STORES, expectError, get, inObject, logout, objectRows, send, sessionCookieOf, sessionOf, signInWith, xSays } from "./support/stores";

afterEach(() => vi.restoreAllMocks());

/** Watches the Worker's calls to X's access_token: the credentials X issued, read from its answers. */
function watchAccessTokens(): Credentials[] {
  const issued: Credentials[] = [];
  const original = globalThis.fetch;
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const response = await original(input, init);
    if (String(input instanceof Request ? input.url : input).endsWith("/oauth/access_token") && response.ok) {
      const form = new URLSearchParams(await response.clone().text());
      issued.push({ token: form.get("oauth_token")!, tokenSecret: form.get("oauth_token_secret")! });
    }
    return response;
  });
  return issued;
}

/** Someone with the user's X account starts a sign-in here and lets X redirect, keeping the callback and its cookie. */
async function holdCallback(environment: Cloudflare.Env, screenName: string, next = ""): Promise<{ path: string; cookie: string }> {
  const login = await send(environment, `/login${next}`);
  expect(login.status).toBe(302);
  const back = await decide(new URL(login.headers.get("Location")!).searchParams.get("oauth_token")!, screenName);
  return { path: back.pathname + back.search, cookie: login.headers.get("Set-Cookie")!.split(";")[0]! };
}

const REFUSED = "You signed out of all devices after this sign-in began, so it was not completed. Start again from /login.";

describe.each(STORES)("with the %s store", (name) => {
  const environment = ENVS[name];
  const user = (suffix: string) => `${name === "KV" ? "kv" : "do"}_held_${suffix}`.slice(0, 15);

  it("refuses a callback held past sign-out everywhere with 403 signed_out_everywhere, sets no session cookie, and revokes the token X issued for it", async () => {
    const phone = await signInWith(environment, user("a"));
    const held = await holdCallback(environment, user("a"));
    expect((await logout(environment, phone.cookie, "?everywhere=true")).status).toBe(303);

    const issued = watchAccessTokens();
    const opened = await send(environment, held.path, { headers: { Cookie: held.cookie } });
    expect(opened.headers.getSetCookie().some((cookie) => /^twitter_session=[^;]/.test(cookie))).toBe(false);
    expect(opened.headers.get("Cache-Control")).toBe("no-store");
    await expectError(opened, 403, "signed_out_everywhere", REFUSED);
    // X did issue a token for the held request token, and it no longer works.
    expect(issued).toHaveLength(1);
    expect(await xSays(issued[0]!)).toBe(401);
  });

  it("refuses it with a next path too: no redirect into the site", async () => {
    const phone = await signInWith(environment, user("b"));
    const held = await holdCallback(environment, user("b"), "?next=/account");
    expect((await logout(environment, phone.cookie, "?everywhere=true")).status).toBe(303);
    await expectError(await send(environment, held.path, { headers: { Cookie: held.cookie } }), 403, "signed_out_everywhere", REFUSED);
  });

  it("still completes a sign-in begun after the sign-out everywhere, and one of another user", async () => {
    const phone = await signInWith(environment, user("c"));
    const neighbours = await holdCallback(environment, user("n"));
    expect((await logout(environment, phone.cookie, "?everywhere=true")).status).toBe(303);
    const again = await signInWith(environment, user("c"));
    expect((await get(environment, "/me", again.cookie)).status).toBe(200);
    expect(await sessionOf(environment, again)).toBeDefined();
    const neighbour = await send(environment, neighbours.path, { headers: { Cookie: neighbours.cookie } });
    expect(neighbour.status).toBe(200);
  });
});

describe("the Durable Object store's sign-out mark", () => {
  it("outlives the rows it deleted for as long as a held sign-in can arrive, then its alarm deletes the object's storage", async () => {
    const environment = ENVS["Durable Object"];
    const phone = await signInWith(environment, "do_held_mark");
    expect((await logout(environment, phone.cookie, "?everywhere=true")).status).toBe(303);
    const marks = () => inObject(`user:${phone.shard}`, (state) => Object.values(state.storage.kv.get<Record<string, { at: number; expiresAt: number }>>("signed-out") ?? {}));
    const [mark] = await marks();
    expect(await objectRows(phone.shard!)).toEqual([]);
    // 15 minutes (a pending sign-in's life) and a minute more.
    expect(mark!.expiresAt - Math.floor(mark!.at / 1000)).toBe(16 * 60);
    expect(await inObject(`user:${phone.shard}`, (state) => state.storage.getAlarm())).toBe(mark!.expiresAt * 1000);
    // Once expired (moved into the past here), the alarm leaves nothing.
    await inObject(`user:${phone.shard}`, (state) => {
      const all = state.storage.kv.get<Record<string, { at: number; expiresAt: number }>>("signed-out")!;
      state.storage.kv.put("signed-out", Object.fromEntries(Object.keys(all).map((user) => [user, { ...mark!, expiresAt: 1 }])));
    });
    const namespace = env.TEST_AUTH_STORE;
    await runInDurableObject(namespace.get(namespace.idFromName(`user:${phone.shard}`)), (instance) => instance.alarm());
    expect(await marks()).toEqual([]);
    expect(await inObject(`user:${phone.shard}`, (state) => state.storage.getAlarm())).toBeNull();
  });
});

describe.each(STORES)("a held callback opened after the user signed in again, with the %s store", (name) => {
  it("is refused all the same, and leaves the token alone: X gave the new session the same one, which must keep working", async () => {
    const environment = ENVS[name];
    const user = `${name === "KV" ? "kv" : "do"}_held_again`;
    const phone = await signInWith(environment, user);
    const held = await holdCallback(environment, user);
    expect((await logout(environment, phone.cookie, "?everywhere=true")).status).toBe(303);
    const laptop = await signInWith(environment, user);
    const issued = watchAccessTokens();
    await expectError(await send(environment, held.path, { headers: { Cookie: held.cookie } }), 403, "signed_out_everywhere", REFUSED);
    const session = (await sessionOf(environment, laptop))!;
    expect(issued).toEqual([session.credentials]);
    expect(await xSays(session.credentials)).toBe(200);
    expect((await get(environment, "/me", laptop.cookie)).status).toBe(200);
  });
});

describe("a held callback opened at a KV location that has not seen the sign-out yet", () => {
  /** KV as a location whose cache still says the user never signed out everywhere (KV's reads may be a minute stale elsewhere). */
  function staleMarkKv(kv: KVNamespace): KVNamespace {
    return new Proxy(kv, {
      get(target, property) {
        if (property === "get") {
          return (key: string, options?: unknown) => (key.startsWith(SIGNED_OUT_KEY_PREFIX) ? Promise.resolve(null) : target.get(key, options as "text"));
        }
        const value: unknown = Reflect.get(target, property);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
  }

  it("may start a session there, which then opens nowhere that sees the mark: it began before the sign-out", async () => {
    const environment = ENVS.KV;
    const phone = await signInWith(environment, "kv_held_stale");
    const held = await holdCallback(environment, "kv_held_stale");
    expect((await logout(environment, phone.cookie, "?everywhere=true")).status).toBe(303);
    const stale = { ...environment, AUTH_KV: staleMarkKv(environment.AUTH_KV!) } as Cloudflare.Env;
    const opened = await send(stale, held.path, { headers: { Cookie: held.cookie } });
    expect(opened.status).toBe(200);
    const cookie = sessionCookieOf(opened).cookie;
    await expectError(await get(environment, "/me", cookie), 401, "not_signed_in", "Nobody is signed in. Sign in at /login.");
  });
});

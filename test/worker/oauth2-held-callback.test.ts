// An OAuth 2.0 callback held past "Sign out of all devices" (issue 25's held callback, under issue 23's protocol): opened afterwards it starts no session, and the grant X issued for it is revoked.
import { afterEach, describe, expect, it, vi } from "vitest";
import { standInOrigin } from "./support/browser";
import { consent, oauth2Env, signInOAuth2, startOAuth2Login } from "./support/oauth2";
import { ENVS, STORES, get, logout } from "./support/stores";

afterEach(() => vi.restoreAllMocks());

/** Watches the Worker's calls to X's OAuth 2.0 token endpoint: the access tokens X issued, read from its answers. */
function watchIssuedAccessTokens(): string[] {
  const issued: string[] = [];
  const original = globalThis.fetch;
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const response = await original(input, init);
    if (String(input instanceof Request ? input.url : input).endsWith("/2/oauth2/token") && response.ok) {
      issued.push(((await response.clone().json()) as { access_token: string }).access_token);
    }
    return response;
  });
  return issued;
}

/** What the stand-in answers GET /2/users/me with this Bearer token (200 while the grant lives). */
async function xSaysToBearer(accessToken: string): Promise<number> {
  const response = await fetch(`${standInOrigin()}/2/users/me`, { headers: { Authorization: `Bearer ${accessToken}` } });
  await response.body?.cancel();
  return response.status;
}

const REFUSED = "You signed out of all devices after this sign-in began, so it was not completed. Start again from /login.";

describe.each(STORES)("with the %s store", (store) => {
  const environment = () => oauth2Env(ENVS[store], standInOrigin());
  const user = (suffix: string) => `${store === "KV" ? "kv" : "do"}_o2held_${suffix}`.slice(0, 15);

  it("refuses a 2.0 callback held past sign-out everywhere with 403 signed_out_everywhere, no session cookie, and revokes the grant X issued for it", async () => {
    const phone = await signInOAuth2(environment(), user("a"));
    expect(phone.response.status).toBe(200);
    // Someone with the user's X account starts a sign-in here and keeps X's redirect and its cookie.
    const held = await startOAuth2Login(environment());
    const back = await consent(held.authorizeUrl, user("a"));
    expect((await logout(environment(), phone.session.cookie, "?everywhere=true")).status).toBe(303);

    const issued = watchIssuedAccessTokens();
    const opened = await get(environment(), `${back.pathname}${back.search}`, held.cookie);
    expect(opened.status).toBe(403);
    expect(await opened.json()).toEqual({ error: "signed_out_everywhere", error_description: REFUSED });
    expect(opened.headers.getSetCookie().some((cookie) => /^twitter_session=[^;]/.test(cookie))).toBe(false);
    // X did issue a grant for the held code, and it no longer works.
    expect(issued).toHaveLength(1);
    expect(await xSaysToBearer(issued[0]!)).toBe(401);
  });

  it("still completes a 2.0 sign-in begun after the sign-out everywhere", async () => {
    const phone = await signInOAuth2(environment(), user("b"));
    expect((await logout(environment(), phone.session.cookie, "?everywhere=true")).status).toBe(303);
    const again = await signInOAuth2(environment(), user("b"));
    expect(again.response.status).toBe(200);
    expect((await get(environment(), "/me", again.session.cookie)).status).toBe(200);
  });
});

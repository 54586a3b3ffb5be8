// Sign-out under OAuth 2.0 revokes the session's grant at X (/2/oauth2/revoke), on both stores.
import { describe, expect, it } from "vitest";
import { readSession } from "../../src/session/session-store";
import { storeFor } from "../../src/session/store";
import { standInOrigin } from "./support/browser";
import { oauth2Env, signInOAuth2 } from "./support/oauth2";
import { TEST_SESSION_SECRET } from "./support/settings";
import { ENVS, STORES, get, logout } from "./support/stores";

/** What X says of an access token now: /2/users/me's status with it. */
async function usersMeStatus(accessToken: string): Promise<number> {
  return (await fetch(`${standInOrigin()}/2/users/me`, { headers: { Authorization: `Bearer ${accessToken}` } })).status;
}

describe.each(STORES)("sign-out under OAuth 2.0 (%s store)", (store) => {
  const environment = (extra: Record<string, string> = {}) => oauth2Env(ENVS[store], standInOrigin(), extra);

  async function signedIn(screenName: string, extra: Record<string, string> = {}) {
    const { session } = await signInOAuth2(environment(extra), screenName);
    const grant = (await readSession(storeFor(environment(extra)), [TEST_SESSION_SECRET], session, 3600))!.oauth2!;
    expect(await usersMeStatus(grant.accessToken)).toBe(200);
    return { session, grant };
  }

  it("revokes the session's refresh token, which ends its access token, at a plain sign-out", async () => {
    const { session, grant } = await signedIn("out_gus");
    const response = await logout(environment(), session.cookie);
    expect(response.status).toBe(303);
    expect(await usersMeStatus(grant.accessToken)).toBe(401);
  });

  it("revokes it on sign-out everywhere too", async () => {
    const { session, grant } = await signedIn("out_hal");
    expect((await logout(environment(), session.cookie, "?everywhere=true")).status).toBe(303);
    expect(await usersMeStatus(grant.accessToken)).toBe(401);
  });

  it("revokes every device's own grant on sign-out everywhere, not only this one's", async () => {
    const laptop = await signedIn("out_jay");
    const phone = await signedIn("out_jay");
    expect((await logout(environment(), laptop.session.cookie, "?everywhere=true")).status).toBe(303);
    expect(await usersMeStatus(laptop.grant.accessToken)).toBe(401);
    expect(await usersMeStatus(phone.grant.accessToken)).toBe(401);
  });

  it("revokes another device's own grant when that device is signed out from the devices list, and keeps this one's", async () => {
    const laptop = await signedIn("out_kai");
    const phone = await signedIn("out_kai");
    const listed = (await (await get(environment(), "/sessions", laptop.session.cookie)).json()) as { sessions: { id: string; current: boolean }[] };
    const other = listed.sessions.find((entry) => !entry.current)!;
    expect((await logout(environment(), laptop.session.cookie, `?session=${other.id}`)).status).toBe(303);
    expect(await usersMeStatus(phone.grant.accessToken)).toBe(401);
    expect(await usersMeStatus(laptop.grant.accessToken)).toBe(200);
  });

  it("leaves it valid at X with TWITTER_REVOKE_ON_LOGOUT=false", async () => {
    const { session, grant } = await signedIn("out_ida", { TWITTER_REVOKE_ON_LOGOUT: "false" });
    expect((await logout(environment({ TWITTER_REVOKE_ON_LOGOUT: "false" }), session.cookie)).status).toBe(303);
    expect(await usersMeStatus(grant.accessToken)).toBe(200);
  });
});

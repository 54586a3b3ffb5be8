// twitterApi under OAuth 2.0: Bearer calls, refresh on demand, and two refreshes of one session at once leave it working (both stores).
import { describe, expect, it } from "vitest";
import { settingsReader } from "../../src/config";
import { createSession, readNewestGrant, readSession, type OAuth2Grant } from "../../src/session/session-store";
import { inPlace, storeFor } from "../../src/session/store";
import { GRANT_REFUSED, refreshGrant } from "../../src/twitter/oauth2-api";
import { standInOrigin } from "./support/browser";
import { oauth2Env, signInOAuth2, visit } from "./support/oauth2";
import { TEST_SESSION_SECRET } from "./support/settings";
import { ENVS, STORES, get, signedSessionCookie } from "./support/stores";


/** A signed-in 2.0 session whose access token has expired (its grant is the real one, dated in the past). */
async function expiredSession(environment: Cloudflare.Env, screenName: string) {
  const { session: first } = await signInOAuth2(environment, screenName);
  const store = storeFor(environment);
  const opened = (await readSession(store, [TEST_SESSION_SECRET], first, 3600))!;
  const grant: OAuth2Grant = { ...opened.oauth2!, accessTokenExpiresAt: Date.now() - 1000 };
  const ref = (await createSession(store, TEST_SESSION_SECRET, opened.profile, grant, { ttlSeconds: 3600, limit: 100, device: {}, defer: inPlace }))!;
  await store.endSession(first, opened.profile.id, inPlace);
  return { store, ref, grant, session: (await readSession(store, [TEST_SESSION_SECRET], ref, 3600))! };
}

async function refreshStats(): Promise<{ accepted: number; rejected: number }> {
  const stats = (await (await fetch(`${standInOrigin()}/__stand-in/stats`)).json()) as { endpoints: { oauth2_token: { accepted: number; rejected: Record<string, number> } } };
  const token = stats.endpoints.oauth2_token;
  return { accepted: token.accepted, rejected: token.rejected["unknown, used or revoked refresh token"] ?? 0 };
}

function revoke(token: string): Promise<Response> {
  return fetch(`${standInOrigin()}/2/oauth2/revoke`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded", Authorization: `Basic ${btoa("stand-in-oauth2-client-id:stand-in-oauth2-client-secret")}` },
    body: new URLSearchParams({ token }).toString(),
  });
}

describe.each(STORES)("twitterApi under OAuth 2.0 (%s store)", (store) => {
  const environment = () => oauth2Env(ENVS[store], standInOrigin());

  it("calls X with the session's Bearer token", async () => {
    const { session } = await signInOAuth2(environment(), "bearer_ann");
    const response = await visit(environment(), session.cookie);
    expect(await response.json()).toMatchObject({ status: 200, body: { data: { username: "bearer_ann" } } });
  });

  it("refreshes an expired access token, keeps the new pair, and spends the old refresh token", async () => {
    const { ref, grant, session } = await expiredSession(environment(), "refresh_ben");
    const cookie = await signedSessionCookie(ref.id, ref.shard);
    expect(await (await visit(environment(), cookie)).json()).toMatchObject({ status: 200, body: { data: { username: "refresh_ben" } } });
    const newest = (await readNewestGrant(storeFor(environment()), [TEST_SESSION_SECRET], session))!;
    expect(newest.refreshToken).not.toBe(grant.refreshToken);
    expect(newest.accessTokenExpiresAt).toBeGreaterThan(Date.now() + 7_000_000);
    // The record itself was not written back: a refreshed grant lives beside it.
    expect((await readSession(storeFor(environment()), [TEST_SESSION_SECRET], ref, 3600))!.oauth2!.refreshToken).toBe(grant.refreshToken);
    expect(await (await visit(environment(), cookie)).json()).toMatchObject({ status: 200 });
    const reused = await fetch(`${standInOrigin()}/2/oauth2/token`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", Authorization: `Basic ${btoa("stand-in-oauth2-client-id:stand-in-oauth2-client-secret")}` },
      body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: grant.refreshToken! }).toString(),
    });
    expect(reused.status).toBe(400);
  });

  it("leaves the session working when two requests of it refresh at once", async () => {
    const { ref } = await expiredSession(environment(), "race_cat");
    const cookie = await signedSessionCookie(ref.id, ref.shard);
    const answers = await Promise.all([visit(environment(), cookie), visit(environment(), cookie)]);
    for (const answer of answers) expect(await answer.json()).toMatchObject({ status: 200, body: { data: { username: "race_cat" } } });
    expect(await (await visit(environment(), cookie)).json()).toMatchObject({ status: 200 });
  });

  it("ends this session with 401 session_revoked when X refuses the refresh (invalid_grant), and the site keeps working", async () => {
    const { ref, grant } = await expiredSession(environment(), "revoked_dan");
    const cookie = await signedSessionCookie(ref.id, ref.shard);
    expect((await revoke(grant.refreshToken!)).status).toBe(200);
    const response = await visit(environment(), cookie);
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({
      error: "session_revoked",
      error_description: "Twitter no longer accepts this sign-in: it was revoked, or the app was removed from the account. Sign in again.",
    });
    expect((await get(environment(), "/me", cookie)).status).toBe(401);
    expect((await get(environment(), "/login")).status).toBe(302);
  });
});

describe("two refreshes of one session in two isolates at once", () => {
  it("Durable Object store: the lease lets exactly one refresh reach X, and both get its grant", async () => {
    const environment = oauth2Env(ENVS["Durable Object"], standInOrigin());
    const settings = settingsReader()(environment);
    const { store, grant, session } = await expiredSession(environment, "lease_eve");
    const before = await refreshStats();
    // refreshGrant directly, twice: no in-isolate sharing, only the store's lease between them.
    const [first, second] = await Promise.all([refreshGrant(settings, settings.oauth2!, store, session, grant, undefined), refreshGrant(settings, settings.oauth2!, store, session, grant, undefined)]);
    expect(second).toEqual(first);
    expect(first.refreshToken).not.toBe(grant.refreshToken);
    const after = await refreshStats();
    expect(after.rejected - before.rejected).toBe(0);
  });

  it("KV store, as documented: both may refresh; the one X refuses takes the winner's grant when it can see it (here, one location)", async () => {
    const environment = oauth2Env(ENVS.KV, standInOrigin());
    const settings = settingsReader()(environment);
    const { store, grant, session } = await expiredSession(environment, "lease_fay");
    const before = await refreshStats();
    const outcomes = await Promise.allSettled([refreshGrant(settings, settings.oauth2!, store, session, grant, undefined), refreshGrant(settings, settings.oauth2!, store, session, grant, undefined)]);
    const grants = outcomes.map((outcome) => (outcome.status === "fulfilled" ? outcome.value : outcome.reason));
    expect(grants).not.toContain(GRANT_REFUSED);
    expect((grants[0] as OAuth2Grant).accessToken).toBe((grants[1] as OAuth2Grant).accessToken);
    // What KV's read-then-write lease lets through here: at most one refresh that X refuses.
    expect((await refreshStats()).rejected - before.rejected).toBeLessThanOrEqual(1);
  });
});

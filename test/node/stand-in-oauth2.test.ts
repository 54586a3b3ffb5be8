// Node-side tests of the stand-in's OAuth 2.0 over real HTTP: PKCE with node:crypto, Basic auth by hand, 1.0a tokens signed with oauth-sign (never src/).
import { createHash, randomBytes } from "node:crypto";
import { rfc3986, sign } from "oauth-sign";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DEFAULT_CONSUMER_KEY,
  DEFAULT_CONSUMER_SECRET,
  DEFAULT_OAUTH2_CLIENT_ID,
  DEFAULT_OAUTH2_CLIENT_SECRET,
  startStandIn,
  type StandIn,
} from "../../tools/stand-in/server.ts";
import { userIdForScreenName } from "../../tools/stand-in/twitter.ts";

const REDIRECT_URI = "http://localhost:8787/auth";
const SCOPE = "users.read tweet.read offline.access";
const BASIC = `Basic ${Buffer.from(`${DEFAULT_OAUTH2_CLIENT_ID}:${DEFAULT_OAUTH2_CLIENT_SECRET}`).toString("base64")}`;

/** A verifier and its S256 challenge, computed with node:crypto. */
function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString("base64url");
  return { verifier, challenge: createHash("sha256").update(verifier).digest("base64url") };
}

function authorizeUrl(standIn: StandIn, fields: Record<string, string>): string {
  const url = new URL(standIn.urls.oauth2Authorize);
  const query = { response_type: "code", client_id: DEFAULT_OAUTH2_CLIENT_ID, redirect_uri: REDIRECT_URI, scope: SCOPE, state: "st4te", code_challenge_method: "S256", ...fields };
  for (const [name, value] of Object.entries(query)) if (value !== "") url.searchParams.set(name, value);
  return url.href;
}

/** The consent page's pending request id. */
async function openConsent(standIn: StandIn, fields: Record<string, string>): Promise<string> {
  const page = await fetch(authorizeUrl(standIn, fields));
  expect(page.status).toBe(200);
  return /name="request" value="([^"]+)"/.exec(await page.text())?.[1] ?? "";
}

function postConsent(standIn: StandIn, fields: Record<string, string>): Promise<Response> {
  return fetch(standIn.urls.oauth2Authorize, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams(fields).toString(), redirect: "manual" });
}

/** Consent for a screen name: the code, and the verifier to redeem it with. */
async function authorize(standIn: StandIn, screenName: string, scope = SCOPE): Promise<{ code: string; verifier: string }> {
  const { verifier, challenge } = pkce();
  const request = await openConsent(standIn, { code_challenge: challenge, scope });
  const consent = await postConsent(standIn, { request, screen_name: screenName, action: "allow" });
  expect(consent.status).toBe(302);
  const location = new URL(consent.headers.get("location") ?? "");
  expect(`${location.origin}${location.pathname}`).toBe(REDIRECT_URI);
  expect(location.searchParams.get("state")).toBe("st4te");
  return { code: location.searchParams.get("code") ?? "", verifier };
}

function token(standIn: StandIn, form: Record<string, string>, authorization: string | null = BASIC): Promise<Response> {
  const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded" };
  if (authorization !== null) headers.authorization = authorization;
  return fetch(standIn.urls.oauth2Token, { method: "POST", headers, body: new URLSearchParams(form).toString() });
}

function redeem(standIn: StandIn, code: string, verifier: string, redirectUri = REDIRECT_URI): Promise<Response> {
  return token(standIn, { grant_type: "authorization_code", code, redirect_uri: redirectUri, code_verifier: verifier });
}

interface Tokens {
  access_token: string;
  refresh_token?: string;
  scope: string;
  token_type: string;
  expires_in: number;
}

async function signIn(standIn: StandIn, screenName: string, scope = SCOPE): Promise<Tokens> {
  const { code, verifier } = await authorize(standIn, screenName, scope);
  const response = await redeem(standIn, code, verifier);
  expect(response.status).toBe(200);
  return (await response.json()) as Tokens;
}

function usersMe(standIn: StandIn, accessToken: string, query = ""): Promise<Response> {
  return fetch(`${standIn.origin}/2/users/me${query}`, { headers: { authorization: `Bearer ${accessToken}` } });
}

async function expectOAuthError(response: Response, status: number, error: string): Promise<void> {
  expect(response.status).toBe(status);
  expect(((await response.json()) as { error?: string }).error).toBe(error);
}

/** A 1.0a access token from the stand-in's 1.0a flow, signed with oauth-sign. */
async function signInOAuth1(standIn: StandIn, screenName: string): Promise<{ token: string; secret: string }> {
  const signed = async (url: string, oauth: Record<string, string>, tokenSecret = ""): Promise<URLSearchParams> => {
    const parameters: Record<string, string> = {
      oauth_consumer_key: DEFAULT_CONSUMER_KEY,
      oauth_nonce: randomBytes(16).toString("hex"),
      oauth_signature_method: "HMAC-SHA1",
      oauth_timestamp: String(Math.floor(Date.now() / 1000)),
      oauth_version: "1.0",
      ...oauth,
    };
    parameters.oauth_signature = sign("HMAC-SHA1", "POST", url, parameters, DEFAULT_CONSUMER_SECRET, tokenSecret);
    const header = `OAuth ${Object.entries(parameters).map(([k, v]) => `${rfc3986(k)}="${rfc3986(v)}"`).join(", ")}`;
    const response = await fetch(url, { method: "POST", headers: { authorization: header } });
    expect(response.status).toBe(200);
    return new URLSearchParams(await response.text());
  };
  const requestToken = await signed(standIn.urls.requestToken, { oauth_callback: "http://localhost:8787/callback" });
  const consent = await fetch(`${standIn.origin}/oauth/authorize`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ oauth_token: requestToken.get("oauth_token")!, screen_name: screenName, action: "allow" }).toString(),
    redirect: "manual",
  });
  const verifier = new URL(consent.headers.get("location") ?? "").searchParams.get("oauth_verifier") ?? "";
  const access = await signed(standIn.urls.accessToken, { oauth_token: requestToken.get("oauth_token")!, oauth_verifier: verifier }, requestToken.get("oauth_token_secret")!);
  return { token: access.get("oauth_token")!, secret: access.get("oauth_token_secret")! };
}

function exchange(standIn: StandIn, oauth1: { token: string; secret: string }, overrides: Record<string, string> = {}): Promise<Response> {
  return token(standIn, {
    grant_type: "urn:ietf:params:oauth:grant-type:token-exchange",
    subject_token: oauth1.token,
    subject_token_type: "urn:x:params:oauth:token-type:oauth1_token",
    oauth_token_secret: oauth1.secret,
    ...overrides,
  });
}

let standIn: StandIn;
beforeAll(async () => {
  standIn = await startStandIn({
    oauth2Clients: {
      [DEFAULT_OAUTH2_CLIENT_ID]: { secret: DEFAULT_OAUTH2_CLIENT_SECRET, consumerKey: DEFAULT_CONSUMER_KEY },
      "id:with+reserved%": { secret: "s=cr%t &é" },
      "public-client": {},
    },
  });
});
afterAll(() => standIn.close());

describe("the stand-in's OAuth 2.0 authorization code flow with PKCE", () => {
  it("signs in: consent, code, Basic-authenticated token request, Bearer /2/users/me", async () => {
    const tokens = await signIn(standIn, "alice");
    expect(tokens).toMatchObject({ token_type: "bearer", expires_in: 7200, scope: SCOPE });
    expect(tokens.access_token).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(tokens.refresh_token).toMatch(/^[A-Za-z0-9_-]{32}$/);
    const me = await usersMe(standIn, tokens.access_token);
    expect(me.status).toBe(200);
    expect(await me.json()).toEqual({ data: { id: userIdForScreenName("alice"), name: "alice", username: "alice" } });
  });

  it("issues no refresh token without offline.access", async () => {
    const tokens = await signIn(standIn, "alice", "users.read tweet.read");
    expect(tokens.refresh_token).toBeUndefined();
  });

  it("gives confirmed_email only when users.email was granted", async () => {
    const without = await signIn(standIn, "bob");
    const withoutBody = (await (await usersMe(standIn, without.access_token, "?user.fields=confirmed_email")).json()) as { data: Record<string, unknown> };
    expect(withoutBody.data.confirmed_email).toBeUndefined();
    const granted = await signIn(standIn, "bob", `${SCOPE} users.email`);
    const grantedBody = (await (await usersMe(standIn, granted.access_token, "?user.fields=confirmed_email")).json()) as { data: Record<string, unknown> };
    expect(grantedBody.data.confirmed_email).toBe("bob@example.com");
  });

  it("redirects a denial with error=access_denied and the state", async () => {
    const request = await openConsent(standIn, { code_challenge: pkce().challenge });
    const denied = await postConsent(standIn, { request, action: "deny" });
    expect(denied.status).toBe(302);
    expect(Object.fromEntries(new URL(denied.headers.get("location")!).searchParams)).toEqual({ error: "access_denied", state: "st4te" });
  });

  it("refuses to redirect for an unknown client or an unapproved redirect URI", async () => {
    const cases: Record<string, string>[] = [{ client_id: "nobody" }, { redirect_uri: "https://evil.example/auth" }];
    for (const fields of cases) {
      const page = await fetch(authorizeUrl(standIn, { code_challenge: "x".repeat(43), ...fields }), { redirect: "manual" });
      expect(page.status).toBe(400);
      expect(await page.text()).toContain('id="oauth2_error"');
    }
  });

  it("redirects a request without a PKCE challenge with error=invalid_request", async () => {
    const response = await fetch(authorizeUrl(standIn, { code_challenge: "" }), { redirect: "manual" });
    expect(response.status).toBe(302);
    expect(Object.fromEntries(new URL(response.headers.get("location")!).searchParams)).toEqual({ error: "invalid_request", state: "st4te" });
  });

  it("takes a code once: the second redemption is invalid_grant", async () => {
    const { code, verifier } = await authorize(standIn, "carol");
    expect((await redeem(standIn, code, verifier)).status).toBe(200);
    await expectOAuthError(await redeem(standIn, code, verifier), 400, "invalid_grant");
  });

  it("refuses a code redeemed with a verifier that does not match its challenge, and spends it", async () => {
    const { code } = await authorize(standIn, "carol");
    await expectOAuthError(await redeem(standIn, code, pkce().verifier), 400, "invalid_grant");
  });

  it("refuses a redirect_uri that differs from the authorization request's, even by a slash", async () => {
    const { code, verifier } = await authorize(standIn, "carol");
    await expectOAuthError(await redeem(standIn, code, verifier, `${REDIRECT_URI}/`), 400, "invalid_grant");
  });

  it("refuses an expired code (a stand-in whose codes live 0 seconds)", async () => {
    const shortLived = await startStandIn({ oauth2CodeLifetimeSeconds: 0 });
    try {
      const { code, verifier } = await authorize(shortLived, "dave");
      const response = await redeem(shortLived, code, verifier);
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({ error: "invalid_grant", error_description: "Value passed for the authorization code was invalid." });
    } finally {
      await shortLived.close();
    }
  });

  it("refuses an expired access token on /2/users/me with v2's 401 problem", async () => {
    const shortLived = await startStandIn({ oauth2AccessTokenLifetimeSeconds: 0 });
    try {
      const tokens = await signIn(shortLived, "dave");
      expect(tokens.expires_in).toBe(0);
      const me = await usersMe(shortLived, tokens.access_token);
      expect(me.status).toBe(401);
      expect(await me.json()).toEqual({ title: "Unauthorized", type: "about:blank", status: 401, detail: "Unauthorized" });
    } finally {
      await shortLived.close();
    }
  });
});

describe("the stand-in's client authentication at the token endpoint", () => {
  it("requires Basic for a confidential client: client_id in the body is unauthorized_client", async () => {
    const { code, verifier } = await authorize(standIn, "erin");
    const response = await token(standIn, { grant_type: "authorization_code", code, redirect_uri: REDIRECT_URI, code_verifier: verifier, client_id: DEFAULT_OAUTH2_CLIENT_ID }, null);
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ error: "unauthorized_client", error_description: "Missing valid authorization header" });
  });

  it("refuses a wrong secret with invalid_client", async () => {
    const wrong = `Basic ${Buffer.from(`${DEFAULT_OAUTH2_CLIENT_ID}:nope`).toString("base64")}`;
    await expectOAuthError(await token(standIn, { grant_type: "refresh_token", refresh_token: "x" }, wrong), 401, "invalid_client");
  });

  it("decodes id and secret as form-urlencoded (RFC 6749 2.3.1), so only the encoded form authenticates", async () => {
    const encoded = `${encodeURIComponent("id:with+reserved%").replace(/%20/g, "+")}:${new URLSearchParams({ v: "s=cr%t &é" }).toString().slice(2)}`;
    // The client is known: a refresh token it does not have is invalid_grant, not invalid_client.
    await expectOAuthError(await token(standIn, { grant_type: "refresh_token", refresh_token: "x" }, `Basic ${Buffer.from(encoded).toString("base64")}`), 400, "invalid_grant");
    const raw = `Basic ${Buffer.from("id:with+reserved%:s=cr%t &é").toString("base64")}`;
    await expectOAuthError(await token(standIn, { grant_type: "refresh_token", refresh_token: "x" }, raw), 401, "invalid_client");
  });

  it("lets a public client name itself with client_id", async () => {
    await expectOAuthError(await token(standIn, { grant_type: "refresh_token", refresh_token: "x", client_id: "public-client" }, null), 400, "invalid_grant");
  });
});

describe("the stand-in's refresh rotation", () => {
  it("answers a refresh with a new pair, and refuses the old refresh token with invalid_grant", async () => {
    const first = await signIn(standIn, "frank");
    const refreshed = await token(standIn, { grant_type: "refresh_token", refresh_token: first.refresh_token! });
    expect(refreshed.status).toBe(200);
    const second = (await refreshed.json()) as Tokens;
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect(second.scope).toBe(SCOPE);
    expect((await usersMe(standIn, second.access_token)).status).toBe(200);
    const reused = await token(standIn, { grant_type: "refresh_token", refresh_token: first.refresh_token! });
    expect(reused.status).toBe(400);
    expect(await reused.json()).toEqual({ error: "invalid_grant", error_description: "Value passed for the token was invalid." });
  });
});

describe("the stand-in's token exchange from OAuth 1.0a", () => {
  it("exchanges a 1.0a token it issued for a pair of the same user, and a second exchange ends the first pair", async () => {
    const oauth1 = await signInOAuth1(standIn, "grace");
    const first = await exchange(standIn, oauth1);
    expect(first.status).toBe(200);
    const firstPair = (await first.json()) as Tokens;
    expect(firstPair.scope.split(" ")).toEqual(expect.arrayContaining(["users.read", "tweet.read", "offline.access"]));
    expect(((await (await usersMe(standIn, firstPair.access_token)).json()) as { data: { username: string } }).data.username).toBe("grace");
    const secondPair = (await (await exchange(standIn, oauth1)).json()) as Tokens;
    expect((await usersMe(standIn, firstPair.access_token)).status).toBe(401);
    await expectOAuthError(await token(standIn, { grant_type: "refresh_token", refresh_token: firstPair.refresh_token! }), 400, "invalid_grant");
    expect((await usersMe(standIn, secondPair.access_token)).status).toBe(200);
  });

  it("refuses a wrong token secret with invalid_grant and a wrong subject_token_type with invalid_request", async () => {
    const oauth1 = await signInOAuth1(standIn, "heidi");
    await expectOAuthError(await exchange(standIn, { ...oauth1, secret: "wrong" }), 400, "invalid_grant");
    await expectOAuthError(await exchange(standIn, oauth1, { subject_token_type: "urn:ietf:params:oauth:token-type:access_token" }), 400, "invalid_request");
  });
});

describe("the stand-in's revocation", () => {
  it("ends a refresh token and the access token issued with it, and answers {revoked: true}", async () => {
    const tokens = await signIn(standIn, "ivan");
    const revoked = await fetch(standIn.urls.oauth2Revoke, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", authorization: BASIC },
      body: new URLSearchParams({ token: tokens.refresh_token!, token_type_hint: "refresh_token" }).toString(),
    });
    expect(revoked.status).toBe(200);
    expect(await revoked.json()).toEqual({ revoked: true });
    expect((await usersMe(standIn, tokens.access_token)).status).toBe(401);
    await expectOAuthError(await token(standIn, { grant_type: "refresh_token", refresh_token: tokens.refresh_token! }), 400, "invalid_grant");
  });

  it("requires client authentication", async () => {
    const response = await fetch(standIn.urls.oauth2Revoke, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "token=x" });
    expect(response.status).toBe(401);
  });
});

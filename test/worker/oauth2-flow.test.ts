// Sign-in with OAuth 2.0 (PKCE) in the Workers runtime against the stand-in, on both stores: the flow, every error path, the session record.
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { readSession } from "../../src/session/session-store";
import { storeFor } from "../../src/session/store";
import { standInOrigin } from "./support/browser";
import { FAULT_TIMEOUT_MS, clearFaults, faultyOrigin, setFault } from "./support/faulty";
import { consent, oauth2Env, signInOAuth2, startOAuth2Login } from "./support/oauth2";
import { SITE, echoed, gateway, send as gatewaySend } from "./support/gateway";
import { TEST_SESSION_SECRET } from "./support/settings";
import { ENVS, STORES, get } from "./support/stores";

afterEach(() => clearFaults());

async function expectError(response: Response, status: number, error: string): Promise<string> {
  expect(response.status).toBe(status);
  const body = (await response.json()) as { error: string; error_description: string };
  expect(body.error).toBe(error);
  return body.error_description;
}

describe.each(STORES)("OAuth 2.0 sign-in (%s store)", (store) => {
  const environment = () => oauth2Env(ENVS[store], standInOrigin());

  it("sends the browser to X's OAuth 2.0 authorize page with S256 PKCE, a state, the scopes and the exact redirect URI", async () => {
    const { response, authorizeUrl, cookie } = await startOAuth2Login(environment());
    expect(response.headers.get("Cache-Control")).toBe("no-store");
    expect(`${authorizeUrl.origin}${authorizeUrl.pathname}`).toBe(`${standInOrigin()}/i/oauth2/authorize`);
    const query = Object.fromEntries(authorizeUrl.searchParams);
    expect(query).toMatchObject({
      response_type: "code",
      client_id: "stand-in-oauth2-client-id",
      redirect_uri: "http://localhost:8787/auth",
      scope: "users.read tweet.read offline.access",
      code_challenge_method: "S256",
    });
    expect(query.state).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(query.code_challenge).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(cookie).toMatch(/^twitter_login=/);
  });

  it("signs in: X's v2 JSON as it came, and a session holding the tokens, their expiry and the granted scope", async () => {
    const before = Date.now();
    const { response, session } = await signInOAuth2(environment(), "oauth2_alice");
    expect(response.status).toBe(200);
    expect(response.headers.get("X-Twitter-Profile-Source")).toBe("users_me");
    const json = (await response.json()) as { data: { username: string; id: string; profile_image_url: string } };
    expect(json.data.username).toBe("oauth2_alice");
    const me = await get(environment(), "/me", session.cookie);
    expect(((await me.json()) as { screenName: string }).screenName).toBe("oauth2_alice");
    const stored = await readSession(storeFor(environment()), [TEST_SESSION_SECRET], session, 3600);
    expect(stored?.oauth2?.scope).toBe("users.read tweet.read offline.access");
    expect(stored?.oauth2?.refreshToken).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(stored?.oauth2?.accessTokenExpiresAt).toBeGreaterThanOrEqual(before + 7_200_000);
    expect(stored?.credentials).toEqual({ token: "", tokenSecret: "" });
  });

  it("asks for users.email with the email, and answers X's confirmed_email", async () => {
    const withEmail = oauth2Env(ENVS[store], standInOrigin(), { TWITTER_INCLUDE_EMAIL: "true" });
    const { authorizeUrl } = await startOAuth2Login(withEmail);
    expect(authorizeUrl.searchParams.get("scope")).toBe("users.read tweet.read offline.access users.email");
    const { response } = await signInOAuth2(withEmail, "oauth2_mail");
    expect(((await response.json()) as { data: { confirmed_email: string } }).data.confirmed_email).toBe("oauth2_mail@example.com");
  });

  it("answers a cancelled consent 403 access_denied and uses the sign-in up", async () => {
    const { cookie, authorizeUrl } = await startOAuth2Login(environment());
    const back = await consent(authorizeUrl, "x", "deny");
    const denied = await get(environment(), `${back.pathname}${back.search}`, cookie);
    expect(await expectError(denied, 403, "access_denied")).toBe("You declined to sign in with Twitter. Nothing was shared.");
    await expectError(await get(environment(), `/auth?state=${back.searchParams.get("state")}&code=c`, cookie), 400, "expired_sign_in");
  });

  it("answers a replayed callback 400 expired_sign_in", async () => {
    const { cookie, authorizeUrl } = await startOAuth2Login(environment());
    const back = await consent(authorizeUrl, "oauth2_bob");
    expect((await get(environment(), `${back.pathname}${back.search}`, cookie)).status).toBe(200);
    await expectError(await get(environment(), `${back.pathname}${back.search}`, cookie), 400, "expired_sign_in");
  });

  it("refuses a state that is not this sign-in's with 400 token_mismatch, and the sign-in can still finish", async () => {
    const { cookie, authorizeUrl } = await startOAuth2Login(environment());
    const back = await consent(authorizeUrl, "oauth2_carol");
    const description = await expectError(await get(environment(), `/auth?state=${"A".repeat(22)}&code=${back.searchParams.get("code")}`, cookie), 400, "token_mismatch");
    expect(description).toBe("The callback's state is not this sign-in's. Start again from /login.");
    expect((await get(environment(), `${back.pathname}${back.search}`, cookie)).status).toBe(200);
  });

  it("refuses a callback without the cookie (400 missing_cookie) or without code and state (400 invalid_callback)", async () => {
    await expectError(await get(environment(), "/auth?state=s&code=c"), 400, "missing_cookie");
    const { cookie } = await startOAuth2Login(environment());
    await expectError(await get(environment(), "/auth", cookie), 400, "invalid_callback");
  });
});

describe("OAuth 2.0 sign-in when X fails", () => {
  const environment = () => oauth2Env(env, faultyOrigin(), { TWITTER_TIMEOUT_MS: String(FAULT_TIMEOUT_MS) });

  async function callbackWith(fault: Record<string, unknown> | null, endpoint: "oauth2_token" | "users_me" = "oauth2_token"): Promise<Response> {
    const { cookie, authorizeUrl } = await startOAuth2Login(environment());
    const back = await consent(authorizeUrl, "oauth2_dave");
    await setFault(endpoint as never, fault);
    return get(environment(), `${back.pathname}${back.search}`, cookie);
  }

  it("answers a code X refuses (replayed or expired: invalid_grant) 400 invalid_callback, and logs X's status and code", async () => {
    const lines: string[] = [];
    const spy = vi.spyOn(console, "log").mockImplementation((line: unknown) => void lines.push(String(line)));
    try {
      const response = await callbackWith({ kind: "status", status: 400, contentType: "application/json", body: '{"error":"invalid_grant","error_description":"Value passed for the authorization code was invalid."}' });
      expect(await expectError(response, 400, "invalid_callback")).toBe("Twitter refused this sign-in: already used, expired or forged. Start again from /login.");
    } finally {
      spy.mockRestore();
    }
    const auth = lines.map((line) => JSON.parse(line) as Record<string, unknown>).find((entry) => entry.step === "auth");
    expect(auth).toMatchObject({ outcome: "error", status: 400, error: "invalid_callback", providerStatus: 400, providerCode: "invalid_grant" });
  });

  it("answers a client X rejects 502 twitter_rejected_credentials naming the OAuth 2.0 settings", async () => {
    const response = await callbackWith({ kind: "status", status: 401, contentType: "application/json", body: '{"error":"invalid_client"}' });
    expect(await expectError(response, 502, "twitter_rejected_credentials")).toContain("TWITTER_OAUTH2_CLIENT_ID or TWITTER_OAUTH2_CLIENT_SECRET");
  });

  it("answers X's 503 502 twitter_error, a hang 504 twitter_timeout, garbage 502 twitter_bad_response", async () => {
    expect(await expectError(await callbackWith({ kind: "status", status: 503 }), 502, "twitter_error")).toBe("Twitter answered HTTP 503 (oauth2/token). Try again later.");
    expect(await expectError(await callbackWith({ kind: "hang" }), 504, "twitter_timeout")).toBe("Twitter did not answer in time (oauth2/token). Try again.");
    await expectError(await callbackWith({ kind: "garbage" }), 502, "twitter_bad_response");
  });

  it("answers a 403 from /2/users/me 502 twitter_access_level", async () => {
    const response = await callbackWith({ kind: "status", status: 403 }, "users_me");
    expect(await expectError(response, 502, "twitter_access_level")).toContain("users.read and tweet.read");
  });
});

describe("OAuth 2.0 settings", () => {
  it("names the missing OAuth 2.0 pair in the usual 500", async () => {
    const environment = { ...oauth2Env(env, standInOrigin()), TWITTER_OAUTH2_CLIENT_ID: "", TWITTER_OAUTH2_CLIENT_SECRET: undefined } as Cloudflare.Env;
    const description = await expectError(await get(environment, "/login"), 500, "server_misconfigured");
    expect(description).toContain("TWITTER_OAUTH2_CLIENT_ID, TWITTER_OAUTH2_CLIENT_SECRET settings are not set");
  });

  it("refuses a profile setting that cannot work under 2.0 with a 500 naming it", async () => {
    const environment = oauth2Env(env, standInOrigin(), { TWITTER_PROFILE_ENDPOINT: "verify_credentials" });
    expect(await expectError(await get(environment, "/login"), 500, "server_misconfigured")).toContain("TWITTER_PROFILE_ENDPOINT setting is not usable with TWITTER_OAUTH_VERSION=2.0");
  });

  it("refuses scopes without users.read with a 500 naming TWITTER_OAUTH2_SCOPES", async () => {
    const environment = oauth2Env(env, standInOrigin(), { TWITTER_OAUTH2_SCOPES: "tweet.read offline.access" });
    expect(await expectError(await get(environment, "/login"), 500, "server_misconfigured")).toContain("TWITTER_OAUTH2_SCOPES");
  });

  it("refuses an unknown TWITTER_OAUTH_VERSION with a 500 naming it", async () => {
    const environment = oauth2Env(env, standInOrigin(), { TWITTER_OAUTH_VERSION: "2" });
    expect(await expectError(await get(environment, "/login"), 500, "server_misconfigured")).toContain("TWITTER_OAUTH_VERSION");
  });
});

describe("gateway mode, the devices list and /me under OAuth 2.0", () => {
  it("signs in through the gateway with 2.0 and forwards the page with the user's identity", async () => {
    const environment = gateway({ SIGN_IN_PREFIX: "/_auth" }, oauth2Env(env, standInOrigin()));
    const login = await gatewaySend(environment, "/_auth/login");
    expect(login.status).toBe(302);
    const authorizeUrl = new URL(login.headers.get("Location")!);
    expect(authorizeUrl.searchParams.get("redirect_uri")).toBe(`${SITE}/_auth/auth`);
    const back = await consent(authorizeUrl, "gate_two");
    const auth = await gatewaySend(environment, `${back.pathname}${back.search}`, { Cookie: login.headers.get("Set-Cookie")!.split(";")[0]! });
    expect(auth.status).toBe(200);
    const cookie = auth.headers.getSetCookie().find((value) => value.startsWith("twitter_session="))!.split(";")[0]!;
    const page = await echoed(await gatewaySend(environment, "/", { Cookie: cookie }));
    expect(page.headers["x-twitter-screen-name"]).toBe("gate_two");
    const devices = await gatewaySend(environment, "/_auth/sessions", { Cookie: cookie, Accept: "application/json" });
    expect(devices.status).toBe(200);
    expect(((await devices.json()) as { sessions: unknown[] }).sessions).toHaveLength(1);
  });
});

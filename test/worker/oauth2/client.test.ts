// The OAuth 2.0 client: RFC 7636's S256 vector, RFC 6749's Basic encoding, the grants, revocation and every error code.
import { describe, expect, it } from "vitest";
import {
  OAuth2Client,
  OAuth2Error,
  ProviderStatusError,
  TokenEndpointError,
  basicAuthorization,
  calculateCodeChallenge,
  generateCodeVerifier,
} from "../../../src/oauth2";

/** A fetch that answers every request with the given response and records what it was sent. */
function answering(status: number, body: string) {
  const sent: { url: string; headers: Headers; form: URLSearchParams }[] = [];
  const fetch = async (input: Request | string, init?: RequestInit) => {
    sent.push({ url: String(input), headers: new Headers(init?.headers), form: new URLSearchParams(String(init?.body)) });
    return new Response(body, { status, headers: { "Content-Type": "application/json" } });
  };
  return { fetch, sent };
}

const TOKEN_ENDPOINT = "https://as.example/2/oauth2/token";
const REVOCATION_ENDPOINT = "https://as.example/2/oauth2/revoke";

function clientWith(status: number, body: string, secret: string | null = "s3cret") {
  const { fetch, sent } = answering(status, body);
  const client = new OAuth2Client({
    clientId: "client-1",
    ...(secret === null ? {} : { clientSecret: secret }),
    tokenEndpoint: TOKEN_ENDPOINT,
    revocationEndpoint: REVOCATION_ENDPOINT,
    fetch,
  });
  return { client, sent };
}

async function expectOAuth2Error(promise: Promise<unknown>, code: string): Promise<OAuth2Error> {
  const error = await promise.then(() => undefined, (caught: unknown) => caught);
  expect(error).toBeInstanceOf(OAuth2Error);
  expect((error as OAuth2Error).code).toBe(code);
  return error as OAuth2Error;
}

/** application/x-www-form-urlencoded of one value, written from the HTML spec's byte table (not the client's code). */
function formEncodeByHand(value: string): string {
  let out = "";
  for (const byte of new TextEncoder().encode(value)) {
    const char = String.fromCharCode(byte);
    if (/[A-Za-z0-9*\-._]/.test(char)) out += char;
    else if (byte === 0x20) out += "+";
    else out += `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

describe("PKCE (RFC 7636)", () => {
  it("derives Appendix B's S256 challenge from its verifier", async () => {
    expect(await calculateCodeChallenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")).toBe("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
  });

  it("generates 43-character verifiers of unreserved characters, different each time", () => {
    const first = generateCodeVerifier();
    expect(first).toMatch(/^[A-Za-z0-9\-._~]{43}$/);
    expect(generateCodeVerifier()).not.toBe(first);
  });

  it("refuses a verifier shorter than section 4.1 allows", async () => {
    await expectOAuth2Error(calculateCodeChallenge("short"), "ERR_OAUTH2_INVALID_INPUT");
  });
});

describe("client authentication with HTTP Basic (RFC 6749 section 2.3.1)", () => {
  it("form-urlencodes id and secret before base64: PingAM's published example", () => {
    expect(basicAuthorization("example.com", "s=cr%t")).toBe("Basic ZXhhbXBsZS5jb206cyUzRGNyJTI1dA==");
  });

  it("matches an independent computation for an id and secret with reserved and non-ASCII characters", () => {
    const id = "id:with+plus&amp/slash";
    const secret = "p@ss wörd:%~!*'()";
    const expected = btoa(`${formEncodeByHand(id)}:${formEncodeByHand(secret)}`);
    expect(basicAuthorization(id, secret)).toBe(`Basic ${expected}`);
    // The classic bug would have put a raw ":" and "%" inside the credentials.
    expect(atob(expected)).toBe("id%3Awith%2Bplus%26amp%2Fslash:p%40ss+w%C3%B6rd%3A%25%7E%21*%27%28%29");
  });
});

describe("authorization URL (RFC 6749 section 4.1.1)", () => {
  it("carries response_type, client_id, redirect_uri, scope, state and the S256 challenge", () => {
    const { client } = clientWith(200, "{}");
    const url = new URL(
      client.authorizationUrl("https://x.example/i/oauth2/authorize", {
        redirectUri: "https://site.example/auth",
        scope: "users.read tweet.read",
        state: "st",
        codeChallenge: "ch",
      }),
    );
    expect(Object.fromEntries(url.searchParams)).toEqual({
      response_type: "code",
      client_id: "client-1",
      redirect_uri: "https://site.example/auth",
      scope: "users.read tweet.read",
      state: "st",
      code_challenge: "ch",
      code_challenge_method: "S256",
    });
    expect(url.search).toContain("scope=users.read%20tweet.read");
  });
});

describe("token endpoint", () => {
  const tokens = JSON.stringify({ token_type: "bearer", expires_in: 7200, access_token: "at", refresh_token: "rt", scope: "users.read offline.access" });

  it("exchanges a code with Basic auth, the verifier and the redirect URI", async () => {
    const { client, sent } = clientWith(200, tokens);
    const answer = await client.exchangeAuthorizationCode({ code: "c", redirectUri: "https://site.example/auth", codeVerifier: "v" });
    expect(answer).toEqual({ accessToken: "at", tokenType: "bearer", expiresIn: 7200, refreshToken: "rt", scope: "users.read offline.access" });
    expect(sent[0]!.url).toBe(TOKEN_ENDPOINT);
    expect(sent[0]!.headers.get("Authorization")).toBe(`Basic ${btoa("client-1:s3cret")}`);
    expect(sent[0]!.headers.get("Content-Type")).toBe("application/x-www-form-urlencoded");
    expect(Object.fromEntries(sent[0]!.form)).toEqual({ grant_type: "authorization_code", code: "c", redirect_uri: "https://site.example/auth", code_verifier: "v" });
  });

  it("names a public client with client_id in the body and sends no Authorization", async () => {
    const { client, sent } = clientWith(200, tokens, null);
    await client.refresh("rt");
    expect(sent[0]!.headers.has("Authorization")).toBe(false);
    expect(Object.fromEntries(sent[0]!.form)).toEqual({ grant_type: "refresh_token", refresh_token: "rt", client_id: "client-1" });
  });

  it("reports invalid_grant with its status, description and a body with tokens redacted", async () => {
    const { client } = clientWith(400, JSON.stringify({ error: "invalid_grant", error_description: "Value passed for the token was invalid.", refresh_token: "leak" }));
    const error = await expectOAuth2Error(client.refresh("rt"), "invalid_grant");
    expect(error).toBeInstanceOf(TokenEndpointError);
    expect(error.status).toBe(400);
    expect((error as TokenEndpointError).description).toBe("Value passed for the token was invalid.");
    expect(error.body).not.toContain("leak");
    expect(error.message).toBe("https://as.example/2/oauth2/token answered HTTP 400 invalid_grant");
  });

  it("reports an error outside the protocol's codes (X's rate_limited) as a status error", async () => {
    const { client } = clientWith(429, JSON.stringify({ error: "rate_limited" }));
    const error = await expectOAuth2Error(client.refresh("rt"), "ERR_OAUTH2_PROVIDER_STATUS");
    expect((error as ProviderStatusError).error).toBe("rate_limited");
    expect(error.status).toBe(429);
  });

  it.each([
    ["not JSON", "<html>", "a body that is not a JSON object"],
    ["an array", "[]", "a body that is not a JSON object"],
    ["no access_token", JSON.stringify({ token_type: "bearer" }), "no access_token"],
    ["no token_type", JSON.stringify({ access_token: "at" }), "no token_type"],
    ["expires_in as a string", JSON.stringify({ access_token: "at", token_type: "bearer", expires_in: "7200" }), "an expires_in that is not a whole number of seconds"],
    ["refresh_token as a number", JSON.stringify({ access_token: "at", token_type: "bearer", refresh_token: 5 }), "a refresh_token that is not a string"],
    ["scope as a list", JSON.stringify({ access_token: "at", token_type: "bearer", scope: ["a"] }), "a scope that is not a string"],
  ])("refuses a 200 with %s", async (_, body, what) => {
    const { client } = clientWith(200, body);
    const error = await expectOAuth2Error(client.refresh("rt"), "ERR_OAUTH2_PROVIDER_RESPONSE");
    expect(error.message).toBe(`https://as.example/2/oauth2/token answered with ${what}`);
  });

  it("refuses an answer larger than maxResponseBytes", async () => {
    const { fetch } = answering(200, "x".repeat(100));
    const client = new OAuth2Client({ clientId: "c", tokenEndpoint: TOKEN_ENDPOINT, fetch, maxResponseBytes: 10 });
    await expectOAuth2Error(client.refresh("rt"), "ERR_OAUTH2_PROVIDER_RESPONSE");
  });

  it("reports a fetch that throws as a network error and an abort as a timeout", async () => {
    const failing = new OAuth2Client({ clientId: "c", tokenEndpoint: TOKEN_ENDPOINT, fetch: async () => { throw new TypeError("connection refused"); } });
    await expectOAuth2Error(failing.refresh("rt"), "ERR_OAUTH2_NETWORK");
    const slow = new OAuth2Client({ clientId: "c", tokenEndpoint: TOKEN_ENDPOINT, timeoutMs: 5, fetch: async () => { throw new DOMException("timed out", "TimeoutError"); } });
    const error = await expectOAuth2Error(slow.refresh("rt"), "ERR_OAUTH2_TIMEOUT");
    expect(error.message).toBe("https://as.example/2/oauth2/token did not answer within 5 ms");
  });
});

describe("revocation (RFC 7009)", () => {
  it("posts the token and its hint with Basic auth and resolves on 200", async () => {
    const { client, sent } = clientWith(200, "");
    await client.revoke("rt", "refresh_token");
    expect(sent[0]!.url).toBe(REVOCATION_ENDPOINT);
    expect(sent[0]!.headers.get("Authorization")).toBe(`Basic ${btoa("client-1:s3cret")}`);
    expect(Object.fromEntries(sent[0]!.form)).toEqual({ token: "rt", token_type_hint: "refresh_token" });
  });

  it("reports a 503 as a status error and unsupported_token_type by its code", async () => {
    await expectOAuth2Error(clientWith(503, "").client.revoke("rt"), "ERR_OAUTH2_PROVIDER_STATUS");
    await expectOAuth2Error(clientWith(400, JSON.stringify({ error: "unsupported_token_type" })).client.revoke("rt"), "unsupported_token_type");
  });

  it("refuses to revoke without a revocation endpoint", async () => {
    const client = new OAuth2Client({ clientId: "c", tokenEndpoint: TOKEN_ENDPOINT });
    await expectOAuth2Error(client.revoke("rt"), "ERR_OAUTH2_INVALID_INPUT");
  });
});

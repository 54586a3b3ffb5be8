// Node-side tests of the Twitter stand-in over real HTTP, signing with oauth-sign and a small header builder of their own (never src/).
import { randomBytes } from "node:crypto";
import { hmacsign, rfc3986, sign } from "oauth-sign";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { baseStringUri, parseAuthorizationHeader } from "../../tools/stand-in/oauth.ts";
import { DEFAULT_CONSUMER_KEY, DEFAULT_CONSUMER_SECRET, startStandIn, type Fault, type StandIn } from "../../tools/stand-in/server.ts";
import { ACCESS_LEVEL_ERROR_BODY, USER_FIELDS, userIdForScreenName } from "../../tools/stand-in/twitter.ts";

// ---------------------------------------------------------------- a small OAuth 1.0a client for the tests

type Pairs = [string, string][];

/** `OAuth name="value", ...`, each percent-encoded (RFC 5849 3.5.1). */
function oauthHeader(params: Pairs): string {
  return `OAuth ${params.map(([k, v]) => `${rfc3986(k)}="${rfc3986(v)}"`).join(", ")}`;
}

function formBody(pairs: Pairs): string {
  return pairs.map(([k, v]) => `${rfc3986(k)}=${rfc3986(v)}`).join("&");
}

/** oauth-sign's parameter object; repeated names become arrays. */
function paramObject(pairs: Pairs): Record<string, string | string[]> {
  const o: Record<string, string | string[]> = {};
  for (const [k, v] of pairs) {
    const had = o[k];
    o[k] = had === undefined ? v : Array.isArray(had) ? [...had, v] : [had, v];
  }
  return o;
}

interface Signed {
  method?: string;
  url: string;
  consumerKey?: string;
  consumerSecret?: string;
  token?: string;
  tokenSecret?: string;
  /** Extra or overriding protocol parameters (oauth_callback, oauth_verifier, oauth_timestamp, ...). */
  oauth?: Record<string, string>;
  form?: Pairs;
  signatureMethod?: string;
  /** Where the protocol parameters go (RFC 5849 3.5). */
  placement?: "header" | "query" | "form";
  tamper?: (signature: string) => string;
}

/** Signs and sends a request. Returns the response and what was signed (for replays). */
async function signedFetch(s: Signed): Promise<Response> {
  return fetch(...signedRequest(s));
}

function signedRequest(s: Signed): [string, RequestInit] {
  const method = s.method ?? "POST";
  const url = new URL(s.url);
  const oauth: Pairs = Object.entries({
    oauth_consumer_key: s.consumerKey ?? DEFAULT_CONSUMER_KEY,
    oauth_nonce: randomBytes(16).toString("hex"),
    oauth_signature_method: s.signatureMethod ?? "HMAC-SHA1",
    oauth_timestamp: String(Math.floor(Date.now() / 1000)),
    oauth_version: "1.0",
    ...(s.token !== undefined ? { oauth_token: s.token } : {}),
    ...s.oauth,
  });
  const all: Pairs = [...url.searchParams, ...(s.form ?? []), ...oauth];
  const baseUri = `${url.origin}${url.pathname}`;
  let signature = sign(s.signatureMethod ?? "HMAC-SHA1", method, baseUri, paramObject(all), s.consumerSecret ?? DEFAULT_CONSUMER_SECRET, s.tokenSecret ?? "");
  if (s.tamper) signature = s.tamper(signature);
  const withSignature: Pairs = [...oauth, ["oauth_signature", signature]];
  const headers: Record<string, string> = {};
  let form = s.form ?? [];
  const placement = s.placement ?? "header";
  if (placement === "header") headers["authorization"] = oauthHeader(withSignature);
  if (placement === "query") for (const [k, v] of withSignature) url.searchParams.append(k, v);
  if (placement === "form") form = [...form, ...withSignature];
  const init: RequestInit = { method, headers, redirect: "manual" };
  if (form.length > 0 || method === "POST") {
    headers["content-type"] = "application/x-www-form-urlencoded";
    init.body = formBody(form);
  }
  return [url.href, init];
}

async function twitterErrorCode(response: Response): Promise<number | undefined> {
  const body = (await response.json()) as { errors?: { code: number }[] };
  return body.errors?.[0]?.code;
}

const CALLBACK = "http://localhost:8787/auth/twitter/callback?next=%2Fhome";

async function getRequestToken(standIn: StandIn, callback = CALLBACK): Promise<{ token: string; secret: string }> {
  const response = await signedFetch({ url: standIn.urls.requestToken, oauth: { oauth_callback: callback } });
  expect(response.status).toBe(200);
  const body = new URLSearchParams(await response.text());
  return { token: body.get("oauth_token") ?? "", secret: body.get("oauth_token_secret") ?? "" };
}

async function postConsent(standIn: StandIn, fields: Record<string, string>): Promise<Response> {
  return fetch(`${standIn.origin}/oauth/authorize`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(fields).toString(),
    redirect: "manual",
  });
}

/** request_token, consent ("allow"), and the verifier from the callback redirect. */
async function authorize(standIn: StandIn, screenName: string): Promise<{ token: string; secret: string; verifier: string }> {
  const requestToken = await getRequestToken(standIn);
  const consent = await postConsent(standIn, { oauth_token: requestToken.token, screen_name: screenName, action: "allow" });
  expect(consent.status).toBe(302);
  const verifier = new URL(consent.headers.get("location") ?? "").searchParams.get("oauth_verifier") ?? "";
  return { ...requestToken, verifier };
}

/** The whole three-legged flow: access token credentials for a screen name. */
async function signIn(standIn: StandIn, screenName: string): Promise<{ token: string; secret: string; userId: string }> {
  const { token, secret, verifier } = await authorize(standIn, screenName);
  const response = await signedFetch({ url: standIn.urls.accessToken, token, tokenSecret: secret, oauth: { oauth_verifier: verifier } });
  expect(response.status).toBe(200);
  const body = new URLSearchParams(await response.text());
  return { token: body.get("oauth_token") ?? "", secret: body.get("oauth_token_secret") ?? "", userId: body.get("user_id") ?? "" };
}

function verifyCredentials(standIn: StandIn, access: { token: string; secret: string }, query = "skip_status=true"): Promise<Response> {
  return signedFetch({ method: "GET", url: `${standIn.urls.apiBase}account/verify_credentials.json?${query}`, token: access.token, tokenSecret: access.secret });
}

function usersMe(standIn: StandIn, access: { token: string; secret: string }, query = "user.fields=profile_image_url"): Promise<Response> {
  return signedFetch({ method: "GET", url: `${standIn.origin}/2/users/me${query ? `?${query}` : ""}`, token: access.token, tokenSecret: access.secret });
}

// ---------------------------------------------------------------- tests

let standIn: StandIn;
beforeAll(async () => {
  standIn = await startStandIn({ callbackPrefixes: ["https://app.example.com/"] });
});
afterAll(async () => {
  await standIn.close();
});
beforeEach(() => {
  standIn.clearFaults();
});

describe("three-legged flow", () => {
  it("request token, consent form, callback, access token, verify_credentials with raw 64-bit ids", async () => {
    const requestTokenResponse = await signedFetch({ url: standIn.urls.requestToken, oauth: { oauth_callback: CALLBACK } });
    expect(requestTokenResponse.status).toBe(200);
    expect(requestTokenResponse.headers.get("content-type")).toBe("text/html; charset=utf-8");
    const requestToken = new URLSearchParams(await requestTokenResponse.text());
    expect([...requestToken.keys()]).toEqual(["oauth_token", "oauth_token_secret", "oauth_callback_confirmed"]);
    expect(requestToken.get("oauth_callback_confirmed")).toBe("true");
    const token = requestToken.get("oauth_token") ?? "";
    const tokenSecret = requestToken.get("oauth_token_secret") ?? "";
    expect(Buffer.from(tokenSecret, "base64url").length * 8).toBeGreaterThanOrEqual(128);

    const page = await fetch(`${standIn.urls.authenticate}?oauth_token=${token}&screen_name=Alice_1`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain("Authorize <strong>Stand-in App</strong> to access your account?");
    expect(html).toContain('<form method="post" action="/oauth/authorize">');
    expect(html).toContain(`<input type="hidden" name="oauth_token" value="${token}">`);
    expect(html).toMatch(/<label for="screen_name">Screen name<\/label>\s*<input type="text" id="screen_name" name="screen_name" value="Alice_1"/);
    expect(html).toContain('<button type="submit" name="action" value="allow" id="allow">Authorize app</button>');
    expect(html).toContain('<button type="submit" name="action" value="deny" id="cancel">Cancel</button>');
    expect(html).not.toMatch(/<script|src=|href=/);

    const consent = await postConsent(standIn, { oauth_token: token, screen_name: "Alice_1", action: "allow" });
    expect(consent.status).toBe(302);
    const location = consent.headers.get("location") ?? "";
    expect(location).toMatch(new RegExp(`^http://localhost:8787/auth/twitter/callback\\?next=%2Fhome&oauth_token=${token}&oauth_verifier=[A-Za-z0-9_-]+$`));
    const verifier = new URL(location).searchParams.get("oauth_verifier") ?? "";

    const accessTokenResponse = await signedFetch({ url: standIn.urls.accessToken, token, tokenSecret, oauth: { oauth_verifier: verifier } });
    expect(accessTokenResponse.status).toBe(200);
    const access = new URLSearchParams(await accessTokenResponse.text());
    expect([...access.keys()]).toEqual(["oauth_token", "oauth_token_secret", "user_id", "screen_name"]);
    const userId = access.get("user_id") ?? "";
    expect(userId).toBe(userIdForScreenName("alice_1"));
    expect(access.get("screen_name")).toBe("Alice_1");
    expect(access.get("oauth_token")).toMatch(new RegExp(`^${userId}-`));

    const me = await verifyCredentials(standIn, { token: access.get("oauth_token") ?? "", secret: access.get("oauth_token_secret") ?? "" }, "include_email=true&skip_status=true&include_entities=false");
    expect(me.status).toBe(200);
    expect(me.headers.get("content-type")).toBe("application/json;charset=utf-8");
    const text = await me.text();
    expect(text).toMatch(/"id":1\d{18},/);
    expect(text).toContain(`"id":${userId},"id_str":"${userId}"`);
    expect(BigInt(userId)).toBeGreaterThan(2n ** 53n);
    const user = JSON.parse(text) as Record<string, unknown>;
    expect(user).toMatchObject({ id_str: userId, screen_name: "Alice_1", name: "Alice_1", email: "Alice_1@example.com", protected: false, verified: false });
    expect(user).not.toHaveProperty("status");
    expect(user).not.toHaveProperty("entities");
    expect(typeof user["created_at"]).toBe("string");
    expect(user["profile_image_url_https"]).toBe(`${standIn.origin}/profile_images/${userId}/normal.svg`);

    const avatar = await fetch(user["profile_image_url_https"] as string);
    expect(avatar.status).toBe(200);
    expect(avatar.headers.get("content-type")).toBe("image/svg+xml");
    expect(await avatar.text()).toMatch(/^<svg [^>]*>.*>A<\/text><\/svg>/);

    // The request token was consumed.
    const again = await signedFetch({ url: standIn.urls.accessToken, token, tokenSecret, oauth: { oauth_verifier: verifier } });
    expect(again.status).toBe(401);
    expect(await twitterErrorCode(again)).toBe(89);
  });

  it("embeds the status (with its own raw 64-bit id) and omits email unless asked", async () => {
    const access = await signIn(standIn, "bob");
    const text = await (await verifyCredentials(standIn, access, "include_entities=true")).text();
    expect(text).toMatch(/"status":\{"created_at":"[^"]+","id":1\d{18},"id_str":"1\d{18}"/);
    expect(text).toContain('"entities":{"description":{"urls":[]}}');
    expect(text).not.toContain('"email"');
    const skipped = await (await verifyCredentials(standIn, access, "skip_status=1&include_email=false")).text();
    expect(skipped).not.toContain('"status"');
  });

  it("gives the same id to the same screen name in any case, different ids to different names", () => {
    expect(userIdForScreenName("Alice")).toBe(userIdForScreenName("alice"));
    expect(userIdForScreenName("alice")).not.toBe(userIdForScreenName("alicf"));
    for (const name of ["a", "jack", "X_1234567890123"]) expect(userIdForScreenName(name)).toMatch(/^1\d{18}$/);
  });

  it("accepts HMAC-SHA256 and PLAINTEXT, refuses RSA-SHA1", async () => {
    for (const signatureMethod of ["HMAC-SHA256", "PLAINTEXT"]) {
      const response = await signedFetch({ url: standIn.urls.requestToken, signatureMethod, oauth: { oauth_callback: CALLBACK } });
      expect(response.status, signatureMethod).toBe(200);
    }
    const [url, init] = signedRequest({ url: standIn.urls.requestToken, oauth: { oauth_callback: CALLBACK } });
    (init.headers as Record<string, string>)["authorization"] = (init.headers as Record<string, string>)["authorization"]!.replace("HMAC-SHA1", "RSA-SHA1");
    const rsa = await fetch(url, init);
    expect(rsa.status).toBe(401);
    expect(await twitterErrorCode(rsa)).toBe(32);
  });

  it("takes protocol parameters from the query string or a form body too (RFC 5849 3.5.2, 3.5.3)", async () => {
    for (const placement of ["query", "form"] as const) {
      const response = await signedFetch({ url: standIn.urls.requestToken, placement, oauth: { oauth_callback: CALLBACK }, form: [["x_auth_access_type", "read"]] });
      expect(response.status, placement).toBe(200);
    }
  });

  it("takes oauth_verifier from the body while the rest is in the header", async () => {
    const { token, secret, verifier } = await authorize(standIn, "body_verifier");
    const response = await signedFetch({ url: standIn.urls.accessToken, token, tokenSecret: secret, form: [["oauth_verifier", verifier]] });
    expect(response.status).toBe(200);
  });

  it("signs against the Host the client addressed when it is a loopback name of this server", async () => {
    const viaLocalhost = standIn.urls.requestToken.replace("127.0.0.1", "localhost");
    expect((await signedFetch({ url: viaLocalhost, oauth: { oauth_callback: CALLBACK } })).status).toBe(200);
    // Signed for another URL than the one fetched: refused.
    const [, init] = signedRequest({ url: viaLocalhost, oauth: { oauth_callback: CALLBACK } });
    expect((await fetch(standIn.urls.requestToken, init)).status).toBe(401);
  });

  it("handles the oob (PIN) flow", async () => {
    const { token, secret } = await getRequestToken(standIn, "oob");
    const consent = await postConsent(standIn, { oauth_token: token, screen_name: "pin_user", action: "allow" });
    expect(consent.status).toBe(200);
    const pin = /<div id="oauth_pin"><p><code>(\d{7})<\/code>/.exec(await consent.text())?.[1] ?? "";
    expect(pin).toMatch(/^\d{7}$/);
    const response = await signedFetch({ url: standIn.urls.accessToken, token, tokenSecret: secret, oauth: { oauth_verifier: pin } });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain("screen_name=pin_user");
  });

  it("redirects a denial with denied=<token> and forgets the token", async () => {
    const { token, secret } = await getRequestToken(standIn);
    const consent = await postConsent(standIn, { oauth_token: token, action: "deny" });
    expect(consent.status).toBe(302);
    expect(consent.headers.get("location")).toBe(`http://localhost:8787/auth/twitter/callback?next=%2Fhome&denied=${token}`);
    const page = await fetch(`${standIn.urls.authorize}?oauth_token=${token}`);
    expect(page.status).toBe(400);
    expect(await page.text()).toContain("This page is no longer valid");
    const exchange = await signedFetch({ url: standIn.urls.accessToken, token, tokenSecret: secret, oauth: { oauth_verifier: "x" } });
    expect(exchange.status).toBe(401);
    expect(await twitterErrorCode(exchange)).toBe(89);
  });

  it("re-shows the form (400) for an invalid screen name and escapes what it reflects", async () => {
    const { token } = await getRequestToken(standIn);
    const page = await (await fetch(`${standIn.urls.authenticate}?oauth_token=${token}&force_login=true&screen_name=${encodeURIComponent('"><script>alert(1)</script>')}`)).text();
    expect(page).not.toContain("<script>");
    expect(page).toContain("&#34;&#62;&#60;script&#62;alert(1)&#60;/script&#62;");
    expect(page).toContain('id="force_login"');
    for (const screenName of ["", "has space", "sixteen_chars_xx", "<b>"]) {
      const consent = await postConsent(standIn, { oauth_token: token, screen_name: screenName, action: "allow" });
      expect(consent.status, screenName).toBe(400);
      const html = await consent.text();
      expect(html).toContain('id="error"');
      expect(html).toContain('<form method="post" action="/oauth/authorize">');
      expect(html).not.toContain("<b>");
    }
    expect((await postConsent(standIn, { oauth_token: token, screen_name: "fine", action: "allow" })).status).toBe(302);
  });

  it("shows 'no longer valid' for an unknown token", async () => {
    const response = await fetch(`${standIn.urls.authenticate}?oauth_token=nope`);
    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(await response.text()).toContain("<title>This page is no longer valid</title>");
  });
});

describe("refusals", () => {
  it("bad signature: 401 code 32, counted with the base string and no secret", async () => {
    const before = standIn.stats().signatureFailures;
    const response = await signedFetch({ url: standIn.urls.requestToken, oauth: { oauth_callback: CALLBACK }, tamper: (s) => `${s.startsWith("A") ? "B" : "A"}${s.slice(1)}` });
    expect(response.status).toBe(401);
    expect(await response.text()).toBe('{"errors":[{"code":32,"message":"Could not authenticate you."}]}');
    const stats = standIn.stats();
    expect(stats.signatureFailures).toBe(before + 1);
    const last = stats.recentRejections.at(-1);
    expect(last).toMatchObject({ endpoint: "request_token", status: 401, reason: "bad signature" });
    expect(last?.baseString).toMatch(/^POST&http%3A%2F%2F127\.0\.0\.1%3A\d+%2Foauth%2Frequest_token&oauth_callback%3D/);
    expect(JSON.stringify(stats)).not.toContain(DEFAULT_CONSUMER_SECRET);
  });

  it("signature made with the wrong token secret: 401 code 32", async () => {
    const { token, verifier } = await authorize(standIn, "wrongsecret");
    const response = await signedFetch({ url: standIn.urls.accessToken, token, tokenSecret: "not-the-secret", oauth: { oauth_verifier: verifier } });
    expect(response.status).toBe(401);
    expect(await twitterErrorCode(response)).toBe(32);
  });

  it("stale or future timestamp: 401 code 135", async () => {
    for (const offset of [-301, 301]) {
      const oauth_timestamp = String(Math.floor(Date.now() / 1000) + offset);
      const response = await signedFetch({ url: standIn.urls.requestToken, oauth: { oauth_callback: CALLBACK, oauth_timestamp } });
      expect(response.status).toBe(401);
      expect(await response.text()).toBe('{"errors":[{"code":135,"message":"Timestamp out of bounds."}]}');
    }
  });

  it("replayed nonce: 401 code 32", async () => {
    const [url, init] = signedRequest({ url: standIn.urls.requestToken, oauth: { oauth_callback: CALLBACK } });
    expect((await fetch(url, init)).status).toBe(200);
    const replay = await fetch(url, init);
    expect(replay.status).toBe(401);
    expect(await twitterErrorCode(replay)).toBe(32);
    expect(standIn.stats().endpoints.request_token.rejected["nonce reused"]).toBeGreaterThanOrEqual(1);
  });

  it("unapproved callback: 403 code 415; approved prefixes and loopback hosts pass", async () => {
    const refused = await signedFetch({ url: standIn.urls.requestToken, oauth: { oauth_callback: "https://evil.example/callback" } });
    expect(refused.status).toBe(403);
    expect(await refused.text()).toBe(
      '{"errors":[{"code":415,"message":"Callback URL not approved for this client application. Approved callback URLs can be adjusted in your application settings"}]}',
    );
    for (const callback of ["javascript:alert(1)", "/relative", "ftp://localhost/x"]) {
      expect((await signedFetch({ url: standIn.urls.requestToken, oauth: { oauth_callback: callback } })).status, callback).toBe(403);
    }
    for (const callback of ["https://app.example.com/cb", "http://127.0.0.1:9/cb", "http://[::1]:8787/cb", "oob"]) {
      expect((await signedFetch({ url: standIn.urls.requestToken, oauth: { oauth_callback: callback } })).status, callback).toBe(200);
    }
  });

  it("missing callback, unknown consumer, duplicate or unencoded protocol parameters: 401 code 32", async () => {
    const noCallback = await signedFetch({ url: standIn.urls.requestToken });
    expect(noCallback.status).toBe(401);
    const unknown = await signedFetch({ url: standIn.urls.requestToken, consumerKey: "who", oauth: { oauth_callback: CALLBACK } });
    expect(unknown.status).toBe(401);
    expect(await twitterErrorCode(unknown)).toBe(32);
    const duplicate = await signedFetch({ url: `${standIn.urls.requestToken}?oauth_nonce=again`, oauth: { oauth_callback: CALLBACK } });
    expect(duplicate.status).toBe(401);
    const [url, init] = signedRequest({ url: standIn.urls.requestToken, oauth: { oauth_callback: "http://localhost/cb" } });
    const headers = init.headers as Record<string, string>;
    headers["authorization"] = headers["authorization"]!.replace("http%3A%2F%2Flocalhost%2Fcb", "http://localhost/cb");
    const unencoded = await fetch(url, init);
    expect(unencoded.status).toBe(401);
    expect(standIn.stats().recentRejections.at(-1)?.reason).toMatch(/not percent-encoded/);
  });

  it("access_token: wrong verifier, unapproved token, and a second use", async () => {
    const approved = await authorize(standIn, "carol");
    const wrong = await signedFetch({ url: standIn.urls.accessToken, token: approved.token, tokenSecret: approved.secret, oauth: { oauth_verifier: "wrong" } });
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).toBe('{"errors":[{"code":32,"message":"Invalid oauth_verifier parameter"}]}');
    const retry = await signedFetch({ url: standIn.urls.accessToken, token: approved.token, tokenSecret: approved.secret, oauth: { oauth_verifier: approved.verifier } });
    expect(retry.status).toBe(401);
    expect(await twitterErrorCode(retry)).toBe(89);

    const unapproved = await getRequestToken(standIn);
    const early = await signedFetch({ url: standIn.urls.accessToken, token: unapproved.token, tokenSecret: unapproved.secret, oauth: { oauth_verifier: "guess" } });
    expect(early.status).toBe(401);
    expect(await twitterErrorCode(early)).toBe(32);
  });

  it("verify_credentials: unknown token 401 code 89, no auth at all 400 code 215", async () => {
    const unknown = await verifyCredentials(standIn, { token: "1-nope", secret: "x" });
    expect(unknown.status).toBe(401);
    expect(await twitterErrorCode(unknown)).toBe(89);
    const bare = await fetch(`${standIn.urls.apiBase}account/verify_credentials.json`);
    expect(bare.status).toBe(400);
    expect(await twitterErrorCode(bare)).toBe(215);
  });

  it("verify_credentials: query parameters are signed", async () => {
    const access = await signIn(standIn, "dave");
    const [url, init] = signedRequest({ method: "GET", url: `${standIn.urls.apiBase}account/verify_credentials.json?include_email=true`, token: access.token, tokenSecret: access.secret });
    const response = await fetch(url.replace("include_email=true", "include_email=false"), init);
    expect(response.status).toBe(401);
    expect(await twitterErrorCode(response)).toBe(32);
  });

  it("gives a user the same access token on every sign-in to the app, as X does", async () => {
    const first = await signIn(standIn, "repeat_user");
    const second = await signIn(standIn, "Repeat_User");
    expect(second.token).toBe(first.token);
    expect(second.secret).toBe(first.secret);
    expect((await signIn(standIn, "someone_else")).token).not.toBe(first.token);
  });

  it("invalidate_token: revokes the token it is signed with; then 401 code 89 everywhere, and a new token at the next sign-in", async () => {
    const access = await signIn(standIn, "revoked_user");
    const before = standIn.stats().endpoints.invalidate_token.accepted;
    const revoke = await signedFetch({ url: `${standIn.urls.apiBase}oauth/invalidate_token`, token: access.token, tokenSecret: access.secret });
    expect(revoke.status).toBe(200);
    expect(await revoke.json()).toEqual({ access_token: access.token });
    expect(standIn.stats().endpoints.invalidate_token.accepted).toBe(before + 1);

    const verify = await verifyCredentials(standIn, access);
    expect(verify.status).toBe(401);
    expect(await verify.text()).toBe('{"errors":[{"code":89,"message":"Invalid or expired token."}]}');
    const again = await signedFetch({ url: `${standIn.urls.apiBase}oauth/invalidate_token.json`, token: access.token, tokenSecret: access.secret });
    expect(again.status).toBe(401);
    expect(await twitterErrorCode(again)).toBe(89);
    expect(standIn.stats().endpoints.invalidate_token.rejected).toMatchObject({ "invalidated access token": 1 });

    const next = await signIn(standIn, "revoked_user");
    expect(next.token).not.toBe(access.token);
    expect((await verifyCredentials(standIn, next)).status).toBe(200);
  });

  it("invalidate_token: a bad signature is 401 code 32 and revokes nothing", async () => {
    const access = await signIn(standIn, "kept_user");
    const forged = await signedFetch({ url: `${standIn.urls.apiBase}oauth/invalidate_token`, token: access.token, tokenSecret: "not-the-secret" });
    expect(forged.status).toBe(401);
    expect(await twitterErrorCode(forged)).toBe(32);
    expect((await verifyCredentials(standIn, access)).status).toBe(200);
  });

  it("any other path: 404 code 34", async () => {
    const response = await fetch(`${standIn.origin}/1.1/statuses/home_timeline.json`);
    expect(response.status).toBe(404);
    expect(await response.text()).toBe('{"errors":[{"code":34,"message":"Sorry, that page does not exist."}]}');
  });
});

describe("signature oracle", () => {
  // Twitter's "Creating a signature" example.
  const twitter = {
    consumerSecret: "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw",
    tokenSecret: "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE",
    oauth: [
      ["oauth_consumer_key", "xvz1evFS4wEEPTGEFPHBog"],
      ["oauth_nonce", "kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg"],
      ["oauth_signature", "hCtSmYh+iHYCEqBWrE7C7hYmtUk="],
      ["oauth_signature_method", "HMAC-SHA1"],
      ["oauth_timestamp", "1318622958"],
      ["oauth_token", "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb"],
      ["oauth_version", "1.0"],
    ] as Pairs,
    body: "status=Hello%20Ladies%20%2b%20Gentlemen%2c%20a%20signed%20OAuth%20request%21",
    parameterString:
      "include_entities=true&oauth_consumer_key=xvz1evFS4wEEPTGEFPHBog&oauth_nonce=kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg&oauth_signature_method=HMAC-SHA1&oauth_timestamp=1318622958&oauth_token=370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb&oauth_version=1.0&status=Hello%20Ladies%20%2B%20Gentlemen%2C%20a%20signed%20OAuth%20request%21",
  };

  function echoTwitterExample(extraHeaders: Record<string, string> = {}) {
    return fetch(`${standIn.origin}/__stand-in/echo/1.1/statuses/update.json?include_entities=true`, {
      method: "POST",
      headers: {
        authorization: oauthHeader(twitter.oauth),
        "content-type": "application/x-www-form-urlencoded",
        "x-stand-in-consumer-secret": twitter.consumerSecret,
        "x-stand-in-token-secret": twitter.tokenSecret,
        ...extraHeaders,
      },
      body: twitter.body,
    });
  }

  it("oauth-sign itself reproduces Twitter's documented signature", () => {
    const params = paramObject([["include_entities", "true"], ["status", "Hello Ladies + Gentlemen, a signed OAuth request!"], ...twitter.oauth.filter(([k]) => k !== "oauth_signature")]);
    expect(hmacsign("POST", "https://api.twitter.com/1.1/statuses/update.json", params, twitter.consumerSecret, twitter.tokenSecret)).toBe("hCtSmYh+iHYCEqBWrE7C7hYmtUk=");
  });

  it("builds Twitter's parameter string from a received request", async () => {
    const result = (await (await echoTwitterExample()).json()) as { valid: boolean; baseString: string; receivedSignature: string; params: Pairs };
    const [method, uri, parameterString] = result.baseString.split("&");
    expect(method).toBe("POST");
    expect(decodeURIComponent(uri ?? "")).toBe(`${standIn.origin}/__stand-in/echo/1.1/statuses/update.json`);
    expect(decodeURIComponent(parameterString ?? "")).toBe(twitter.parameterString);
    expect(result.receivedSignature).toBe("hCtSmYh+iHYCEqBWrE7C7hYmtUk=");
    expect(result.valid).toBe(false); // signed for api.twitter.com, not for the stand-in's URL
    expect(result.params).toContainEqual(["status", "Hello Ladies + Gentlemen, a signed OAuth request!"]);
  });

  it("validates Twitter's example against the URL it was signed for (X-Stand-In-Request-Url)", async () => {
    const result = (await (await echoTwitterExample({ "x-stand-in-request-url": "https://API.Twitter.com:443/1.1/statuses/update.json?ignored=1" })).json()) as Record<string, unknown>;
    expect(result).toMatchObject({ valid: true, expectedSignature: "hCtSmYh+iHYCEqBWrE7C7hYmtUk=", baseStringUri: "https://api.twitter.com/1.1/statuses/update.json" });
    expect(result["baseString"]).toBe(`POST&https%3A%2F%2Fapi.twitter.com%2F1.1%2Fstatuses%2Fupdate.json&${rfc3986(twitter.parameterString)}`);
  });

  it("RFC 5849 3.4.1.1: the example request's signature base string", async () => {
    const response = await fetch(`${standIn.origin}/__stand-in/echo?b5=%3D%253D&a3=a&c%40=&a2=r%20b`, {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        "x-stand-in-request-url": "http://example.com/request",
        authorization:
          'OAuth realm="Example", oauth_consumer_key="9djdj82h48djs9d2", oauth_token="kkk9d7dh3k39sjv7", oauth_signature_method="HMAC-SHA1", oauth_timestamp="137131201", oauth_nonce="7d8f3e4a", oauth_signature="bYT5CMsGcbgUdFHObYMEfcx6bsw%3D"',
      },
      body: "c2&a3=2+q",
    });
    const result = (await response.json()) as { baseString: string };
    expect(result.baseString).toBe(
      "POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q%26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26c2%3D%26oauth_consumer_key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk9d7dh3k39sjv7",
    );
  });

  it("RFC 5849 1.2: the temporary-credentials and protected-resource requests verify", async () => {
    const initiate = await fetch(`${standIn.origin}/__stand-in/echo/initiate`, {
      method: "POST",
      headers: {
        "x-stand-in-request-url": "https://photos.example.net/initiate",
        "x-stand-in-consumer-secret": "kd94hf93k423kf44",
        authorization:
          'OAuth realm="Photos", oauth_consumer_key="dpf43f3p2l4k3l03", oauth_signature_method="HMAC-SHA1", oauth_timestamp="137131200", oauth_nonce="wIjqoS", oauth_callback="http%3A%2F%2Fprinter.example.com%2Fready", oauth_signature="74KNZJeDHnMBp0EMJ9ZHt%2FXKycU%3D"',
      },
    });
    expect(await initiate.json()).toMatchObject({ valid: true });
    const photos = await fetch(`${standIn.origin}/__stand-in/echo/photos?file=vacation.jpg&size=original`, {
      headers: {
        "x-stand-in-request-url": "http://photos.example.net/photos",
        "x-stand-in-consumer-secret": "kd94hf93k423kf44",
        "x-stand-in-token-secret": "pfkkdhi9sl3r4s00",
        authorization:
          'OAuth realm="Photos", oauth_consumer_key="dpf43f3p2l4k3l03", oauth_token="nnch734d00sl2jdk", oauth_signature_method="HMAC-SHA1", oauth_timestamp="137131202", oauth_nonce="chapoH", oauth_signature="MdpQcU8iPSUjWoN%2FUDMsK2sui9I%3D"',
      },
    });
    expect(await photos.json()).toMatchObject({ valid: true, expectedSignature: "MdpQcU8iPSUjWoN/UDMsK2sui9I=" });
  });

  it("checks any signed request without nonce or timestamp checks", async () => {
    const [url, init] = signedRequest({ method: "PUT", url: `${standIn.origin}/__stand-in/echo/any/path?a=1&a=2&b=%E2%9C%93`, consumerSecret: "c", tokenSecret: "t", token: "tok", form: [["x", "y z"]], oauth: { oauth_timestamp: "1" } });
    (init.headers as Record<string, string>)["x-stand-in-consumer-secret"] = "c";
    (init.headers as Record<string, string>)["x-stand-in-token-secret"] = "t";
    for (let i = 0; i < 2; i++) expect(await (await fetch(url, init)).json()).toMatchObject({ valid: true });
  });

  it("base string URI normalization (RFC 5849 3.4.1.2)", () => {
    expect(baseStringUri("HTTP://EXAMPLE.COM:80/r%20v/X?id=123")).toEqual({ ok: true, value: "http://example.com/r%20v/X" });
    expect(baseStringUri("https://www.example.net:8080/?q=1")).toEqual({ ok: true, value: "https://www.example.net:8080/" });
    expect(baseStringUri("https://user@Example.com:443")).toEqual({ ok: true, value: "https://example.com/" });
    expect(baseStringUri("http://[::1]:8787/cb#x")).toEqual({ ok: true, value: "http://[::1]:8787/cb" });
  });

  it("Authorization header parsing", () => {
    expect(parseAuthorizationHeader('OAuth realm="Example",oauth_a="b%20c" , oauth_d=""')).toEqual({ ok: true, value: [["realm", "Example"], ["oauth_a", "b c"], ["oauth_d", ""]] });
    expect(parseAuthorizationHeader("Basic abc")).toBeNull();
    expect(parseAuthorizationHeader(undefined)).toBeNull();
    expect(parseAuthorizationHeader("OAuth oauth_a=unquoted")).toMatchObject({ ok: false });
    expect(parseAuthorizationHeader('OAuth oauth_a="%E0%A4%A"')).toMatchObject({ ok: false });
  });
});

describe("faults", () => {
  async function requestTokenStatus(): Promise<Response> {
    return signedFetch({ url: standIn.urls.requestToken, oauth: { oauth_callback: CALLBACK } });
  }

  it("status: the given status, body and content type", async () => {
    standIn.setFault("request_token", { kind: "status", status: 503, body: "<html>Over capacity</html>" });
    const response = await requestTokenStatus();
    expect(response.status).toBe(503);
    expect(response.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(await response.text()).toBe("<html>Over capacity</html>");
  });

  it("unauthorized and callback-not-approved: X's error bodies", async () => {
    standIn.setFault("access_token", { kind: "unauthorized" });
    const unauthorized = await signedFetch({ url: standIn.urls.accessToken, token: "t", oauth: { oauth_verifier: "v" } });
    expect(unauthorized.status).toBe(401);
    expect(await twitterErrorCode(unauthorized)).toBe(32);
    standIn.setFault("request_token", { kind: "callback-not-approved" });
    const refused = await requestTokenStatus();
    expect(refused.status).toBe(403);
    expect(await twitterErrorCode(refused)).toBe(415);
  });

  it("garbage: 200 with a body that is not the protocol's", async () => {
    standIn.setFault("request_token", { kind: "garbage", times: 1 });
    const response = await requestTokenStatus();
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("<html>oops</html>");
    const access = await signIn(standIn, "garbage");
    standIn.setFault("verify_credentials", { kind: "garbage", body: '{"id":' });
    const me = await verifyCredentials(standIn, access);
    expect(me.headers.get("content-type")).toBe("application/json;charset=utf-8");
    expect(await me.text()).toBe('{"id":');
  });

  it("missing-fields: the normal answer minus the named fields", async () => {
    standIn.setFault("request_token", { kind: "missing-fields", omit: ["oauth_callback_confirmed"], times: 1 });
    const body = new URLSearchParams(await (await requestTokenStatus()).text());
    expect([...body.keys()]).toEqual(["oauth_token", "oauth_token_secret"]);

    const access = await signIn(standIn, "fields");
    standIn.setFault("verify_credentials", { kind: "missing-fields", omit: ["id_str"] });
    const text = await (await verifyCredentials(standIn, access)).text();
    expect(text).toMatch(/^\{"id":1\d{18},"name":/);

    const { token } = await getRequestToken(standIn);
    standIn.setFault("authorize", { kind: "missing-fields", omit: ["oauth_verifier"], times: 1 });
    expect((await fetch(`${standIn.urls.authenticate}?oauth_token=${token}`)).status).toBe(200); // the page does not use it up
    const consent = await postConsent(standIn, { oauth_token: token, screen_name: "fields", action: "allow" });
    expect(consent.headers.get("location")).toBe(`http://localhost:8787/auth/twitter/callback?next=%2Fhome&oauth_token=${token}`);
  });

  it("slow: a normal answer after the delay", async () => {
    standIn.setFault("request_token", { kind: "slow", delayMs: 150 });
    const started = performance.now();
    const response = await requestTokenStatus();
    expect(response.status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
  });

  it("hang: no answer until the client gives up", async () => {
    standIn.setFault("verify_credentials", { kind: "hang" });
    const before = standIn.stats().endpoints.verify_credentials.faulted;
    const [url, init] = signedRequest({ method: "GET", url: `${standIn.urls.apiBase}account/verify_credentials.json` });
    await expect(fetch(url, { ...init, signal: AbortSignal.timeout(200) })).rejects.toThrow();
    expect(standIn.stats().endpoints.verify_credentials.faulted).toBe(before + 1);
  });

  it("times: applies to the next N requests, then clears itself", async () => {
    standIn.setFault("request_token", { kind: "status", status: 500, times: 2 });
    expect(standIn.stats().faults.request_token).toMatchObject({ kind: "status", remaining: 2 });
    expect((await requestTokenStatus()).status).toBe(500);
    expect((await requestTokenStatus()).status).toBe(500);
    expect(standIn.stats().faults.request_token).toBeUndefined();
    expect((await requestTokenStatus()).status).toBe(200);
  });

  it("over HTTP: POST and DELETE /__stand-in/faults, GET /__stand-in/stats", async () => {
    const control = `${standIn.origin}/__stand-in/faults`;
    const set = (payload: unknown) => fetch(control, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(payload) });
    const fault: Fault = { kind: "status", status: 502, times: 1 };
    expect((await set({ endpoint: "request_token", fault })).status).toBe(200);
    expect((await requestTokenStatus()).status).toBe(502);
    expect((await set({ endpoint: "request_token", fault: { kind: "unauthorized" } })).status).toBe(200);
    expect((await fetch(control, { method: "DELETE" })).status).toBe(200);
    expect((await requestTokenStatus()).status).toBe(200);
    expect((await set({ endpoint: "request_token", fault: { kind: "nope" } })).status).toBe(400);
    expect((await set({ endpoint: "elsewhere", fault: null })).status).toBe(400);
    expect(() => standIn.setFault("request_token", { kind: "slow", delayMs: -1 })).toThrow(TypeError);

    const stats = (await (await fetch(`${standIn.origin}/__stand-in/stats`)).json()) as ReturnType<StandIn["stats"]>;
    expect(stats.endpoints.request_token.requests).toBeGreaterThan(0);
    expect(stats.endpoints.request_token.faulted).toBeGreaterThan(0);
    expect(stats.liveRequestTokens).toBeGreaterThan(0);
    expect(stats.liveAccessTokens).toBeGreaterThan(0);
  });
});

describe("X API v2: GET /2/users/me", () => {
  it("answers {data} with the id as a string, name and username by default, and the fields asked for", async () => {
    const access = await signIn(standIn, "V2_User");
    const plain = await usersMe(standIn, access, "");
    expect(plain.status).toBe(200);
    expect(plain.headers.get("content-type")).toMatch(/^application\/json/);
    expect(plain.headers.get("x-rate-limit-limit")).toBe("75");
    const id = userIdForScreenName("v2_user");
    expect(await plain.text()).toBe(`{"data":{"id":"${id}","name":"V2_User","username":"V2_User"}}`);

    const asked = (await (await usersMe(standIn, access, "user.fields=profile_image_url,confirmed_email,created_at")).json()) as { data: Record<string, unknown> };
    expect(asked.data).toEqual({
      id,
      name: "V2_User",
      username: "V2_User",
      profile_image_url: `${standIn.origin}/profile_images/${id}/normal.svg`,
      confirmed_email: "V2_User@example.com",
      created_at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
    });
    // A field X lists but the stand-in does not model is left out, as X leaves out what a user lacks.
    expect(((await (await usersMe(standIn, access, "user.fields=withheld")).json()) as { data: object }).data).not.toHaveProperty("withheld");
  });

  it("answers an unknown user.fields value 400 invalid-request in X's shape, echoing the parameter as sent", async () => {
    const access = await signIn(standIn, "v2_fields");
    const response = await usersMe(standIn, access, "user.fields=id,wrong_field");
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      errors: [{ parameters: { "user.fields": ["id,wrong_field"] }, message: `The \`user.fields\` query parameter value [wrong_field] is not one of [${USER_FIELDS.join(",")}]` }],
      title: "Invalid Request",
      detail: "One or more parameters to your request was invalid.",
      type: "https://api.twitter.com/2/problems/invalid-request",
    });
    expect(standIn.stats().endpoints.users_me.rejected["unknown user.fields value"]).toBeGreaterThan(0);
    // Every field of X's list is accepted.
    expect((await usersMe(standIn, access, `user.fields=${USER_FIELDS.join(",")}`)).status).toBe(200);
  });

  it("checks OAuth 1.0a like every call, answering v2's bare 401 problem (the stats keep why)", async () => {
    const access = await signIn(standIn, "v2_auth");
    const unauthorized = { title: "Unauthorized", type: "about:blank", status: 401, detail: "Unauthorized" };
    const badSignature = await signedFetch({ method: "GET", url: `${standIn.origin}/2/users/me`, token: access.token, tokenSecret: access.secret, tamper: (s) => `x${s}` });
    expect(badSignature.status).toBe(401);
    expect(badSignature.headers.get("content-type")).toBe("application/problem+json");
    expect(await badSignature.json()).toEqual(unauthorized);
    const unknownToken = await usersMe(standIn, { token: "nobody", secret: "nothing" });
    expect(unknownToken.status).toBe(401);
    expect(await unknownToken.json()).toEqual(unauthorized);
    const unsigned = await fetch(`${standIn.origin}/2/users/me`);
    expect(unsigned.status).toBe(401);
    expect(await unsigned.json()).toEqual(unauthorized);
    // The query is part of what is signed: changing it after signing breaks the signature.
    const [url, init] = signedRequest({ method: "GET", url: `${standIn.origin}/2/users/me?user.fields=profile_image_url`, token: access.token, tokenSecret: access.secret });
    expect((await fetch(url.replace("profile_image_url", "created_at"), init)).status).toBe(401);
    const rejected = standIn.stats().endpoints.users_me.rejected;
    expect(rejected["bad signature"]).toBeGreaterThanOrEqual(2);
    expect(rejected["unknown access token"]).toBeGreaterThan(0);
  });

  it("takes faults like the other endpoints", async () => {
    const access = await signIn(standIn, "v2_fault");
    standIn.setFault("users_me", { kind: "missing-fields", omit: ["data"], times: 1 });
    expect(await (await usersMe(standIn, access)).text()).toBe("{}");
    expect((await usersMe(standIn, access)).status).toBe(200);
  });
});

describe("access levels", () => {
  it("legacy by default here; free refuses v1.1 verify_credentials with X's 403 code 453, and serves the OAuth endpoints, v2 and invalidate_token", async () => {
    const own = await startStandIn();
    try {
      expect(own.stats().accessLevel).toBe("legacy");
      const access = await signIn(own, "level_user");
      expect((await verifyCredentials(own, access)).status).toBe(200);

      own.setAccessLevel("free");
      expect(own.stats().accessLevel).toBe("free");
      const refused = await verifyCredentials(own, access);
      expect(refused.status).toBe(403);
      expect(await refused.text()).toBe(ACCESS_LEVEL_ERROR_BODY);
      expect(JSON.parse(ACCESS_LEVEL_ERROR_BODY)).toEqual({ errors: [{ code: 453, message: expect.stringMatching(/^You currently have access to a subset of X API V2 endpoints/) }] });
      expect(own.stats().endpoints.verify_credentials.rejected["not at this access level (453)"]).toBe(1);
      // A bad signature is still refused as such first.
      const forged = await signedFetch({ method: "GET", url: `${own.urls.apiBase}account/verify_credentials.json`, token: access.token, tokenSecret: "wrong" });
      expect(forged.status).toBe(401);
      expect(await twitterErrorCode(forged)).toBe(32);

      const again = await signIn(own, "level_user");
      expect((await usersMe(own, again)).status).toBe(200);
      const revoked = await signedFetch({ url: `${own.urls.apiBase}oauth/invalidate_token`, token: again.token, tokenSecret: again.secret });
      expect(revoked.status).toBe(200);
      expect(() => own.setAccessLevel("basic" as never)).toThrow(TypeError);
    } finally {
      await own.close();
    }
  });

  it("starts at the level asked for, and switches over HTTP: GET and POST /__stand-in/access-level", async () => {
    const own = await startStandIn({ accessLevel: "free" });
    try {
      const control = `${own.origin}/__stand-in/access-level`;
      expect(await (await fetch(control)).json()).toEqual({ level: "free" });
      const set = (body: string) => fetch(control, { method: "POST", headers: { "content-type": "application/json" }, body });
      const legacy = await set(JSON.stringify({ level: "legacy" }));
      expect(legacy.status).toBe(200);
      expect(await legacy.json()).toEqual({ ok: true, level: "legacy" });
      expect(own.stats().accessLevel).toBe("legacy");
      for (const bad of [JSON.stringify({ level: "pro" }), "{", "null"]) {
        const refused = await set(bad);
        expect(refused.status).toBe(400);
        expect(await refused.json()).toEqual({ error: expect.stringMatching(/level|JSON/) });
      }
      expect(((await (await fetch(`${own.origin}/__stand-in/stats`)).json()) as { accessLevel: string }).accessLevel).toBe("legacy");
    } finally {
      await own.close();
    }
  });
});

describe("lifecycle", () => {
  it("close() ends promptly with a hung request pending", async () => {
    const own = await startStandIn();
    own.setFault("request_token", { kind: "hang" });
    const pending = signedFetch({ url: own.urls.requestToken, oauth: { oauth_callback: CALLBACK } }).then(
      () => "answered",
      () => "failed",
    );
    while (own.stats().endpoints.request_token.requests === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    const started = performance.now();
    await own.close();
    expect(performance.now() - started).toBeLessThan(1000);
    expect(await pending).toBe("failed");
    await own.close(); // idempotent
  });

  it("request tokens expire", async () => {
    const own = await startStandIn({ requestTokenLifetimeSeconds: 0.05 });
    try {
      const { token } = await getRequestToken(own);
      await new Promise((resolve) => setTimeout(resolve, 80));
      expect((await fetch(`${own.urls.authenticate}?oauth_token=${token}`)).status).toBe(400);
      expect(own.stats().liveRequestTokens).toBe(0);
    } finally {
      await own.close();
    }
  });
});

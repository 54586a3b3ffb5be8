// The OAuth 1.0a client: signature methods, placement, the three legs, and every error code.
import { describe, expect, it } from "vitest";
import {
  OAuth1Client,
  importRsaPrivateKey,
  type OAuth1ClientOptions,
  OAuth1Error,
  collectParameters,
  constructBaseString,
  normalizeBaseStringUri,
  normalizeParameters,
} from "../../../src/oauth1";

const PINNED: Pick<OAuth1ClientOptions, "nonce" | "now"> = { nonce: () => "chapoH", now: () => 137131202_000 };

/** A fetch that answers every request with the given response and records what it was sent. */
function answering(status: number, body: string, headers: Record<string, string> = {}) {
  const sent: { url: string; init: RequestInit | undefined }[] = [];
  const fetch = async (input: Request | string, init?: RequestInit) => {
    sent.push({ url: String(input), init });
    return new Response(body, { status, headers });
  };
  return { fetch, sent };
}

/** Reads `oauth_*` parameters from an Authorization header (test-side parser). */
function parseHeader(header: string): Record<string, string> {
  const parameters: Record<string, string> = {};
  for (const match of header.replace(/^OAuth /, "").matchAll(/([a-z_]+)="([^"]*)"/g)) parameters[match[1]!] = decodeURIComponent(match[2]!);
  return parameters;
}

async function expectOAuth1Error(promise: Promise<unknown>, code: string): Promise<OAuth1Error> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(OAuth1Error);
  expect((error as OAuth1Error).code).toBe(code);
  return error as OAuth1Error;
}

describe("signature methods", () => {
  it("signs with PLAINTEXT as section 3.4.4 says: encoded secrets joined by &", async () => {
    const client = new OAuth1Client({ consumerKey: "key", consumerSecret: "kd94hf93k423kf44", signatureMethod: "PLAINTEXT", ...PINNED });
    const signed = await client.signRequest({ method: "GET", url: "https://photos.example.net/photos", token: { token: "t", tokenSecret: "pfkkdhi9sl3r4s00" } });
    const header = signed.headers.get("Authorization")!;
    expect(header).toContain('oauth_signature="kd94hf93k423kf44%26pfkkdhi9sl3r4s00"');
    expect(parseHeader(header).oauth_signature).toBe("kd94hf93k423kf44&pfkkdhi9sl3r4s00");
    // Secrets with reserved characters are encoded before joining; an empty token secret keeps the &.
    const reserved = new OAuth1Client({ consumerKey: "key", consumerSecret: "a&b c", signatureMethod: "PLAINTEXT", ...PINNED });
    const plain = await reserved.signRequest({ method: "POST", url: "https://example.com/initiate" });
    expect(parseHeader(plain.headers.get("Authorization")!).oauth_signature).toBe("a%26b%20c&");
  });

  it("signs with HMAC-SHA256: the HMAC of the base string under the signing key", async () => {
    const client = new OAuth1Client({ consumerKey: "dpf43f3p2l4k3l03", consumerSecret: "kd94hf93k423kf44", signatureMethod: "HMAC-SHA256", ...PINNED });
    const url = "http://photos.example.net/photos?file=vacation.jpg&size=original";
    const signed = await client.signRequest({ method: "GET", url, token: { token: "nnch734d00sl2jdk", tokenSecret: "pfkkdhi9sl3r4s00" } });
    const received = parseHeader(signed.headers.get("Authorization")!);
    expect(received.oauth_signature_method).toBe("HMAC-SHA256");
    // The expected value from WebCrypto directly over the RFC's base string plus oauth_version.
    const protocol = Object.entries(received).filter(([name]) => name !== "oauth_signature");
    const baseString = constructBaseString("GET", normalizeBaseStringUri(url), normalizeParameters(collectParameters(url, [], protocol)));
    const key = await crypto.subtle.importKey("raw", new TextEncoder().encode("kd94hf93k423kf44&pfkkdhi9sl3r4s00"), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    const expected = btoa(String.fromCharCode(...new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(baseString)))));
    expect(received.oauth_signature).toBe(expected);
    expect(atob(received.oauth_signature!).length).toBe(32);
  });

  it("signs with RSA-SHA1 so that the public key verifies it", async () => {
    const pair = (await crypto.subtle.generateKey(
      { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-1" },
      true,
      ["sign", "verify"],
    )) as CryptoKeyPair;
    const pkcs8 = new Uint8Array((await crypto.subtle.exportKey("pkcs8", pair.privateKey)) as ArrayBuffer);
    const pem = `-----BEGIN PRIVATE KEY-----\n${btoa(String.fromCharCode(...pkcs8)).replace(/.{64}/g, "$&\n")}\n-----END PRIVATE KEY-----\n`;
    const client = new OAuth1Client({ consumerKey: "dpf43f3p2l4k3l03", consumerSecret: "", signatureMethod: "RSA-SHA1", privateKey: await importRsaPrivateKey(pem), ...PINNED });
    const url = "http://photos.example.net/photos?file=vacation.jpg&size=original";
    const signed = await client.signRequest({ method: "GET", url, token: { token: "nnch734d00sl2jdk", tokenSecret: "ignored-by-rsa" } });
    const received = parseHeader(signed.headers.get("Authorization")!);
    expect(received.oauth_signature_method).toBe("RSA-SHA1");
    const protocol = Object.entries(received).filter(([name]) => name !== "oauth_signature");
    const baseString = constructBaseString("GET", normalizeBaseStringUri(url), normalizeParameters(collectParameters(url, [], protocol)));
    const signature = Uint8Array.from(atob(received.oauth_signature!), (character) => character.charCodeAt(0));
    expect(await crypto.subtle.verify("RSASSA-PKCS1-v1_5", pair.publicKey, signature, new TextEncoder().encode(baseString))).toBe(true);
    expect(await crypto.subtle.verify("RSASSA-PKCS1-v1_5", pair.publicKey, signature, new TextEncoder().encode(`${baseString}x`))).toBe(false);
  });

  it("refuses RSA-SHA1 without a key, and a key that is not PEM or not PKCS#8", async () => {
    expect(() => new OAuth1Client({ consumerKey: "k", consumerSecret: "", signatureMethod: "RSA-SHA1" })).toThrow(/privateKey/);
    await expectOAuth1Error(importRsaPrivateKey("-----BEGIN PRIVATE KEY-----\n!!!!\n-----END PRIVATE KEY-----"), "ERR_OAUTH1_INVALID_INPUT");
    await expectOAuth1Error(importRsaPrivateKey("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----"), "ERR_OAUTH1_INVALID_INPUT");
  });
});

describe("protocol parameters", () => {
  it("sends consumer key, token, method, timestamp, a 128-bit nonce and version 1.0", async () => {
    const client = new OAuth1Client({ consumerKey: "ck", consumerSecret: "cs", now: () => 1_700_000_000_999 });
    const signed = await client.signRequest({ method: "GET", url: "https://example.com/", token: { token: "tok", tokenSecret: "ts" } });
    const received = parseHeader(signed.headers.get("Authorization")!);
    expect(received).toMatchObject({ oauth_consumer_key: "ck", oauth_token: "tok", oauth_signature_method: "HMAC-SHA1", oauth_timestamp: "1700000000", oauth_version: "1.0" });
    expect(received.oauth_nonce).toMatch(/^[0-9a-f]{32}$/);
    const again = parseHeader((await client.signRequest({ method: "GET", url: "https://example.com/" })).headers.get("Authorization")!);
    expect(again.oauth_nonce).not.toBe(received.oauth_nonce);
    expect(again.oauth_token).toBeUndefined();
  });

  it("adds a realm to the header when configured, and refuses one that would break the header", async () => {
    const client = new OAuth1Client({ consumerKey: "ck", consumerSecret: "cs", realm: "Photos", ...PINNED });
    const signed = await client.signRequest({ method: "GET", url: "https://example.com/" });
    expect(signed.headers.get("Authorization")).toMatch(/^OAuth realm="Photos", oauth_consumer_key="ck"/);
    const bad = new OAuth1Client({ consumerKey: "ck", consumerSecret: "cs", realm: 'a", oauth_token="x' });
    await expectOAuth1Error(bad.signRequest({ method: "GET", url: "https://example.com/" }), "ERR_OAUTH1_INVALID_INPUT");
  });

  it("refuses extra parameters that are not oauth_* or that would replace the signature", async () => {
    const client = new OAuth1Client({ consumerKey: "ck", consumerSecret: "cs" });
    await expectOAuth1Error(client.signRequest({ method: "GET", url: "https://example.com/", oauthParameters: { callback: "x" } }), "ERR_OAUTH1_INVALID_INPUT");
    await expectOAuth1Error(client.signRequest({ method: "GET", url: "https://example.com/", oauthParameters: { oauth_signature: "x" } }), "ERR_OAUTH1_INVALID_INPUT");
  });
});

describe("placement (section 3.5)", () => {
  const token = { token: "nnch734d00sl2jdk", tokenSecret: "pfkkdhi9sl3r4s00" };

  it("puts the protocol parameters in the query with the same signature as in the header", async () => {
    const inHeader = await new OAuth1Client({ consumerKey: "dpf43f3p2l4k3l03", consumerSecret: "kd94hf93k423kf44", ...PINNED }).signRequest({ method: "GET", url: "http://photos.example.net/photos?file=vacation.jpg", query: { size: "original" }, token });
    const inQuery = await new OAuth1Client({ consumerKey: "dpf43f3p2l4k3l03", consumerSecret: "kd94hf93k423kf44", placement: "query", ...PINNED }).signRequest({ method: "GET", url: "http://photos.example.net/photos?file=vacation.jpg", query: { size: "original" }, token });
    expect(inQuery.headers.get("Authorization")).toBeNull();
    const query = new URL(inQuery.url).searchParams;
    expect(query.get("file")).toBe("vacation.jpg");
    expect(query.get("size")).toBe("original");
    expect(query.get("oauth_signature")).toBe(parseHeader(inHeader.headers.get("Authorization")!).oauth_signature);
    expect(inHeader.url).toBe("http://photos.example.net/photos?file=vacation.jpg&size=original");
  });

  it("puts the protocol parameters in a form body, after the form's own parameters", async () => {
    const client = new OAuth1Client({ consumerKey: "ck", consumerSecret: "cs", placement: "body", ...PINNED });
    const signed = await client.signRequest({ method: "POST", url: "https://example.com/update", form: [["status", "a b!"], ["status", ""]] });
    expect(signed.headers.get("Content-Type")).toBe("application/x-www-form-urlencoded");
    expect(signed.body).toMatch(/^status=a%20b%21&status=&oauth_consumer_key=ck&/);
    expect(new URLSearchParams(String(signed.body)).get("oauth_signature")).toMatch(/^[A-Za-z0-9+/]{27}=$/);
  });

  it("refuses body placement for a GET or a body that is not a form", async () => {
    const client = new OAuth1Client({ consumerKey: "ck", consumerSecret: "cs", placement: "body" });
    await expectOAuth1Error(client.signRequest({ method: "GET", url: "https://example.com/" }), "ERR_OAUTH1_INVALID_INPUT");
    await expectOAuth1Error(client.signRequest({ method: "POST", url: "https://example.com/", body: "{}" }), "ERR_OAUTH1_INVALID_INPUT");
  });
});

describe("the three legs", () => {
  it("asks for temporary credentials with oauth_callback and parses the form-encoded answer", async () => {
    const provider = answering(200, "oauth_token=hh5s93j4hdidpola&oauth_token_secret=hdhd0244k9j7ao03&oauth_callback_confirmed=true", { "Content-Type": "text/html" });
    const client = new OAuth1Client({ consumerKey: "dpf43f3p2l4k3l03", consumerSecret: "kd94hf93k423kf44", fetch: provider.fetch });
    const temporary = await client.fetchTemporaryCredentials("https://photos.example.net/initiate", { callback: "http://printer.example.com/ready", parameters: { x_auth_access_type: "read" } });
    expect(temporary).toMatchObject({ token: "hh5s93j4hdidpola", tokenSecret: "hdhd0244k9j7ao03" });
    expect(provider.sent[0]!.init!.method).toBe("POST");
    expect(provider.sent[0]!.url).toBe("https://photos.example.net/initiate?x_auth_access_type=read");
    expect(parseHeader(new Headers(provider.sent[0]!.init!.headers).get("Authorization")!).oauth_callback).toBe("http://printer.example.com/ready");
  });

  it("builds the authorization URL with oauth_token and extra parameters", () => {
    const client = new OAuth1Client({ consumerKey: "ck", consumerSecret: "cs" });
    expect(client.authorizationUrl("https://api.x.com/oauth/authenticate", "hh5s93j4hdidpola", { force_login: "true", screen_name: "a b" })).toBe(
      "https://api.x.com/oauth/authenticate?oauth_token=hh5s93j4hdidpola&force_login=true&screen_name=a%20b",
    );
  });

  it("exchanges the verifier for token credentials, signed with the temporary secret", async () => {
    const provider = answering(200, "oauth_token=nnch734d00sl2jdk&oauth_token_secret=pfkkdhi9sl3r4s00&user_id=1&screen_name=x");
    const client = new OAuth1Client({ consumerKey: "dpf43f3p2l4k3l03", consumerSecret: "kd94hf93k423kf44", fetch: provider.fetch, nonce: () => "walatlh", now: () => 137131201_000 });
    const credentials = await client.fetchTokenCredentials("https://photos.example.net/token", { token: "hh5s93j4hdidpola", tokenSecret: "hdhd0244k9j7ao03", verifier: "hfdp7dh39dks9884" });
    expect(credentials).toMatchObject({ token: "nnch734d00sl2jdk", tokenSecret: "pfkkdhi9sl3r4s00" });
    expect(credentials.parameters.get("screen_name")).toBe("x");
    const sent = parseHeader(new Headers(provider.sent[0]!.init!.headers).get("Authorization")!);
    expect(sent).toMatchObject({ oauth_token: "hh5s93j4hdidpola", oauth_verifier: "hfdp7dh39dks9884" });
  });

  it("sends a signed request relative to the API base URL", async () => {
    const provider = answering(200, '{"id_str":"1"}');
    const client = new OAuth1Client({ consumerKey: "ck", consumerSecret: "cs", apiBaseUrl: "https://api.x.com/1.1/", fetch: provider.fetch });
    const response = await client.request("GET", "account/verify_credentials.json", { query: { skip_status: "true" }, token: { token: "t", tokenSecret: "s" } });
    expect(await response.text()).toBe('{"id_str":"1"}');
    expect(provider.sent[0]!.url).toBe("https://api.x.com/1.1/account/verify_credentials.json?skip_status=true");
    expect(parseHeader(new Headers(provider.sent[0]!.init!.headers).get("Authorization")!).oauth_token).toBe("t");
  });
});

describe("error codes", () => {
  const client = (fetch: OAuth1ClientOptions["fetch"], options: Partial<OAuth1ClientOptions> = {}) =>
    new OAuth1Client({ consumerKey: "ck", consumerSecret: "consumer-secret-value", fetch, ...options });

  it("ERR_OAUTH1_INVALID_INPUT: a URL that is not absolute, a non-http scheme, a lone surrogate", async () => {
    const c = client(answering(200, "").fetch);
    await expectOAuth1Error(c.signRequest({ method: "GET", url: "/relative" }), "ERR_OAUTH1_INVALID_INPUT");
    await expectOAuth1Error(c.signRequest({ method: "GET", url: "ftp://example.com/" }), "ERR_OAUTH1_INVALID_INPUT");
    await expectOAuth1Error(c.signRequest({ method: "GET", url: "https://example.com/", query: { q: "\ud800" } }), "ERR_OAUTH1_INVALID_INPUT");
    await expectOAuth1Error(c.fetchTemporaryCredentials("https://example.com/initiate", { callback: "not a url" }), "ERR_OAUTH1_INVALID_INPUT");
  });

  it("ERR_OAUTH1_PROVIDER_STATUS keeps the provider's status and body", async () => {
    const body = '{"errors":[{"code":32,"message":"Could not authenticate you."}]}';
    const error = await expectOAuth1Error(client(answering(401, body).fetch).fetchTemporaryCredentials("https://example.com/initiate", { callback: "oob" }), "ERR_OAUTH1_PROVIDER_STATUS");
    expect(error.status).toBe(401);
    expect(error.body).toBe(body);
    expect(error.message).toBe("https://example.com/initiate answered HTTP 401");
  });

  it("ERR_OAUTH1_PROVIDER_RESPONSE: a 200 without a token or secret, or too large", async () => {
    await expectOAuth1Error(client(answering(200, "<html>oops</html>").fetch).fetchTemporaryCredentials("https://example.com/initiate", { callback: "oob" }), "ERR_OAUTH1_PROVIDER_RESPONSE");
    await expectOAuth1Error(client(answering(200, "oauth_token=a&oauth_callback_confirmed=true").fetch).fetchTemporaryCredentials("https://example.com/initiate", { callback: "oob" }), "ERR_OAUTH1_PROVIDER_RESPONSE");
    await expectOAuth1Error(client(answering(200, "oauth_token_secret=b").fetch).fetchTokenCredentials("https://example.com/token", { token: "t", tokenSecret: "s", verifier: "v" }), "ERR_OAUTH1_PROVIDER_RESPONSE");
    await expectOAuth1Error(client(answering(200, "x".repeat(100)).fetch, { maxResponseBytes: 10 }).fetchTokenCredentials("https://example.com/token", { token: "t", tokenSecret: "s", verifier: "v" }), "ERR_OAUTH1_PROVIDER_RESPONSE");
  });

  it("ERR_OAUTH1_CALLBACK_NOT_CONFIRMED, with the token secret redacted from the kept body", async () => {
    const error = await expectOAuth1Error(
      client(answering(200, "oauth_token=a&oauth_token_secret=very-secret-value").fetch).fetchTemporaryCredentials("https://example.com/initiate", { callback: "oob" }),
      "ERR_OAUTH1_CALLBACK_NOT_CONFIRMED",
    );
    expect(error.body).toBe("oauth_token=a&oauth_token_secret=[redacted]");
    expect(`${error.message}${error.body}`).not.toContain("very-secret-value");
    await expectOAuth1Error(
      client(answering(200, "oauth_token=a&oauth_token_secret=b&oauth_callback_confirmed=false").fetch).fetchTemporaryCredentials("https://example.com/initiate", { callback: "oob" }),
      "ERR_OAUTH1_CALLBACK_NOT_CONFIRMED",
    );
  });

  it("ERR_OAUTH1_NETWORK when the provider cannot be reached", async () => {
    const unreachable = async () => {
      throw new TypeError("Network connection lost.");
    };
    const error = await expectOAuth1Error(client(unreachable).fetchTemporaryCredentials("https://example.com/initiate?secret=no", { callback: "oob" }), "ERR_OAUTH1_NETWORK");
    expect(error.message).toBe("https://example.com/initiate could not be reached");
  });

  it("ERR_OAUTH1_TIMEOUT when the provider does not answer in time, headers or body", async () => {
    const hanging = (_input: Request | string, init?: RequestInit) =>
      new Promise<Response>((_resolve, reject) => init?.signal?.addEventListener("abort", () => reject(init.signal!.reason)));
    const error = await expectOAuth1Error(client(hanging, { timeoutMs: 50 }).fetchTemporaryCredentials("https://example.com/initiate", { callback: "oob" }), "ERR_OAUTH1_TIMEOUT");
    expect(error.message).toBe("https://example.com/initiate did not answer within 50 ms");

    const slowBody = async (_input: Request | string, init?: RequestInit) => {
      const body = new ReadableStream({
        start(controller) {
          init?.signal?.addEventListener("abort", () => controller.error(init.signal!.reason));
        },
      });
      return new Response(body, { status: 200 });
    };
    await expectOAuth1Error(client(slowBody, { timeoutMs: 50 }).fetchTokenCredentials("https://example.com/token", { token: "t", tokenSecret: "s", verifier: "v" }), "ERR_OAUTH1_TIMEOUT");
  });

  it("never puts a secret in an error message", async () => {
    const error = await expectOAuth1Error(client(answering(500, "oops").fetch).fetchTokenCredentials("https://example.com/token", { token: "t", tokenSecret: "token-secret-value", verifier: "v" }), "ERR_OAUTH1_PROVIDER_STATUS");
    expect(error.message).not.toContain("token-secret-value");
    expect(error.message).not.toContain("consumer-secret-value");
  });
});

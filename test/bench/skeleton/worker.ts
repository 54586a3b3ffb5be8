// The protocol's bare skeleton: a bench-only Worker (never in the deployed bundle; `npm run bench`
// runs it with `wrangler dev -c test/bench/skeleton/wrangler.toml` beside the real Worker).
//
// It does the I/O of one "Sign in with Twitter" and nothing else: two requests, three calls to
// the provider, one KV put, get and delete. No Hono, no HMAC, no cookies, no secure headers, no
// log lines, no session, and no checks beyond passing a provider's refusal through.
//
//   GET /login  POST request_token -> KV put "rt:<token>" = secret (TTL 15 min) -> 302 to the consent page
//   GET /auth   KV get + delete "rt:<oauth_token>" -> POST access_token -> GET verify_credentials
//               -> 200 with the provider's JSON as it came (the load driver's identity check applies)
//
// How it talks to a provider that verifies every signature (the Twitter stand-in) without signing:
// OAuth 1.0a's PLAINTEXT method (RFC 5849 3.4.4), where oauth_signature is the two secrets joined
// by "&". The requests are otherwise the real Worker's: the same endpoints, methods, protocol
// parameters, a fresh nonce and timestamp each, the same request and token secrets. The stand-in
// runs the same path for them (header parsing, timestamp window, token lookup, base string,
// constant-time compare, nonce record); it only skips one HMAC-SHA1 per call. The request token
// travels in the callback's own oauth_token, so the skeleton needs no cookie to find its KV entry.

/** The one KV binding's methods the skeleton uses (typed here: this folder type-checks with Node's types). */
interface KvNamespace {
  get(key: string): Promise<string | null>;
  put(key: string, value: string, options?: { expirationTtl?: number }): Promise<void>;
  delete(key: string): Promise<void>;
}

export interface SkeletonEnv {
  SKELETON_KV: KvNamespace;
  TWITTER_CLIENT_ID: string;
  TWITTER_CLIENT_SECRET: string;
  TWITTER_REQUEST_TOKEN_URL: string;
  TWITTER_AUTHORIZE_URL: string;
  TWITTER_ACCESS_TOKEN_URL: string;
  TWITTER_API_BASE_URL: string;
}

const REQUEST_TOKEN_TTL_SECONDS = 15 * 60;

export default {
  async fetch(request: Request, env: SkeletonEnv): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/login") return login(url, env);
    if (url.pathname === "/auth") return auth(url, env);
    return new Response("the sign-in skeleton (bench only): /login, /auth\n", { status: 404 });
  },
};

async function login(url: URL, env: SkeletonEnv): Promise<Response> {
  const answer = await fetch(env.TWITTER_REQUEST_TOKEN_URL, {
    method: "POST",
    headers: { Authorization: authorization(env, "", { oauth_callback: `${url.origin}/auth` }) },
  });
  const text = await answer.text();
  if (!answer.ok) return new Response(text, { status: 502 });
  const fields = new URLSearchParams(text);
  const token = fields.get("oauth_token") ?? "";
  await env.SKELETON_KV.put(`rt:${token}`, fields.get("oauth_token_secret") ?? "", { expirationTtl: REQUEST_TOKEN_TTL_SECONDS });
  return new Response(null, { status: 302, headers: { Location: `${env.TWITTER_AUTHORIZE_URL}?oauth_token=${encodeURIComponent(token)}` } });
}

async function auth(url: URL, env: SkeletonEnv): Promise<Response> {
  const token = url.searchParams.get("oauth_token") ?? "";
  const key = `rt:${token}`;
  const requestSecret = (await env.SKELETON_KV.get(key)) ?? "";
  await env.SKELETON_KV.delete(key);

  const exchange = await fetch(env.TWITTER_ACCESS_TOKEN_URL, {
    method: "POST",
    headers: { Authorization: authorization(env, requestSecret, { oauth_token: token, oauth_verifier: url.searchParams.get("oauth_verifier") ?? "" }) },
  });
  const exchanged = await exchange.text();
  if (!exchange.ok) return new Response(exchanged, { status: 502 });
  const access = new URLSearchParams(exchanged);

  const profile = await fetch(`${env.TWITTER_API_BASE_URL}account/verify_credentials.json?skip_status=true`, {
    headers: { Authorization: authorization(env, access.get("oauth_token_secret") ?? "", { oauth_token: access.get("oauth_token") ?? "" }) },
  });
  const json = await profile.text();
  return new Response(json, { status: profile.ok ? 200 : 502, headers: { "Content-Type": "application/json; charset=utf-8" } });
}

/** An OAuth 1.0a Authorization header with the PLAINTEXT method: no signing. */
function authorization(env: SkeletonEnv, tokenSecret: string, extra: Record<string, string>): string {
  const parameters: Record<string, string> = {
    oauth_consumer_key: env.TWITTER_CLIENT_ID,
    oauth_nonce: crypto.randomUUID().replaceAll("-", ""),
    oauth_signature_method: "PLAINTEXT",
    oauth_timestamp: String(Math.floor(Date.now() / 1000)),
    oauth_version: "1.0",
    ...extra,
    oauth_signature: `${encode(env.TWITTER_CLIENT_SECRET)}&${encode(tokenSecret)}`,
  };
  return `OAuth ${Object.entries(parameters)
    .map(([name, value]) => `${name}="${encode(value)}"`)
    .join(", ")}`;
}

/** RFC 3986 percent-encoding, as OAuth 1.0a wants it (RFC 5849 3.6). */
function encode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

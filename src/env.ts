// The Worker's bindings, secrets and variables (wrangler.toml, .dev.vars, `wrangler secret put`), and its context variables.

import type { AuthStore } from "./session/auth-store.js";
import type { TwitterProfile } from "./twitter/account.js";
import type { TwitterApi } from "./twitter/api.js";

/** Everything the Worker reads from its environment. */
export interface Env {
  /** KV namespace holding request-token secrets and sessions under random ids; not needed when AUTH_STORE is bound. */
  AUTH_KV?: KVNamespace;
  /** Durable Object namespace of the class AuthStore (exported by the package); when bound, sessions and pending sign-ins live there instead of in AUTH_KV. */
  AUTH_STORE?: DurableObjectNamespace<AuthStore>;
  /** Rate Limiting binding for GET /login, per client: an IPv4 address or an IPv6 /64 (wrangler.toml `[[ratelimits]]`); optional. */
  LOGIN_RATE_LIMITER?: RateLimit;
  /** Rate Limiting binding for GET /login, per IPv6 /48, looser than LOGIN_RATE_LIMITER (wrangler.toml `[[ratelimits]]`); optional. */
  LOGIN_NETWORK_RATE_LIMITER?: RateLimit;
  /** Secret. The app's API key on X (Authlib: client_id). */
  TWITTER_CLIENT_ID?: string;
  /** Secret. The app's API key secret on X (Authlib: client_secret). */
  TWITTER_CLIENT_SECRET?: string;
  /** Secret. Signs the cookies (HMAC-SHA256) and, through HKDF, seals the sessions (AES-256-GCM); 32 characters or more. During a rotation, several separated by commas, newest first: the first signs, all verify. */
  SESSION_SECRET?: string;
  /** X's temporary-credentials endpoint. Default https://api.x.com/oauth/request_token */
  TWITTER_REQUEST_TOKEN_URL?: string;
  /** X's authorization page: `authenticate` ("Sign in with Twitter", the default) or `authorize`. */
  TWITTER_AUTHORIZE_URL?: string;
  /** X's token-credentials endpoint. Default https://api.x.com/oauth/access_token */
  TWITTER_ACCESS_TOKEN_URL?: string;
  /** Base of X's v1.1 API; X API v2 is its sibling `../2/`. Default https://api.x.com/1.1/ */
  TWITTER_API_BASE_URL?: string;
  /** Milliseconds allowed for each call to X, 100 to 10000. Default 8000. */
  TWITTER_TIMEOUT_MS?: string | number;
  /** true (or "true") to ask X for the user's email (needs X's email permission). */
  TWITTER_INCLUDE_EMAIL?: string | boolean;
  /** Where the profile comes from: "auto" (default: v1.1 verify_credentials, v2 users/me when X refuses v1.1 at the app's access level), "verify_credentials", "users_me", or "none" (OAuth 1.0a only: the id and screen name from X's access_token answer, no profile call, nothing billed at X). */
  TWITTER_PROFILE_ENDPOINT?: string;
  /** "read" or "write": `x_auth_access_type` on the request token. Default: the app's permission. */
  TWITTER_ACCESS_TYPE?: string;
  /** "false" to keep the access token valid at X when the user signs out. Default true: revoked when their last session ends, and on sign-out everywhere. */
  TWITTER_REVOKE_ON_LOGOUT?: string | boolean;
  /** Session lifetime in seconds. Default 604800 (7 days). */
  SESSION_TTL_SECONDS?: string | number;
  /** Most live sessions one user may have, 1 to 1000; signing in beyond it ends their oldest. Default 100. */
  MAX_SESSIONS_PER_USER?: string | number;
  /** "1.0a" (default) or "2.0": the protocol new sign-ins use (docs/x-app.md says which to pick). */
  TWITTER_OAUTH_VERSION?: string;
  /** Secret. The app's OAuth 2.0 Client ID on X (not the 1.0a API key); needed under 2.0, and to move 1.0a sessions to 2.0. */
  TWITTER_OAUTH2_CLIENT_ID?: string;
  /** Secret. Its OAuth 2.0 Client Secret (X's "confidential client"). */
  TWITTER_OAUTH2_CLIENT_SECRET?: string;
  /** X's OAuth 2.0 authorization page. Default https://x.com/i/oauth2/authorize */
  TWITTER_OAUTH2_AUTHORIZE_URL?: string;
  /** X's OAuth 2.0 token endpoint (codes, refreshes, the 1.0a token exchange). Default https://api.x.com/2/oauth2/token */
  TWITTER_OAUTH2_TOKEN_URL?: string;
  /** X's OAuth 2.0 revocation endpoint. Default https://api.x.com/2/oauth2/revoke */
  TWITTER_OAUTH2_REVOKE_URL?: string;
  /** Space-separated OAuth 2.0 scopes. Default "users.read tweet.read offline.access" (users.email added with TWITTER_INCLUDE_EMAIL). */
  TWITTER_OAUTH2_SCOPES?: string;
  /** The site's origin, e.g. https://example.com: callbacks are built from it, requests for other hosts refused. Set it in production. */
  PUBLIC_ORIGIN?: string;
}

/**
 * This Worker's gateway mode (not the package's): put the sign-in in front of another site.
 * PROTECT_ORIGIN is where the Worker forwards; PUBLIC_ORIGIN (above) is the site's own public
 * address, which visitors open and callbacks are built from. See docs/gateway.md.
 */
export interface GatewayEnv extends Env {
  /** Gateway mode: the origin signed-in requests are forwarded to, e.g. https://origin.example.com. Unset: off. */
  PROTECT_ORIGIN?: string;
  /** Where /login, /auth, /me, /logout live: a plain path; default /_auth in gateway mode, the root otherwise. */
  SIGN_IN_PREFIX?: string;
  /** Comma-separated screen names (any case) who may enter; unset: anyone signed in (either list admits). */
  ALLOWED_SCREEN_NAMES?: string;
  /** Comma-separated numeric user ids who may enter; unset: anyone signed in (either list admits). */
  ALLOWED_USER_IDS?: string;
  /** Comma-separated path prefixes served without sign-in and without identity headers, e.g. /assets/,/favicon.ico. */
  PUBLIC_PATHS?: string;
  /** Secret. When set, each forwarded request carries X-Twitter-Signature (HMAC-SHA256) the origin can check; 32 characters or more. */
  ORIGIN_SHARED_SECRET?: string;
  /** Milliseconds allowed for the origin's response headers, 100 to 100000. Default 30000. */
  ORIGIN_TIMEOUT_MS?: string | number;
  /** Secret. An EC P-256 private JWK, or a JSON array of them newest first: X-Twitter-Jwt-Assertion (ES256) on each identified request, public keys at <prefix>/.well-known/jwks.json. */
  GATEWAY_JWT_KEYS?: string;
  /** The assertion's `aud`. Default: PROTECT_ORIGIN (for <prefix>/check without it: the site's public origin). */
  GATEWAY_JWT_AUDIENCE?: string;
  /** Comma-separated origins of other sites whose pages may open a WebSocket through the gateway, e.g. https://app.example.com; the site's own always may. */
  GATEWAY_WEBSOCKET_ORIGINS?: string;
}

/** Context variables set by `twitterSession()` (and so on `/me` and `/logout`). */
export interface TwitterAuthVariables {
  /** The signed-in user, or null when nobody is signed in. */
  twitterUser: TwitterProfile | null;
  /** X's API as the signed-in user (every call signed with their token), or null. */
  twitterApi: TwitterApi | null;
  /** The session's id, or null. */
  twitterSessionId: string | null;
}

/** The Hono environment of apps that use the sign-in. */
export type TwitterAuthEnv = { Bindings: Env; Variables: TwitterAuthVariables };

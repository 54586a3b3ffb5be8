// Settings from the Worker's environment, with X's documented endpoints as defaults (Authlib's names).

import { ConfigurationError } from "./errors.js";
import type { Env } from "./env.js";
import { safeNextPath } from "./next-path.js";

/** X's currently documented OAuth 1.0a endpoints. */
export const TWITTER_DEFAULTS = {
  TWITTER_REQUEST_TOKEN_URL: "https://api.x.com/oauth/request_token",
  TWITTER_AUTHORIZE_URL: "https://api.x.com/oauth/authenticate",
  TWITTER_ACCESS_TOKEN_URL: "https://api.x.com/oauth/access_token",
  TWITTER_API_BASE_URL: "https://api.x.com/1.1/",
} as const;

/** X's currently documented OAuth 2.0 endpoints. */
export const TWITTER_OAUTH2_DEFAULTS = {
  TWITTER_OAUTH2_AUTHORIZE_URL: "https://x.com/i/oauth2/authorize",
  TWITTER_OAUTH2_TOKEN_URL: "https://api.x.com/2/oauth2/token",
  TWITTER_OAUTH2_REVOKE_URL: "https://api.x.com/2/oauth2/revoke",
} as const;

/** The scopes asked for under OAuth 2.0 unless TWITTER_OAUTH2_SCOPES says otherwise (users.email is added when the email is asked for). */
export const DEFAULT_OAUTH2_SCOPES = "users.read tweet.read offline.access";

/** The protocol of TWITTER_OAUTH_VERSION / oauthVersion. */
export type OAuthVersion = "1.0a" | "2.0";
const OAUTH_VERSIONS: readonly OAuthVersion[] = ["1.0a", "2.0"];

/** The OAuth 2.0 client's settings, when its pair is set. */
export interface OAuth2Settings {
  clientId: string;
  clientSecret: string;
  authorizeUrl: string;
  tokenUrl: string;
  revokeUrl: string;
  /** Space-separated, as sent on the authorize URL. */
  scopes: string;
}

/** The shortest SESSION_SECRET accepted: 32 characters (e.g. `openssl rand -base64 32` gives 44). */
export const MIN_SESSION_SECRET_LENGTH = 32;

/** Options of the sign-in building block; each overrides the environment setting named beside it. */
export interface TwitterAuthOptions {
  /** Ask X for the user's email (the app needs X's email permission; see docs/x-app.md). Env `TWITTER_INCLUDE_EMAIL=true`. Default false. */
  includeEmail?: boolean;
  /**
   * Where the profile comes from. Env `TWITTER_PROFILE_ENDPOINT`. Default `auto`: v1.1
   * `account/verify_credentials`, and v2 `GET /2/users/me` when X refuses v1.1 at the app's access
   * level (remembered for an hour). `verify_credentials` or `users_me`: that endpoint only.
   * `none` (OAuth 1.0a only): no profile call at all, so nothing billed at X; the id and screen name
   * come from X's `oauth/access_token` answer, the name is the screen name, no avatar and no email
   * (not with `includeEmail`); `/auth` answers `{"id","screenName"}`. See docs/behaviour.md#the-profile.
   */
  profileEndpoint?: ProfileEndpoint;
  /** `x_auth_access_type` on the request token. Env `TWITTER_ACCESS_TYPE`. Default: the app's own permission. */
  accessType?: "read" | "write";
  /** X's `authenticate` page ("Sign in with Twitter", skips the prompt for returning users) or `authorize` (always asks). Default: TWITTER_AUTHORIZE_URL as set. */
  authorizePage?: "authenticate" | "authorize";
  /** Session lifetime in seconds, 60 to 34,560,000 (400 days). Env `SESSION_TTL_SECONDS`. Default 7 days. */
  sessionTtlSeconds?: number;
  /** Most live sessions one user may have, 1 to 1000: signing in beyond it ends their oldest. Env `MAX_SESSIONS_PER_USER`. Default 100. */
  maxSessionsPerUser?: number;
  /** Where POST /logout sends the browser (a same-origin path). Default `/`. */
  afterLogout?: string;
  /**
   * Revoke the user's access token at X (POST 1.1/oauth/invalidate_token) when their last session
   * here ends, and always on "Sign out of all devices". Env `TWITTER_REVOKE_ON_LOGOUT=false` turns
   * it off. Default true.
   */
  revokeOnLogout?: boolean;
  /**
   * The site's origin, e.g. `https://example.com`. Env `PUBLIC_ORIGIN`. When set, the callback URL
   * is built from it and a request for any other origin is refused (400 `wrong_host`): a forged
   * `Host` header cannot choose the callback. Set it in production. Default: the request's origin.
   */
  publicOrigin?: string;
  /**
   * The protocol new sign-ins use: `1.0a` (one click for a returning user, tokens that never
   * expire) or `2.0` (PKCE, scopes, the email through `users.email`). Env `TWITTER_OAUTH_VERSION`.
   * Default `1.0a`. See docs/x-app.md.
   */
  oauthVersion?: OAuthVersion;
}

/** The settings of TWITTER_PROFILE_ENDPOINT / profileEndpoint. */
export type ProfileEndpoint = "auto" | "verify_credentials" | "users_me" | "none";
const PROFILE_ENDPOINTS: readonly ProfileEndpoint[] = ["auto", "verify_credentials", "users_me", "none"];

/** Seven days. */
export const DEFAULT_SESSION_TTL_SECONDS = 7 * 24 * 60 * 60;
/** Live sessions per user unless MAX_SESSIONS_PER_USER says otherwise: more devices than anyone has, few enough to end at once. */
export const DEFAULT_MAX_SESSIONS_PER_USER = 100;
const MAX_MAX_SESSIONS_PER_USER = 1000;

export interface Settings {
  consumerKey: string;
  consumerSecret: string;
  /** The newest SESSION_SECRET: it signs cookies and seals sessions. */
  sessionSecret: string;
  /** Every SESSION_SECRET listed, newest first: each verifies cookies and opens sessions. */
  sessionSecrets: readonly string[];
  requestTokenUrl: string;
  authorizeUrl: string;
  accessTokenUrl: string;
  apiBaseUrl: string;
  /** Time allowed for each call to X. */
  timeoutMs: number;
  includeEmail: boolean;
  profileEndpoint: ProfileEndpoint;
  accessType: "read" | "write" | undefined;
  sessionTtlSeconds: number;
  /** Most live sessions per user; signing in beyond it ends the oldest. */
  maxSessionsPerUser: number;
  afterLogout: string;
  /** Revoke the access token at X when a user's last session ends (and on sign-out everywhere). */
  revokeOnLogout: boolean;
  /** The site's origin, when set: callbacks are built from it, other origins refused. */
  publicOrigin: string | undefined;
  /** The protocol new sign-ins use. */
  oauthVersion: OAuthVersion;
  /** OAuth 2.0's client and endpoints, when TWITTER_OAUTH2_CLIENT_ID and _SECRET are set (always under 2.0). */
  oauth2: OAuth2Settings | undefined;
}

/** Time allowed for each call to X unless TWITTER_TIMEOUT_MS says otherwise: a hung provider never holds a visitor for long. */
export const DEFAULT_TIMEOUT_MS = 8_000;
/** The most TWITTER_TIMEOUT_MS may be. */
export const MAX_TIMEOUT_MS = 10_000;

/**
 * A reader of the settings for these options that checks them once per `env` object, not on
 * every request (an isolate's requests normally share one; another object is simply read again).
 */
export function settingsReader(options: TwitterAuthOptions = {}): (env: Partial<Env> | undefined) => Settings {
  const read = new WeakMap<object, Settings>();
  return (env = NO_ENV) => {
    let settings = read.get(env);
    if (!settings) read.set(env, (settings = readSettings(env, options)));
    return settings;
  };
}

/** What an app called without bindings (`app.request(url)`) has: nothing, so AUTH_KV is named as missing. */
const NO_ENV: Partial<Env> = {};

/**
 * Reads and checks the settings; throws ConfigurationError naming what is missing or invalid (a
 * 500: the operator's fault, not the visitor's). Every missing secret is named at once.
 */
export function readSettings(env: Partial<Env>, options: TwitterAuthOptions = {}): Settings {
  if (env.AUTH_STORE) {
    if (typeof env.AUTH_STORE.idFromName !== "function") {
      throw new ConfigurationError("AUTH_STORE", "not a Durable Object namespace", 'Bind it in wrangler.toml: [[durable_objects.bindings]] name = "AUTH_STORE", class_name = "AuthStore".');
    }
  } else if (!env.AUTH_KV) {
    throw new ConfigurationError("AUTH_KV", "missing", 'Bind a KV namespace named AUTH_KV in wrangler.toml: [[kv_namespaces]] binding = "AUTH_KV".');
  }
  const oauthVersion = options.oauthVersion ?? oneOf("TWITTER_OAUTH_VERSION", env.TWITTER_OAUTH_VERSION, OAUTH_VERSIONS) ?? "1.0a";
  const missing = (oauthVersion === "2.0" ? OAUTH2_SECRETS : SECRETS).filter((name) => typeof env[name] !== "string" || env[name].trim() === "");
  if (missing.length > 0) {
    const hints: Record<string, string> = { ...SECRET_HINTS, ...OAUTH2_SECRET_HINTS };
    const lines = missing.map((name) => `${name}=<${hints[name]}>`).join(", ");
    throw new ConfigurationError(missing, "not set", `Locally, add to .dev.vars: ${lines}, then restart wrangler dev. Deployed, run ${missing.map((name) => `npx wrangler secret put ${name}`).join(", ")}.`);
  }
  const sessionSecrets = sessionSecretList(env.SESSION_SECRET!);
  const settings: Settings = {
    // Under 2.0 the 1.0a pair is optional: set, it lets sessions started under 1.0a move to 2.0.
    consumerKey: env.TWITTER_CLIENT_ID ?? "",
    consumerSecret: env.TWITTER_CLIENT_SECRET ?? "",
    sessionSecret: sessionSecrets[0]!,
    sessionSecrets,
    requestTokenUrl: endpoint(env, "TWITTER_REQUEST_TOKEN_URL"),
    authorizeUrl: authorizePage(endpoint(env, "TWITTER_AUTHORIZE_URL"), options.authorizePage),
    accessTokenUrl: endpoint(env, "TWITTER_ACCESS_TOKEN_URL"),
    apiBaseUrl: endpoint(env, "TWITTER_API_BASE_URL"),
    timeoutMs: wholeNumber("TWITTER_TIMEOUT_MS", env.TWITTER_TIMEOUT_MS, 100, MAX_TIMEOUT_MS, DEFAULT_TIMEOUT_MS),
    includeEmail: options.includeEmail ?? oneOf("TWITTER_INCLUDE_EMAIL", env.TWITTER_INCLUDE_EMAIL, ["true", "false"]) === "true",
    profileEndpoint: options.profileEndpoint ?? oneOf("TWITTER_PROFILE_ENDPOINT", env.TWITTER_PROFILE_ENDPOINT, PROFILE_ENDPOINTS) ?? "auto",
    accessType: options.accessType ?? oneOf("TWITTER_ACCESS_TYPE", env.TWITTER_ACCESS_TYPE, ["read", "write"]),
    sessionTtlSeconds: options.sessionTtlSeconds ?? wholeNumber("SESSION_TTL_SECONDS", env.SESSION_TTL_SECONDS, 60, MAX_SESSION_TTL_SECONDS, DEFAULT_SESSION_TTL_SECONDS),
    maxSessionsPerUser:
      options.maxSessionsPerUser ?? wholeNumber("MAX_SESSIONS_PER_USER", env.MAX_SESSIONS_PER_USER, 1, MAX_MAX_SESSIONS_PER_USER, DEFAULT_MAX_SESSIONS_PER_USER),
    afterLogout: (options.afterLogout && safeNextPath(options.afterLogout)) || "/",
    revokeOnLogout: options.revokeOnLogout ?? oneOf("TWITTER_REVOKE_ON_LOGOUT", env.TWITTER_REVOKE_ON_LOGOUT, ["true", "false"]) !== "false",
    publicOrigin: siteOrigin("PUBLIC_ORIGIN", options.publicOrigin ?? env.PUBLIC_ORIGIN),
    oauthVersion,
    oauth2: oauth2Settings(env, options, oauthVersion),
  };
  if (settings.profileEndpoint === "none" && settings.includeEmail) throw variableError("TWITTER_PROFILE_ENDPOINT", `none while TWITTER_INCLUDE_EMAIL is true ${NO_PROFILE_NO_EMAIL}`);
  return settings;
}

// RFC 6749 section 3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ), separated by single spaces.
const SCOPE_LIST = /^[\x21\x23-\x5b\x5d-\x7e]+( [\x21\x23-\x5b\x5d-\x7e]+)*$/;

/**
 * OAuth 2.0's settings when its pair is set; under 2.0 also the checks that the profile can be
 * read: X's token answer carries no user id, so the profile always comes from GET /2/users/me,
 * which needs the scopes users.read and tweet.read.
 */
function oauth2Settings(env: Partial<Env>, options: TwitterAuthOptions, version: OAuthVersion): OAuth2Settings | undefined {
  if (version === "2.0") {
    const profile = options.profileEndpoint ?? env.TWITTER_PROFILE_ENDPOINT;
    if (profile !== undefined && profile !== "" && profile !== "auto" && profile !== "users_me") {
      throw new ConfigurationError(
        "TWITTER_PROFILE_ENDPOINT",
        "not usable with TWITTER_OAUTH_VERSION=2.0",
        "Under OAuth 2.0 the profile always comes from GET /2/users/me: set it to auto or users_me, or leave it unset.",
      );
    }
  }
  if (!env.TWITTER_OAUTH2_CLIENT_ID?.trim() || !env.TWITTER_OAUTH2_CLIENT_SECRET?.trim()) return undefined;
  const configured = (env.TWITTER_OAUTH2_SCOPES ?? "").trim() || DEFAULT_OAUTH2_SCOPES;
  if (!SCOPE_LIST.test(configured)) throw variableError("TWITTER_OAUTH2_SCOPES", "not a list of scopes separated by single spaces");
  const scopes = configured.split(" ");
  if (version === "2.0" && !(scopes.includes("users.read") && scopes.includes("tweet.read"))) {
    throw variableError("TWITTER_OAUTH2_SCOPES", "missing users.read or tweet.read, which GET /2/users/me needs to read the profile");
  }
  const includeEmail = options.includeEmail ?? String(env.TWITTER_INCLUDE_EMAIL) === "true";
  if (includeEmail && !scopes.includes("users.email")) scopes.push("users.email");
  return {
    clientId: env.TWITTER_OAUTH2_CLIENT_ID,
    clientSecret: env.TWITTER_OAUTH2_CLIENT_SECRET,
    authorizeUrl: endpoint(env, "TWITTER_OAUTH2_AUTHORIZE_URL"),
    tokenUrl: endpoint(env, "TWITTER_OAUTH2_TOKEN_URL"),
    revokeUrl: endpoint(env, "TWITTER_OAUTH2_REVOKE_URL"),
    scopes: scopes.join(" "),
  };
}

/** `none` reads no profile, so there is no email to read: the two settings (or options) contradict each other. */
const NO_PROFILE_NO_EMAIL = "(none reads no profile, so no email: choose auto or users_me for the email)";

/**
 * SESSION_SECRET as a list, newest first: one secret, or several separated by commas during a
 * rotation (spaces beside a comma are ignored; a single secret is taken exactly as it is). Each is
 * at least 32 characters; the message says which entry is wrong, never its value.
 */
function sessionSecretList(value: string): string[] {
  const secrets = value.includes(",") ? value.trim().split(/\s*,\s*/) : [value];
  // A secret that itself holds a comma is read as a list now: say so beside the entry's position.
  const which = (index: number) => (secrets.length > 1 ? ` (entry ${index + 1} of ${secrets.length}; commas separate secrets)` : "");
  const empty = secrets.indexOf("");
  if (empty !== -1) {
    throw new ConfigurationError("SESSION_SECRET", `a list with an empty entry${which(empty)}`, "List the secrets newest first, separated by single commas: NEW,OLD.");
  }
  const short = secrets.findIndex((secret) => secret.length < MIN_SESSION_SECRET_LENGTH);
  if (short !== -1) {
    throw new ConfigurationError("SESSION_SECRET", `shorter than ${MIN_SESSION_SECRET_LENGTH} characters${which(short)}`, `Make a new one with: openssl rand -base64 32.`);
  }
  return secrets;
}

/** The secrets, in the order a new user is told to add them. */
const SECRETS = ["SESSION_SECRET", "TWITTER_CLIENT_ID", "TWITTER_CLIENT_SECRET"] as const;
const SECRET_HINTS: Record<(typeof SECRETS)[number], string> = {
  SESSION_SECRET: "32+ random characters, e.g. from openssl rand -base64 32",
  TWITTER_CLIENT_ID: "your X app's API Key",
  TWITTER_CLIENT_SECRET: "its API Key Secret",
};
/** The secrets under TWITTER_OAUTH_VERSION=2.0. */
const OAUTH2_SECRETS = ["SESSION_SECRET", "TWITTER_OAUTH2_CLIENT_ID", "TWITTER_OAUTH2_CLIENT_SECRET"] as const;
const OAUTH2_SECRET_HINTS: Record<(typeof OAUTH2_SECRETS)[number], string> = {
  SESSION_SECRET: SECRET_HINTS.SESSION_SECRET,
  TWITTER_OAUTH2_CLIENT_ID: "your X app's OAuth 2.0 Client ID",
  TWITTER_OAUTH2_CLIENT_SECRET: "its OAuth 2.0 Client Secret",
};
/** How to fix a variable. */
const FIX_VARIABLE = "Fix it in wrangler.toml [vars] or .dev.vars.";

function endpoint(env: Partial<Env>, name: keyof typeof TWITTER_DEFAULTS | keyof typeof TWITTER_OAUTH2_DEFAULTS): string {
  const value = env[name] || { ...TWITTER_DEFAULTS, ...TWITTER_OAUTH2_DEFAULTS }[name];
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigurationError(name, "not an absolute URL", FIX_VARIABLE);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") throw new ConfigurationError(name, "not an http(s) URL", FIX_VARIABLE);
  // The API base is a folder: without its `/`, `account/...` would resolve beside `1.1`, not in it.
  if (name === "TWITTER_API_BASE_URL" && !url.pathname.endsWith("/")) url.pathname += "/";
  return url.href;
}

/** A whole number from min to max; the fallback when unset. `fail` makes the error (a setting's or an option's). */
export function wholeNumber(name: string, value: string | number | undefined, min: number, max: number, fallback: number, fail = variableError): number {
  if (value === undefined || value === "") return fallback;
  const number = Number(value);
  if (!Number.isInteger(number) || number < min || number > max) throw fail(name, `not a whole number from ${min} to ${max}`);
  return number;
}

/** One of the allowed words (a TOML boolean counts as its word); undefined when unset. */
function oneOf<T extends string>(name: string, value: string | boolean | undefined, allowed: readonly T[], fail = variableError): T | undefined {
  if (value === undefined || value === "") return undefined;
  if ((allowed as readonly string[]).includes(String(value))) return String(value) as T;
  throw fail(name, `not one of: ${allowed.join(", ")}`);
}

/** An http(s) origin (`https://example.com`, a trailing slash allowed), normalised; undefined when unset. `example` is shown in the error. */
export function siteOrigin(name: string, value: string | undefined, fail = variableError, example = "https://example.com"): string | undefined {
  if (value === undefined || value === "") return undefined;
  const url = URL.parse(value);
  if (!url || (url.protocol !== "https:" && url.protocol !== "http:") || url.href !== `${url.origin}/`) {
    throw fail(name, `not an origin such as ${example} (scheme and host, no path)`);
  }
  return url.origin;
}

/** A setting's error: names it, says how to fix it, never shows its value. */
export function variableError(name: string, problem: string): Error {
  return new ConfigurationError(name, problem, FIX_VARIABLE);
}

/** A developer's mistake in the options, thrown when the app is built (as Hono's own middleware do). */
function optionError(name: string, problem: string): Error {
  return new TypeError(`twitterAuth()/twitterSession() option ${name} is ${problem}.`);
}

const MAX_SESSION_TTL_SECONDS = 34_560_000;

/**
 * Checks the building block's options when the app is built (a developer's mistake is thrown
 * then, not answered as a 500 on each request).
 */
export function checkOptions(options: TwitterAuthOptions): void {
  wholeNumber("sessionTtlSeconds", options.sessionTtlSeconds, 60, MAX_SESSION_TTL_SECONDS, 0, optionError);
  wholeNumber("maxSessionsPerUser", options.maxSessionsPerUser, 1, MAX_MAX_SESSIONS_PER_USER, 0, optionError);
  oneOf("accessType", options.accessType, ["read", "write"], optionError);
  oneOf("authorizePage", options.authorizePage, ["authenticate", "authorize"], optionError);
  oneOf("profileEndpoint", options.profileEndpoint, PROFILE_ENDPOINTS, optionError);
  if (options.profileEndpoint === "none" && options.includeEmail) throw optionError("profileEndpoint", `none while includeEmail is true ${NO_PROFILE_NO_EMAIL}`);
  if (options.afterLogout !== undefined && safeNextPath(options.afterLogout) === undefined) {
    throw optionError("afterLogout", "not a path on this site, such as /");
  }
  siteOrigin("publicOrigin", options.publicOrigin, optionError);
  if (options.revokeOnLogout !== undefined && typeof options.revokeOnLogout !== "boolean") throw optionError("revokeOnLogout", "not true or false");
  oneOf("oauthVersion", options.oauthVersion, OAUTH_VERSIONS, optionError);
}

/** X's authenticate and authorize pages differ in their last path segment only. */
function authorizePage(url: string, page: TwitterAuthOptions["authorizePage"]): string {
  if (page === undefined) return url;
  const parsed = new URL(url);
  parsed.pathname = parsed.pathname.replace(/\/(authenticate|authorize)$/, `/${page}`);
  return parsed.href;
}

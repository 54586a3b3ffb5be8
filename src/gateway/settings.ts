// Gateway mode's settings (PROTECT_ORIGIN and the rest), read and checked as src/config.ts reads the sign-in's.

import { siteOrigin, variableError, wholeNumber } from "../config.js";
import { ConfigurationError } from "../errors.js";
import type { GatewayEnv } from "../env.js";
import { PLAIN_PATH } from "../routes/paths.js";
import { type AssertionSettings, readAssertionSettings } from "./assertion.js";

/** What the gateway needs to guard an origin. */
export interface GatewaySettings {
  /** Where signed-in requests are forwarded, e.g. `https://origin.example.com` (no trailing slash). */
  origin: string;
  /** PUBLIC_ORIGIN's origin when it parses (the sign-in's settings check it): where the origin's redirects to itself are sent. */
  publicOrigin: string | undefined;
  /** Where the sign-in routes live: `/_auth` by default. */
  prefix: string;
  /** Lower-cased screen names admitted; undefined: no list. */
  screenNames: Set<string> | undefined;
  /** User ids admitted (decimal strings: they exceed 2^53); undefined: no list. */
  userIds: Set<string> | undefined;
  /** Path prefixes served without sign-in. */
  publicPaths: string[];
  /** Signs each forwarded request when set. */
  sharedSecret: string | undefined;
  /** Time allowed for the origin's response headers (a long body is never cut). */
  timeoutMs: number;
  /** GATEWAY_JWT_KEYS and GATEWAY_JWT_AUDIENCE: X-Twitter-Jwt-Assertion on each identified request when set. */
  assertion: AssertionSettings | undefined;
  /** Other sites' origins whose pages may open a WebSocket through the gateway (the site's own always may). */
  websocketOrigins: Set<string>;
}

/** Where the sign-in routes live in gateway mode unless SIGN_IN_PREFIX says otherwise. */
export const DEFAULT_GATEWAY_PREFIX = "/_auth";
/** The shortest ORIGIN_SHARED_SECRET accepted, as for SESSION_SECRET. */
export const MIN_ORIGIN_SECRET_LENGTH = 32;
/** Time allowed for the origin's response headers unless ORIGIN_TIMEOUT_MS says otherwise. */
export const DEFAULT_ORIGIN_TIMEOUT_MS = 30_000;


/**
 * The prefix of the sign-in routes: SIGN_IN_PREFIX (a plain path such as `/_auth`; `/` is the
 * root), else `/_auth` in gateway mode and the root otherwise, so nothing moves unless asked.
 */
export function readSignInPrefix(env: Partial<GatewayEnv>): string {
  const value = env.SIGN_IN_PREFIX;
  if (value === undefined || value === "") return env.PROTECT_ORIGIN ? DEFAULT_GATEWAY_PREFIX : "";
  const prefix = value.replace(/\/$/, "");
  if (!PLAIN_PATH.test(prefix)) throw variableError("SIGN_IN_PREFIX", "not a plain path such as /_auth (letters, digits and . _ ~ - between slashes)");
  return prefix;
}

/** Reads and checks gateway mode's settings; throws ConfigurationError naming the setting at fault, never its value. */
export function readGatewaySettings(env: Partial<GatewayEnv>): GatewaySettings {
  // Set: this is read only in gateway mode.
  const origin = siteOrigin("PROTECT_ORIGIN", env.PROTECT_ORIGIN, variableError, "https://origin.example.com")!;
  const secret = env.ORIGIN_SHARED_SECRET || undefined;
  if (secret !== undefined && secret.length < MIN_ORIGIN_SECRET_LENGTH) {
    throw new ConfigurationError("ORIGIN_SHARED_SECRET", `shorter than ${MIN_ORIGIN_SECRET_LENGTH} characters`, "Make a new one with: openssl rand -base64 32.");
  }
  const publicPaths = list(env.PUBLIC_PATHS);
  if (publicPaths.some((path) => !/^\/[^\s%;\\]*$/.test(path))) throw variableError("PUBLIC_PATHS", "not a comma-separated list of paths, each starting with / (no %, ; or \\)");
  if (publicPaths.includes("/")) throw variableError("PUBLIC_PATHS", "a list holding /, which would make the whole site public");
  return {
    origin,
    publicOrigin: URL.parse(env.PUBLIC_ORIGIN ?? "")?.origin,
    prefix: readSignInPrefix(env),
    ...readAllowLists(env),
    publicPaths,
    sharedSecret: secret,
    timeoutMs: wholeNumber("ORIGIN_TIMEOUT_MS", env.ORIGIN_TIMEOUT_MS, 100, 100_000, DEFAULT_ORIGIN_TIMEOUT_MS),
    assertion: readAssertionSettings(env),
    websocketOrigins: readWebSocketOrigins(env),
  };
}

/** GATEWAY_WEBSOCKET_ORIGINS: read in gateway mode, and by `<prefix>/check` in every mode. */
export function readWebSocketOrigins(env: Partial<GatewayEnv>): Set<string> {
  return new Set(list(env.GATEWAY_WEBSOCKET_ORIGINS).map((origin) => siteOrigin("GATEWAY_WEBSOCKET_ORIGINS", origin, variableError, "https://app.example.com")!));
}

/** ALLOWED_SCREEN_NAMES and ALLOWED_USER_IDS: read in gateway mode, and by `<prefix>/check` in every mode. */
export function readAllowLists(env: Partial<GatewayEnv>): Pick<GatewaySettings, "screenNames" | "userIds"> {
  return {
    screenNames: allowList(env.ALLOWED_SCREEN_NAMES, "ALLOWED_SCREEN_NAMES", /^@?\w{1,15}$/, (name) => name.replace("@", "").toLowerCase()),
    userIds: allowList(userIdsText(env.ALLOWED_USER_IDS), "ALLOWED_USER_IDS", /^0*\d{1,20}$/, (id) => id.replace(/^0+(?=\d)/, "")),
  };
}

/**
 * ALLOWED_USER_IDS as text. Written as a TOML number (`ALLOWED_USER_IDS = 1234567890123456789`),
 * wrangler hands the Worker a JavaScript number, which holds 15 to 17 digits exactly: a 19-digit
 * id has already been rounded to a neighbour's, so such a number is refused rather than compared.
 * A number that is still exact (at most 2^53 - 1, such as 12) is read as its digits.
 */
function userIdsText(value: unknown): string | undefined {
  if (value === undefined || typeof value === "string") return value;
  if (typeof value === "number" && Number.isSafeInteger(value) && value >= 0) return String(value);
  const what = typeof value === "number" ? "a number too large to hold a user id exactly (X's ids have up to 19 digits; a TOML number has already lost the last ones)" : "not a string";
  throw new ConfigurationError("ALLOWED_USER_IDS", what, 'Quote it in wrangler.toml: ALLOWED_USER_IDS = "1234567890123456789,12".');
}

/** The comma-separated items of a setting, trimmed, empty ones dropped. */
function list(value: string | undefined): string[] {
  return (value ?? "").split(",").map((item) => item.trim()).filter(Boolean);
}

/**
 * An allow-list; undefined when the setting is unset (nobody is turned away by it). Set, it must
 * list someone: one emptied by editing (`""`, `" , "`) reads as "anyone" to the code and as
 * "nobody" to whoever emptied it, so it is refused rather than left to fail open.
 */
function allowList(value: string | undefined, name: string, pattern: RegExp, normalise: (item: string) => string): Set<string> | undefined {
  if (value === undefined) return undefined;
  const items = list(value);
  if (items.length === 0) throw variableError(name, "set but lists nobody (remove it to admit anyone who signs in)");
  if (!items.every((item) => pattern.test(item))) throw variableError(name, name === "ALLOWED_USER_IDS" ? "not a comma-separated list of numeric user ids" : "not a comma-separated list of screen names (1 to 15 letters, digits or _)");
  return new Set(items.map(normalise));
}

// Gateway mode's settings (PROTECT_ORIGIN and the rest), read and checked as src/config.ts reads the sign-in's.

import { ConfigurationError } from "../errors.js";
import type { GatewayEnv } from "../env.js";

/** What the gateway needs to guard an origin. */
export interface GatewaySettings {
  /** Where signed-in requests are forwarded, e.g. `https://origin.example.com` (no trailing slash). */
  origin: string;
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
}

/** Where the sign-in routes live in gateway mode unless SIGN_IN_PREFIX says otherwise. */
export const DEFAULT_GATEWAY_PREFIX = "/_auth";
/** The shortest ORIGIN_SHARED_SECRET accepted, as for SESSION_SECRET. */
export const MIN_ORIGIN_SECRET_LENGTH = 32;
/** Time allowed for the origin's response headers unless ORIGIN_TIMEOUT_MS says otherwise. */
export const DEFAULT_ORIGIN_TIMEOUT_MS = 30_000;

const FIX = "Fix it in wrangler.toml [vars] or .dev.vars.";
const fail = (name: string, problem: string, fix = FIX) => new ConfigurationError(name, problem, fix);

/**
 * The prefix of the sign-in routes: SIGN_IN_PREFIX (a plain path such as `/_auth`; `/` is the
 * root), else `/_auth` in gateway mode and the root otherwise, so nothing moves unless asked.
 */
export function readSignInPrefix(env: Partial<GatewayEnv>): string {
  const value = env.SIGN_IN_PREFIX;
  if (value === undefined || value === "") return env.PROTECT_ORIGIN ? DEFAULT_GATEWAY_PREFIX : "";
  if (!/^(\/(?!\.\.?(\/|$))[A-Za-z0-9._~-]+)*\/?$/.test(value)) throw fail("SIGN_IN_PREFIX", "not a plain path such as /_auth (letters, digits and . _ ~ - between slashes)");
  return value.replace(/\/$/, "");
}

/** Reads and checks gateway mode's settings; throws ConfigurationError naming the setting at fault, never its value. */
export function readGatewaySettings(env: Partial<GatewayEnv>): GatewaySettings {
  const origin = URL.parse(env.PROTECT_ORIGIN ?? "");
  if (!origin || !/^https?:$/.test(origin.protocol) || origin.href !== `${origin.origin}/`) {
    throw fail("PROTECT_ORIGIN", "not an origin such as https://origin.example.com (scheme and host, no path)");
  }
  const secret = env.ORIGIN_SHARED_SECRET || undefined;
  if (secret !== undefined && secret.length < MIN_ORIGIN_SECRET_LENGTH) {
    throw fail("ORIGIN_SHARED_SECRET", `shorter than ${MIN_ORIGIN_SECRET_LENGTH} characters`, "Make a new one with: openssl rand -base64 32.");
  }
  const timeout = env.ORIGIN_TIMEOUT_MS === undefined || env.ORIGIN_TIMEOUT_MS === "" ? DEFAULT_ORIGIN_TIMEOUT_MS : Number(env.ORIGIN_TIMEOUT_MS);
  if (!Number.isInteger(timeout) || timeout < 100 || timeout > 100_000) throw fail("ORIGIN_TIMEOUT_MS", "not a whole number from 100 to 100000");
  const publicPaths = list(env.PUBLIC_PATHS);
  if (publicPaths.some((path) => !/^\/[^\s%;\\]*$/.test(path))) throw fail("PUBLIC_PATHS", "not a comma-separated list of paths, each starting with / (no %, ; or \\)");
  return {
    origin: origin.origin,
    prefix: readSignInPrefix(env),
    screenNames: allowList(env.ALLOWED_SCREEN_NAMES, "ALLOWED_SCREEN_NAMES", /^@?\w{1,15}$/, (name) => name.replace("@", "").toLowerCase()),
    userIds: allowList(env.ALLOWED_USER_IDS, "ALLOWED_USER_IDS", /^0*\d{1,20}$/, (id) => id.replace(/^0+(?=\d)/, "")),
    publicPaths,
    sharedSecret: secret,
    timeoutMs: timeout,
  };
}

/** The comma-separated items of a setting, trimmed, empty ones dropped. */
function list(value: string | undefined): string[] {
  return (value ?? "").split(",").map((item) => item.trim()).filter(Boolean);
}

/** An allow-list; undefined when the setting is unset or empty (nobody is turned away by it). */
function allowList(value: string | undefined, name: string, pattern: RegExp, normalise: (item: string) => string): Set<string> | undefined {
  const items = list(value);
  if (items.length === 0) return undefined;
  if (!items.every((item) => pattern.test(item))) throw fail(name, name === "ALLOWED_USER_IDS" ? "not a comma-separated list of numeric user ids" : "not a comma-separated list of screen names (1 to 15 letters, digits or _)");
  return new Set(items.map(normalise));
}

// The defaults docs/configuration.md names, checked against what readSettings gives an env with only the secrets and AUTH_KV.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import configuration from "../../docs/configuration.md?raw";
import { readSettings } from "../../src/config";
import { DEFAULT_ORIGIN_TIMEOUT_MS } from "../../src/gateway/settings";

/** The Default column of the settings table, by setting name. */
const defaults = Object.fromEntries([...configuration.matchAll(/^\| `(\w+)` \| \w+ \| ([^|]+) \|/gm)].map((match) => [match[1]!, match[2]!.trim()]));

describe("the defaults docs/configuration.md names", () => {
  it("are the settings readSettings gives an env with only the secrets and AUTH_KV", () => {
    const settings = readSettings({ AUTH_KV: env.AUTH_KV, SESSION_SECRET: "s".repeat(32), TWITTER_CLIENT_ID: "id", TWITTER_CLIENT_SECRET: "secret" });
    const named = ["TWITTER_REQUEST_TOKEN_URL", "TWITTER_AUTHORIZE_URL", "TWITTER_ACCESS_TOKEN_URL", "TWITTER_API_BASE_URL", "TWITTER_TIMEOUT_MS", "TWITTER_INCLUDE_EMAIL", "TWITTER_PROFILE_ENDPOINT", "SESSION_TTL_SECONDS", "TWITTER_REVOKE_ON_LOGOUT", "MAX_SESSIONS_PER_USER", "ORIGIN_TIMEOUT_MS"];
    const code = (value: unknown) => `\`${value}\``;
    expect(Object.fromEntries(named.map((name) => [name, defaults[name]]))).toEqual({
      TWITTER_REQUEST_TOKEN_URL: code(settings.requestTokenUrl),
      TWITTER_AUTHORIZE_URL: code(settings.authorizeUrl),
      TWITTER_ACCESS_TOKEN_URL: code(settings.accessTokenUrl),
      TWITTER_API_BASE_URL: code(settings.apiBaseUrl),
      TWITTER_TIMEOUT_MS: code(settings.timeoutMs),
      TWITTER_INCLUDE_EMAIL: code(settings.includeEmail),
      TWITTER_PROFILE_ENDPOINT: code(settings.profileEndpoint),
      SESSION_TTL_SECONDS: code(settings.sessionTtlSeconds),
      TWITTER_REVOKE_ON_LOGOUT: code(settings.revokeOnLogout),
      MAX_SESSIONS_PER_USER: code(settings.maxSessionsPerUser),
      ORIGIN_TIMEOUT_MS: code(DEFAULT_ORIGIN_TIMEOUT_MS),
    });
  });
});

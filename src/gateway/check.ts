// `<prefix>/check`, the forward-auth endpoint (nginx auth_request, Traefik ForwardAuth, Caddy forward_auth), and `<prefix>/.well-known/jwks.json`.

import type { Hono } from "hono";
import { siteOrigin } from "../config.js";
import type { GatewayEnv, TwitterAuthEnv } from "../env.js";
import { SignInError } from "../errors.js";
import { secureHeaders } from "../middleware/secure-headers.js";
import { safeNextPath } from "../next-path.js";
import { errorPage, prefersHtml } from "../pages/error-page.js";
import { type TwitterAuthOptions, twitterSession } from "../twitter-auth.js";
import { ASSERTION_HEADER, type AssertionSettings, JWKS_PATH, jwksResponse, readAssertionSettings, signAssertion } from "./assertion.js";
import { isAdmitted, isWebSocketOriginAllowed, webSocketOriginRefused } from "./gateway.js";
import { type GatewaySettings, readAllowLists, readWebSocketOrigins } from "./settings.js";

/** What the two routes need: gateway mode's settings, or (without PROTECT_ORIGIN) the same read from the env. */
export type CheckSettings = Pick<GatewaySettings, "publicOrigin" | "screenNames" | "userIds" | "assertion" | "websocketOrigins"> & {
  /** The assertion's default audience: PROTECT_ORIGIN; undefined: the site's public origin. */
  origin: string | undefined;
};

/** The settings of the two routes without gateway mode, read once per env object; throws ConfigurationError naming a bad one. */
export function checkSettingsReader(): (env: Partial<GatewayEnv> | undefined) => CheckSettings {
  const read = new WeakMap<object, CheckSettings>();
  return (env = {}) => {
    let settings = read.get(env);
    if (!settings) {
      const assertion: AssertionSettings | undefined = readAssertionSettings(env);
      read.set(env, (settings = { publicOrigin: siteOrigin("PUBLIC_ORIGIN", env.PUBLIC_ORIGIN), origin: undefined, ...readAllowLists(env), assertion, websocketOrigins: readWebSocketOrigins(env) }));
    }
    return settings;
  };
}

/**
 * Adds `<prefix>/check` and `<prefix>/.well-known/jwks.json` to the app.
 *
 * `/check`, any method (nginx's auth subrequest is a GET carrying the original request's headers;
 * Traefik and Caddy send GET too): 200 with an empty body, X-Twitter-User-Id,
 * X-Twitter-Screen-Name, X-Twitter-Name (percent-encoded UTF-8) and, with GATEWAY_JWT_KEYS,
 * X-Twitter-Jwt-Assertion, for a signed-in user the allow-lists admit; 401 `not_signed_in`
 * otherwise (for a browser, a page whose link signs in and comes back to X-Forwarded-Uri, as Traefik
 * and Caddy send it, or X-Original-URI); 403 `not_allowed` for someone the lists do not name.
 * Always `Cache-Control: no-store`.
 *
 * `/.well-known/jwks.json`: the public keys of GATEWAY_JWT_KEYS (see jwksResponse); 404 without it.
 *
 * @see docs/gateway.md
 */
export function addCheckRoutes(app: Hono<TwitterAuthEnv>, prefix: string, options: TwitterAuthOptions, settingsOf: (env: Partial<GatewayEnv> | undefined) => CheckSettings): void {
  const session = twitterSession(options);
  const sameSite = (url: URL, settings: CheckSettings) => {
    // As on the sign-in's routes: the issuer is this site, and no other host may pose as it.
    if (settings.publicOrigin && url.origin !== settings.publicOrigin) {
      throw new SignInError(400, "wrong_host", `This site is served at ${settings.publicOrigin}. Open it there.`);
    }
    return settings.publicOrigin ?? url.origin;
  };

  app.all(`${prefix}/check`, secureHeaders(), async (c) => {
    const settings = settingsOf(c.env);
    const issuer = sameSite(new URL(c.req.url), settings);
    // Never stored by the proxy or a cache: the answer is about this visitor, now.
    c.header("Cache-Control", "no-store");
    // A WebSocket's handshake checked for the proxy as the gateway checks its own (its Origin,
    // before the session): a proxy passes Sec-WebSocket-Key on, and often not Upgrade (hop-by-hop).
    const webSocket = c.req.header("Sec-WebSocket-Key") !== undefined || c.req.header("Upgrade")?.trim().toLowerCase() === "websocket";
    if (webSocket && !isWebSocketOriginAllowed(c.req.header("Origin"), issuer, settings.websocketOrigins)) throw webSocketOriginRefused();
    const failed = await session(c, async () => {});
    if (failed) return failed;
    const user = c.var.twitterUser;
    if (!user) {
      const failure = new SignInError(401, "not_signed_in", `Nobody is signed in. Sign in at ${prefix}/login.`);
      if (!prefersHtml(c)) throw failure;
      // Traefik and Caddy show this answer to the browser: its link signs in and comes back to the page asked for.
      const asked = safeNextPath(c.req.header("X-Forwarded-Uri") ?? c.req.header("X-Original-URI") ?? "");
      return errorPage(c, failure, `${prefix}/login${asked ? `?next=${encodeURIComponent(asked)}` : ""}`);
    }
    if (!isAdmitted(settings, user)) throw new SignInError(403, "not_allowed", `Signed in as @${user.screenName}, who may not enter this site. Sign out with POST ${prefix}/logout.`);
    c.header("X-Twitter-User-Id", user.id);
    c.header("X-Twitter-Screen-Name", encodeURIComponent(user.screenName));
    c.header("X-Twitter-Name", encodeURIComponent(user.name));
    if (settings.assertion) c.header(ASSERTION_HEADER, await signAssertion(settings.assertion, user, issuer, settings.origin ?? issuer));
    return c.body(null, 200);
  });

  app.on(["GET", "HEAD"], `${prefix}${JWKS_PATH}`, secureHeaders(), async (c) => {
    const settings = settingsOf(c.env);
    sameSite(new URL(c.req.url), settings);
    if (!settings.assertion) throw new SignInError(404, "not_found", "This site signs no identity assertions: there are no keys here.");
    return jwksResponse(c.req.raw, settings.assertion);
  });
}

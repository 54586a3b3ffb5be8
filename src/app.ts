// This Worker: the landing page plus the sign-in building block, or in gateway mode the sign-in in front of another site.

import { Hono } from "hono/tiny";
import { SignInError } from "./errors.js";
import { handleError } from "./error-handler.js";
import { addCheckRoutes, checkSettingsReader } from "./gateway/check.js";
import { protectOrigin } from "./gateway/gateway.js";
import { readGatewaySettings, readSignInPrefix } from "./gateway/settings.js";
import { redirectToHttps } from "./gateway/to-https.js";
import { secureHeaders } from "./middleware/secure-headers.js";
import { landingPage } from "./pages/landing.js";
import type { GatewayEnv, TwitterAuthEnv } from "./env.js";
import { type TwitterAuthOptions, twitterAuth, twitterSession } from "./twitter-auth.js";

/**
 * Builds the Worker's app: `/` (landing page), `/login`, `/auth`, `/me`, `/logout`. With
 * PROTECT_ORIGIN set (gateway mode), the sign-in routes move under SIGN_IN_PREFIX (`/_auth`) and
 * every other path belongs to the protected origin; SIGN_IN_PREFIX alone only moves them. Routes
 * are fixed when a Hono app is built and settings come with each request's env, so such an app is
 * built per env object (an isolate's requests share one) and kept.
 */
export function createApp(options: TwitterAuthOptions = {}): Hono<TwitterAuthEnv> {
  const app = siteApp(options, "");
  const built = new WeakMap<object, Hono<TwitterAuthEnv>>();
  const fetchAtRoot = app.fetch;
  app.fetch = (request, env?: Partial<GatewayEnv>, executionContext?) => {
    if (!env?.PROTECT_ORIGIN && !env?.SIGN_IN_PREFIX) return fetchAtRoot(request, env, executionContext);
    let own = built.get(env);
    if (!own) built.set(env, (own = configuredApp(env, options)));
    return own.fetch(request, env, executionContext);
  };
  return app;
}

/** The app these settings ask for; one that answers every request with the error when they are invalid. */
function configuredApp(env: Partial<GatewayEnv>, options: TwitterAuthOptions): Hono<TwitterAuthEnv> {
  try {
    if (!env.PROTECT_ORIGIN) return siteApp(options, readSignInPrefix(env));
    const settings = readGatewaySettings(env);
    const app = new Hono<TwitterAuthEnv>();
    app.use(redirectToHttps(settings.publicOrigin));
    // The sign-in's own routes answer with its secure headers, without HSTS: that binds the whole
    // host and its subdomains, a decision for the protected site, whose answers carry its own.
    app.route(settings.prefix || "/", twitterAuth(options));
    addCheckRoutes(app, settings.prefix, options, () => settings);
    const [ownHeaders, guard] = protectOrigin(settings, options);
    app.all("*", ownHeaders, guard);
    app.onError((error, c) => handleError(error, c));
    return app;
  } catch (error) {
    const app = new Hono<TwitterAuthEnv>();
    app.use(secureHeaders());
    app.all("*", () => {
      throw error;
    });
    app.onError((failure, c) => handleError(failure, c));
    return app;
  }
}

/** The Worker as a whole site: the landing page at `/`, the sign-in routes under `prefix`. */
function siteApp(options: TwitterAuthOptions, prefix: string): Hono<TwitterAuthEnv> {
  const app = new Hono<TwitterAuthEnv>();
  // This Worker is the whole site: its answers carry HSTS too.
  app.use(secureHeaders({ strictTransportSecurity: true }));
  app.route(prefix || "/", twitterAuth(options));
  addCheckRoutes(app, prefix, options, checkSettingsReader());
  app.get("/", twitterSession(options), (c) => {
    c.header("Cache-Control", "no-store");
    return landingPage(c, c.var.twitterUser, prefix);
  });
  // Answered, not thrown: a throw here would skip the secure headers' second half.
  app.notFound((c) => handleError(new SignInError(404, "not_found", `There is nothing here. Sign in at ${prefix}/login.`), c));
  app.onError((error, c) => handleError(error, c));
  return app;
}

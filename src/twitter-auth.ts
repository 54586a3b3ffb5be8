// The sign-in as a Hono building block: mount it in any Worker, read the signed-in user from the context.

import type { Context, MiddlewareHandler } from "hono";
import { Hono } from "hono/tiny";
import { type Settings, type TwitterAuthOptions, checkOptions, settingsReader } from "./config.js";
import type { TwitterAuthEnv } from "./env.js";
import { SignInError } from "./errors.js";
import { handleError, logged } from "./error-handler.js";
import { isLocalDevelopment } from "./local-development.js";
import { rateLimitLogin } from "./middleware/rate-limit.js";
import { requestLimits } from "./middleware/request-limits.js";
import { secureHeaders } from "./middleware/secure-headers.js";
import { auth } from "./routes/auth.js";
import { authOAuth2 } from "./routes/auth-oauth2.js";
import { login } from "./routes/login.js";
import { loginOAuth2 } from "./routes/login-oauth2.js";
import { logout } from "./routes/logout.js";
import { mountPrefix } from "./routes/paths.js";
import { SESSION_COOKIE, clearIdCookie, keepCookies } from "./session/cookie.js";
import { currentSession, deferFor } from "./session/current.js";
import { listDevices } from "./session/devices.js";
import { storeFor } from "./session/store.js";
import type { TwitterProfile } from "./twitter/account.js";
import { type TwitterApi, createTwitterApi } from "./twitter/api.js";
import { createOAuth2TwitterApi } from "./twitter/oauth2-api.js";

export { AuthStore } from "./session/auth-store.js";
export { SignInError } from "./errors.js";
export type { TwitterAuthOptions } from "./config.js";
export type { Device } from "./session/devices.js";
export type { Env, TwitterAuthEnv, TwitterAuthVariables } from "./env.js";
export type { TwitterProfile } from "./twitter/account.js";
export type { TwitterApi } from "./twitter/api.js";

/**
 * Middleware that reads the session cookie and sets `c.var.twitterUser`, `c.var.twitterApi` and
 * `c.var.twitterSessionId` (null when signed out). One store round trip when a session cookie is
 * present (KV: the record and the user's sign-out mark side by side; the Durable Object: one call).
 *
 * @example app.use(twitterSession()); app.get("/", (c) => c.text(c.var.twitterUser?.name ?? "anonymous"));
 */
export function twitterSession(options: TwitterAuthOptions = {}): MiddlewareHandler<TwitterAuthEnv> {
  checkOptions(options);
  const settingsOf = settingsReader(options);
  return async (c, next) => {
    if (c.get("twitterUser") !== undefined) return next();
    c.set("twitterUser", null);
    c.set("twitterApi", null);
    c.set("twitterSessionId", null);
    try {
      await readSessionInto(c, settingsOf(c.env));
    } catch (error) {
      // The host app's error handler is not ours: answer the sign-in's own failures (a missing
      // setting, the store down) here, in the sign-in's format, wherever this middleware is used.
      return handleError(error, c);
    }
    await next();
    // A cookie signed again with the newest secret, or cleared, reaches the browser whatever the route answered with.
    keepCookies(c);
  };
}

/**
 * Sets the context variables from the session cookie (see currentSession). When X refuses the
 * session's token on a twitterApi call, every session of the user ends (X's one token per user and
 * app is what they all hold): deleted, this one's cookie cleared.
 */
async function readSessionInto(c: Context<TwitterAuthEnv>, settings: Settings): Promise<void> {
  const session = await currentSession(c, settings);
  if (!session) return;
  c.set("twitterUser", session.profile);
  c.set("twitterSessionId", session.id);
  const endSession = async () => {
    clearIdCookie(c, SESSION_COOKIE);
    await storeFor(c.env).endUserSessions(session.profile.id, session.shard, session.id, deferFor(c));
  };
  // A session started under 1.0a moves to 2.0 when the site has (both pairs set): its token is exchanged on first use.
  if (session.oauth2 !== undefined || (settings.oauthVersion === "2.0" && settings.oauth2 !== undefined && session.credentials.token !== "")) {
    // Each OAuth 2.0 grant is this session's own: X refusing it ends this session only.
    const store = storeFor(c.env);
    const endThisSession = async () => {
      clearIdCookie(c, SESSION_COOKIE);
      await store.endSession(session, session.profile.id, deferFor(c));
    };
    c.set("twitterApi", createOAuth2TwitterApi(settings, store, session, endThisSession));
    return;
  }
  c.set("twitterApi", createTwitterApi(settings, session.credentials, endSession));
}

/**
 * The sign-in routes as a Hono app to mount anywhere:
 * `GET /login`, `GET /auth` (X's callback), `GET /me`, `GET /sessions` (the user's devices),
 * `POST /logout` (`?everywhere=true`: every session of the user, on every device;
 * `?session=<id>`: one of them).
 * The callback URL, the request-token cookie's name and the messages follow the mount prefix, read
 * from the route Hono matched (`app.route("/:tenant", twitterAuth())` works per tenant).
 *
 * @example
 * const app = new Hono<TwitterAuthEnv>();
 * app.route("/auth/twitter", twitterAuth({ includeEmail: true }));
 * app.use(twitterSession());
 * app.get("/", (c) => c.text(c.var.twitterUser ? `Hello @${c.var.twitterUser.screenName}` : "Hello"));
 * @see docs/library.md
 */
export function twitterAuth(options: TwitterAuthOptions = {}): Hono<TwitterAuthEnv> {
  checkOptions(options);
  const settingsOf = settingsReader(options);
  const session = twitterSession(options);
  const auth$ = new Hono<TwitterAuthEnv>();
  // On the sign-in's own paths only: a mount at / must not put its headers, bounds or host check on the host app's pages.
  for (const [path, methods] of ROUTES) {
    auth$.use(path, secureHeaders(), requestLimits(), async (c, next) => {
      const { publicOrigin } = settingsOf(c.env);
      // Set in production: the callback is built from it, and no forged Host can choose another.
      if (publicOrigin !== undefined && new URL(c.req.url).origin !== publicOrigin) {
        // On the developer's own machine, the usual cause is wrangler.toml's deployed PUBLIC_ORIGIN: say the documented fix.
        const local = isLocalDevelopment(c.req.url) ? " To sign in locally instead, add the line PUBLIC_ORIGIN= (empty) to .dev.vars and restart wrangler dev." : "";
        throw new SignInError(400, "wrong_host", `This sign-in is served at ${publicOrigin}. Open it there.${local}`);
      }
      // Hono answers HEAD as GET: on /login and /auth that would start or use up a sign-in.
      if (c.req.method === "HEAD" && !methods.includes("HEAD")) methodNotAllowed(c, path);
      await next();
    });
  }

  auth$.get("/login", rateLimitLogin(), (c) => logged("login", () => (settingsOf(c.env).oauthVersion === "2.0" ? loginOAuth2 : login)(c, settingsOf(c.env))));
  auth$.get("/auth", (c) => logged("auth", () => (isOAuth2Callback(c, settingsOf(c.env)) ? authOAuth2 : auth)(c, settingsOf(c.env))));
  auth$.get("/me", session, (c) => c.json(signedIn(c)));
  auth$.get("/sessions", session, async (c) => c.json({ sessions: await listDevices(storeFor(c.env), signedIn(c).id, c.var.twitterSessionId) }));
  auth$.post("/logout", sameOrigin(), (c) => logged("logout", () => logout(c, settingsOf(c.env))));
  // Any other method on these paths: 405 with Allow, as HTTP asks.
  for (const [path] of ROUTES) auth$.all(path, (c) => methodNotAllowed(c, path));
  auth$.onError((error, c) => handleError(error, c, options.afterLogout ?? "/"));
  return auth$;
}

/**
 * Which protocol's callback this is: the site's, unless the query is plainly the other's and that
 * protocol is configured (a sign-in begun just before the site switched still finishes).
 */
function isOAuth2Callback(c: Context, settings: Settings): boolean {
  const query = (name: string) => c.req.query(name) !== undefined;
  if (settings.oauthVersion === "2.0") return !((query("oauth_token") || query("denied")) && settings.consumerKey !== "");
  return (query("code") || query("error")) && query("state") && settings.oauth2 !== undefined;
}

/** The signed-in user, for an answer that is theirs alone (never stored by a cache); 401 when nobody is. */
function signedIn(c: Context<TwitterAuthEnv>): TwitterProfile {
  c.header("Cache-Control", "no-store");
  const user = c.var.twitterUser;
  if (!user) throw new SignInError(401, "not_signed_in", `Nobody is signed in. Sign in at ${mountPrefix(c)}/login.`);
  return user;
}

/** The sign-in's paths and the methods each answers (HEAD only where it changes nothing). */
const ROUTES = [
  ["/login", "GET"],
  ["/auth", "GET"],
  ["/me", "GET, HEAD"],
  ["/sessions", "GET, HEAD"],
  ["/logout", "POST"],
] as const;

function methodNotAllowed(c: Context, path: (typeof ROUTES)[number][0]): never {
  const allow = ROUTES.find(([route]) => route === path)![1];
  c.header("Allow", allow);
  throw new SignInError(405, "method_not_allowed", `Use ${allow.replace(", HEAD", " (or HEAD)")} for ${path}.`);
}

/**
 * Refuses a state-changing request sent from another site: the browser's `Sec-Fetch-Site` or
 * `Origin` must say it came from this origin. Ours rather than hono/csrf, which checks only
 * form-like content types and so lets a cross-site POST typed application/json through.
 */
function sameOrigin(): MiddlewareHandler {
  return async (c, next) => {
    const site = c.req.header("Sec-Fetch-Site");
    if (site !== "same-origin" && c.req.header("Origin") !== new URL(c.req.url).origin) {
      throw new SignInError(403, "cross_site_request", "Refused: signing out needs an Origin or Sec-Fetch-Site header saying this site, as browsers send from its own pages.");
    }
    await next();
  };
}

// This Worker: the landing page plus the sign-in building block mounted at the root.

import { Hono } from "hono/tiny";
import { SignInError } from "./errors.js";
import { handleError } from "./error-handler.js";
import { secureHeaders } from "./middleware/secure-headers.js";
import { landingPage } from "./pages/landing.js";
import type { TwitterAuthEnv } from "./env.js";
import { type TwitterAuthOptions, twitterAuth, twitterSession } from "./twitter-auth.js";

/** Builds the Worker's app: `/` (landing page), `/login`, `/auth`, `/me`, `/logout`. */
export function createApp(options: TwitterAuthOptions = {}): Hono<TwitterAuthEnv> {
  const app = new Hono<TwitterAuthEnv>();
  // This Worker is the whole site: its answers carry HSTS too.
  app.use(secureHeaders({ strictTransportSecurity: true }));
  const signIn = twitterAuth(options);
  app.route("/", signIn);
  app.get("/", twitterSession(options), (c) => {
    c.header("Cache-Control", "no-store");
    return landingPage(c, c.var.twitterUser);
  });
  // Answered, not thrown: a throw here would skip the secure headers' second half.
  app.notFound((c) => handleError(new SignInError(404, "not_found", "There is nothing here. Sign in at /login."), c));
  app.onError((error, c) => handleError(error, c));
  return app;
}

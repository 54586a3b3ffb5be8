// The Hono app: routes, and the one place where every failure becomes an answer.

import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { secureHeaders } from "hono/secure-headers";
import type { Env } from "./env.ts";
import { SignInError } from "./errors.ts";
import { logStep } from "./log.ts";
import { rateLimitLogin } from "./middleware/rate-limit.ts";
import { requestLimits } from "./middleware/request-limits.ts";
import { OAuth1Error } from "./oauth1/index.ts";
import { auth } from "./routes/auth.ts";
import { login } from "./routes/login.ts";

/** Builds the sign-in app: `GET /login` and `GET /auth` (X's callback). */
export function createApp(): Hono<{ Bindings: Env }> {
  const app = new Hono<{ Bindings: Env }>();

  // Secure defaults on every answer, errors included; the callback's query never leaks in a Referer.
  app.use(
    secureHeaders({
      contentSecurityPolicy: { defaultSrc: ["'none'"], baseUri: ["'none'"], formAction: ["'self'"], frameAncestors: ["'none'"] },
      referrerPolicy: "no-referrer",
      xFrameOptions: "DENY",
    }),
  );
  app.use(requestLimits());
  app.use("/login", rateLimitLogin());

  app.get("/", (c) =>
    c.html(
      '<!doctype html><meta charset="utf-8"><title>Sign in with Twitter</title><p><a href="/login">Sign in with Twitter</a></p>',
    ),
  );
  app.get("/login", (c) => timed("login", () => login(c)));
  app.get("/auth", (c) => timed("auth", () => auth(c)));

  app.notFound(() => {
    throw new SignInError(404, "not_found", "There is nothing here. Sign in at /login.");
  });
  app.on(["POST", "PUT", "PATCH", "DELETE"], ["/login", "/auth"], () => {
    throw new SignInError(405, "method_not_allowed", "Use GET for /login and /auth.");
  });
  app.onError((error, c) => {
    const failure = toSignInError(error);
    if (failure.status === 500 && !(error instanceof SignInError)) {
      // An unexpected exception: its name only, never its message (it may hold anything).
      console.error(JSON.stringify({ event: "unexpected_error", name: error instanceof Error ? error.name : typeof error }));
    }
    c.header("Cache-Control", "no-store");
    return c.json({ error: failure.code, error_description: failure.message }, failure.status);
  });
  return app;
}

/** Runs a step and writes its log line, whatever the outcome. */
async function timed(step: "login" | "auth", run: () => Promise<Response>): Promise<Response> {
  const started = Date.now();
  try {
    const response = await run();
    logStep({ step, outcome: "ok", durationMs: Date.now() - started, status: response.status });
    return response;
  } catch (error) {
    const failure = toSignInError(error);
    const cause = failure.cause instanceof OAuth1Error ? failure.cause : undefined;
    logStep({
      step,
      outcome: failure.code === "access_denied" ? "denied" : "error",
      durationMs: Date.now() - started,
      status: failure.status,
      error: failure.code,
      ...(cause?.status === undefined ? {} : { providerStatus: cause.status }),
    });
    throw error;
  }
}

/** Any thrown value as the service's error; unknown ones become a bare 500. */
function toSignInError(error: unknown): SignInError {
  if (error instanceof SignInError) return error;
  if (error instanceof HTTPException && error.status >= 400 && error.status < 500) {
    return new SignInError(400, "invalid_request", "The request is malformed.");
  }
  return new SignInError(500, "internal_error", "Something went wrong on our side. Try again; if it goes on, tell the site's operator.");
}

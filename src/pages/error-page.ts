// The error page people see in a browser: what happened, what to do, a way back.

import type { Context } from "hono";
import { html } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";
import type { SignInError } from "../errors.js";
import { renderPage } from "./layout.js";

const TITLES: Record<number, string> = {
  401: "You are not signed in",
  403: "Sign-in cancelled",
  404: "Nothing here",
  429: "Too many attempts",
  502: "Twitter did not answer as expected",
};

/** Renders an error for a browser; everything shown is escaped, and the error code is there for support. */
export function errorPage(c: Context, error: SignInError, home = "/"): Response | Promise<Response> {
  const title = error.code.startsWith("origin_") ? "The site did not answer" : (TITLES[error.status === 504 ? 502 : error.status] ?? "The sign-in did not work");
  return renderPage(
    c,
    {
      title,
      body: html`<h1>${title}</h1>
<p id="error-description">${linkSignInPath(error.message)}</p>
<a class="button" href="${home}">Back to the start</a>
<p><code id="error-code">${error.code}</code></p>`,
    },
    error.status,
  );
}

/** A sign-in path the message names ("Sign in at /auth/twitter/login.") as a link; the rest as text. */
const SIGN_IN_PATH = /(?<=\s|^)((?:\/[A-Za-z0-9._~-]+)*\/login)(?=[.,\s]|$)/;

function linkSignInPath(message: string): HtmlEscapedString | Promise<HtmlEscapedString> {
  const match = SIGN_IN_PATH.exec(message);
  if (!match) return html`${message}`;
  const path = match[1]!;
  return html`${message.slice(0, match.index)}<a href="${path}">${path}</a>${message.slice(match.index + path.length)}`;
}

/** True when the client prefers HTML (a browser navigating) over JSON (an API client). */
export function prefersHtml(c: Context): boolean {
  const accept = c.req.header("Accept") ?? "";
  return accept.includes("text/html") && !/^\s*application\/json/.test(accept);
}

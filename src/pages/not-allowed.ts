// The 403 page for a signed-in user the gateway's allow-lists do not admit: who they are, and "Sign out".

import type { Context } from "hono";
import { html } from "hono/html";
import type { TwitterProfile } from "../twitter/account.js";
import { renderPage } from "./layout.js";

/** The page saying `user` may not enter, with a sign-out form posting to `<base>/logout`. */
export function notAllowedPage(c: Context, user: TwitterProfile, base: string): Response | Promise<Response> {
  return renderPage(
    c,
    {
      title: "Not allowed",
      body: html`<h1>Not allowed</h1>
<p id="error-description">You are signed in as <b id="name">${user.name}</b> (<span id="screen-name">@${user.screenName}</span>), who may not enter this site.</p>
<form method="post" action="${base}/logout"><button class="button secondary" id="sign-out" type="submit">Sign out</button></form>
<p><code id="error-code">not_allowed</code></p>`,
    },
    403,
  );
}

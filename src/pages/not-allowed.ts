// The 403 page for a signed-in user the gateway's allow-lists do not admit: who they are, "Sign out", their devices and "Sign out of all devices".

import type { Context } from "hono";
import { html } from "hono/html";
import type { TwitterAuthEnv } from "../env.js";
import type { TwitterProfile } from "../twitter/account.js";
import { devicesSection } from "./devices.js";
import { renderPage } from "./layout.js";

/** The page saying `user` may not enter, with a sign-out form posting to `<base>/logout`, and their devices. */
export async function notAllowedPage(c: Context<TwitterAuthEnv>, user: TwitterProfile, base: string): Promise<Response> {
  return renderPage(
    c,
    {
      title: "Not allowed",
      body: html`<h1>Not allowed</h1>
<p id="error-description">You are signed in as <b id="name">${user.name}</b> (<span id="screen-name">@${user.screenName}</span>), who may not enter this site.</p>
<form method="post" action="${base}/logout"><button class="button secondary" id="sign-out" type="submit">Sign out</button></form>
${await devicesSection(c, user.id, base)}
<p><code id="error-code">not_allowed</code></p>`,
    },
    403,
  );
}

// GET /: signed out, a "Sign in with Twitter" link that comes back here (next=/); signed in, the avatar, name, @screen name, "Sign out", the user's devices and "Sign out of all devices".

import type { Context } from "hono";
import { html } from "hono/html";
import type { TwitterAuthEnv } from "../env.js";
import type { TwitterProfile } from "../twitter/account.js";
import { devicesSection } from "./devices.js";
import { imageOrigin, renderPage } from "./layout.js";

/** The landing page for the given user (null when signed out); `base` is where the sign-in routes are mounted. */
export async function landingPage(c: Context<TwitterAuthEnv>, user: TwitterProfile | null, base = ""): Promise<Response> {
  if (!user) {
    return renderPage(c, {
      title: "Sign in with Twitter",
      body: html`<h1>Welcome</h1>
<p>Sign in with your Twitter account. We only read your public profile.</p>
<a class="button" id="sign-in" href="${base}/login?next=/">Sign in with Twitter</a>`,
    });
  }
  const avatarOrigin = imageOrigin(user.profileImageUrl, c.req.url);
  return renderPage(c, {
    title: `${user.name} (@${user.screenName})`,
    imageOrigin: avatarOrigin,
    body: html`${avatarOrigin ? html`<img class="avatar" src="${user.profileImageUrl}" alt="" width="72" height="72">` : ""}
<h1 class="name" id="name">${user.name}</h1>
<p class="handle" id="screen-name">@${user.screenName}</p>
<form method="post" action="${base}/logout"><button class="button secondary" id="sign-out" type="submit">Sign out</button></form>
${await devicesSection(c, user.id, base)}`,
  });
}

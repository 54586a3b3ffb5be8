// The devices list on the service's pages: each session of the signed-in user with a "Sign out" button, then "Sign out of all devices".

import type { Context } from "hono";
import { html } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";
import type { TwitterAuthEnv } from "../env.js";
import { type Device, listDevices } from "../session/devices.js";
import { storeFor } from "../session/store.js";

/**
 * The signed-in user's devices, as forms posting to `<base>/logout?session=<id>` (the current
 * one's is an ordinary sign-out), and the form that signs out everywhere.
 */
export async function devicesSection(c: Context<TwitterAuthEnv>, userId: string, base: string): Promise<HtmlEscapedString> {
  const everywhere = html`<form method="post" action="${base}/logout?everywhere=true"><button class="button secondary" id="sign-out-everywhere" type="submit">Sign out of all devices</button></form>`;
  let devices: Device[];
  try {
    devices = await listDevices(storeFor(c.env), userId, c.var.twitterSessionId ?? null);
  } catch {
    // The store could not list them (KV's lists have a daily quota on Workers Free): the page, and signing out everywhere, still work.
    return html`<h2>Signed in on</h2>
<p id="devices-unavailable">Your devices cannot be listed just now. Signing out of all of them still works.</p>
${everywhere}`;
  }
  return html`<h2>Signed in on</h2>
<ul class="devices" id="devices">${devices.map((device) => {
    // Each button's accessible name says which device it signs out (the visible text is the same for all).
    const name = `${describe(device.userAgent)}${device.current ? " (this device)" : ""}`;
    return html`<li${device.current ? html` id="this-device"` : ""}><b>${name}</b><br><small>${device.country ? `${device.country}, ` : ""}${when("signed in", device.createdAt)}${when(", last seen", device.lastSeenAt)}</small>
<form method="post" action="${base}/logout?session=${device.id}"><button class="button secondary" type="submit" aria-label="Sign out ${name}">Sign out</button></form></li>`;
  })}</ul>
${everywhere}`;
}

/** A browser and system from a User-Agent ("Firefox on Windows"), by the names browsers put in it; the raw string's start otherwise. */
function describe(userAgent: string | null): string {
  if (!userAgent) return "A browser";
  const browser = [["Edg/", "Edge"], ["OPR/", "Opera"], ["Firefox/", "Firefox"], ["Chrome/", "Chrome"], ["Safari/", "Safari"]].find(([mark]) => userAgent.includes(mark!))?.[1];
  const system = [["iPhone", "iPhone"], ["iPad", "iPad"], ["Android", "Android"], ["Windows", "Windows"], ["Mac OS X", "macOS"], ["CrOS", "ChromeOS"], ["Linux", "Linux"]].find(([mark]) => userAgent.includes(mark!))?.[1];
  return browser ? `${browser}${system ? ` on ${system}` : ""}` : userAgent.slice(0, 40);
}

/** `<label> 2026-12-04 10:15 UTC`, or nothing when the time is unknown. */
function when(label: string, iso: Device["createdAt"]): string {
  return iso ? `${label} ${iso.slice(0, 16).replace("T", " ")} UTC` : "";
}

// The devices list on the service's pages: this device, then each other session of the signed-in user with a "Sign out" button, then "Sign out of all devices".

import type { Context } from "hono";
import { html } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";
import type { TwitterAuthEnv } from "../env.js";
import { type Device, listDevices } from "../session/devices.js";
import { storeFor } from "../session/store.js";
import { takeNotice } from "../session/cookie.js";

/**
 * The signed-in user's devices: this browser's first (marked by its session, never by anything it
 * sent), without a button of its own (the page's Sign out is the one for it), then the others
 * newest first, each a form posting to `<base>/logout?session=<id>`; then the form that signs
 * out everywhere, and above the list the notice the last sign-out left (a fixed sentence).
 * Each device reads as its browser and system, named from a fixed list (what a User-Agent claims,
 * never its text), and where (Cloudflare's country) and when it signed in and was last seen.
 */
export async function devicesSection(c: Context<TwitterAuthEnv>, userId: string, base: string): Promise<HtmlEscapedString> {
  const everywhere = html`<form method="post" action="${base}/logout?everywhere=true"><button class="button secondary" id="sign-out-everywhere" type="submit">Sign out of all devices</button></form>`;
  const message = takeNotice(c);
  const notice = message ? html`<p class="notice" id="devices-notice" role="status">${message}</p>\n` : "";
  let devices: Device[];
  try {
    devices = await listDevices(storeFor(c.env), userId, c.var.twitterSessionId ?? null);
  } catch {
    // The store could not list them (KV's lists have a daily quota on Workers Free): the page, and signing out everywhere, still work.
    return html`<h2>Signed in on</h2>
${notice}<p id="devices-unavailable">Your devices cannot be listed just now. Signing out of all of them still works.</p>
${everywhere}`;
  }
  // This device first; the sort keeps the others newest first.
  devices.sort((a, b) => Number(b.current) - Number(a.current));
  return html`<h2>Signed in on</h2>
${notice}<ul class="devices" id="devices">${devices.map((device) => {
    const name = describe(device.userAgent);
    const details = html`<small>signed in ${when(device.createdAt)}${device.country ? ` in ${device.country}` : ""}${device.lastSeenAt ? `, last seen ${when(device.lastSeenAt)}` : ""}</small>`;
    if (device.current) return html`<li id="this-device"><b>This device: ${name}</b><br>${details}</li>`;
    // Each button's accessible name says which device it signs out (the visible text is the same for all).
    return html`<li><b>${name}</b><br>${details}
<form method="post" action="${base}/logout?session=${device.id}"><button class="button secondary" type="submit" aria-label="Sign out ${name}, ${when(device.createdAt)}">Sign out</button></form></li>`;
  })}</ul>
${everywhere}`;
}

/** Browsers by a mark their User-Agent carries, checked in this order (Edge and Opera also say Chrome; Chrome also says Safari). */
const BROWSERS: readonly (readonly [string, string])[] = [["Edg/", "Edge"], ["OPR/", "Opera"], ["Firefox/", "Firefox"], ["FxiOS/", "Firefox"], ["CriOS/", "Chrome"], ["Chrome/", "Chrome"], ["Safari/", "Safari"]];
/** Systems the same way (an iPhone's also says Mac OS X; Android's also says Linux). */
const SYSTEMS: readonly (readonly [string, string])[] = [["iPhone", "iPhone"], ["iPad", "iPad"], ["Android", "Android"], ["Windows", "Windows"], ["Mac OS X", "macOS"], ["CrOS", "ChromeOS"], ["Linux", "Linux"]];

/** "Firefox on Windows": only names from the two lists above, so no User-Agent can make a row read as anything else ("Unknown browser" when none matches). */
function describe(userAgent: string | null): string {
  const find = (names: typeof BROWSERS) => names.find(([mark]) => userAgent?.includes(mark))?.[1];
  const browser = find(BROWSERS);
  const system = find(SYSTEMS);
  return browser ? `${browser}${system ? ` on ${system}` : ""}` : `Unknown browser${system ? ` on ${system}` : ""}`;
}

/** `2026-12-04 10:15 UTC`, or "at an unknown time" when the store has none (a session from before the devices list). */
function when(iso: Device["createdAt"]): string {
  return iso ? `${iso.slice(0, 16).replace("T", " ")} UTC` : "at an unknown time";
}

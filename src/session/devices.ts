// The devices list: a user's sessions as they may see them, each under a public id that is not the secret its cookie holds.

import type { Context } from "hono";
import { isLocalDevelopment } from "../local-development.js";
import { toBase64Url } from "./base64url.js";
import { userShard } from "./shard.js";
import type { DeviceFields, SignInStore } from "./store.js";

/** The longest User-Agent kept (browsers send 100 to 200 characters). */
const MAX_USER_AGENT_LENGTH = 256;

/** A session in GET <prefix>/sessions and on the pages. Times are ISO 8601, null when the store has none. */
export interface Device {
  /** Opaque: a hash of the session's id, never the id its cookie holds. */
  id: string;
  /** The session of the browser asking. */
  current: boolean;
  createdAt: string | null;
  lastSeenAt: string | null;
  userAgent: string | null;
  /** ISO 3166 country code Cloudflare saw at sign-in. */
  country: string | null;
}

const encoder = new TextEncoder();

/**
 * What the devices list keeps of the browser signing in: its User-Agent (printable ASCII, trimmed,
 * at most 256 characters) and Cloudflare's country (none in local development, where the runtime
 * makes one up).
 */
export function deviceOf(c: Context): DeviceFields {
  const userAgent = (c.req.header("User-Agent") ?? "").replace(/[^\x20-\x7e]+/g, " ").trim().slice(0, MAX_USER_AGENT_LENGTH);
  const country = isLocalDevelopment(c.req.url) ? undefined : (c.req.raw as { cf?: { country?: unknown } }).cf?.country;
  return { ...(userAgent ? { userAgent } : {}), ...(typeof country === "string" && /^[A-Z][A-Z0-9]$/.test(country) ? { country } : {}) };
}

/** The public id of a session: 128 bits of SHA-256 over its id, which cannot be turned back into the id (128 random bits). */
export async function publicSessionId(sessionId: string): Promise<string> {
  return toBase64Url(new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(`device:${sessionId}`))).subarray(0, 16));
}

/** The user's sessions, newest first, `current` marking the one with id `currentId`. */
export async function listDevices(store: SignInStore, userId: string, currentId: string | null): Promise<Device[]> {
  const stored = await store.listSessions(userId, await userShard(userId));
  const time = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());
  const devices = await Promise.all(
    stored
      .sort((a, b) => (b.createdAt ?? 0) - (a.createdAt ?? 0))
      .map(async (session) => ({
        id: await publicSessionId(session.id),
        current: session.id === currentId,
        createdAt: time(session.createdAt),
        lastSeenAt: time(session.lastSeenAt),
        userAgent: session.userAgent ?? null,
        country: session.country ?? null,
      })),
  );
  return devices;
}

/** The id of the user's session whose public id is `publicId`; undefined when none of theirs has it. */
export async function findSession(store: SignInStore, userId: string, publicId: string): Promise<string | undefined> {
  for (const session of await store.listSessions(userId, await userShard(userId))) {
    if ((await publicSessionId(session.id)) === publicId) return session.id;
  }
  return undefined;
}

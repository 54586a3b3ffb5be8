// A user's shard: where the store keeps what is theirs, named by their session cookies.

import { toBase64Url } from "./base64url.js";

const encoder = new TextEncoder();

/**
 * 128 bits of SHA-256 of the user's id, base64url. The same for every session of the user, it names
 * where the store keeps what is theirs (their Durable Object; their sign-out mark in KV), and a
 * session's cookie carries it under its signature, so that a read finds it at once; nothing of who
 * the user is can be read from it.
 */
export async function userShard(userId: string): Promise<string> {
  return toBase64Url(new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(`user:${userId}`))).subarray(0, 16));
}

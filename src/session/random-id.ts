// Random identifiers for KV entries: 128 bits from crypto.getRandomValues, base64url.

import { toBase64Url } from "./base64url.js";

/** A fresh id of 128 random bits as 22 base64url characters. */
export function randomId(): string {
  return toBase64Url(crypto.getRandomValues(new Uint8Array(16)));
}

/** True for a string shaped like {@link randomId}'s output (checked before it names a KV key). */
export function isRandomId(value: string): boolean {
  return /^[A-Za-z0-9_-]{22}$/.test(value);
}

/** Compares two strings in time that depends on their length only, not on where they differ. */
export function constantTimeEqual(a: string, b: string): boolean {
  const encoder = new TextEncoder();
  const left = encoder.encode(a);
  const right = encoder.encode(b);
  const length = Math.max(left.length, right.length);
  let difference = left.length ^ right.length;
  for (let index = 0; index < length; index++) difference |= (left[index] ?? 0) ^ (right[index] ?? 0);
  return difference === 0;
}

// KV calls of the request-token and session stores: a failure of KV itself is a 503 (try again), never a 500.

import { SignInError } from "../errors.js";

/** Runs a KV operation; a failure of KV itself becomes a 503 `storage_unavailable`. */
export async function storage<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    throw new SignInError(503, "storage_unavailable", "The sign-in store is unavailable for a moment. Try again shortly.", { cause: error });
  }
}

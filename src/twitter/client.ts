// The OAuth 1.0a client configured for X from the service's settings.

import type { Settings } from "../config.js";
import { OAuth1Client, OAuth1Error } from "../oauth1/index.js";
import type { SignInError } from "../errors.js";
import { type ProviderFailureContext, type TwitterStep, explainProviderFailure } from "./errors.js";

/** An OAuth1Client for X (HMAC-SHA1, Authorization header, the settings' timeout per call). */
export function createTwitterClient(settings: Settings): OAuth1Client {
  return new OAuth1Client({
    consumerKey: settings.consumerKey,
    consumerSecret: settings.consumerSecret,
    apiBaseUrl: settings.apiBaseUrl,
    timeoutMs: settings.timeoutMs,
  });
}

/**
 * Runs one call to X; an OAuth client failure becomes the service's explained error for that step.
 */
export async function callTwitter<T>(step: TwitterStep, call: () => Promise<T>, context: ProviderFailureContext = {}): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof OAuth1Error) throw explainProviderFailure(error, step, context) satisfies SignInError;
    throw error;
  }
}

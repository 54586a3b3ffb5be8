// Whether a request was sent to the developer's own machine, as `wrangler dev` serves it.

/**
 * True for a URL on localhost, *.localhost, 127.x or [::1]: only there do answers name the
 * settings at fault, and there Cloudflare saw nothing of the visitor (its `cf` fields are made up).
 */
export function isLocalDevelopment(url: string): boolean {
  const { hostname } = new URL(url);
  return hostname === "localhost" || hostname.endsWith(".localhost") || hostname === "[::1]" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

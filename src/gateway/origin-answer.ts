// What comes back from the protected origin: the URLs that name it rewritten to the site's public address, and bounds on the cookies it may set.

/**
 * The origin's answer headers, changed in place to what the browser may get: no Set-Cookie for
 * the sign-in's cookies (`ours`) and at most MAX_ORIGIN_SET_COOKIES others, without Priority; no
 * `"cookies"` or `"*"` in Clear-Site-Data; no Next.js X-Middleware-*; the origin's address in
 * Location, Content-Location and Refresh replaced by the site's.
 *
 * @see docs/gateway.md
 */
export function guardOriginHeaders(headers: Headers, ours: ReadonlySet<string>, origin: URL, site: URL): void {
  // The origin may neither set nor clear the sign-in's cookies (a forced sign-out, a planted session).
  // Nor flood the jar to evict them: at most MAX_ORIGIN_SET_COOKIES in one answer, none ranked above ours.
  const bounded = boundOriginCookies(headers.getSetCookie(), (header) => ours.has(header.split("=")[0]!.trim()));
  if (bounded) {
    headers.delete("Set-Cookie");
    for (const header of bounded.kept) headers.append("Set-Cookie", header);
    if (bounded.overBound) console.warn(JSON.stringify({ event: "origin_cookies_dropped", dropped: bounded.overBound, kept: bounded.kept.length }));
  }
  // Next.js's internal answers (X-Middleware-Rewrite names internal URLs) are not the browser's.
  for (const name of [...headers.keys()]) if (name.startsWith("x-middleware-")) headers.delete(name);
  // Nor sign anyone out in the browser: Clear-Site-Data loses "cookies" and "*" (what is left, such as "cache" or "storage", is the site's own).
  const clear = headers.get("Clear-Site-Data");
  if (clear !== null) {
    const kept = clear.split(",").filter((type) => !/^\s*"?(cookies|\*)"?\s*$/i.test(type)).join(",").trim();
    if (kept) headers.set("Clear-Site-Data", kept);
    else headers.delete("Clear-Site-Data");
  }
  // The origin knows only its own address: a URL on it (absolute or scheme-relative, as a browser
  // resolves it) in Location, Content-Location or Refresh goes to the site's public address instead.
  const toPublic = (value: string) => rewriteOriginAddress(value, origin, site);
  for (const name of ["Location", "Content-Location"]) {
    const value = headers.get(name);
    if (value) headers.set(name, toPublic(value));
  }
  // Refresh as HTML reads it: seconds, then `;` or `,`, `url=`, the URL (quoted or not).
  const refresh = headers.get("Refresh");
  if (refresh) headers.set("Refresh", refresh.replace(/^(\s*[\d.]+\s*[;,]?\s*(?:url\s*=\s*)?["']?)([^"']+)/i, (_, head: string, target: string) => head + toPublic(target)));
}

/** The most Set-Cookie headers one answer of the origin may carry: RFC 6265 6.1's floor of cookies a browser keeps per domain. */
export const MAX_ORIGIN_SET_COOKIES = 50;

/** The port a URL names, or its scheme's default. */
function portOf(url: URL): string {
  return url.port || (url.protocol === "https:" ? "443" : url.protocol === "http:" ? "80" : "");
}

/** The host name without the trailing dot a fully-qualified name may carry (`origin.example.com.` is `origin.example.com`). */
function hostnameOf(url: URL): string {
  return url.hostname.replace(/\.$/, "");
}

/**
 * True when `url` is on the origin's address: the same host name (a trailing dot aside) and
 * port, in either scheme, or both at their scheme's default port (the origin sending
 * `http://origin.example.com` to `https://origin.example.com`). Another port on the same host is
 * another service.
 */
function isOriginAddress(url: URL, origin: URL): boolean {
  if ((url.protocol !== "http:" && url.protocol !== "https:") || hostnameOf(url) !== hostnameOf(origin)) return false;
  const isDefault = (target: URL) => target.port === "";
  return portOf(url) === portOf(origin) || (isDefault(url) && isDefault(origin));
}

/**
 * `value` (a URL from Location, Content-Location or Refresh, absolute or scheme-relative, resolved
 * as a browser resolves it against `site`) with the origin's address replaced by the site's,
 * path, query and fragment kept; any other URL (relative ones, other hosts, other ports) unchanged.
 * Origins are compared, not host names: the site and the origin may share one (127.0.0.1 under
 * `npm run dev -- --demo-origin`) and differ in port.
 *
 * @see docs/gateway.md
 */
export function rewriteOriginAddress(value: string, origin: URL, site: URL): string {
  const target = URL.parse(value.trim(), site);
  return target && isOriginAddress(target, origin) ? site.origin + target.pathname + target.search + target.hash : value;
}

/**
 * The origin's Set-Cookie headers as the browser may get them: none of the sign-in's cookies
 * (`isOurs`), at most MAX_ORIGIN_SET_COOKIES (the first ones; Chromium keeps about 180 per domain
 * and evicts the least recently used beyond it, ours included), and without a `Priority`
 * attribute, so none ranks above the sign-in's `Priority=High` when Chromium evicts. Returns
 * undefined when nothing changes, and how many were dropped over the bound.
 */
function boundOriginCookies(headers: readonly string[], isOurs: (header: string) => boolean): { kept: string[]; overBound: number } | undefined {
  const theirs = headers.filter((header) => !isOurs(header));
  const kept = theirs.slice(0, MAX_ORIGIN_SET_COOKIES).map((header) => header.replace(/;\s*priority\s*=[^;]*/gi, ""));
  if (kept.length === headers.length && kept.every((header, i) => header === headers[i])) return undefined;
  return { kept, overBound: theirs.length - kept.length };
}

// A small per-user cookie jar that behaves like a browser's for what the load driver needs (RFC 6265, simplified).

interface StoredCookie {
  name: string;
  value: string;
  /** Lowercased host (host-only) or domain (with hostOnly false). */
  domain: string;
  hostOnly: boolean;
  path: string;
  secure: boolean;
  /** Epoch ms; undefined for a session cookie. */
  expiresAt: number | undefined;
}

/** One browser's cookies: stores Set-Cookie answers, gives the Cookie header for a request. */
export class CookieJar {
  readonly #cookies = new Map<string, StoredCookie>();

  /** Stores every Set-Cookie header of a response to `requestUrl` (Max-Age=0 or a past Expires deletes). */
  store(requestUrl: string | URL, response: Response, now = Date.now()): void {
    const url = new URL(requestUrl);
    for (const header of response.headers.getSetCookie()) this.storeOne(url, header, now);
  }

  /** Parses and stores one Set-Cookie header value. */
  storeOne(url: URL, header: string, now = Date.now()): void {
    const [pair = "", ...attributes] = header.split(";");
    const equals = pair.indexOf("=");
    if (equals <= 0) return; // no name: ignored, as browsers do for our purposes
    const name = pair.slice(0, equals).trim();
    const value = pair.slice(equals + 1).trim();
    const host = url.hostname.toLowerCase();
    let domain = host;
    let hostOnly = true;
    let path = defaultPath(url);
    let secure = false;
    let maxAge: number | undefined;
    let expires: number | undefined;
    for (const attribute of attributes) {
      const at = attribute.indexOf("=");
      const key = (at === -1 ? attribute : attribute.slice(0, at)).trim().toLowerCase();
      const raw = at === -1 ? "" : attribute.slice(at + 1).trim();
      if (key === "max-age" && /^-?\d+$/.test(raw)) maxAge = Number(raw);
      else if (key === "expires") {
        const parsed = Date.parse(raw);
        if (!Number.isNaN(parsed)) expires = parsed;
      } else if (key === "domain" && raw !== "") {
        const wanted = raw.replace(/^\./, "").toLowerCase();
        if (!domainMatches(host, wanted)) return; // a cookie for another site: rejected
        domain = wanted;
        hostOnly = false;
      } else if (key === "path" && raw.startsWith("/")) path = raw;
      else if (key === "secure") secure = true;
    }
    if (secure && url.protocol !== "https:") return;
    if (name.startsWith("__Host-") && (!secure || !hostOnly || path !== "/")) return;
    if (name.startsWith("__Secure-") && !secure) return;
    // Max-Age wins over Expires; Max-Age <= 0 means "expire now".
    const expiresAt = maxAge !== undefined ? (maxAge <= 0 ? -Infinity : now + maxAge * 1000) : expires;
    const key = `${name}\n${domain}\n${path}`;
    if (expiresAt !== undefined && expiresAt <= now) {
      this.#cookies.delete(key);
      return;
    }
    this.#cookies.set(key, { name, value, domain, hostOnly, path, secure, expiresAt });
  }

  /** The Cookie header a browser would send to `requestUrl`, or undefined when there is none. */
  header(requestUrl: string | URL, now = Date.now()): string | undefined {
    const url = new URL(requestUrl);
    const host = url.hostname.toLowerCase();
    const matching: StoredCookie[] = [];
    for (const [key, cookie] of this.#cookies) {
      if (cookie.expiresAt !== undefined && cookie.expiresAt <= now) {
        this.#cookies.delete(key);
        continue;
      }
      if (cookie.hostOnly ? cookie.domain !== host : !domainMatches(host, cookie.domain)) continue;
      if (!pathMatches(url.pathname, cookie.path)) continue;
      if (cookie.secure && url.protocol !== "https:") continue;
      matching.push(cookie);
    }
    if (matching.length === 0) return undefined;
    // Longer paths first, as RFC 6265 5.4 suggests.
    matching.sort((a, b) => b.path.length - a.path.length);
    return matching.map((c) => `${c.name}=${c.value}`).join("; ");
  }

  /** Names of the cookies held now (for diagnostics). */
  names(now = Date.now()): string[] {
    return [...this.#cookies.values()].filter((c) => c.expiresAt === undefined || c.expiresAt > now).map((c) => c.name);
  }
}

function defaultPath(url: URL): string {
  const path = url.pathname;
  if (!path.startsWith("/") || path.lastIndexOf("/") === 0) return "/";
  return path.slice(0, path.lastIndexOf("/"));
}

function domainMatches(host: string, domain: string): boolean {
  return host === domain || (host.endsWith(`.${domain}`) && !/^\d+\.\d+\.\d+\.\d+$/.test(host));
}

function pathMatches(requestPath: string, cookiePath: string): boolean {
  if (requestPath === cookiePath) return true;
  if (!requestPath.startsWith(cookiePath)) return false;
  return cookiePath.endsWith("/") || requestPath[cookiePath.length] === "/";
}

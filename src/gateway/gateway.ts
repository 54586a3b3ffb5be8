// Gateway mode: every path but the sign-in's belongs to the protected origin, reached by signed-in (and admitted) users only.

import type { Context, MiddlewareHandler } from "hono";
import type { TwitterAuthEnv } from "../env.js";
import { SignInError } from "../errors.js";
import { secureHeaders } from "../middleware/secure-headers.js";
import { SESSION_COOKIE, keepCookies, requestTokenCookie } from "../session/cookie.js";
import { safeNextPath } from "../next-path.js";
import { prefersHtml } from "../pages/error-page.js";
import { notAllowedPage } from "../pages/not-allowed.js";
import type { TwitterProfile } from "../twitter/account.js";
import { type TwitterAuthOptions, twitterSession } from "../twitter-auth.js";
import { ASSERTION_HEADER, signAssertion } from "./assertion.js";
import { guardOriginHeaders } from "./origin-answer.js";
import type { GatewaySettings } from "./settings.js";
import { signForwarded } from "./signature.js";

/**
 * The two handlers (the sign-in's secure headers on its own answers, then the guard) for every
 * path that is not a sign-in route: a public path goes to the origin as it
 * is; otherwise a signed-out browser is sent to `<prefix>/login?next=<path and query>`, any other
 * client gets 401 `not_signed_in`, a user the allow-lists do not admit gets 403 `not_allowed`,
 * and an admitted user's request is forwarded, streamed, with X-Twitter-User-Id,
 * X-Twitter-Screen-Name and X-Twitter-Name (percent-encoded UTF-8) and, with
 * ORIGIN_SHARED_SECRET, X-Twitter-Signature. Whatever the client sent as `X-Twitter-*` and the
 * sign-in's own cookies never reach the origin.
 *
 * @see docs/gateway.md
 */
export function protectOrigin(settings: GatewaySettings, options: TwitterAuthOptions = {}): [MiddlewareHandler<TwitterAuthEnv>, MiddlewareHandler<TwitterAuthEnv>] {
  const session = twitterSession(options);
  const ownHeaders = secureHeaders();
  const { prefix } = settings;
  const ours = ourCookies(prefix);
  return [
    // The sign-in's secure headers (its `default-src 'none'` CSP) on its own answers only: the origin's pages keep theirs.
    async (c, next) => {
      await next();
      if (!forwarded.has(c.req.raw)) await ownHeaders(c, async () => {});
      // The origin's 101 goes back exactly as it came: a rebuilt Response loses its webSocket.
      if (c.res.status === 101) return;
      // The session cookie signed again with the newest secret, or cleared, also on the origin's answers.
      keepCookies(c);
    },
    async (c) => {
      const url = new URL(c.req.url);
      // As on the sign-in's routes: with PUBLIC_ORIGIN set, no other host (workers.dev's included) reaches the origin.
      if (settings.publicOrigin && url.origin !== settings.publicOrigin) {
        throw new SignInError(400, "wrong_host", `This site is served at ${settings.publicOrigin}. Open it there.`);
      }
      // TRACE and TRACK echo the request (its cookies and the identity headers) back to any script
      // that can read the answer; CONNECT asks for a tunnel. None is a request for the site.
      if (REFUSED_METHODS.has(c.req.method)) {
        c.header("Allow", "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS");
        throw new SignInError(405, "method_not_allowed", `${c.req.method} is not served through this gateway.`);
      }
      // A WebSocket client reads no page: its refusals are JSON, whatever it accepts.
      const upgrade = isWebSocketUpgrade(c.req.raw);
      if (upgrade && !isWebSocketOriginAllowed(c.req.header("Origin"), settings.publicOrigin ?? url.origin, settings.websocketOrigins)) {
        return webSocketOriginRefused().getResponse();
      }
      if (isPublicPath(settings.publicPaths, url.pathname)) return forward(c, settings, ours, url, null);
      const failed = await session(c, async () => {});
      if (failed) return failed;
      const user = c.var.twitterUser;
      // Our own answers (the redirect, the 403 page) are never cached.
      c.header("Cache-Control", "no-store");
      if (!user) {
        // A WebSocket cannot follow a redirect to a sign-in page.
        if (!upgrade && (c.req.method === "GET" || c.req.method === "HEAD") && prefersHtml(c)) {
          // Back to this very page after signing in (its query too, when /login can carry it).
          const back = safeNextPath(url.pathname + url.search) ?? safeNextPath(url.pathname);
          return c.redirect(`${prefix}/login${back ? `?next=${encodeURIComponent(back)}` : ""}`, 302);
        }
        const signedOut = new SignInError(401, "not_signed_in", `Nobody is signed in. Sign in at ${prefix}/login.`);
        if (upgrade) return signedOut.getResponse();
        throw signedOut;
      }
      if (!isAdmitted(settings, user)) {
        const notAllowed = new SignInError(403, "not_allowed", `Signed in as @${user.screenName}, who may not enter this site. Sign out with POST ${prefix}/logout.`);
        if (upgrade) return notAllowed.getResponse();
        if (prefersHtml(c)) return notAllowedPage(c, user, prefix);
        throw notAllowed;
      }
      return forward(c, settings, ours, url, user);
    },
  ];
}

/** The refusal of a WebSocket from another site's page (here and on `<prefix>/check`). */
export function webSocketOriginRefused(): SignInError {
  return new SignInError(403, "websocket_origin_not_allowed", "This site accepts WebSockets from its own pages only. Its operator can allow another site's in GATEWAY_WEBSOCKET_ORIGINS.");
}

/** A WebSocket handshake (RFC 6455 4.1): a GET asking to upgrade to `websocket`. */
function isWebSocketUpgrade(request: Request): boolean {
  return request.method === "GET" && request.headers.get("Upgrade")?.trim().toLowerCase() === "websocket";
}

/**
 * False for a WebSocket opened from another site's page (cross-site WebSocket hijacking: the
 * browser sends our session cookie with it, and no CORS rule applies to WebSockets). Allowed: the
 * site's own origin and GATEWAY_WEBSOCKET_ORIGINS. No Origin at all is a client that is not a
 * browser (every browser sends one on a WebSocket, RFC 6455 4.1), which no other site's page can
 * steer: allowed. `Origin: null` (a sandboxed frame, a file) is not.
 */
export function isWebSocketOriginAllowed(origin: string | undefined, site: string, allowed: ReadonlySet<string>): boolean {
  if (origin === undefined) return true;
  const normalised = URL.parse(origin.trim())?.origin;
  return !!normalised && normalised !== "null" && (normalised === site || allowed.has(normalised));
}

/** Methods never forwarded. */
const REFUSED_METHODS = new Set(["TRACE", "TRACK", "CONNECT"]);

/** The requests whose answer is the origin's. */
const forwarded = new WeakSet<Request>();

/**
 * Request headers never passed on, by their lower-cased name: any name with a character other
 * than a letter, a digit or `-` (CGI, WSGI and Rack fold `X_Twitter_User_Id` onto
 * X-Twitter-User-Id; nginx and Apache drop such names too); the client's identity claims; what
 * only a proxy may say (the forwarding headers, the client's address or scheme); what makes some
 * origins serve another path or method than the one signed (X-Original-URL and kin); and the
 * hop-by-hop headers (RFC 9110 7.6.1); the identity other gateways assert (oauth2-proxy, Authelia,
 * Pomerium, Authentik, Grafana's auth proxy, Cloudflare Access, Google IAP, AWS ALB) and the
 * client certificate a TLS-terminating proxy describes, which a site moved from one of them may
 * still trust; and Next.js's X-Middleware-* (CVE-2025-29927: X-Middleware-Subrequest skips its
 * middleware). A deny-list by family: see docs/gateway.md for why not an allow-list.
 */
const NOT_FORWARDED =
  /[^a-z\d-]|^(x-twitter-.*|forwarded|x-forwarded-.*|x-original-.*|x-rewrite-url|x-(http-)?method(-override)?|(.+-)?client-ip|x-real-ip|x-originating-ip|x-remote-(ip|addr)|x-proxyuser-ip|x-host|front-end-https|x-url-scheme|connection|keep-alive|proxy-.*|te|trailer|transfer-encoding|upgrade|remote-(user|email|groups|name)|x-auth-request-.*|x-webauth-.*|gap-(auth|signature)|x-pomerium-.*|x-authentik-.*|x-goog-(authenticated-user-.*|iap-jwt-assertion)|x-amzn-oidc-.*|cf-access-.*|x-client-cert.*|x-ssl-client-.*|ssl-client-.*|x-arr-clientcert|x-middleware-.*)$/;

/** The sign-in's cookie names under this prefix, as the origin must never see or set them. */
function ourCookies(prefix: string): Set<string> {
  const names = [SESSION_COOKIE, requestTokenCookie(prefix)];
  return new Set([...names, ...names.map((name) => `__Host-${name}`)]);
}

/**
 * True when a PUBLIC_PATHS entry covers the path, compared on the pathname the origin receives
 * (URL parsing has already resolved `.` and `..`, `%2e` included). An entry ending in `/` covers
 * everything under it; any other covers itself and what is under it (`/docs`: `/docs`, `/docs/a`,
 * not `/docs2`). The path must also hold no `;` and no escape but of a letter, a digit, `-`, `_`
 * or `~` (RFC 3986's unreserved characters, less `.`, which has no reason to be escaped): an
 * origin that decodes, splits or folds anything else (`%2F`, `%3B`, `%00`, `%u002e`, `%25`,
 * overlong or fullwidth dots, any byte above ASCII) could resolve it outside the entry.
 */
export function isPublicPath(prefixes: readonly string[], pathname: string): boolean {
  if (/;|%(?!3\d|[46][1-9a-f]|[57][\da]|2d|5f|7e)/i.test(pathname)) return false;
  return prefixes.some((prefix) => pathname === prefix || pathname.startsWith(prefix.endsWith("/") ? prefix : `${prefix}/`));
}

/**
 * The Cookie header without the sign-in's cookies. Split at `;` only: a value may hold commas
 * (`note=x,admin=1` is one cookie, `prefs="a,b"` too). Two Cookie headers arrive joined by `, `,
 * so a cookie of ours may also start after a comma: the piece is cut there, and a piece that
 * starts with one of ours goes whole. What is left is always the start of what the browser sent
 * under the same name, never a cookie made of a value.
 */
function withoutOurCookies(header: string, ours: ReadonlySet<string>): string {
  const pieces = header.split(";").map((piece) => {
    const parts = piece.split(",");
    const at = parts.findIndex((part) => ours.has(part.split("=")[0]!.trim()));
    return (at < 0 ? parts : parts.slice(0, at)).join(",").trim();
  });
  return pieces.filter(Boolean).join("; ");
}

/** With no list set, anyone signed in; otherwise being on either list (screen names in any case, ids as strings). */
export function isAdmitted({ screenNames, userIds }: Pick<GatewaySettings, "screenNames" | "userIds">, user: TwitterProfile): boolean {
  if (!screenNames && !userIds) return true;
  return !!(screenNames?.has(user.screenName.toLowerCase()) || userIds?.has(user.id));
}

/** Forwards the request to the origin, body streamed, redirects not followed; 502 or 504 in our format when it fails. */
async function forward(c: Context<TwitterAuthEnv>, settings: GatewaySettings, ours: ReadonlySet<string>, url: URL, user: TwitterProfile | null): Promise<Response> {
  const request = c.req.raw;
  const bodyless = request.method === "GET" || request.method === "HEAD";
  // fetch refuses such a body (RFC 9110 9.3.1: it has no meaning there), so it is the caller's
  // fault, not the origin's. An empty one (workerd gives `Content-Length: 0` a body) is no body.
  if (bodyless && request.body && request.headers.get("Content-Length") !== "0") {
    throw new SignInError(400, "invalid_request", "A GET or HEAD request cannot carry a body here. Send it without one.");
  }
  // No spoofing (NOT_FORWARDED), and RFC 9110 7.6.1: what Connection names is hop-by-hop too.
  // Headers is case-insensitive and holds repeats as one.
  const hopByHop = (request.headers.get("Connection") ?? "").toLowerCase().split(",").map((name) => name.trim());
  const headers = new Headers();
  for (const [name, value] of request.headers) if (!NOT_FORWARDED.test(name) && !hopByHop.includes(name)) headers.append(name, value);
  // A WebSocket handshake keeps asking for its upgrade (the runtime's fetch then opens the socket).
  const upgrade = isWebSocketUpgrade(request);
  if (upgrade) headers.set("Upgrade", "websocket");
  const cookies = withoutOurCookies(headers.get("Cookie") ?? "", ours);
  if (cookies) headers.set("Cookie", cookies);
  else headers.delete("Cookie");
  // Who asked, and for which site, as the Worker saw it.
  const client = request.headers.get("CF-Connecting-IP");
  if (client) {
    headers.set("X-Forwarded-For", client);
    headers.set("X-Real-IP", client);
  }
  // The site as visitors open it (a request for another origin is refused when PUBLIC_ORIGIN is set).
  const site = new URL(settings.publicOrigin ?? url.origin);
  headers.set("X-Forwarded-Host", site.host);
  headers.set("X-Forwarded-Proto", site.protocol.slice(0, -1));
  const target = url.pathname + url.search;
  const identity = user ? [user.id, encodeURIComponent(user.screenName), encodeURIComponent(user.name)] : ["", "", ""];
  if (user) {
    headers.set("X-Twitter-User-Id", identity[0]!);
    headers.set("X-Twitter-Screen-Name", identity[1]!);
    headers.set("X-Twitter-Name", identity[2]!);
  }
  if (settings.sharedSecret) headers.set("X-Twitter-Signature", await signForwarded(settings.sharedSecret, [request.method, target, ...identity]));
  if (user && settings.assertion) headers.set(ASSERTION_HEADER, await signAssertion(settings.assertion, user, site.origin, settings.origin));

  // The timeout covers the wait for the response headers only: a long streamed body is never cut.
  const started = Date.now();
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), settings.timeoutMs);
  let response: Response;
  try {
    response = await fetch(settings.origin + target, {
      method: request.method,
      headers,
      body: bodyless ? null : request.body,
      redirect: "manual",
      signal: abort.signal,
      // A page made for one user must not be stored by Cloudflare's cache in front of the origin
      // and served to the next: identified requests bypass it (public paths may use it).
      ...(user ? { cache: "no-store" } : {}),
    });
  } catch (error) {
    const failure = abort.signal.aborted
      ? new SignInError(504, "origin_timeout", `The protected site did not answer within ${settings.timeoutMs} ms. Try again later.`)
      : new SignInError(502, "origin_unreachable", "The protected site could not be reached. Try again later.", { cause: error });
    // For wrangler tail: the code and how long it took, never the request's headers or cookies.
    console.error(JSON.stringify({ event: "origin_error", error: failure.code, status: failure.status, durationMs: Date.now() - started }));
    throw failure;
  } finally {
    clearTimeout(timer);
  }
  forwarded.add(request);
  const origin = new URL(settings.origin);
  // The origin accepted the WebSocket: its 101 as it is (new Response(body, response) would drop
  // `webSocket`, and the handshake would never complete). Only when a rule below changes one of its
  // headers (a cookie of ours, say) is it made again, handing its webSocket on explicitly.
  if (upgrade && response.status === 101 && response.webSocket) {
    const headers = new Headers(response.headers);
    guardOriginHeaders(headers, ours, origin, site);
    if (JSON.stringify([...headers]) === JSON.stringify([...response.headers])) return response;
    return new Response(null, { status: 101, headers, webSocket: response.webSocket });
  }
  const answer = new Response(response.body, response);
  guardOriginHeaders(answer.headers, ours, origin, site);
  if (user) {
    // No cache in front may follow a header aimed at it alone (RFC 9213's CDN-Cache-Control, the
    // vendors' own, Surrogate-Control): they go, so the Cache-Control below rules.
    for (const name of [...answer.headers.keys()]) if (/^(.+-cache-control|surrogate-control|edge-control)$/.test(name)) answer.headers.delete(name);
    // No shared cache may keep a signed-in user's page for someone else: the answer becomes
    // `private` (its `public` and `s-maxage` dropped, its max-age kept for the browser) and varies by Cookie.
    const directives = (answer.headers.get("Cache-Control") ?? "").split(",").map((directive) => directive.trim()).filter((directive) => directive && !/^(public|s-maxage\s*=.*)$/i.test(directive));
    // Only a bare `private` is: `private="Set-Cookie"` keeps the rest of the answer shareable.
    if (!directives.some((directive) => /^(private|no-store)$/i.test(directive))) directives.unshift("private");
    answer.headers.set("Cache-Control", directives.join(", "));
    answer.headers.append("Vary", "Cookie");
  }
  return answer;
}

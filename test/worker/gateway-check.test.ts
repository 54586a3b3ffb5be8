// <prefix>/check, the forward-auth endpoint, driven the way nginx's auth_request, Traefik's ForwardAuth and Caddy's forward_auth call it.
import { env } from "cloudflare:workers";
import { type JWK, createLocalJWKSet, exportJWK, generateKeyPair, jwtVerify } from "jose";
import { describe, expect, inject, it } from "vitest";
import worker from "../../src/index";
import type { GatewayEnv } from "../../src/env";
import { nextClientIp } from "./support/browser";
import { SITE, expectError, gateway, sessionCookie } from "./support/gateway";


/**
 * The request nginx sends upstream for `auth_request /_twitter_check;` with the location of
 * docs/gateway.md (`proxy_pass <SITE>/_auth/check; proxy_pass_request_body off;
 * proxy_set_header Content-Length "";`, and the X-Original-URI and X-Original-Method that many
 * recipes add, which the Worker reads only to link a signed-out browser back), as nginx builds it:
 * - ngx_http_subrequest() makes the subrequest a GET (`sr->method = NGX_HTTP_GET`,
 *   `method_name = ngx_http_core_get_method`) with the main request's headers (`headers_in` copied);
 * - ngx_http_auth_request_module gives it an empty body and `header_only`: only the status and
 *   the headers of the answer are used (2xx allows, 401 and 403 deny, anything else is a 500);
 * - the proxy module sends every client header but those proxy_set_header overrides, with its
 *   defaults `Host: $proxy_host` and `Connection: close`; `Content-Length ""` drops the header.
 * @see https://nginx.org/en/docs/http/ngx_http_auth_request_module.html
 * @see https://nginx.org/en/docs/http/ngx_http_proxy_module.html#proxy_set_header
 */
function nginxAuthSubrequest(browser: Request, checkUrl: string): Request {
  const headers = new Headers(browser.headers);
  headers.delete("Content-Length");
  headers.set("Host", new URL(checkUrl).host);
  headers.set("Connection", "close");
  const { pathname, search } = new URL(browser.url);
  headers.set("X-Original-URI", pathname + search);
  headers.set("X-Original-Method", browser.method);
  return new Request(checkUrl, { method: "GET", headers });
}

/** What nginx does with the subrequest's answer: allow on 2xx, deny on 401 or 403, 500 on anything else; the body is never read. */
function nginxVerdict(status: number): "allow" | 401 | 403 | 500 {
  if (status >= 200 && status < 300) return "allow";
  return status === 401 || status === 403 ? status : 500;
}

/** A browser's request to the site nginx serves: a form POST with a body and the browser's cookies. */
function browserPost(cookie?: string): Request {
  return new Request(`${SITE}/reports/2026?tab=a%20b&x=1`, {
    method: "POST",
    headers: {
      Accept: "text/html,application/xhtml+xml",
      "Content-Type": "application/x-www-form-urlencoded",
      "Content-Length": "11",
      "User-Agent": "Mozilla/5.0",
      "CF-Connecting-IP": nextClientIp(),
      ...(cookie ? { Cookie: `theme=dark; ${cookie}` } : {}),
    },
    body: "note=hello1",
  });
}

async function check(bindings: Cloudflare.Env, subrequest: Request): Promise<Response> {
  return worker.request(subrequest, undefined, bindings);
}

async function newKey(): Promise<JWK> {
  return exportJWK((await generateKeyPair("ES256", { extractable: true })).privateKey);
}

describe("nginx auth_request", () => {
  it("allows a signed-in user: 200, empty body, no-store, the identity headers and an assertion that verifies", async () => {
    const key = await newKey();
    const bindings = gateway({ GATEWAY_JWT_KEYS: JSON.stringify(key) });
    const cookie = await sessionCookie("gw_check_ok");
    const answer = await check(bindings, nginxAuthSubrequest(browserPost(cookie), `${SITE}/_auth/check`));
    expect(nginxVerdict(answer.status)).toBe("allow");
    expect(answer.status).toBe(200);
    expect(await answer.text()).toBe("");
    expect(answer.headers.get("Cache-Control")).toBe("no-store");
    expect(answer.headers.get("X-Twitter-Screen-Name")).toBe("gw_check_ok");
    expect(answer.headers.get("X-Twitter-User-Id")).toMatch(/^\d+$/);
    expect(answer.headers.get("X-Twitter-Name")).not.toBeNull();
    const jwks = await (await worker.request(`${SITE}/_auth/.well-known/jwks.json`, {}, bindings)).json();
    const { payload } = await jwtVerify(answer.headers.get("X-Twitter-Jwt-Assertion")!, createLocalJWKSet(jwks as { keys: JWK[] }), { issuer: SITE, audience: inject("testOrigin") });
    expect(payload.sub).toBe(answer.headers.get("X-Twitter-User-Id"));
  });

  it("denies a visitor who is not signed in with 401, and one the allow-lists do not name with 403", async () => {
    const signedOut = await check(gateway(), nginxAuthSubrequest(browserPost(), `${SITE}/_auth/check`));
    expect(nginxVerdict(signedOut.status)).toBe(401);
    // A browser's Accept travels with the subrequest: nginx discards the body, Traefik and Caddy show it.
    expect(await signedOut.text()).toContain('<code id="error-code">not_signed_in</code>');
    expect(signedOut.headers.get("Cache-Control")).toBe("no-store");
    expect(signedOut.headers.get("X-Twitter-User-Id")).toBeNull();

    const cookie = await sessionCookie("gw_check_other");
    const subrequest = nginxAuthSubrequest(browserPost(cookie), `${SITE}/_auth/check`);
    subrequest.headers.set("Accept", "*/*");
    const refused = await check(gateway({ ALLOWED_SCREEN_NAMES: "someone_else" }), subrequest);
    expect(nginxVerdict(refused.status)).toBe(403);
    await expectError(refused, 403, { error: "not_allowed", error_description: "Signed in as @gw_check_other, who may not enter this site. Sign out with POST /_auth/logout." });
    expect(refused.headers.get("X-Twitter-Jwt-Assertion")).toBeNull();
  });
});

describe("nginx auth_request for a WebSocket", () => {
  /** A browser's WebSocket handshake to the site, from a page of `origin`, with the session cookie (SameSite=Lax lets a sibling subdomain's page send it). */
  const handshake = (cookie: string, origin: string) =>
    new Request(`${SITE}/live`, { headers: { Upgrade: "websocket", Connection: "Upgrade", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version": "13", Origin: origin, Cookie: cookie, "CF-Connecting-IP": nextClientIp() } });

  it("refuses another site's page 403 websocket_origin_not_allowed (nginx passes Sec-WebSocket-* and Origin, not Upgrade), and allows the site's own and a listed one", async () => {
    const cookie = await sessionCookie("gw_check_ws");
    const subrequest = (origin: string) => {
      const request = nginxAuthSubrequest(handshake(cookie, origin), `${SITE}/_auth/check`);
      // Upgrade and Connection are hop-by-hop: nginx's proxy does not pass them on unless told.
      request.headers.delete("Upgrade");
      return request;
    };
    const refused = await check(gateway(), subrequest("https://evil.example"));
    expect(nginxVerdict(refused.status)).toBe(403);
    await expectError(refused, 403, {
      error: "websocket_origin_not_allowed",
      error_description: "This site accepts WebSockets from its own pages only. Its operator can allow another site's in GATEWAY_WEBSOCKET_ORIGINS.",
    });
    expect(refused.headers.get("X-Twitter-User-Id")).toBeNull();
    expect((await check(gateway(), subrequest(SITE))).status).toBe(200);
    expect((await check(gateway({ GATEWAY_WEBSOCKET_ORIGINS: "https://app.example.com" }), subrequest("https://app.example.com"))).status).toBe(200);
  });
});

describe("<prefix>/check", () => {
  it("shows a signed-out browser (Traefik and Caddy pass the answer on) a link that signs in and comes back to X-Forwarded-Uri", async () => {
    // Traefik's ForwardAuth and Caddy's forward_auth: a GET carrying the browser's headers and X-Forwarded-Method, -Proto, -Host, -Uri.
    const forwarded = { Accept: "text/html,application/xhtml+xml", "X-Forwarded-Method": "GET", "X-Forwarded-Proto": "http", "X-Forwarded-Host": "localhost:8787" };
    const page = await worker.request(`${SITE}/_auth/check`, { headers: { ...forwarded, "X-Forwarded-Uri": "/reports/2026?tab=a%20b&x=1" } }, gateway());
    expect(page.status).toBe(401);
    expect(page.headers.get("Cache-Control")).toBe("no-store");
    const html = await page.text();
    expect(html).toContain('<code id="error-code">not_signed_in</code>');
    expect(html).toContain(`href="/_auth/login?next=${encodeURIComponent("/reports/2026?tab=a%20b&x=1")}"`);
    // Never a link elsewhere: an X-Forwarded-Uri that is not a path on this site is left out.
    const elsewhere = await worker.request(`${SITE}/_auth/check`, { headers: { ...forwarded, "X-Forwarded-Uri": "//evil.example/x" } }, gateway());
    expect(await elsewhere.text()).toContain('href="/_auth/login"');
  });

  it("answers any method the same (Traefik and Caddy send GET, a proxy may keep the original)", async () => {
    const cookie = await sessionCookie("gw_check_verbs");
    for (const method of ["GET", "HEAD", "POST"]) {
      const answer = await worker.request(`${SITE}/_auth/check`, { method, headers: { Cookie: cookie } }, gateway());
      expect(answer.status, method).toBe(200);
      expect(answer.headers.get("X-Twitter-Screen-Name"), method).toBe("gw_check_verbs");
      expect(answer.headers.get("X-Twitter-Jwt-Assertion"), method).toBeNull();
    }
    await expectError(await worker.request(`${SITE}/_auth/check`, { headers: { "X-Twitter-User-Id": "1" } }, gateway()), 401, {
      error: "not_signed_in",
      error_description: "Nobody is signed in. Sign in at /_auth/login.",
    });
  });

  it("works without PROTECT_ORIGIN too: at /check, aud the site itself, the allow-lists read there as well", async () => {
    const plain = (settings: Partial<GatewayEnv>) => ({ ...env, ...settings }) as Cloudflare.Env;
    const key = await newKey();
    const cookie = await sessionCookie("gw_check_plain");
    const bindings = plain({ GATEWAY_JWT_KEYS: JSON.stringify(key), ALLOWED_USER_IDS: undefined });
    const answer = await worker.request(`${SITE}/check`, { headers: { Cookie: cookie } }, bindings);
    expect(answer.status).toBe(200);
    const jwks = await (await worker.request(`${SITE}/.well-known/jwks.json`, {}, bindings)).json();
    await jwtVerify(answer.headers.get("X-Twitter-Jwt-Assertion")!, createLocalJWKSet(jwks as { keys: JWK[] }), { issuer: SITE, audience: SITE });
    await expectError(await worker.request(`${SITE}/check`, { headers: { Cookie: cookie, Accept: "application/json" } }, plain({ ALLOWED_USER_IDS: "12" })), 403, {
      error: "not_allowed",
      error_description: "Signed in as @gw_check_plain, who may not enter this site. Sign out with POST /logout.",
    });
    const moved = await worker.request(`${SITE}/account/check`, { headers: { Cookie: cookie } }, plain({ SIGN_IN_PREFIX: "/account" }));
    expect(moved.status).toBe(200);
  });

  it("refuses another host than PUBLIC_ORIGIN with 400 wrong_host, as the sign-in's routes do", async () => {
    const cookie = await sessionCookie("gw_check_host");
    await expectError(await worker.request(`${SITE}/_auth/check`, { headers: { Cookie: cookie } }, gateway({ PUBLIC_ORIGIN: "https://example.com" })), 400, {
      error: "wrong_host",
      error_description: "This site is served at https://example.com. Open it there.",
    });
  });
});

// The HTML shell of the service's pages (hono/html escapes every value): no external assets, no JavaScript, one nonce'd style block.

import type { Context } from "hono";
import { html, raw } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";
import type { SignInStatus } from "../errors.js";
import { randomId } from "../session/random-id.js";

const STYLE =
  "body{margin:0;min-height:100vh;display:grid;place-items:center;font:16px/1.5 system-ui,sans-serif;background:#f5f8fa;color:#14171a}" +
  "main{background:#fff;border-radius:16px;box-shadow:0 1px 3px #0002;padding:2rem;max-width:26rem;text-align:center}" +
  "h1{font-size:1.3rem;margin:0 0 .5rem}p{color:#536471}" +
  ".button{display:inline-block;border:0;border-radius:99px;padding:.6rem 1.4rem;font:inherit;font-weight:700;cursor:pointer;text-decoration:none;background:#1d9bf0;color:#fff}" +
  ".button.secondary{background:#e7e9ea;color:#0f1419}.avatar{border-radius:50%}" +
  "h2{font-size:1rem;margin:1.5rem 0 .5rem}.devices{list-style:none;padding:0;margin:0 0 1rem;text-align:left}.devices li{border-top:1px solid #eff3f4;padding:.5rem 0}.devices small{color:#536471}.devices .button{padding:.2rem .8rem;margin-top:.3rem}.notice{color:#00703c}";

/**
 * Answers an HTML page with a strict Content-Security-Policy of its own: nothing loads but the
 * page's nonce'd style and, when given, images from one origin (the user's avatar on X).
 */
export function renderPage(
  c: Context,
  page: { title: string; body: HtmlEscapedString | Promise<HtmlEscapedString>; imageOrigin?: string | undefined },
  status: 200 | SignInStatus = 200,
): Response | Promise<Response> {
  // 128 random bits; base64url digits are valid in a CSP nonce.
  const styleNonce = randomId();
  c.header(
    "Content-Security-Policy",
    `default-src 'none'; style-src 'nonce-${styleNonce}'; img-src ${page.imageOrigin ?? "'none'"}; form-action 'self'; base-uri 'none'; frame-ancestors 'none'`,
  );
  return c.html(
    html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${page.title}</title>
<style nonce="${styleNonce}">${raw(STYLE)}</style>
</head>
<body><main>${page.body}</main></body>
</html>`,
    status,
  );
}

/**
 * The origin of an avatar URL for the CSP's img-src: only a plain host (letters, digits, dots and
 * dashes, with an optional port) over https, so a hostile URL from the provider can neither widen
 * img-src (`https://*`) nor add a directive (`;`, `,`). Plain http only from a loopback host to a
 * page itself served from one (the local stand-in in development). Undefined otherwise: no image.
 */
export function imageOrigin(url: string | undefined, pageUrl: string): string | undefined {
  const parsed = url ? URL.parse(url) : null;
  if (!parsed || !/^[a-z0-9.-]+(:\d{1,5})?$/.test(parsed.host)) return undefined;
  if (parsed.protocol === "https:" || (parsed.protocol === "http:" && isLoopback(parsed) && isLoopback(new URL(pageUrl)))) return parsed.origin;
  return undefined;
}

function isLoopback(url: URL): boolean {
  return /^(localhost|127\.\d+\.\d+\.\d+)$/.test(url.hostname);
}

// `npm run dev -- --demo-origin`: a small site on 127.0.0.1 for the Worker's gateway mode to protect; it shows what it received.
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { type IncomingMessage, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { WebSocketServer } from "ws";

/** A running demo origin. */
export interface DemoOrigin {
  /** e.g. http://127.0.0.1:41234: the Worker's PROTECT_ORIGIN. */
  origin: string;
  /** The Worker's ORIGIN_SHARED_SECRET, made fresh for each run. */
  sharedSecret: string;
  /** The Worker's GATEWAY_JWT_KEYS (a private EC P-256 JWK), made fresh for each run. */
  jwtKeys: string;
  close(): Promise<void>;
}

/**
 * Checks X-Twitter-Signature as docs/gateway.md tells an origin to: HMAC-SHA256
 * of t, method, path and query, user id, screen name and name (as sent), joined by "\n", at most 5 minutes old.
 */
export function verifySignature(request: IncomingMessage, secret: string, nowSeconds = Date.now() / 1000): boolean {
  const header = (name: string) => String(request.headers[name] ?? "");
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header("x-twitter-signature"));
  if (!match || Math.abs(nowSeconds - Number(match[1])) > 300) return false;
  const signed = [match[1], request.method, request.url, header("x-twitter-user-id"), header("x-twitter-screen-name"), header("x-twitter-name")].join("\n");
  const expected = createHmac("sha256", secret).update(signed).digest();
  return timingSafeEqual(expected, Buffer.from(match[2]!, "hex"));
}

const escape = (text: string) => text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);

/**
 * Starts the demo origin on 127.0.0.1 (an ephemeral port): every path is a "protected page" listing
 * the identity headers; a WebSocket on any path is accepted, says who opened it (its first
 * message: `{ screenName, name, signatureVerified }`, from the handshake's headers) and echoes
 * each message as `echo:<message>`.
 */
export async function startDemoOrigin(): Promise<DemoOrigin> {
  const sharedSecret = randomBytes(32).toString("base64url");
  const { privateKey } = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"])) as CryptoKeyPair;
  const { kty, crv, x, y, d } = await crypto.subtle.exportKey("jwk", privateKey);
  const server = createServer((request, response) => {
    const header = (name: string) => String(request.headers[name] ?? "");
    const rows = [
      ["Path and query", request.url ?? ""],
      ["X-Twitter-User-Id", header("x-twitter-user-id")],
      ["X-Twitter-Screen-Name", header("x-twitter-screen-name")],
      ["X-Twitter-Name", header("x-twitter-name")],
      ["X-Twitter-Name, decoded", decodeURIComponent(header("x-twitter-name"))],
      ["Signature verified", verifySignature(request, sharedSecret) ? "yes" : "no"],
      // Verify it against the Worker's <prefix>/.well-known/jwks.json (docs/gateway.md shows how).
      ["X-Twitter-Jwt-Assertion", header("x-twitter-jwt-assertion")],
    ];
    response.writeHead(200, { "Content-Type": "text/html; charset=utf-8", "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; connect-src 'self'" });
    response.end(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Protected page</title><style>body{font:16px system-ui;margin:2rem}td,th{padding:.3rem .8rem;text-align:left}</style></head>
<body><h1 id="protected">Protected page</h1>
<p>This page is served by the demo origin behind the Worker; it lists what the Worker sent it.</p>
<table>${rows.map(([name, value], i) => `<tr><th>${escape(name!)}</th><td id="row-${i}">${escape(value!)}</td></tr>`).join("")}</table>
<form method="post" action="/_auth/logout"><button id="sign-out" type="submit">Sign out</button></form>
</body></html>`);
  });
  const sockets = new WebSocketServer({ server });
  sockets.on("connection", (socket, request) => {
    const header = (name: string) => String(request.headers[name] ?? "");
    socket.send(JSON.stringify({ screenName: header("x-twitter-screen-name"), name: decodeURIComponent(header("x-twitter-name")), signatureVerified: verifySignature(request, sharedSecret) }));
    socket.on("message", (data) => socket.send(`echo:${String(data)}`));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    sharedSecret,
    jwtKeys: JSON.stringify({ kty, crv, x, y, d }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets.clients) socket.terminate();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

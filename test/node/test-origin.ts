// A site for the gateway tests to protect, on 127.0.0.1: echoes what it received, and misbehaves on request.
import { createHash } from "node:crypto";
import { type IncomingMessage, type ServerResponse, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createRequire } from "node:module";
import type * as Ws from "ws";

// Node's own resolution: the worker project's globalSetup runs this under Vite with the workerd conditions, which pick ws's browser stub.
const { WebSocketServer } = createRequire(import.meta.url)("ws") as typeof Ws;
import type { Echo } from "../worker/support/echo.ts";

/** A running test origin. */
export interface TestOrigin {
  origin: string;
  /** Where nothing listens: a port that was bound and closed. */
  closedOrigin: string;
  close(): Promise<void>;
}

/**
 * Paths: `/status/<n>` answers n with a small text body; `/hang` never answers; `/bytes/<n>`
 * streams n bytes (byte i is i % 251); `/held/<key>` sends a first chunk and the rest only once
 * `/release/<key>` is requested; `/redirect` 302 to /elsewhere; `/page` HTML with its own CSP
 * and a Set-Cookie; `/cacheable` `Cache-Control: public, max-age=60, s-maxage=600`; `/answer`
 * (also under a folder: `/assets/answer`) the status and headers its query gives
 * (`?status=302&h=Location:/x&h=Set-Cookie:a=b`); anything else echoes the request as JSON (see Echo).
 * A WebSocket upgrade on a path ending in `/ws` is accepted: its first message is the handshake
 * (`{ url, headers }`), then every message comes back as `echo:<message>` (with `?cookies=1`
 * its 101 also sets `twitter_session` and `site_ws`); on any other path it is refused with 403.
 */
export async function startTestOrigin(): Promise<TestOrigin> {
  const held = new Map<string, ServerResponse>();
  const server = createServer((request, response) => void handle(request, response, held));
  const sockets = new WebSocketServer({ noServer: true });
  // `?cookies=1`: the 101 sets a cookie named like the sign-in's and one of the site's own.
  sockets.on("headers", (headers, request) => {
    if ((request.url ?? "").includes("cookies=1")) headers.push("Set-Cookie: twitter_session=planted; Path=/", "Set-Cookie: site_ws=1; Path=/");
  });
  server.on("upgrade", (request: IncomingMessage, socket, head) => {
    if (!(request.url ?? "").split("?")[0]!.endsWith("/ws")) {
      socket.end("HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: 21\r\nConnection: close\r\n\r\nno WebSocket here 403");
      return;
    }
    sockets.handleUpgrade(request, socket, head, (ws) => {
      ws.send(JSON.stringify({ url: request.url, headers: request.headers }));
      ws.on("message", (data) => ws.send(`echo:${String(data)}`));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
  const closedPort = (closed.address() as AddressInfo).port;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    closedOrigin: `http://127.0.0.1:${closedPort}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of sockets.clients) client.terminate();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function handle(request: IncomingMessage, response: ServerResponse, held: Map<string, ServerResponse>): Promise<void> {
  const path = (request.url ?? "/").split("?")[0]!;
  let match: RegExpExecArray | null;
  if ((match = /^\/status\/(\d{3})$/.exec(path))) {
    response.writeHead(Number(match[1]), { "Content-Type": "text/plain", "X-Origin": "yes" }).end(`the origin's own ${match[1]}`);
  } else if (path === "/hang") {
    // Never answers; the connection is closed when the server is.
  } else if ((match = /^\/bytes\/(\d+)$/.exec(path))) {
    response.writeHead(200, { "Content-Type": "application/octet-stream" });
    const total = Number(match[1]);
    for (let sent = 0; sent < total; ) {
      const chunk = Uint8Array.from({ length: Math.min(65536, total - sent) }, (_, i) => (sent + i) % 251);
      sent += chunk.length;
      if (!response.write(chunk)) await new Promise((resolve) => response.once("drain", resolve));
    }
    response.end();
  } else if ((match = /^\/held\/(\w+)$/.exec(path))) {
    response.writeHead(200, { "Content-Type": "text/plain" });
    response.write("first chunk;");
    held.set(match[1]!, response);
  } else if ((match = /^\/release\/(\w+)$/.exec(path))) {
    held.get(match[1]!)?.end("the rest");
    held.delete(match[1]!);
    response.writeHead(204).end();
  } else if (path === "/redirect") {
    response.writeHead(302, { Location: "/elsewhere" }).end();
  } else if (path === "/page") {
    response
      .writeHead(200, { "Content-Type": "text/html", "Content-Security-Policy": "default-src 'self'; script-src 'self' https://cdn.example", "Set-Cookie": "origin_pref=dark; Path=/" })
      .end("<!doctype html><title>The origin's page</title><script src=/app.js></script>");
  } else if (path.endsWith("/answer")) {
    // The answer the query describes: ?status=302&h=Name:value&h=... (headers repeated as given).
    const query = new URL(request.url ?? "/", "http://origin").searchParams;
    const headers: [string, string][] = query.getAll("h").map((line) => [line.slice(0, line.indexOf(":")), line.slice(line.indexOf(":") + 1)]);
    response.writeHead(Number(query.get("status") ?? 200), headers.flat()).end("answered");
  } else if (path === "/cacheable") {
    response.writeHead(200, { "Content-Type": "text/plain", "Cache-Control": "public, max-age=60, s-maxage=600" }).end("cacheable");
  } else {
    const hash = createHash("sha256");
    const chunks: Buffer[] = [];
    let bytes = 0;
    for await (const chunk of request as AsyncIterable<Buffer>) {
      hash.update(chunk);
      bytes += chunk.length;
      if (bytes <= 4096) chunks.push(chunk);
    }
    const echo: Echo = {
      method: request.method ?? "",
      url: request.url ?? "",
      headers: request.headers,
      rawHeaders: request.rawHeaders,
      bodyBytes: bytes,
      bodySha256: hash.digest("hex"),
      body: bytes <= 4096 ? Buffer.concat(chunks).toString("utf8") : "",
    };
    response.writeHead(200, { "Content-Type": "application/json" }).end(request.method === "HEAD" ? undefined : JSON.stringify(echo));
  }
}

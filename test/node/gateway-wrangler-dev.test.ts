// Gateway mode where users run it: `wrangler dev` (startDevServer, as npm run dev), raw HTTP/1.1 through wrangler's own proxy in front of workerd, to a test origin that echoes what it received.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevServer, startDevServer } from "../../tools/dev/dev-server.ts";
import { freePort } from "../../tools/dev/free-port.ts";
import type { Echo } from "../worker/support/echo.ts";
import { raw } from "./raw-http.ts";
import { type TestOrigin, startTestOrigin } from "./test-origin.ts";

let server: DevServer | undefined;
/** wrangler dev running a Worker that answers with the request it was handed. */
let mirror: DevServer | undefined;
let origin: TestOrigin | undefined;
let port = 0;
let mirrorPort = 0;
let persistTo = "";

/** Distinct free ports. */
async function freePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

describe.skipIf(process.platform !== "linux")("gateway mode under wrangler dev", () => {
  beforeAll(async () => {
    origin = await startTestOrigin();
    let inspectorPort: number;
    let mirrorInspectorPort: number;
    [port, inspectorPort, mirrorPort, mirrorInspectorPort] = (await freePorts(4)) as [number, number, number, number];
    persistTo = mkdtempSync(join(tmpdir(), "twitter-login-gateway-dev-"));
    writeFileSync(join(persistTo, "mirror.js"), 'export default { fetch: (request) => Response.json({ headers: [...request.headers] }) };');
    writeFileSync(join(persistTo, "mirror.toml"), 'name = "mirror"\nmain = "mirror.js"\ncompatibility_date = "2026-11-01"\n');
    mirror = await startDevServer({
      port: mirrorPort,
      ip: "127.0.0.1",
      output: "ignore",
      persistTo,
      wranglerArgs: ["-c", join(persistTo, "mirror.toml"), "--inspector-port", String(mirrorInspectorPort), "--log-level", "warn"],
      signal: AbortSignal.timeout(60_000),
    });
    server = await startDevServer({
      standIn: true,
      port,
      ip: "127.0.0.1",
      output: "ignore",
      persistTo,
      vars: { PROTECT_ORIGIN: origin.origin, PUBLIC_PATHS: "/assets/" },
      wranglerArgs: ["--inspector-port", String(inspectorPort), "--log-level", "warn"],
      signal: AbortSignal.timeout(60_000),
    });
  }, 125_000);

  afterAll(async () => {
    await Promise.all([server?.stop(), mirror?.stop(), origin?.close()]);
    if (persistTo) rmSync(persistTo, { recursive: true, force: true });
  }, 15_000);

  it("hands the Worker no Connection header: wrangler's proxy re-sends the request with workerd's fetch, which drops it, and keeps what it named", async () => {
    const response = await raw(mirrorPort, ["GET / HTTP/1.1", `Host: 127.0.0.1:${mirrorPort}`, "Connection: close, X-Foo", "X-Foo: 1"]);
    const { headers } = JSON.parse(response.body) as { headers: [string, string][] };
    // If this fails, wrangler now passes Connection on: the Worker's own rule (test/node/gateway-runtime.test.ts) then drops X-Foo here too.
    expect(headers.map(([name]) => name)).not.toContain("connection");
    expect(headers).toContainEqual(["x-foo", "1"]);
  });

  it("drops Connection and the other hop-by-hop headers; what Connection named arrives as an ordinary header (see above)", async () => {
    for (const connection of ["close, X-Foo", "X-Foo, close", "keep-alive, X-Foo"]) {
      const response = await raw(port, ["GET /assets/echo HTTP/1.1", `Host: 127.0.0.1:${port}`, `Connection: ${connection}`, "X-Foo: 1", "Keep-Alive: timeout=5", "TE: trailers", "X-Bar: kept"]);
      expect(response.status, `${connection}: ${response.body}`).toBe(200);
      const seen = JSON.parse(response.body) as Echo;
      const names = seen.rawHeaders.filter((_, i) => i % 2 === 0).map((name) => name.toLowerCase());
      for (const name of ["keep-alive", "te"]) expect(names, `${connection}: ${name}`).not.toContain(name);
      // The connection to the origin is the runtime's own, never the client's.
      expect(seen.headers.connection ?? "", connection).not.toMatch(/x-foo/i);
      expect(seen.headers["x-bar"]).toBe("kept");
    }
  });

  it("refuses TRACE with 405, Allow and a clear body, and never forwards TRACK or CONNECT", async () => {
    const trace = await raw(port, ["TRACE /assets/echo HTTP/1.1", `Host: 127.0.0.1:${port}`, "Accept: application/json"]);
    expect(trace.status).toBe(405);
    expect(trace.headers.get("allow")).toBe("GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS");
    expect(JSON.parse(trace.body)).toEqual({ error: "method_not_allowed", error_description: "TRACE is not served through this gateway." });
    // workerd itself refuses these before any Worker runs (its Request knows no TRACK; CONNECT is not a request for a path).
    for (const line of ["TRACK /assets/echo HTTP/1.1", `CONNECT 127.0.0.1:${port} HTTP/1.1`]) {
      const response = await raw(port, [line, `Host: 127.0.0.1:${port}`]).catch((error: unknown) => ({ status: 0, body: String(error), headers: new Map<string, string>() }));
      expect(response.status, `${line}: ${response.body}`).not.toBe(200);
      expect(response.body, line).not.toContain('"method"');
    }
  });
});

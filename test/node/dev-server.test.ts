// Tests of tools/dev/dev-server.ts: wrangler dev's arguments and address, the readiness probe, a busy port, secrets kept off command lines, and gateway mode facing an origin that is down.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { type Server, createServer } from "node:http";
import { request as httpsRequest } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevServer, PortInUseError, devAddress, probeWorker, readDevVars, readinessPath, startDevServer } from "../../tools/dev/dev-server.ts";
import { freePort, isPortFree } from "../../tools/dev/free-port.ts";
import { type ProcStat, listProcesses, procCmdline } from "../../tools/dev/proc.ts";
import { WRANGLER_VARS_ENV } from "../../tools/dev/wrangler-vars.ts";
import { DEFAULT_CONSUMER_SECRET } from "../../tools/stand-in/server.ts";

/** A server on 127.0.0.1 (a free port) that answers every request with `status`, `contentType` and `body`. */
async function fakeServer(status: number, contentType: string, body: string): Promise<{ server: Server; port: number }> {
  const port = await freePort();
  const server = createServer((_request, response) => {
    response.writeHead(status, { "Content-Type": contentType });
    response.end(body);
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return { server, port };
}

function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

describe("devAddress: wrangler dev's --port, --ip and --local-protocol", () => {
  it("defaults to http://127.0.0.1:8787, or the options' port and ip", () => {
    expect(devAddress()).toMatchObject({ port: 8787, ip: "127.0.0.1", protocol: "http", url: "http://127.0.0.1:8787", otherArgs: [] });
    expect(devAddress({ port: 9000, ip: "localhost" })).toMatchObject({ url: "http://localhost:9000", browserUrl: "http://localhost:9000" });
  });

  it("takes --port and --ip from wrangler's arguments, in both forms, over the options, and passes every other flag through", () => {
    const args = ["--inspector-port", "9230", "--port", "8788", "--var", "A:1", "--ip=127.0.0.2", "--log-level", "warn"];
    expect(devAddress({ port: 8787, ip: "localhost", wranglerArgs: args })).toMatchObject({
      port: 8788,
      ip: "127.0.0.2",
      url: "http://127.0.0.2:8788",
      otherArgs: ["--inspector-port", "9230", "--var", "A:1", "--log-level", "warn"],
    });
    expect(devAddress({ wranglerArgs: ["--port=8789", "--ip", "localhost"] })).toMatchObject({ port: 8789, ip: "localhost", otherArgs: [] });
  });

  it("follows --local-protocol https (and keeps the flag for wrangler)", () => {
    expect(devAddress({ wranglerArgs: ["--local-protocol", "https"] })).toMatchObject({ protocol: "https", url: "https://127.0.0.1:8787", otherArgs: ["--local-protocol=https"] });
    expect(devAddress({ wranglerArgs: ["--local-protocol=https", "--port=8443"] }).browserUrl).toBe("https://127.0.0.1:8443");
  });

  it("reaches a wildcard address over loopback, and shows it as localhost", () => {
    expect(devAddress({ wranglerArgs: ["--ip", "0.0.0.0"] })).toMatchObject({ ip: "0.0.0.0", url: "http://127.0.0.1:8787", browserUrl: "http://localhost:8787" });
    expect(devAddress({ wranglerArgs: ["--ip=::"] })).toMatchObject({ ip: "::", url: "http://[::1]:8787", browserUrl: "http://localhost:8787" });
    expect(devAddress({ wranglerArgs: ["--ip", "::1"] }).url).toBe("http://[::1]:8787");
  });

  it("refuses a missing or bad value with a message that shows the right form", () => {
    expect(() => devAddress({ wranglerArgs: ["--port"] })).toThrow("--port needs a value, e.g. --port 8788");
    expect(() => devAddress({ wranglerArgs: ["--port", "--ip", "localhost"] })).toThrow("--port needs a value");
    expect(() => devAddress({ wranglerArgs: ["--port=eighty"] })).toThrow("--port eighty is not a port number");
    expect(() => devAddress({ wranglerArgs: ["--port", "70000"] })).toThrow("is not a port number");
    expect(() => devAddress({ wranglerArgs: ["--local-protocol", "ftp"] })).toThrow("--local-protocol ftp is not http or https");
  });
});

describe("probeWorker: is it this project's Worker that answers?", () => {
  const servers: Server[] = [];
  afterAll(() => Promise.all(servers.map(close)));

  const probeOf = async (status: number, contentType: string, body: string, expectWorker?: boolean) => {
    const { server, port } = await fakeServer(status, contentType, body);
    servers.push(server);
    return probeWorker(`http://127.0.0.1:${port}`, expectWorker, undefined, "/__dev-ready-0123456789abcdef");
  };

  it("no: another server's 200, a JSON 401 of another kind, or a 404 not in the Worker's own shape", async () => {
    expect(await probeOf(200, "text/html", "<h1>another app</h1>")).toEqual({ ready: false, answer: "GET /__dev-ready-0123456789abcdef 200" });
    expect(await probeOf(401, "application/json", '{"error":"unauthorized"}')).toEqual({ ready: false, answer: "GET /__dev-ready-0123456789abcdef 401 unauthorized" });
    expect(await probeOf(404, "application/json", '{"error":"not_found"}')).toEqual({ ready: false, answer: "GET /__dev-ready-0123456789abcdef 404 not_found" });
    expect((await probeOf(404, "application/json", "null")).ready).toBe(false);
  });

  it("yes: 404 not_found (the site), 401 not_signed_in (gateway mode), or 500 server_misconfigured (it runs; a setting is wrong)", async () => {
    expect((await probeOf(404, "application/json", '{"error":"not_found","error_description":"..."}')).ready).toBe(true);
    expect((await probeOf(401, "application/json", '{"error":"not_signed_in","error_description":"..."}')).ready).toBe(true);
    expect((await probeOf(500, "application/json", '{"error":"server_misconfigured","error_description":"..."}')).ready).toBe(true);
  });

  it("asks for a path of its own each time: no route of the Worker's, 64 random bits in it", () => {
    const paths = new Set(Array.from({ length: 100 }, () => readinessPath()));
    expect(paths.size).toBe(100);
    for (const path of paths) expect(path).toMatch(/^\/__dev-ready-[0-9a-f]{16}$/);
  });

  it("without expectWorker (another wrangler.toml), any answer below 500 will do", async () => {
    expect((await probeOf(404, "text/plain", "not here", false)).ready).toBe(true);
    expect((await probeOf(502, "text/plain", "bad gateway", false)).ready).toBe(false);
  });

  it("nothing listening: not ready, no answer", async () => {
    expect(await probeWorker(`http://127.0.0.1:${await freePort()}`)).toEqual({ ready: false });
  });
});

describe("a busy port", () => {
  it("isPortFree sees a server on 127.0.0.1, by address and as localhost", async () => {
    const { server, port } = await fakeServer(200, "text/plain", "busy");
    try {
      expect(await isPortFree("127.0.0.1", port)).toBe(false);
      expect(await isPortFree("localhost", port)).toBe(false);
    } finally {
      await close(server);
    }
    expect(await isPortFree("127.0.0.1", port)).toBe(true);
  });

  it("startDevServer refuses it with PortInUseError before starting anything", async () => {
    const { server, port } = await fakeServer(200, "text/html", "<h1>another app</h1>");
    const started = Date.now();
    try {
      const attempt = startDevServer({ port, ip: "127.0.0.1", standIn: true, output: "ignore" });
      await expect(attempt).rejects.toThrow(PortInUseError);
      await expect(attempt).rejects.toThrow(`port ${port} is already in use on 127.0.0.1`);
    } finally {
      await close(server);
    }
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});

/** wrangler's processes: its process group (wrangler, workerd, esbuild) and anything else descending from it. */
function wranglerProcesses(pid: number): ProcStat[] {
  const all = listProcesses().filter((stat) => stat.state !== "Z");
  const found = new Map(all.filter((stat) => stat.pgrp === pid || stat.pid === pid).map((stat) => [stat.pid, stat]));
  for (let grew = true; grew; ) {
    grew = false;
    for (const stat of all) {
      if (!found.has(stat.pid) && found.has(stat.ppid)) {
        found.set(stat.pid, stat);
        grew = true;
      }
    }
  }
  return [...found.values()];
}

function environ(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/environ`, "utf8");
  } catch {
    return "";
  }
}

/** GET over https, accepting wrangler's self-signed certificate; no redirect followed. */
function httpsGet(url: string, headers: Record<string, string> = {}): Promise<{ status: number; location: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const request = httpsRequest(url, { headers, rejectUnauthorized: false, agent: false, signal: AbortSignal.timeout(10_000) }, (response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => (body += chunk));
      response.once("end", () => resolve({ status: response.statusCode ?? 0, location: response.headers.location, body }));
    });
    request.once("error", reject);
    request.end();
  });
}

describe.skipIf(process.platform !== "linux")("startDevServer with --port=<port> --local-protocol https among wrangler's arguments (one wrangler dev)", () => {
  let server: DevServer | undefined;
  let port = 0;
  let persistTo = "";

  beforeAll(async () => {
    port = await freePort();
    let inspectorPort = await freePort();
    while (inspectorPort === port) inspectorPort = await freePort();
    persistTo = mkdtempSync(join(tmpdir(), "twitter-login-dev-test-"));
    server = await startDevServer({
      standIn: true,
      ip: "127.0.0.1",
      output: "ignore",
      persistTo,
      wranglerArgs: [`--port=${port}`, "--local-protocol", "https", "--inspector-port", String(inspectorPort), "--log-level", "warn"],
      signal: AbortSignal.timeout(60_000),
    });
  }, 65_000);

  afterAll(async () => {
    await server?.stop();
    if (persistTo) rmSync(persistTo, { recursive: true, force: true });
  }, 15_000);

  it("is ready over https (wrangler's self-signed certificate) and says https in its URL", async () => {
    expect(server!.url).toBe(`https://127.0.0.1:${port}`);
    const me = await httpsGet(`${server!.url}/me`, { Accept: "application/json" });
    expect(me.status).toBe(401);
    expect(JSON.parse(me.body)).toMatchObject({ error: "not_signed_in" });
  });

  it("signs in against the stand-in: GET /login answers 302 to its consent page (the secrets reached the Worker)", async () => {
    const login = await httpsGet(`${server!.url}/login`);
    expect(login.status).toBe(302);
    expect(login.location).toMatch(new RegExp(`^${server!.standIn!.urls.authenticate.replace(/[.?]/g, "\\$&")}\\?oauth_token=`));
  });

  /** The secrets the Worker runs with: the session secret startDevServer made (or the developer's own), the stand-in's consumer secret. */
  function secrets(): string[] {
    const entry = environ(server!.wrangler.pid!).split("\0").find((line) => line.startsWith(`${WRANGLER_VARS_ENV}=`));
    const handed = JSON.parse(entry?.slice(WRANGLER_VARS_ENV.length + 1) ?? "{}") as Record<string, string>;
    expect(handed.TWITTER_CLIENT_SECRET).toBe(DEFAULT_CONSUMER_SECRET);
    const sessionSecret = handed.SESSION_SECRET ?? readDevVars().SESSION_SECRET ?? process.env.SESSION_SECRET ?? "";
    expect(sessionSecret.length).toBeGreaterThanOrEqual(32);
    return [sessionSecret, DEFAULT_CONSUMER_SECRET];
  }

  it("puts neither the session secret nor the stand-in's consumer secret on the command line of wrangler or its workerd", () => {
    const hidden = secrets();
    const processes = wranglerProcesses(server!.wrangler.pid!);
    const commandLines = processes.map((stat) => procCmdline(stat.pid));
    expect(commandLines.some((line) => line.includes("wrangler-dist/cli.js dev"))).toBe(true);
    expect(processes.some((stat) => stat.comm === "workerd")).toBe(true);
    for (const line of commandLines) {
      for (const secret of hidden) expect(line).not.toContain(secret);
    }
  });

  it("nor in the environment of workerd or esbuild (wrangler takes them out before it starts them)", () => {
    const hidden = secrets();
    const wranglerItself = /wrangler[\\/](bin[\\/]wrangler|wrangler-dist[\\/]cli)\.js /;
    const others = wranglerProcesses(server!.wrangler.pid!).filter((stat) => !wranglerItself.test(procCmdline(stat.pid)));
    expect(others.some((stat) => stat.comm === "workerd")).toBe(true);
    for (const stat of others) {
      const environment = environ(stat.pid);
      expect(environment).not.toContain(WRANGLER_VARS_ENV);
      for (const secret of hidden) expect(environment).not.toContain(secret);
    }
  });
});

describe.skipIf(process.platform !== "linux")("gateway mode under wrangler dev, in front of an origin where nothing listens", () => {
  let server: DevServer | undefined;
  let persistTo = "";

  beforeAll(async () => {
    const port = await freePort();
    let inspectorPort = await freePort();
    while (inspectorPort === port) inspectorPort = await freePort();
    let closedPort = await freePort();
    while (closedPort === port || closedPort === inspectorPort) closedPort = await freePort();
    persistTo = mkdtempSync(join(tmpdir(), "twitter-login-dev-test-"));
    server = await startDevServer({
      standIn: true,
      port,
      ip: "127.0.0.1",
      output: "ignore",
      persistTo,
      vars: { PROTECT_ORIGIN: `http://127.0.0.1:${closedPort}`, PUBLIC_PATHS: "/assets/" },
      wranglerArgs: ["--inspector-port", String(inspectorPort), "--log-level", "warn"],
      signal: AbortSignal.timeout(60_000),
    });
  }, 65_000);

  afterAll(async () => {
    await server?.stop();
    if (persistTo) rmSync(persistTo, { recursive: true, force: true });
  }, 15_000);

  it("answers 502 origin_unreachable when workerd cannot connect (the runtime's own fetch rejecting)", async () => {
    const response = await fetch(`${server!.url}/assets/app.css`, { signal: AbortSignal.timeout(10_000) });
    expect(response.status).toBe(502);
    expect(await response.json()).toEqual({ error: "origin_unreachable", error_description: "The protected site could not be reached. Try again later." });
  });
});

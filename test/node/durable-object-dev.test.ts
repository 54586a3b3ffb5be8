// The Worker under `wrangler dev` with the Durable Object store: wrangler.toml's commented AUTH_STORE lines, uncommented as
// docs/operations.md says, run as `npm run dev -- --config <that copy>` runs them; a sign-in, the devices list, and a
// sign-out that the next request sees.
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevServer, PROJECT_ROOT, startDevServer } from "../../tools/dev/dev-server.ts";
import { freePort } from "../../tools/dev/free-port.ts";

/** Every file under `dir`. */
function listTree(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? listTree(join(dir, e.name)) : [join(dir, e.name)]));
}

/** wrangler.toml with its two commented Durable Object blocks uncommented, and nothing else changed. */
function withDurableObjectStore(toml: string): string {
  const lines = toml.split("\n");
  const start = lines.findIndex((line) => line === "# [[durable_objects.bindings]]");
  const end = lines.findIndex((line, index) => index > start && line.startsWith("# new_sqlite_classes"));
  if (start < 0 || end < 0) throw new Error("wrangler.toml no longer holds the commented AUTH_STORE blocks");
  return lines.map((line, index) => (index >= start && index <= end ? line.replace(/^# ?/, "") : line)).join("\n");
}

describe.skipIf(process.platform !== "linux")("wrangler dev with wrangler.toml's AUTH_STORE lines uncommented", () => {
  // In a folder git ignores; `main` is relative to the config's own folder.
  const folder = join(PROJECT_ROOT, ".wrangler", `durable-object-dev-${process.pid}`);
  const config = join(folder, "wrangler.toml");
  let server: DevServer | undefined;

  beforeAll(async () => {
    mkdirSync(folder, { recursive: true });
    const toml = withDurableObjectStore(readFileSync(join(PROJECT_ROOT, "wrangler.toml"), "utf8")).replace(/^main = "src\//m, 'main = "../../src/');
    writeFileSync(config, toml);
    const port = await freePort();
    let inspectorPort = await freePort();
    while (inspectorPort === port) inspectorPort = await freePort();
    server = await startDevServer({
      standIn: true,
      ip: "127.0.0.1",
      output: "ignore",
      persistTo: folder,
      wranglerArgs: ["--config", config, "--port", String(port), "--inspector-port", String(inspectorPort)],
      signal: AbortSignal.timeout(60_000),
    });
  }, 65_000);

  afterAll(async () => {
    await server?.stop();
    rmSync(folder, { recursive: true, force: true });
  }, 15_000);

  it("uncomments exactly the two blocks: a binding to AuthStore and its SQLite migration", () => {
    const toml = readFileSync(config, "utf8");
    expect(toml).toMatch(/^\[\[durable_objects\.bindings\]\]\nname = "AUTH_STORE"\nclass_name = "AuthStore"\n\n\[\[migrations\]\]\ntag = "v1"\nnew_sqlite_classes = \["AuthStore"\]$/m);
  });

  it("signs in, lists the device, and once POST /logout has answered the session opens nothing", async () => {
    const url = server!.url;
    const get = (path: string, cookie?: string) => fetch(`${url}${path}`, { redirect: "manual", headers: cookie ? { Cookie: cookie } : {}, signal: AbortSignal.timeout(10_000) });
    const login = await get("/login");
    expect(login.status).toBe(302);
    const authorize = new URL(login.headers.get("Location")!);
    const consent = await fetch(`${server!.standIn!.origin}/oauth/authorize`, {
      method: "POST",
      body: new URLSearchParams({ oauth_token: authorize.searchParams.get("oauth_token")!, screen_name: "object_dev", action: "allow" }),
      redirect: "manual",
    });
    const auth = await get(new URL(consent.headers.get("Location")!).pathname + new URL(consent.headers.get("Location")!).search, login.headers.getSetCookie()[0]!.split(";")[0]);
    expect(auth.status).toBe(200);
    const session = auth.headers.getSetCookie().find((cookie) => cookie.startsWith("twitter_session="))!.split(";")[0]!;
    // The cookie names the user's object: <id>.<issued at>.<shard>, signed.
    expect(decodeURIComponent(session.split("=")[1]!).split(".")).toHaveLength(4);
    // The session lives in an AuthStore object (workerd keeps one SQLite file per object), not in KV.
    expect(listTree(folder).filter((path) => /\/v3\/do\/[^/]*AuthStore\/[0-9a-f]{64}\.sqlite$/.test(path)).length).toBeGreaterThanOrEqual(1);
    expect(listTree(folder).filter((path) => /\/v3\/kv\/.*\/blobs\//.test(path))).toEqual([]);

    expect(await (await get("/me", session)).json()).toMatchObject({ screenName: "object_dev" });
    const devices = (await (await get("/sessions", session)).json()) as { sessions: { current: boolean }[] };
    expect(devices.sessions).toEqual([expect.objectContaining({ current: true })]);

    const out = await fetch(`${url}/logout`, { method: "POST", headers: { Cookie: session, Origin: url }, redirect: "manual", signal: AbortSignal.timeout(10_000) });
    expect(out.status).toBe(303);
    const after = await get("/me", session);
    expect(after.status).toBe(401);
    expect(await after.json()).toMatchObject({ error: "not_signed_in" });
  });
});

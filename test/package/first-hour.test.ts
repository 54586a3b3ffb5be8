// A stranger's first hour, at both ends of the supported range: a brand-new Worker project installs the packed
// tarball, takes the README's src/index.ts and docs/library.md's package.json, tsconfig.json and wrangler.toml as
// written, runs the stand-in with `npx hono-sign-in-with-twitter stand-in --write-dev-vars`, starts its own `npx wrangler dev` and signs in with the documented
// curl-style consent. Nothing of this repository is used but the tarball and the two documents.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { freePort } from "../../tools/dev/free-port.ts";
import { codeBlock } from "../support/markdown.ts";
import { npmCommand } from "./global-setup.ts";

const root = join(import.meta.dirname, "..", "..");
const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
  engines: { node: string };
  peerDependencies: Record<string, string>;
};

/** The lowest version a range such as `>=20.17.0` or `^4.13.19` admits: the oldest we claim. */
function lowest(range: string): string {
  const match = /^(?:>=|\^|~)?(\d+\.\d+\.\d+)$/.exec(range.split(/\s+/)[0]!);
  if (!match) throw new Error(`cannot read the lowest version of ${range}`);
  return match[1]!;
}

/**
 * The two ends. The oldest is what package.json claims (engines, the peer ranges): on Node.js 20,
 * `npm install -D wrangler` takes 4.86.0, the last wrangler that runs on it. The newest are the
 * releases current when this was last checked (the release checklist in docs/releasing.md bumps them).
 */
const ENDS = [
  {
    end: "oldest",
    node: lowest(manifest.engines.node),
    wrangler: lowest(manifest.peerDependencies.wrangler!),
    hono: lowest(manifest.peerDependencies.hono!),
    // The Workers types that wrangler asks for (an optional peer of its own).
    workersTypes: "^4.20260426.1",
  },
  { end: "newest", node: "24.21.0", wrangler: "4.164.0", hono: "4.13.23", workersTypes: "5.20261117.1" },
];

const WORKER_SOURCE = codeBlock("README.md", "ts", "// src/index.ts");
// docs/library.md repeats the README's code: one text, so neither drifts.
if (codeBlock("docs/library.md", "ts", "// src/index.ts") !== WORKER_SOURCE) throw new Error("docs/library.md's src/index.ts differs from the README's");
const WRANGLER_TOML = codeBlock("docs/library.md", "toml", 'binding = "AUTH_KV"');
const PACKAGE_JSON = JSON.parse(codeBlock("docs/library.md", "json", '"type": "module"')) as Record<string, unknown>;
const TSCONFIG_JSON = codeBlock("docs/library.md", "json", '"compilerOptions"');

for (const { end, node, wrangler, hono, workersTypes } of ENDS) {
  describe(`a stranger's own Worker, ${end} end (Node.js ${node}, wrangler ${wrangler}, Hono ${hono})`, () => {
    const project = mkdtempSync(join(tmpdir(), `first-hour-${end}-`));
    const children: ChildProcess[] = [];
    let nodeBin = "";
    let standInOrigin = "";
    let site = "";

    /** npm, run by the project's own Node.js once it has one (as a stranger on that Node.js runs it). */
    const npm = (args: string[]) => {
      const [command, prefix] = npmCommand();
      return run(nodeBin && command === process.execPath ? nodeBin : command, [...prefix, ...args]);
    };
    const run = (command: string, args: string[]) => {
      try {
        return execFileSync(command, args, { cwd: project, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], env: quietEnv(), timeout: 300_000 });
      } catch (error) {
        const { stdout, stderr } = error as { stdout?: string; stderr?: string };
        throw new Error(`${command} ${args.join(" ")} failed:\n${stdout ?? ""}\n${stderr ?? ""}`);
      }
    };
    /** `npx <args>` in the project: a process of its own group, its stdout read line by line. */
    const npx = (args: string[]) => {
      const [command, prefix] = npmCommand();
      const child = spawn(command === process.execPath ? nodeBin : command, [...prefix, "exec", "--", ...args], {
        cwd: project,
        env: quietEnv(),
        stdio: ["ignore", "pipe", "pipe"],
        detached: true,
      });
      children.push(child);
      let stderr = "";
      child.stderr!.on("data", (chunk: Buffer) => void (stderr = (stderr + chunk.toString()).slice(-4000)));
      return { child, lines: createInterface({ input: child.stdout! }), stderr: () => stderr };
    };

    beforeAll(async () => {
      writeFileSync(join(project, "package.json"), JSON.stringify({ ...PACKAGE_JSON, name: `my-worker-${end}` }, null, 2));
      // Node.js first, so that every later step (npm itself, npx, wrangler, the stand-in) runs on it.
      npm(["install", "--save-dev", "--no-audit", "--no-fund", `node@${node}`]);
      nodeBin = join(project, "node_modules", ".bin", "node");
      expect(run(nodeBin, ["--version"]).trim()).toBe(`v${node}`);
      npm(["install", "--no-audit", "--no-fund", inject("tarball"), `hono@${hono}`]);
      npm(["install", "--save-dev", "--no-audit", "--no-fund", `wrangler@${wrangler}`, `@cloudflare/workers-types@${workersTypes}`]);
      mkdirSync(join(project, "src"));
      writeFileSync(join(project, "src", "index.ts"), WORKER_SOURCE);
      writeFileSync(join(project, "wrangler.toml"), WRANGLER_TOML);
      writeFileSync(join(project, "tsconfig.json"), TSCONFIG_JSON);

      // The local X, from the installed package, setting its lines in .dev.vars (a SESSION_SECRET
      // too, the file having none); its JSON line comes once the file is written.
      const standInPort = await freePort();
      const standIn = npx(["hono-sign-in-with-twitter", "stand-in", "--port", String(standInPort), "--write-dev-vars"]);
      const first = await standIn.lines[Symbol.asyncIterator]().next();
      if (first.done) throw new Error(`the stand-in did not start:\n${standIn.stderr()}`);
      standInOrigin = (JSON.parse(String(first.value)) as { origin: string }).origin;
      expect(standInOrigin).toBe(`http://127.0.0.1:${standInPort}`);
      expect(readFileSync(join(project, ".dev.vars"), "utf8")).toMatch(/^SESSION_SECRET=.{40,}$/m);

      const port = await freePort();
      let inspectorPort = await freePort();
      while (inspectorPort === port) inspectorPort = await freePort();
      site = `http://127.0.0.1:${port}`;
      // An inspector port of its own, as every other wrangler dev of the suite has: by default wrangler
      // takes 9229 if it looks free, and two wrangler devs starting at once on one machine (another
      // test file's, another checkout's) both take it; workerd then cannot listen there and exits,
      // which wrangler 4.86 reports as "The Workers runtime failed to start" (issue 25).
      const dev = npx(["wrangler", "dev", "--port", String(port), "--ip", "127.0.0.1", "--inspector-port", String(inspectorPort), "--show-interactive-dev-session=false"]);
      dev.lines.on("line", () => undefined);
      const deadline = Date.now() + 120_000;
      for (;;) {
        if (dev.child.exitCode !== null) throw new Error(`wrangler dev exited with ${dev.child.exitCode}:\n${dev.stderr()}`);
        const ready = await fetch(`${site}/`, { signal: AbortSignal.timeout(2_000) }).then((response) => response.status === 200, () => false);
        if (ready) break;
        if (Date.now() > deadline) throw new Error(`wrangler dev did not answer on ${site}:\n${dev.stderr()}`);
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }, 600_000);

    afterAll(async () => {
      for (const child of children) {
        if (child.exitCode !== null || child.signalCode !== null) continue;
        const exited = new Promise((resolve) => child.once("exit", resolve));
        try {
          process.kill(-child.pid!, "SIGTERM");
        } catch {
          child.kill("SIGTERM");
        }
        const timer = setTimeout(() => {
          try {
            process.kill(-child.pid!, "SIGKILL");
          } catch {
            // Already gone.
          }
        }, 5_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(project, { recursive: true, force: true });
    }, 30_000);

    it("runs the stand-in and wrangler on the project's own Node.js", () => {
      expect(npm(["exec", "--", "node", "--version"]).trim()).toBe(`v${node}`);
      expect(JSON.parse(readFileSync(join(project, "node_modules", "wrangler", "package.json"), "utf8")).version).toBe(wrangler);
      expect(JSON.parse(readFileSync(join(project, "node_modules", "hono", "package.json"), "utf8")).version).toBe(hono);
    });

    it("type-checks the README's code with docs/library.md's tsconfig.json against the installed package", () => {
      const tsc = join(dirname(createRequire(import.meta.url).resolve("typescript/package.json")), "bin", "tsc");
      run(process.execPath, [tsc, "-p", join(project, "tsconfig.json")]);
    });

    it("signs in against the npx stand-in, approving consent as docs/library.md shows with curl", async () => {
      const jar = new Map<string, string>();
      const cookies = () => [...jar].map(([name, value]) => `${name}=${value}`).join("; ");
      const keep = (response: Response) => {
        for (const header of response.headers.getSetCookie()) {
          const [pair] = header.split(";");
          const at = pair!.indexOf("=");
          jar.set(pair!.slice(0, at), pair!.slice(at + 1));
        }
      };
      expect((await fetch(`${site}/account`, { redirect: "manual" })).headers.get("Location")).toBe("/auth/twitter/login?next=/account");

      // 1. Start a sign-in; keep its cookie.
      const login = await fetch(`${site}/auth/twitter/login?next=/account`, { redirect: "manual" });
      expect(login.status).toBe(302);
      keep(login);
      const authorize = new URL(login.headers.get("Location")!);
      expect(authorize.origin).toBe(standInOrigin);
      // 2. Approve as a screen name of your choice, as the consent page's form does.
      const consent = await fetch(`${standInOrigin}/oauth/authorize`, {
        method: "POST",
        body: new URLSearchParams({ oauth_token: authorize.searchParams.get("oauth_token")!, screen_name: "stranger", action: "allow" }),
        redirect: "manual",
      });
      expect(consent.status).toBe(302);
      const callback = consent.headers.get("Location")!;
      expect(callback.startsWith(`${site}/auth/twitter/auth?`)).toBe(true);
      // 3. Finish at the Worker with the cookie from step 1.
      const auth = await fetch(callback, { headers: { Cookie: cookies() }, redirect: "manual" });
      expect(auth.status).toBe(303);
      expect(auth.headers.get("Location")).toBe("/account");
      keep(auth);

      const account = await fetch(`${site}/account`, { headers: { Cookie: cookies() } });
      expect(account.status).toBe(200);
      expect(await account.json()).toEqual({ hello: "stranger", twitterStatus: 200 });
      const me = await fetch(`${site}/auth/twitter/me`, { headers: { Cookie: cookies() } });
      expect(await me.json()).toMatchObject({ screenName: "stranger" });

      const out = await fetch(`${site}/auth/twitter/logout`, { method: "POST", headers: { Cookie: cookies(), Origin: site }, redirect: "manual" });
      expect(out.status).toBe(303);
      keep(out);
      expect((await fetch(`${site}/auth/twitter/me`, { headers: { Cookie: cookies() } })).status).toBe(401);
    });
  });
}

/** No telemetry, no fetch of the `Request.cf` placeholder, no colours: all stays local and readable. */
function quietEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", NO_COLOR: "1" };
  // What `npm test` itself set for its own scripts must not leak into the stranger's project.
  for (const name of Object.keys(env)) if (name.startsWith("npm_") && name !== "npm_execpath") delete env[name];
  // Nor this repository's own tools (its Node.js 24 among them): the project's npx finds its own.
  env.PATH = (env.PATH ?? "").split(":").filter((entry) => !entry.startsWith(root)).join(":");
  return env;
}

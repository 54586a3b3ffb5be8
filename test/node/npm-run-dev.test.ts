// `npm run dev -- <wrangler dev flags>` run as a new user runs it: another port, a busy port, Ctrl+C.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { type Server, createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { PROJECT_ROOT, hasTwitterCredentials } from "../../tools/dev/dev-server.ts";
import { freePort, isPortFree } from "../../tools/dev/free-port.ts";
import { listProcesses, procStat } from "../../tools/dev/proc.ts";

interface Run {
  child: ChildProcess;
  /** stdout and stderr so far. */
  output: () => string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const runs: Run[] = [];
const folders: string[] = [];
const servers: Server[] = [];
/** Every process seen under a run's npm (wrangler and workerd run in a process group of their own). */
const seen = new Map<number, string>();

/** `npm run dev -- ...args` in the project, in a process group of its own (as a terminal would start it). */
function npmRunDev(args: string[]): Run {
  const child = spawn("npm", ["run", "dev", "--", ...args], { cwd: PROJECT_ROOT, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  const run = { child, output: () => output, exit };
  runs.push(run);
  return run;
}

/** The live processes descending from `pid`, remembered in `seen` (with their name, to tell a reused pid). */
function descendants(pid: number): number[] {
  const all = listProcesses().filter((stat) => stat.state !== "Z");
  const found = new Set([pid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const stat of all) {
      if (!found.has(stat.pid) && found.has(stat.ppid)) {
        found.add(stat.pid);
        seen.set(stat.pid, stat.comm);
        grew = true;
      }
    }
  }
  found.delete(pid);
  return [...found];
}

/** The processes of `seen` still alive. */
function stillAlive(): number[] {
  return [...seen].filter(([pid, comm]) => {
    const stat = procStat(pid);
    return stat !== undefined && stat.state !== "Z" && stat.comm === comm;
  }).map(([pid]) => pid);
}

async function until<T>(what: string, timeoutMs: number, check: () => T | undefined | false): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** wrangler's log lines for the requests it served, e.g. `[wrangler:info] GET / 200 OK (3ms)`, without colours. */
function requestLines(output: string): string[] {
  return output
    .replace(/\x1b\[[0-9;]*m/g, "")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => /^\[wrangler:info\] [A-Z]+ \//.test(line));
}

/** Within `timeoutMs`, or undefined. */
function within<T>(promise: Promise<T>, timeoutMs: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), timeoutMs);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

afterEach(async () => {
  // Whatever a failed test left running: npm's group, then anything of it still alive (wrangler's group).
  for (const run of runs.splice(0)) {
    if (run.child.exitCode === null && run.child.signalCode === null) {
      descendants(run.child.pid!);
      try {
        process.kill(-run.child.pid!, "SIGKILL");
      } catch {
        // gone
      }
      await within(run.exit, 5_000);
    }
  }
  for (const pid of stillAlive()) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // gone
    }
  }
  seen.clear();
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
}, 15_000);

describe.skipIf(process.platform !== "linux")("npm run dev", () => {
  it("-- --port <port>: prints the URL with that port, serves the landing page there, and stops on Ctrl+C (SIGINT)", async () => {
    const port = await freePort();
    let inspectorPort = await freePort();
    while (inspectorPort === port) inspectorPort = await freePort();
    const persistTo = mkdtempSync(join(tmpdir(), "twitter-login-npm-run-dev-"));
    folders.push(persistTo);
    // --ip keeps the test on 127.0.0.1; --inspector-port and --persist-to also pass through to wrangler dev.
    const run = npmRunDev(["--port", String(port), "--ip", "127.0.0.1", "--inspector-port", String(inspectorPort), "--persist-to", persistTo]);
    const url = `http://127.0.0.1:${port}`;
    await until("the Open line", 45_000, () => {
      if (run.child.exitCode !== null) throw new Error(`npm run dev exited with ${run.child.exitCode}:\n${run.output()}`);
      return run.output().includes("  Open ");
    });
    expect(run.output()).toContain(`Open ${url}/ and click "Sign in with Twitter"`);
    if (!hasTwitterCredentials()) expect(run.output()).toContain(`register ${url}/auth as the`);
    expect(run.output()).not.toMatch(/(?<!\d)8787(?!\d)/);

    const landing = await fetch(`${url}/`, { signal: AbortSignal.timeout(10_000) });
    expect(landing.status).toBe(200);
    expect(await landing.text()).toContain(">Sign in with Twitter</a>");
    // wrangler logs the request we sent, and none for the readiness probes nobody sent.
    await until("wrangler's log line for GET /", 10_000, () => /GET \/ 200/.test(run.output()));
    expect(requestLines(run.output())).toEqual([expect.stringMatching(/^\[wrangler:info\] GET \/ 200 OK \(\d+ms\)$/)]);
    const processes = descendants(run.child.pid!);
    expect(processes.length).toBeGreaterThanOrEqual(3); // node tools/dev/dev.ts, wrangler, workerd (and more)

    // Ctrl+C in a terminal: SIGINT to the foreground process group (npm's).
    process.kill(-run.child.pid!, "SIGINT");
    const exit = await within(run.exit, 15_000);
    expect(exit, "npm run dev did not stop within 15 s of SIGINT").toBeDefined();
    // npm ends as its script did: exit code 0 or, re-raising Ctrl+C, the signal itself.
    expect(exit!.code === 0 || exit!.signal === "SIGINT", `npm run dev ended with ${JSON.stringify(exit)}`).toBe(true);
    await until("every process of npm run dev to end", 10_000, () => stillAlive().length === 0);
    expect(await isPortFree("127.0.0.1", port)).toBe(true);
  }, 75_000);

  it("-- --access-level with another word: one line saying which words, a non-zero exit, nothing started", async () => {
    const run = npmRunDev(["--access-level", "basic"]);
    const exit = await within(run.exit, 20_000);
    expect(exit, `npm run dev did not exit within 20 s:\n${run.output()}`).toBeDefined();
    expect(exit!.code).not.toBe(0);
    expect(run.output()).toContain("  npm run dev: --access-level must be free or legacy, not basic");
    expect(run.output()).not.toContain("Open");
  }, 30_000);

  it("on a busy port: one line naming the port and how to choose another, a non-zero exit, and never Open", async () => {
    const port = await freePort();
    // Another app on that port, answering 200 to everything (what the readiness check used to take for the Worker).
    const other = createServer((_request, response) => response.end("another app"));
    servers.push(other);
    await new Promise<void>((resolve) => other.listen(port, "127.0.0.1", resolve));
    const run = npmRunDev(["--port", String(port), "--ip", "127.0.0.1"]);
    const exit = await within(run.exit, 20_000);
    expect(exit, `npm run dev did not exit within 20 s:\n${run.output()}`).toBeDefined();
    expect(exit!.code).not.toBe(0);
    const lines = run.output().split("\n").filter((line) => line.includes("in use"));
    expect(lines).toEqual([`  npm run dev: port ${port} is already in use on 127.0.0.1. Stop what uses it, or choose another port: npm run dev -- --port ${port + 1}`]);
    expect(run.output()).not.toContain("Open");
  }, 30_000);

  it.skipIf(hasTwitterCredentials())("-- --demo-origin: a signed-out browser is sent to the sign-in, and the flow ends on the protected page", async () => {
    const port = await freePort();
    let inspectorPort = await freePort();
    while (inspectorPort === port) inspectorPort = await freePort();
    const persistTo = mkdtempSync(join(tmpdir(), "twitter-login-npm-run-dev-"));
    folders.push(persistTo);
    const run = npmRunDev(["--demo-origin", "--port", String(port), "--ip", "127.0.0.1", "--inspector-port", String(inspectorPort), "--persist-to", persistTo]);
    const url = `http://127.0.0.1:${port}`;
    await until("the Open line", 45_000, () => {
      if (run.child.exitCode !== null) throw new Error(`npm run dev exited with ${run.child.exitCode}:\n${run.output()}`);
      return run.output().includes("  Open ");
    });
    expect(run.output()).toContain(`Open ${url}/ : sign in, and land on the demo origin's protected page`);
    expect(run.output()).toMatch(/Gateway mode: protecting the demo origin http:\/\/127\.0\.0\.1:\d+; the sign-in routes are under \/_auth\n/);
    expect(run.output()).toContain(`register ${url}/_auth/auth as the`);
    const standIn = /Twitter stand-in: (http:\/\/127\.0\.0\.1:\d+)/.exec(run.output())![1]!;
    const get = (path: string, cookie?: string) =>
      fetch(new URL(path, url), { redirect: "manual", headers: { Accept: "text/html", ...(cookie ? { Cookie: cookie } : {}) }, signal: AbortSignal.timeout(10_000) });

    const page = await get("/reports?q=1");
    expect(page.status).toBe(302);
    expect(page.headers.get("Location")).toBe("/_auth/login?next=%2Freports%3Fq%3D1");
    const login = await get(page.headers.get("Location")!);
    expect(login.status).toBe(302);
    const oauthToken = new URL(login.headers.get("Location")!).searchParams.get("oauth_token")!;
    const consent = await fetch(`${standIn}/oauth/authorize`, {
      method: "POST",
      body: new URLSearchParams({ oauth_token: oauthToken, screen_name: "demo_user", name: "Démo User", action: "allow" }),
      redirect: "manual",
    });
    const back = new URL(consent.headers.get("Location")!);
    expect(back.origin + back.pathname).toBe(`${url}/_auth/auth`);
    const auth = await get(back.href, login.headers.getSetCookie()[0]!.split(";")[0]);
    expect(auth.status).toBe(303);
    expect(auth.headers.get("Location")).toBe("/reports?q=1");
    const session = auth.headers.getSetCookie().find((cookie) => cookie.startsWith("twitter_session="))!.split(";")[0]!;
    const protectedPage = await get("/reports?q=1", session);
    expect(protectedPage.status).toBe(200);
    const html = await protectedPage.text();
    expect(html).toContain('<h1 id="protected">Protected page</h1>');
    expect(html).toContain('<td id="row-0">/reports?q=1</td>');
    expect(html).toMatch(/<td id="row-1">\d{19}<\/td>/);
    expect(html).toContain('<td id="row-2">demo_user</td>');
    expect(html).toContain(`<td id="row-3">${encodeURIComponent("Démo User")}</td>`);
    expect(html).toContain('<td id="row-4">Démo User</td>');
    // The stand-in ran at the free access level, as X answers a new app: v1.1 refused (453), the profile from /2/users/me.
    expect(run.output()).toContain(`Twitter stand-in: ${standIn} (access level free; npm run dev -- --access-level legacy for the other)`);
    const { endpoints } = (await (await fetch(`${standIn}/__stand-in/stats`)).json()) as { endpoints: Record<string, { accepted: number; rejected: Record<string, number> }> };
    expect(endpoints.verify_credentials!.rejected).toEqual({ "not at this access level (453)": 1 });
    expect(endpoints.users_me!.accepted).toBe(1);
    expect(html).toContain('<td id="row-5">yes</td>');
    // wrangler logged only requests this test sent (some lines may still be on their way), never a readiness probe's.
    for (const line of requestLines(run.output())) expect(line).toMatch(/^\[wrangler:info\] GET \/(reports|_auth\/login|_auth\/auth) \d{3} /);
    // Ctrl+C stops it all, the demo origin with it.
    process.kill(-run.child.pid!, "SIGINT");
    expect(await within(run.exit, 15_000)).toBeDefined();
  }, 75_000);
});

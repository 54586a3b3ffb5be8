// The stand-in writes a Worker's .dev.vars itself (`--write-dev-vars`), keeping what is there; a busy port is one line; a redirected stdout still leaves the terminal told.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, describe, expect, it } from "vitest";
import { updateDevVars } from "../../tools/stand-in/dev-vars-file.ts";
import { DEFAULT_CONSUMER_KEY, DEFAULT_CONSUMER_SECRET, DEFAULT_OAUTH2_CLIENT_ID, DEFAULT_OAUTH2_CLIENT_SECRET } from "../../tools/stand-in/server.ts";

const cli = join(import.meta.dirname, "..", "..", "tools", "stand-in", "cli.ts");
const scratch = mkdtempSync(join(tmpdir(), "stand-in-dev-vars-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const MINE = "SESSION_SECRET=my-own-session-secret-of-32-characters-or-more\nPUBLIC_ORIGIN=\n# a note of mine\nTWITTER_CLIENT_ID=an-old-key\n";

describe("updateDevVars", () => {
  it("sets each NAME=value where it stands or at the end, keeps every other line, and changes nothing on a second run", async () => {
    const path = join(scratch, "unit.dev.vars");
    writeFileSync(path, MINE, { mode: 0o640 });
    const lines = ["# the stand-in", "TWITTER_CLIENT_ID=key", "TWITTER_CLIENT_SECRET=secret"];
    const first = await updateDevVars(path, lines, ["SESSION_SECRET=made-up", "NEW_DEFAULT=1"]);
    expect(first).toEqual({ added: ["TWITTER_CLIENT_SECRET", "NEW_DEFAULT"], changed: ["TWITTER_CLIENT_ID"], unchanged: ["SESSION_SECRET"] });
    const after = readFileSync(path, "utf8");
    expect(after).toBe(
      "SESSION_SECRET=my-own-session-secret-of-32-characters-or-more\nPUBLIC_ORIGIN=\n# a note of mine\nTWITTER_CLIENT_ID=key\n# the stand-in\nTWITTER_CLIENT_SECRET=secret\nNEW_DEFAULT=1\n",
    );
    expect(statSync(path).mode & 0o777).toBe(0o640);

    const second = await updateDevVars(path, lines, ["SESSION_SECRET=made-up-again", "NEW_DEFAULT=2"]);
    expect(second).toEqual({ added: [], changed: [], unchanged: ["TWITTER_CLIENT_ID", "TWITTER_CLIENT_SECRET", "SESSION_SECRET", "NEW_DEFAULT"] });
    expect(readFileSync(path, "utf8")).toBe(after);
  });

  it("creates a missing file readable by its owner only, and reads `export NAME=` and spaces as dotenv does", async () => {
    const fresh = join(scratch, "fresh.dev.vars");
    await updateDevVars(fresh, ["A=1"], ["SESSION_SECRET=s"]);
    expect(readFileSync(fresh, "utf8")).toBe("A=1\nSESSION_SECRET=s\n");
    expect(statSync(fresh).mode & 0o777).toBe(0o600);

    const exported = join(scratch, "exported.dev.vars");
    writeFileSync(exported, "export A = 0\r\n  SESSION_SECRET=mine\r\n");
    expect(await updateDevVars(exported, ["A=1"], ["SESSION_SECRET=s"])).toEqual({ added: [], changed: ["A"], unchanged: ["SESSION_SECRET"] });
    expect(readFileSync(exported, "utf8")).toBe("A=1\n  SESSION_SECRET=mine\n");
  });

  it("leaves the file whole when it cannot be replaced", async () => {
    const path = join(scratch, "is-a-directory");
    mkdirSync(path);
    await expect(updateDevVars(path, ["A=1"])).rejects.toThrow(/EISDIR/);
  });
});

/** Runs the CLI; resolves with the child once its first stdout line is out (it listens by then). */
function start(args: string[]): { child: ChildProcess; firstLine: Promise<string | undefined>; stderr: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [cli, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const firstLine = createInterface({ input: child.stdout! })[Symbol.asyncIterator]().next().then((next) => (next.done ? undefined : String(next.value)));
  return { child, firstLine, stderr: () => stderr, exited };
}

/** Stops a CLI started by `start` and expects a clean exit. */
async function stop(run: ReturnType<typeof start>): Promise<void> {
  run.child.kill("SIGTERM");
  expect(await run.exited).toBe(0);
}

/** Waits until the child's stderr holds `text` (or it exits). */
async function stderrHolds(run: ReturnType<typeof start>, text: string): Promise<string> {
  while (!run.stderr().includes(text) && run.child.exitCode === null) await new Promise((resolve) => setTimeout(resolve, 20));
  return run.stderr();
}

describe("npx hono-sign-in-with-twitter stand-in --write-dev-vars", () => {
  it("writes the stand-in's lines into .dev.vars, keeping the developer's own SESSION_SECRET and every other line", async () => {
    const path = join(scratch, "cli.dev.vars");
    writeFileSync(path, MINE);
    const run = start(["--write-dev-vars", path]);
    try {
      const description = JSON.parse((await run.firstLine)!) as { origin: string };
      const stderr = await stderrHolds(run, "Ctrl+C");
      const text = readFileSync(path, "utf8");
      expect(text.startsWith("SESSION_SECRET=my-own-session-secret-of-32-characters-or-more\nPUBLIC_ORIGIN=\n# a note of mine\n")).toBe(true);
      const vars = Object.fromEntries(text.split("\n").filter((line) => /^[A-Z][A-Z0-9_]*=/.test(line)).map((line) => line.split(/=(.*)/s).slice(0, 2) as [string, string]));
      expect(vars).toEqual({
        SESSION_SECRET: "my-own-session-secret-of-32-characters-or-more",
        PUBLIC_ORIGIN: "",
        TWITTER_CLIENT_ID: DEFAULT_CONSUMER_KEY,
        TWITTER_CLIENT_SECRET: DEFAULT_CONSUMER_SECRET,
        TWITTER_REQUEST_TOKEN_URL: `${description.origin}/oauth/request_token`,
        TWITTER_AUTHORIZE_URL: `${description.origin}/oauth/authenticate`,
        TWITTER_ACCESS_TOKEN_URL: `${description.origin}/oauth/access_token`,
        TWITTER_API_BASE_URL: `${description.origin}/1.1/`,
        TWITTER_OAUTH2_CLIENT_ID: DEFAULT_OAUTH2_CLIENT_ID,
        TWITTER_OAUTH2_CLIENT_SECRET: DEFAULT_OAUTH2_CLIENT_SECRET,
        TWITTER_OAUTH2_AUTHORIZE_URL: `${description.origin}/i/oauth2/authorize`,
        TWITTER_OAUTH2_TOKEN_URL: `${description.origin}/2/oauth2/token`,
        TWITTER_OAUTH2_REVOKE_URL: `${description.origin}/2/oauth2/revoke`,
      });
      expect(stderr).toContain(`stand-in: ${path}: added TWITTER_CLIENT_SECRET, TWITTER_REQUEST_TOKEN_URL, TWITTER_AUTHORIZE_URL, TWITTER_ACCESS_TOKEN_URL, TWITTER_API_BASE_URL, TWITTER_OAUTH2_CLIENT_ID, TWITTER_OAUTH2_CLIENT_SECRET, TWITTER_OAUTH2_AUTHORIZE_URL, TWITTER_OAUTH2_TOKEN_URL, TWITTER_OAUTH2_REVOKE_URL; changed TWITTER_CLIENT_ID; every other line kept.`);
      expect(stderr).toContain(`stand-in: the local X runs on ${description.origin} at the free access level; Ctrl+C stops it.`);
      expect(stderr).not.toContain("my-own-session-secret");
    } finally {
      await stop(run);
    }
  });

  it("adds a random SESSION_SECRET of 32 bytes to a .dev.vars that has none, and defaults to ./.dev.vars", async () => {
    const folder = mkdtempSync(join(scratch, "cwd-"));
    const child = spawn(process.execPath, [cli, "--write-dev-vars", "--access-level", "legacy"], { cwd: folder, stdio: ["ignore", "pipe", "pipe"] });
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    try {
      await createInterface({ input: child.stdout! })[Symbol.asyncIterator]().next();
      const text = readFileSync(join(folder, ".dev.vars"), "utf8");
      const secret = /^SESSION_SECRET=(.+)$/m.exec(text)?.[1];
      expect(Buffer.from(secret!, "base64")).toHaveLength(32);
      expect(statSync(join(folder, ".dev.vars")).mode & 0o777).toBe(0o600);
    } finally {
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
    }
  });

  it("says in one line that the port is busy, exits 1 and leaves .dev.vars as it was", async () => {
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, "127.0.0.1", resolve));
    const port = (busy.address() as { port: number }).port;
    const path = join(scratch, "busy.dev.vars");
    writeFileSync(path, MINE);
    try {
      const run = start(["--port", String(port), "--write-dev-vars", path]);
      expect(await run.exited).toBe(1);
      expect(await run.firstLine).toBeUndefined();
      expect(run.stderr()).toBe(`stand-in: port ${port} is already in use on 127.0.0.1 (another stand-in?). Stop what uses it, or choose another port: --port ${port + 1}\n`);
      expect(readFileSync(path, "utf8")).toBe(MINE);
    } finally {
      busy.close();
    }
  });

  it("with stdout going to a file or pipe, still tells its terminal (stderr) that it runs, where and at which access level", async () => {
    for (const args of [[], ["--dev-vars"]]) {
      const run = start(args);
      try {
        await run.firstLine;
        const stderr = await stderrHolds(run, "Ctrl+C");
        expect(stderr).toMatch(/stand-in: the local X runs on http:\/\/127\.0\.0\.1:\d+ at the free access level; Ctrl\+C stops it\.\n/);
      } finally {
        await stop(run);
      }
    }
  });

  it("refuses --dev-vars with --write-dev-vars", async () => {
    const run = start(["--dev-vars", "--write-dev-vars", join(scratch, "both.dev.vars")]);
    expect(await run.exited).toBe(2);
    expect(run.stderr()).toContain("--dev-vars prints the lines, --write-dev-vars writes them: choose one");
  });
});

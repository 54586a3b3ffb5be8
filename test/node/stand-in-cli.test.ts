// `npm run stand-in -- --dev-vars`: the .dev.vars lines a Worker needs to sign in against the stand-in, pointing at a live stand-in.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { describe, expect, it } from "vitest";
import { DEFAULT_CONSUMER_KEY, DEFAULT_CONSUMER_SECRET, DEFAULT_OAUTH2_CLIENT_ID, DEFAULT_OAUTH2_CLIENT_SECRET } from "../../tools/stand-in/server.ts";

const cli = join(import.meta.dirname, "..", "..", "tools", "stand-in", "cli.ts");

// Each test starts Node.js on the stand-in's TypeScript source: well under a second on an idle
// machine, over 5 s (the default budget) on a 2-core machine under a load of 15 (issue 25).
describe("the stand-in's command line", { timeout: 30_000 }, () => {
  it("prints .dev.vars lines for the stand-in it runs, and stops on SIGTERM", async () => {
    const child = spawn(process.execPath, [cli, "--dev-vars"], { stdio: ["ignore", "pipe", "pipe"] });
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    try {
      const lines: string[] = [];
      const reader = createInterface({ input: child.stdout! });
      for await (const line of reader) {
        lines.push(line);
        if (line.startsWith("TWITTER_OAUTH2_REVOKE_URL=")) break;
      }
      const vars = Object.fromEntries(lines.filter((line) => !line.startsWith("#")).map((line) => line.split(/=(.*)/s).slice(0, 2) as [string, string]));
      expect(Object.keys(vars)).toEqual([
        "TWITTER_CLIENT_ID",
        "TWITTER_CLIENT_SECRET",
        "TWITTER_REQUEST_TOKEN_URL",
        "TWITTER_AUTHORIZE_URL",
        "TWITTER_ACCESS_TOKEN_URL",
        "TWITTER_API_BASE_URL",
        "TWITTER_OAUTH2_CLIENT_ID",
        "TWITTER_OAUTH2_CLIENT_SECRET",
        "TWITTER_OAUTH2_AUTHORIZE_URL",
        "TWITTER_OAUTH2_TOKEN_URL",
        "TWITTER_OAUTH2_REVOKE_URL",
      ]);
      expect(vars.TWITTER_OAUTH2_CLIENT_ID).toBe(DEFAULT_OAUTH2_CLIENT_ID);
      expect(vars.TWITTER_OAUTH2_CLIENT_SECRET).toBe(DEFAULT_OAUTH2_CLIENT_SECRET);
      expect(vars.TWITTER_OAUTH2_TOKEN_URL).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/2\/oauth2\/token$/);
      expect(vars.TWITTER_CLIENT_ID).toBe(DEFAULT_CONSUMER_KEY);
      expect(vars.TWITTER_CLIENT_SECRET).toBe(DEFAULT_CONSUMER_SECRET);
      expect(vars.TWITTER_REQUEST_TOKEN_URL).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/oauth\/request_token$/);
      // It is live: an unsigned request is refused the way X refuses it.
      const response = await fetch(vars.TWITTER_REQUEST_TOKEN_URL!, { method: "POST", signal: AbortSignal.timeout(5_000) });
      expect(response.status).toBe(401);
    } finally {
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
    }
  });

  it("runs at the free access level unless told --access-level legacy, and says so", async () => {
    for (const [args, level] of [[[], "free"], [["--access-level", "legacy"], "legacy"]] as const) {
      const child = spawn(process.execPath, [cli, ...args], { stdio: ["ignore", "pipe", "pipe"] });
      const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
      try {
        const first = await createInterface({ input: child.stdout! })[Symbol.asyncIterator]().next();
        const description = JSON.parse(String(first.value)) as { origin: string; accessLevel: string };
        expect(description.accessLevel).toBe(level);
        const control = await fetch(`${description.origin}/__stand-in/access-level`, { signal: AbortSignal.timeout(5_000) });
        expect(await control.json()).toEqual({ level });
      } finally {
        child.kill("SIGTERM");
        expect(await exited).toBe(0);
      }
    }
  });

  it("refuses an unknown --access-level with exit code 2 and the usage", async () => {
    const child = spawn(process.execPath, [cli, "--access-level", "basic"], { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    expect(await new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)))).toBe(2);
    expect(stderr).toContain("--access-level must be free or legacy, not basic");
    expect(stderr).toContain("usage: ");
  });
});

// npm run dev with a half-filled or misspelt .dev.vars: it names what is missing or unknown instead of signing in against the stand-in without a word.
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkDevVars, knownSettings, refusal, unknownSettingsLines } from "../../tools/dev/dev-vars-check.ts";
import { hasTwitterCredentials } from "../../tools/dev/dev-server.ts";
import { freePort, isPortFree } from "../../tools/dev/free-port.ts";

const root = join(import.meta.dirname, "..", "..");
const noEnvironment = {};

describe("what npm run dev checks in .dev.vars", () => {
  it("knows every setting .dev.vars.example names, read from src/env.ts", () => {
    const example = readFileSync(join(root, ".dev.vars.example"), "utf8");
    const named = [...example.matchAll(/^#? ?([A-Z][A-Z0-9_]*)=/gm)].map((match) => match[1]!);
    expect(named.length).toBeGreaterThan(10);
    const known = knownSettings();
    for (const name of named) expect(known.has(name), name).toBe(true);
    expect(checkDevVars(Object.fromEntries(named.map((name) => [name, "x"])), known, noEnvironment)).toEqual({ missing: [], unknown: [] });
  });

  it("refuses only TWITTER_CLIENT_SECRET, naming TWITTER_CLIENT_ID (npm run dev would otherwise quietly use the stand-in)", () => {
    const vars = { TWITTER_CLIENT_SECRET: "a-secret-value", SESSION_SECRET: "s" };
    expect(hasTwitterCredentials(vars)).toBe(false);
    const problems = checkDevVars(vars, knownSettings(), noEnvironment);
    expect(problems).toEqual({ missing: ["TWITTER_CLIENT_ID"], unknown: [] });
    expect(refusal(problems)).toBe(
      "TWITTER_CLIENT_SECRET is set (in .dev.vars or the shell), TWITTER_CLIENT_ID is not. Set both (your X app's API Key and API Key Secret) to sign in with real X, or neither to use the local X stand-in.",
    );
    expect(refusal(problems)).not.toContain("a-secret-value");
  });

  it("names a misspelt TWITTER_API_KEY and the setting it meant, beside the one credential it left alone", () => {
    const problems = checkDevVars({ TWITTER_API_KEY: "key", TWITTER_CLIENT_SECRET: "secret", TWITTER_CLIENT_SECRT: "x" }, knownSettings(), noEnvironment);
    expect(problems).toEqual({
      missing: ["TWITTER_CLIENT_ID"],
      unknown: [
        { name: "TWITTER_API_KEY", meant: "TWITTER_CLIENT_ID" },
        { name: "TWITTER_CLIENT_SECRT", meant: "TWITTER_CLIENT_SECRET" },
      ],
    });
    expect(refusal(problems)).toBe(
      "TWITTER_CLIENT_SECRET is set (in .dev.vars or the shell), TWITTER_CLIENT_ID is not. It also has settings the Worker does not read: TWITTER_API_KEY (TWITTER_CLIENT_ID?), TWITTER_CLIENT_SECRT (TWITTER_CLIENT_SECRET?). " +
        "Set both (your X app's API Key and API Key Secret) to sign in with real X, or neither to use the local X stand-in.",
    );
  });

  it("starts with both credentials misspelt, but says in the banner which names it ignores", () => {
    const problems = checkDevVars({ TWITTER_API_KEY: "key", TWITTER_API_SECRET: "secret", MY_OWN: "1" }, knownSettings(), noEnvironment);
    expect(refusal(problems)).toBeUndefined();
    expect(unknownSettingsLines(problems).join("\n")).toBe(
      "\n  .dev.vars has settings the Worker does not read, and ignores: TWITTER_API_KEY (TWITTER_CLIENT_ID?), TWITTER_API_SECRET (TWITTER_CLIENT_SECRET?), MY_OWN.\n" +
        "  Every setting it reads is in .dev.vars.example and docs/configuration.md.",
    );
    expect(unknownSettingsLines(checkDevVars({ SESSION_SECRET: "s" }, knownSettings(), noEnvironment))).toEqual([]);
  });

  it("counts a credential exported in the shell, as npm run dev does, and an empty line as unset", () => {
    expect(checkDevVars({ TWITTER_CLIENT_SECRET: "s" }, knownSettings(), { TWITTER_CLIENT_ID: "k" }).missing).toEqual([]);
    expect(checkDevVars({ TWITTER_CLIENT_ID: "", TWITTER_CLIENT_SECRET: "" }, knownSettings(), noEnvironment)).toEqual({ missing: [], unknown: [] });
  });
});

describe("npm run dev itself", () => {
  // The project's own .dev.vars is the developer's: the half-filled settings come from the shell instead.
  it.skipIf(existsSync(join(root, ".dev.vars")))("refuses in one line, before anything starts, a shell with TWITTER_CLIENT_SECRET alone", async () => {
    const port = await freePort();
    const environment: NodeJS.ProcessEnv = { ...process.env, TWITTER_CLIENT_SECRET: "a-secret-value" };
    delete environment.TWITTER_CLIENT_ID;
    const child = spawn(process.execPath, [join(root, "tools", "dev", "dev.ts"), "--port", String(port)], { cwd: root, env: environment, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout!.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
    child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
    expect(await new Promise<number | null>((resolve) => child.once("exit", resolve))).toBe(1);
    expect(output).toBe(
      "\n  npm run dev: TWITTER_CLIENT_SECRET is set (in .dev.vars or the shell), TWITTER_CLIENT_ID is not. Set both (your X app's API Key and API Key Secret) to sign in with real X, or neither to use the local X stand-in.\n\n",
    );
    expect(await isPortFree("localhost", port)).toBe(true);
  });
});

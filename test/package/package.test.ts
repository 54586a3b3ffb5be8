// The npm package as a stranger gets it: packed, linted (publint, attw), installed into test/consumer, type-checked, built by wrangler and signed in with inside workerd.
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { Miniflare, convertV4MiniflareOptions } from "miniflare";
import { publint } from "publint";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { npmCommand } from "./global-setup.ts";
import { run } from "./run.ts";
import { DEFAULT_CONSUMER_KEY, DEFAULT_CONSUMER_SECRET, type StandIn, startStandIn } from "../../tools/stand-in/server.ts";

const root = join(import.meta.dirname, "..", "..");
const consumer = join(root, "test", "consumer");
const installed = join(consumer, "node_modules", "hono-sign-in-with-twitter");
const scratch = mkdtempSync(join(tmpdir(), "package-test-"));
const require = createRequire(import.meta.url);
const bin = (name: string, path: string) => join(dirname(require.resolve(`${name}/package.json`)), path);

const tarball = inject("tarball");

/** npm itself: the one running `npm test` when there is one. */
function npm(args: string[], cwd: string): string {
  const [command, prefix] = npmCommand();
  return run(command, [...prefix, ...args], cwd);
}

beforeAll(() => {
  // What the consumer's package.json names: `"hono-sign-in-with-twitter": "file:hono-sign-in-with-twitter.tgz"`.
  copyFileSync(tarball, join(consumer, "hono-sign-in-with-twitter.tgz"));
  rmSync(installed, { recursive: true, force: true });
  npm(["install", "--no-package-lock", "--no-audit", "--no-fund", "--prefer-offline"], consumer);
}, 240_000);

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("the packed tarball", () => {
  it("holds only the build, the README, the changelog, the licences and package.json", () => {
    const paths = inject("tarballFiles");
    for (const path of paths) expect(path).toMatch(/^(dist\/[a-z0-9/-]+\.(js|d\.ts)|dist\/bin\/oauth-sign\.LICENSE\.txt|package\.json|README\.md|CHANGELOG\.md|LICENSE)$/);
    for (const entry of ["dist/twitter-auth.js", "dist/twitter-auth.d.ts", "dist/oauth1/index.js", "dist/oauth1/index.d.ts", "dist/bin/hono-sign-in-with-twitter.js", "README.md", "CHANGELOG.md", "LICENSE"]) {
      expect(paths).toContain(entry);
    }
    // The Worker's own files (its entry, its app and landing page) are not part of the package.
    for (const path of ["dist/index.js", "dist/app.js", "dist/pages/landing.js"]) expect(paths).not.toContain(path);
  });

  it("is clean for publint (strict, suggestions included)", async () => {
    const bytes = readFileSync(tarball);
    const { messages } = await publint({ pack: { tarball: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) }, strict: true, level: "suggestion" });
    expect(messages).toEqual([]);
  });

  it("is clean for @arethetypeswrong/cli in every ESM resolution (it is ESM only: no CommonJS or node10 entry)", () => {
    // attw exits non-zero on any problem its esm-only profile does not ignore.
    const report = JSON.parse(run(process.execPath, [bin("@arethetypeswrong/cli", "dist/index.js"), tarball, "--profile", "esm-only", "--format", "json"], root)) as {
      problems: Record<string, { kind: string; entrypoint: string; resolutionKind?: string }[]>;
    };
    const problems = Object.values(report.problems).flat();
    const esm = problems.filter((problem) => problem.resolutionKind !== "node10" && problem.resolutionKind !== "node16-cjs");
    expect(esm).toEqual([]);
    // What remains is only what ESM-only means: no require() and no node10 resolution.
    for (const problem of problems) expect(["NoResolution", "CJSResolvesToESM"]).toContain(problem.kind);
  });

  it("ships the stand-in as a bin that no library module imports", () => {
    const bin = (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { bin: Record<string, string> }).bin;
    expect(bin).toEqual({ "hono-sign-in-with-twitter": "dist/bin/hono-sign-in-with-twitter.js" });
    // Every module the two entry points can reach, followed import by import: none is under dist/bin.
    const reached = new Set<string>();
    const visit = (file: string) => {
      if (reached.has(file)) return;
      reached.add(file);
      const source = readFileSync(join(installed, file), "utf8");
      for (const match of source.matchAll(/\bfrom\s*"(\.[^"]+)"|\bimport\s*\(\s*"(\.[^"]+)"|^\s*import\s*"(\.[^"]+)"/gm)) {
        visit(join(dirname(file), match[1] ?? match[2] ?? match[3]!));
      }
    };
    visit("dist/twitter-auth.js");
    visit("dist/oauth1/index.js");
    expect(reached.size).toBeGreaterThan(20);
    expect([...reached].filter((file) => file.startsWith("dist/bin/"))).toEqual([]);
    // Plain JavaScript that Node.js runs as it is, starting with its #! line.
    expect(readFileSync(join(installed, bin["hono-sign-in-with-twitter"]!), "utf8")).toMatch(/^#!\/usr\/bin\/env node\n/);
  });

  it("exports exactly what docs/api.md promises as public API from the main entry point", () => {
    const declared = readFileSync(join(installed, "dist", "twitter-auth.d.ts"), "utf8");
    const exported = new Set<string>();
    for (const [, names] of declared.matchAll(/^export (?:type )?\{([^}]+)\}/gm)) for (const name of names!.split(",")) exported.add(name.trim());
    for (const [, name] of declared.matchAll(/^export declare (?:function|class|const) (\w+)/gm)) exported.add(name!);
    const api = readFileSync(join(root, "docs", "api.md"), "utf8");
    const promised = api.slice(api.indexOf("**The entry points and what they export**"), api.indexOf("- **The options**"));
    const named = new Set([...promised.slice(0, promised.indexOf("hono-sign-in-with-twitter/oauth1")).matchAll(/`(\w+)`/g)].map((match) => match[1]!));
    named.delete("HTTPException");
    named.delete("code");
    named.delete("AUTH_STORE");
    expect([...named].sort()).toEqual([...exported].sort());
  });

  it("gives ./oauth1 an import graph with nothing of Hono and nothing outside dist/oauth1", () => {
    const folder = join(installed, "dist", "oauth1");
    for (const file of readdirSync(folder).filter((name) => name.endsWith(".js"))) {
      const source = readFileSync(join(folder, file), "utf8");
      const specifiers = [...source.matchAll(/\bfrom\s*"([^"]+)"|\bimport\s*\(\s*"([^"]+)"|^\s*import\s*"([^"]+)"/gm)].map((m) => m[1] ?? m[2] ?? m[3]);
      for (const specifier of specifiers) expect(specifier, `${file} imports ${specifier}`).toMatch(/^\.\/[a-z0-9-]+\.js$/);
    }
  });
});

describe("a stranger's Worker that installs the tarball (test/consumer)", () => {
  it("installs the package from the tarball, with hono as a peer", () => {
    const manifest = JSON.parse(readFileSync(join(installed, "package.json"), "utf8")) as { version: string; peerDependencies: Record<string, string> };
    expect(manifest.version).toBe(JSON.parse(readFileSync(join(root, "package.json"), "utf8")).version);
    expect(manifest.peerDependencies.hono).toBeDefined();
    expect(readdirSync(installed).sort()).toEqual(["CHANGELOG.md", "LICENSE", "README.md", "dist", "package.json"]);
  });

  it("type-checks against the published .d.ts, not against src/", () => {
    const files = run(process.execPath, [bin("typescript", "bin/tsc"), "-p", join(consumer, "tsconfig.json"), "--listFilesOnly"], consumer).split("\n");
    expect(files.some((file) => file.endsWith("node_modules/hono-sign-in-with-twitter/dist/twitter-auth.d.ts"))).toBe(true);
    expect(files.some((file) => file.endsWith("node_modules/hono-sign-in-with-twitter/dist/oauth1/index.d.ts"))).toBe(true);
    expect(files.filter((file) => file.startsWith(join(root, "src")))).toEqual([]);
    // Every type comes from the consumer's own install (hono, workers-types), but TypeScript's own lib.
    const elsewhere = files.filter((file) => file.includes("/node_modules/") && !file.startsWith(join(consumer, "node_modules")) && !/\/node_modules\/(typescript|@typescript\/[^/]+)\/lib\/lib\.[^/]+\.d\.ts$/.test(file));
    expect(elsewhere).toEqual([]);
    run(process.execPath, [bin("typescript", "bin/tsc"), "-p", join(consumer, "tsconfig.json")], consumer);
  });

  it("fails the type-check when the published types are misused (the check is not vacuous)", () => {
    // The probe and a tsconfig of its own (the consumer's, for the probe alone) in a folder of their
    // own beside src/: never in src/, where another run's type-check of the consumer would see it.
    // (TypeScript's include skips dot files, so the folder has a plain name.)
    const folder = join(consumer, `probe-${process.pid}`);
    mkdirSync(folder, { recursive: true });
    writeFileSync(
      join(folder, "probe.ts"),
      `import { Hono } from "hono";\nimport { type TwitterAuthEnv } from "hono-sign-in-with-twitter";\n` +
        `new Hono<TwitterAuthEnv>().get("/", (c) => c.text(c.var.twitterUser.screenName));\n`,
    );
    writeFileSync(join(folder, "tsconfig.json"), JSON.stringify({ extends: "../tsconfig.json", include: ["probe.ts"] }));
    try {
      expect(() => run(process.execPath, [bin("typescript", "bin/tsc"), "-p", join(folder, "tsconfig.json")], consumer)).toThrow(/twitterUser.*possibly 'null'/);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  describe.each(["KV", "Durable Object"] as const)("built by wrangler as a deploy would, and run in workerd, with the %s store", (store) => {
    let standIn: StandIn;
    let miniflare: Miniflare;
    let bundle: string;

    beforeAll(async () => {
      const outdir = join(scratch, `consumer-bundle-${store === "KV" ? "kv" : "object"}`);
      run(process.execPath, [bin("wrangler", "bin/wrangler.js"), "deploy", "--dry-run", "--outdir", outdir], consumer);
      bundle = readFileSync(join(outdir, "index.js"), "utf8");
      standIn = await startStandIn();
      const allowed = standIn.origin;
      miniflare = new Miniflare(
        convertV4MiniflareOptions({
          modules: true,
          script: bundle,
          compatibilityDate: "2026-11-01",
          cf: false,
          telemetry: { enabled: false },
          // The stranger's Worker exports the package's AuthStore: bound as AUTH_STORE, it keeps the sessions (no KV bound then).
          ...(store === "KV" ? { kvNamespaces: ["AUTH_KV"] } : { durableObjects: { AUTH_STORE: { className: "AuthStore", useSQLite: true } } }),
          bindings: {
            TWITTER_CLIENT_ID: DEFAULT_CONSUMER_KEY,
            TWITTER_CLIENT_SECRET: DEFAULT_CONSUMER_SECRET,
            SESSION_SECRET: "consumer-session-secret-0123456789abcdef",
            TWITTER_REQUEST_TOKEN_URL: standIn.urls.requestToken,
            TWITTER_AUTHORIZE_URL: standIn.urls.authenticate,
            TWITTER_ACCESS_TOKEN_URL: standIn.urls.accessToken,
            TWITTER_API_BASE_URL: standIn.urls.apiBase,
          },
          // Only the stand-in may be reached.
          async outboundService(request: Request) {
            if (new URL(request.url).origin !== allowed) throw new Error(`unexpected outbound request to ${request.url}`);
            const body = request.method === "GET" || request.method === "HEAD" ? undefined : await request.arrayBuffer();
            return fetch(request.url, { method: request.method, headers: request.headers, body, redirect: "manual" });
          },
        }),
      );
    }, 120_000);

    afterAll(async () => {
      await miniflare?.dispose();
      await standIn?.close();
    });

    const site = "http://localhost:8787";
    const get = async (path: string, headers: Record<string, string> = {}) => {
      const response = await miniflare.dispatchFetch(`${site}${path}`, { headers, redirect: "manual" });
      return { status: response.status, headers: response.headers, text: await response.text() };
    };

    it("bundles the package from node_modules", () => {
      expect(bundle).toContain("node_modules/hono-sign-in-with-twitter/dist/twitter-auth.js");
      expect(bundle).not.toContain("src/twitter-auth.ts");
    });

    it("signs in under /auth/twitter, reads the session in its own routes, calls X as the user, and signs out", async () => {
      expect((await get("/account/profile")).headers.get("Location")).toBe("/auth/twitter/login?next=/account/profile");

      const login = await get("/auth/twitter/login?next=/account/profile");
      expect(login.status).toBe(302);
      const authorize = new URL(login.headers.get("Location")!);
      expect(authorize.origin + authorize.pathname).toBe(standIn.urls.authenticate);
      const requestCookie = login.headers.get("Set-Cookie")!.split(";")[0]!;

      // The user on the stand-in's consent page.
      const consent = await fetch(`${standIn.origin}/oauth/authorize`, {
        method: "POST",
        body: new URLSearchParams({ oauth_token: authorize.searchParams.get("oauth_token")!, screen_name: "stranger", action: "allow" }),
        redirect: "manual",
      });
      const back = new URL(consent.headers.get("Location")!);
      expect(back.origin + back.pathname).toBe(`${site}/auth/twitter/auth`);

      const auth = await get(back.pathname + back.search, { Cookie: requestCookie });
      expect(auth.status).toBe(303);
      expect(auth.headers.get("Location")).toBe("/account/profile");
      const session = auth.headers.getSetCookie().find((cookie) => cookie.startsWith("twitter_session="))!.split(";")[0]!;

      expect(await get("/account/profile", { Cookie: session })).toMatchObject({ status: 200, text: "Hello @stranger" });
      expect(JSON.parse((await get("/account/twitter", { Cookie: session })).text)).toEqual({ status: 200, screenName: "stranger" });
      expect(JSON.parse((await get("/auth/twitter/me", { Cookie: session })).text)).toMatchObject({ screenName: "stranger" });
      // The devices list, from whichever store is bound.
      expect(JSON.parse((await get("/auth/twitter/sessions", { Cookie: session })).text)).toEqual({ sessions: [expect.objectContaining({ current: true })] });
      expect((await get("/encode/a%20b!")).text).toBe("a%20b%21");

      const out = await miniflare.dispatchFetch(`${site}/auth/twitter/logout`, { method: "POST", headers: { Cookie: session, Origin: site }, redirect: "manual" });
      expect(out.status).toBe(303);
      expect(out.headers.get("Location")).toBe("/goodbye");
      expect((await get("/account/profile", { Cookie: session })).status).toBe(302);
      expect((await get("/auth/twitter/me", { Cookie: session })).status).toBe(401);
    });

    it("answers the sign-in's errors in its own format inside the stranger's app", async () => {
      const missing = await get("/auth/twitter/auth?oauth_token=a&oauth_verifier=b");
      expect(missing.status).toBe(400);
      expect(JSON.parse(missing.text)).toEqual({
        error: "missing_cookie",
        error_description: "The sign-in cookie is missing. Start again from /auth/twitter/login, with cookies enabled.",
      });
    });
  });
});

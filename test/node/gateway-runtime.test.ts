// Gateway mode through workerd itself: raw HTTP/1.1 bytes, parsed by the runtime as Cloudflare's would, then what the Worker does with them and what the origin receives.
import { join } from "node:path";
import { Miniflare, convertV4MiniflareOptions } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../tools/dev/dev-server.ts";
import { bundleWorker } from "../bench/harness.ts";
import type { Echo } from "../worker/support/echo.ts";
import { TEST_SESSION_SECRET } from "../worker/support/settings.ts";
import { type RawResponse, raw } from "./raw-http.ts";
import { type TestOrigin, startTestOrigin } from "./test-origin.ts";

/** A Worker that answers with the request as it received it: what workerd hands any Worker. */
const MIRROR = `export default { async fetch(request) {
  return Response.json({ url: request.url, headers: [...request.headers], hasBody: request.body !== null, body: request.body ? await request.text() : null });
} }`;

interface Mirrored {
  url: string;
  headers: [string, string][];
  hasBody: boolean;
  body: string | null;
}


let origin: TestOrigin;
let gateway: Miniflare;
let mirror: Miniflare;
let gatewayPort = 0;
let mirrorPort = 0;
/** What the gateway Worker logged. */
const logs: string[] = [];

beforeAll(async () => {
  origin = await startTestOrigin();
  const { script, compatibilityDate } = await bundleWorker(join(PROJECT_ROOT, "src", "index.ts"));
  const common = { modules: true, compatibilityDate, cf: false, telemetry: { enabled: false } } as const;
  gateway = new Miniflare(
    convertV4MiniflareOptions({
      ...common,
      script,
      kvNamespaces: ["AUTH_KV"],
      bindings: { PROTECT_ORIGIN: origin.origin, PUBLIC_PATHS: "/assets/", SESSION_SECRET: TEST_SESSION_SECRET, TWITTER_CLIENT_ID: "client-id", TWITTER_CLIENT_SECRET: "client-secret" },
      handleStructuredLogs: (log) => logs.push(log.message),
    }),
  );
  mirror = new Miniflare(convertV4MiniflareOptions({ ...common, script: MIRROR }));
  gatewayPort = Number((await gateway.ready).port);
  mirrorPort = Number((await mirror.ready).port);
}, 60_000);

afterAll(async () => {
  await Promise.all([gateway?.dispose(), mirror?.dispose(), origin?.close()]);
});

/** A GET of `path` with these extra header lines. */
function get(port: number, path: string, ...headerLines: string[]): Promise<RawResponse> {
  return raw(port, [`GET ${path} HTTP/1.1`, `Host: localhost:${port}`, ...headerLines]);
}

async function mirrored(path: string, ...headerLines: string[]): Promise<Mirrored> {
  const response = await get(mirrorPort, path, ...headerLines);
  expect(response.status, response.body).toBe(200);
  return JSON.parse(response.body) as Mirrored;
}

/** What the test origin received through the gateway. */
async function echoed(response: RawResponse): Promise<Echo> {
  expect(response.status, response.body).toBe(200);
  return JSON.parse(response.body) as Echo;
}

const NOT_SIGNED_IN = { error: "not_signed_in", error_description: "Nobody is signed in. Sign in at /_auth/login." };

describe("what workerd hands a Worker", () => {
  it("resolves dot segments (%2e ones too) and a backslash, and leaves every other escape as it was sent", async () => {
    const seen = {
      "/assets/%2e%2e/private": "/private",
      "/assets/.%2E/private": "/private",
      "/assets/..\\private": "/private",
      "/assets/..%3b/private": "/assets/..%3b/private",
      "/assets/%u002e%u002e/private": "/assets/%u002e%u002e/private",
      "/assets/.%00./private": "/assets/.%00./private",
      "/assets/%c0%ae%c0%ae/private": "/assets/%c0%ae%c0%ae/private",
      "/assets/%ef%bc%8e%ef%bc%8e/private": "/assets/%ef%bc%8e%ef%bc%8e/private",
      "/assets/%252e%252e/private": "/assets/%252e%252e/private",
      "/assets/..%2fprivate": "/assets/..%2fprivate",
    };
    for (const [sent, path] of Object.entries(seen)) expect(new URL((await mirrored(sent)).url).pathname, sent).toBe(path);
  });

  it("passes Connection and the headers it names on to the Worker: the Worker itself must drop them", async () => {
    const { headers } = await mirrored("/", "Connection: close, X-Foo", "X-Foo: 1", "Keep-Alive: timeout=5", "TE: trailers");
    expect(headers).toEqual(expect.arrayContaining([["connection", "close, X-Foo"], ["x-foo", "1"], ["keep-alive", "timeout=5"], ["te", "trailers"]]));
  });

  it("joins two Cookie headers into one with ', '", async () => {
    const { headers } = await mirrored("/", "Cookie: a=1; b=2", "Cookie: c=3");
    expect(headers).toContainEqual(["cookie", "a=1; b=2, c=3"]);
  });

  it("passes header names with _ and . as they were sent", async () => {
    const { headers } = await mirrored("/", "X_Twitter_User_Id: 1", "X.Twitter.Screen.Name: alice");
    expect(headers).toEqual(expect.arrayContaining([["x_twitter_user_id", "1"], ["x.twitter.screen.name", "alice"]]));
  });

  it("gives a GET a body when it has one, even an empty one (Content-Length: 0)", async () => {
    expect(JSON.parse((await raw(mirrorPort, ["GET /x HTTP/1.1", `Host: localhost:${mirrorPort}`, "Content-Length: 5"], "hello")).body)).toMatchObject({ hasBody: true, body: "hello" });
    expect(JSON.parse((await raw(mirrorPort, ["GET /x HTTP/1.1", `Host: localhost:${mirrorPort}`, "Content-Length: 0"])).body)).toMatchObject({ hasBody: true, body: "" });
  });
});

describe("what the gateway makes of it (PUBLIC_PATHS=/assets/, signed out)", () => {
  it("counts a path as public only when each escape in it stands for a letter, a digit, -, _ or ~", async () => {
    const refused = [
      "/assets/..%3b/private",
      "/assets/..%3B/private",
      "/assets/%u002e%u002e/private",
      "/assets/.%00./private",
      "/assets/%c0%ae%c0%ae/private",
      "/assets/%ef%bc%8e%ef%bc%8e/private",
      "/assets/%252e%252e/private",
      "/assets/..%2fprivate",
      "/assets/..%5cprivate",
      "/assets/..%20/private",
      "/assets/..%2e/private",
      "/assets/%2e%2e/private",
      "/assets/..;/private",
      "/assets/a%",
      "/assets/caf%C3%A9.png",
    ];
    for (const path of refused) {
      const response = await get(gatewayPort, path);
      expect(response.status, path).toBe(401);
      expect(JSON.parse(response.body), path).toEqual(NOT_SIGNED_IN);
    }
    for (const path of ["/assets/app.css", "/assets/%7Euser/a-b_c.d.css", "/assets/%41pp.css?v=1%202"]) expect((await echoed(await get(gatewayPort, path))).url, path).toBe(path);
  });

  it("splits the Cookie header at ';' only, drops the sign-in's cookies, and makes no cookie of a value", async () => {
    const site = await echoed(await get(gatewayPort, "/assets/a", 'Cookie: note=x,admin=1; prefs="a,b"; twitter_session=abc; __Host-twitter_login%2F_auth=def'));
    expect(site.headers.cookie).toBe('note=x,admin=1; prefs="a,b"');
    // Two Cookie headers, joined by the runtime with ", ": the part from the sign-in's cookie on is dropped.
    const joined = await echoed(await get(gatewayPort, "/assets/a", "Cookie: theme=dark", "Cookie: __Host-twitter_session=abc; lang=en"));
    expect(joined.headers.cookie).toBe("theme=dark; lang=en");
    // The sign-in's cookie whose value holds ", admin=1": nothing of it reaches the origin, no admin=1 either.
    const value = await get(gatewayPort, "/assets/a", "Cookie: twitter_session=abc, admin=1");
    expect((await echoed(value)).headers.cookie).toBeUndefined();
  });

  it("drops Connection, the headers it names and the other hop-by-hop headers", async () => {
    const seen = await echoed(await get(gatewayPort, "/assets/a", "Connection: close, X-Foo", "X-Foo: 1", "Keep-Alive: timeout=5", "TE: trailers", "Upgrade: h2c", "X-Bar: kept"));
    const names = seen.rawHeaders.filter((_, i) => i % 2 === 0).map((name) => name.toLowerCase());
    for (const name of ["x-foo", "keep-alive", "te", "upgrade"]) expect(names).not.toContain(name);
    expect(seen.headers["x-bar"]).toBe("kept");
  });

  it("answers a GET or HEAD that carries a body 400 invalid_request, never 502, and logs no origin_error", async () => {
    logs.length = 0;
    const body = { error: "invalid_request", error_description: "A GET or HEAD request cannot carry a body here. Send it without one." };
    const withBody = await raw(gatewayPort, ["GET /assets/a HTTP/1.1", `Host: localhost:${gatewayPort}`, "Content-Length: 5"], "hello");
    expect(withBody.status).toBe(400);
    expect(JSON.parse(withBody.body)).toEqual(body);
    const chunked = await raw(gatewayPort, ["GET /assets/a HTTP/1.1", `Host: localhost:${gatewayPort}`, "Transfer-Encoding: chunked"], "5\r\nhello\r\n0\r\n\r\n");
    expect(chunked.status).toBe(400);
    expect(JSON.parse(chunked.body)).toEqual(body);
    const head = await raw(gatewayPort, ["HEAD /assets/a HTTP/1.1", `Host: localhost:${gatewayPort}`, "Content-Length: 5"], "hello");
    expect(head.status).toBe(400);
    // An empty body is no body: forwarded, without it.
    const empty = await echoed(await raw(gatewayPort, ["GET /assets/a HTTP/1.1", `Host: localhost:${gatewayPort}`, "Content-Length: 0"]));
    expect(empty).toMatchObject({ method: "GET", bodyBytes: 0 });
    // A POST's body still goes through.
    const post = await echoed(await raw(gatewayPort, ["POST /assets/a HTTP/1.1", `Host: localhost:${gatewayPort}`, "Content-Length: 5"], "hello"));
    expect(post).toMatchObject({ method: "POST", body: "hello" });
    expect(logs.join("\n")).not.toContain("origin_error");
  });
});

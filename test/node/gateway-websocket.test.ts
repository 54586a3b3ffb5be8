// WebSockets through the gateway, in workerd (Miniflare, the Worker as deployed): a real echo origin on 127.0.0.1, a sign-in against the stand-in, a `ws` client.
import { join } from "node:path";
import { Miniflare, convertV4MiniflareOptions } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { PROJECT_ROOT, standInVars } from "../../tools/dev/dev-server.ts";
import { type StandIn, startStandIn } from "../../tools/stand-in/server.ts";
import { bundleWorker } from "../bench/harness.ts";
import { TEST_SESSION_SECRET } from "../worker/support/settings.ts";
import { type TestOrigin, startTestOrigin } from "./test-origin.ts";

let origin: TestOrigin;
let standIn: StandIn;
let gateway: Miniflare;
/** The gateway, e.g. http://127.0.0.1:PORT. */
let site = "";
let session = "";

/** The handshake as the origin received it (its first message). */
interface Handshake {
  url: string;
  headers: Record<string, string | string[] | undefined>;
}

/** What opening a WebSocket to the gateway gave: the socket open (the handshake the origin saw), or the refusal. */
type Opened = { open: true; socket: WebSocket; handshake: Handshake } | { open: false; status: number; body: string };

function open(path: string, headers: Record<string, string> = {}): Promise<Opened> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${site.replace("http:", "ws:")}${path}`, { headers, handshakeTimeout: 15_000 });
    socket.once("message", (data) => resolve({ open: true, socket, handshake: JSON.parse(String(data)) as Handshake }));
    socket.once("unexpected-response", (_request, response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => (body += chunk));
      response.once("end", () => resolve({ open: false, status: response.statusCode ?? 0, body }));
    });
    socket.once("error", reject);
  });
}

/** Sends `text` and waits for the echo. */
function roundTrip(socket: WebSocket, text: string): Promise<string> {
  return new Promise((resolve) => {
    socket.once("message", (data) => resolve(String(data)));
    socket.send(text);
  });
}

/** A sign-in through the gateway's /_auth routes against the stand-in: the session cookie. */
async function signIn(screenName: string): Promise<string> {
  const login = await fetch(`${site}/_auth/login`, { redirect: "manual" });
  expect(login.status).toBe(302);
  const oauthToken = new URL(login.headers.get("Location")!).searchParams.get("oauth_token")!;
  const consent = await fetch(`${standIn.origin}/oauth/authorize`, { method: "POST", body: new URLSearchParams({ oauth_token: oauthToken, screen_name: screenName, action: "allow" }), redirect: "manual" });
  const back = consent.headers.get("Location")!;
  const auth = await fetch(back, { redirect: "manual", headers: { Cookie: login.headers.getSetCookie()[0]!.split(";")[0]! } });
  expect(auth.status).toBe(200);
  return auth.headers.getSetCookie().find((cookie) => cookie.startsWith("twitter_session="))!.split(";")[0]!;
}

beforeAll(async () => {
  [origin, standIn] = await Promise.all([startTestOrigin(), startStandIn()]);
  const { script, compatibilityDate } = await bundleWorker(join(PROJECT_ROOT, "src", "index.ts"));
  gateway = new Miniflare(
    convertV4MiniflareOptions({
      modules: true,
      compatibilityDate,
      cf: false,
      telemetry: { enabled: false },
      script,
      kvNamespaces: ["AUTH_KV"],
      bindings: {
        PROTECT_ORIGIN: origin.origin,
        PUBLIC_PATHS: "/assets/",
        ALLOWED_SCREEN_NAMES: "ws_alice,ws_other",
        GATEWAY_WEBSOCKET_ORIGINS: "https://app.example.com",
        SESSION_SECRET: TEST_SESSION_SECRET,
        ...standInVars(standIn),
      },
    }),
  );
  site = `http://127.0.0.1:${(await gateway.ready).port}`;
  session = await signIn("ws_alice");
}, 60_000);

afterAll(async () => {
  await Promise.all([gateway?.dispose(), origin?.close(), standIn?.close()]);
});

describe("a signed-in, admitted user's WebSocket", () => {
  it("reaches the origin with the identity headers on the handshake, without the sign-in's cookie, and echoes both ways", async () => {
    const opened = await open("/live/ws?room=1", { Cookie: `${session}; theme=dark`, Origin: site, "X-Twitter-User-Id": "1", "Remote-User": "admin" });
    expect(opened.open).toBe(true);
    if (!opened.open) return;
    const { url, headers } = opened.handshake;
    expect(url).toBe("/live/ws?room=1");
    expect(headers["x-twitter-screen-name"]).toBe("ws_alice");
    expect(headers["x-twitter-user-id"]).toMatch(/^\d{19}$/);
    expect(headers.cookie).toBe("theme=dark");
    expect(headers["remote-user"]).toBeUndefined();
    expect(headers.upgrade).toBe("websocket");
    expect(await roundTrip(opened.socket, "hello")).toBe("echo:hello");
    expect(await roundTrip(opened.socket, "é and ✓")).toBe("echo:é and ✓");
    opened.socket.close();
  });

  it("opens from an origin listed in GATEWAY_WEBSOCKET_ORIGINS, and from a client that sends no Origin (not a browser)", async () => {
    for (const headers of [{ Origin: "https://app.example.com" }, {}] as Record<string, string>[]) {
      const opened = await open("/ws", { Cookie: session, ...headers });
      expect(opened.open, JSON.stringify(headers)).toBe(true);
      if (opened.open) {
        expect(opened.handshake.headers["x-twitter-screen-name"]).toBe("ws_alice");
        opened.socket.close();
      }
    }
  });

  it("gets the origin's 101 without a Set-Cookie for the sign-in's cookie (its own kept), and the socket still works", async () => {
    const upgraded = new Promise<string[]>((resolve) => {
      const socket = new WebSocket(`${site.replace("http:", "ws:")}/ws?cookies=1`, { headers: { Cookie: session, Origin: site } });
      socket.once("upgrade", (response) => {
        const cookies = response.headers["set-cookie"] ?? [];
        socket.once("message", () => socket.send("still open"));
        socket.on("message", (data) => {
          if (String(data) === "echo:still open") {
            socket.close();
            resolve(cookies);
          }
        });
      });
    });
    expect(await upgraded).toEqual(["site_ws=1; Path=/"]);
  });

  it("gets the origin's own refusal when the origin does not take the upgrade", async () => {
    const refused = await open("/not-a-socket", { Cookie: session, Origin: site });
    expect(refused).toEqual({ open: false, status: 403, body: "no WebSocket here 403" });
  });
});

describe("a WebSocket that is refused before the origin is asked", () => {
  it("signed out: 401 not_signed_in, never a redirect", async () => {
    for (const headers of [{}, { Accept: "text/html" }, { Cookie: "twitter_session=forged" }] as Record<string, string>[]) {
      const refused = await open("/ws", { Origin: site, ...headers });
      expect(refused, JSON.stringify(headers)).toMatchObject({ open: false, status: 401 });
      if (!refused.open) expect(JSON.parse(refused.body)).toEqual({ error: "not_signed_in", error_description: "Nobody is signed in. Sign in at /_auth/login." });
    }
  });

  it("signed in but not admitted: 403 not_allowed in JSON", async () => {
    const outsider = await signIn("ws_outsider");
    const refused = await open("/ws", { Cookie: outsider, Origin: site, Accept: "text/html" });
    expect(refused).toMatchObject({ open: false, status: 403 });
    if (!refused.open) expect(JSON.parse(refused.body)).toEqual({ error: "not_allowed", error_description: "Signed in as @ws_outsider, who may not enter this site. Sign out with POST /_auth/logout." });
  });

  it("from another site's page (cross-site WebSocket hijacking), or Origin: null: 403, signed in or on a public path", async () => {
    const body = { error: "websocket_origin_not_allowed", error_description: "This site accepts WebSockets from its own pages only. Its operator can allow another site's in GATEWAY_WEBSOCKET_ORIGINS." };
    for (const [path, headers] of [
      ["/ws", { Cookie: session, Origin: "https://evil.example" }],
      ["/ws", { Cookie: session, Origin: "null" }],
      ["/ws", { Cookie: session, Origin: site.replace("127.0.0.1", "localhost") }],
      ["/assets/ws", { Origin: "https://evil.example" }],
    ] as const) {
      const refused = await open(path, headers);
      expect(refused, `${path} ${headers.Origin}`).toMatchObject({ open: false, status: 403 });
      if (!refused.open) expect(JSON.parse(refused.body)).toEqual(body);
    }
  });
});

describe("a WebSocket on a public path", () => {
  it("opens signed out, with no identity headers", async () => {
    const opened = await open("/assets/ws", { Origin: site });
    expect(opened.open).toBe(true);
    if (!opened.open) return;
    expect(opened.handshake.headers["x-twitter-user-id"]).toBeUndefined();
    expect(await roundTrip(opened.socket, "public")).toBe("echo:public");
    opened.socket.close();
  });
});

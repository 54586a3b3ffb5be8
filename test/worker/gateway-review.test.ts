// Gateway mode, the security review's findings: what reaches the origin, and what comes back from it.
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, inject, it, vi } from "vitest";
import worker from "../../src/index";
import { SITE, answer, echoed, gateway, send, sessionCookie } from "./support/gateway";
import { clearFaults, completeSignIn, faultyEnv, setFault } from "./support/faulty";

afterEach(async () => {
  vi.restoreAllMocks();
  await clearFaults();
});

describe("what the origin receives", () => {
  it("gets no proxy or hop-by-hop header the client made up, and the Worker's own X-Forwarded-* instead", async () => {
    const cookie = await sessionCookie("gw_review_fwd");
    for (const path of ["/echo", "/assets/echo"]) {
      const seen = await echoed(
        await send(gateway(), path, {
          Cookie: cookie,
          "CF-Connecting-IP": "198.51.100.7",
          "X-Forwarded-Host": "evil.example",
          "X-Forwarded-For": "203.0.113.66",
          "X-Forwarded-Proto": "gopher",
          Forwarded: "for=203.0.113.66;host=evil.example",
          "X-Real-IP": "203.0.113.66",
          "True-Client-IP": "203.0.113.66",
          Connection: "keep-alive, X-Origin-Secret",
          "X-Origin-Secret": "dropped by Connection",
          "Proxy-Authorization": "Basic Zm9vOmJhcg==",
          // (Upgrade: websocket is a WebSocket handshake, passed on: test/node/gateway-websocket.test.ts.)
          Upgrade: "h2c",
        }),
      );
      const raw = seen.rawHeaders.join("\n").toLowerCase();
      for (const made of ["evil.example", "203.0.113.66", "gopher", "x-origin-secret", "proxy-authorization", "upgrade", "forwarded:"]) expect(raw, path).not.toContain(made);
      expect(seen.headers["x-forwarded-host"]).toBe("localhost:8787");
      expect(seen.headers["x-forwarded-proto"]).toBe("http");
      expect(seen.headers["x-forwarded-for"]).toBe("198.51.100.7");
      expect(seen.headers["x-real-ip"]).toBe("198.51.100.7");
    }
  });

  it("strips the sign-in's cookies by their exact names only, also from Cookie headers joined with commas", async () => {
    const cookie = await sessionCookie("gw_review_ck");
    const seen = await echoed(await send(gateway(), "/echo", [["Cookie", `${cookie}; twitter_login_hint=keep`], ["Cookie", `theme=dark; twitter_login%2F_auth=x`]]));
    // The two headers as the runtime joined them (", "), less ours: split at ";" only (issue 19).
    expect(seen.headers.cookie).toBe("twitter_login_hint=keep, theme=dark");
    expect(seen.headers["x-twitter-screen-name"]).toBe("gw_review_ck");
  });

  it("forwards a display name that is not well-formed UTF-16 (a lone surrogate from X) instead of failing with a 500", async () => {
    await setFault("verify_credentials", {
      kind: "garbage",
      times: 1,
      body: '{"id":1000000000000000001,"id_str":"1000000000000000001","screen_name":"gw_surrogate","name":"A\\ud800B","profile_image_url_https":null}',
    });
    const signedIn = await completeSignIn("gw_surrogate");
    expect(signedIn.status).toBe(200);
    const cookie = signedIn.headers.getSetCookie().find((value) => value.startsWith("twitter_session="))!.split(";")[0]!;
    const seen = await echoed(await send(gateway({}, faultyEnv()), "/echo", { Cookie: cookie }));
    expect(seen.headers["x-twitter-name"]).toBe("A%EF%BF%BDB");
  });

  it("does not count double-encoded or overlong dots as a public path", async () => {
    for (const path of ["/assets/%252e%252e/secret", "/assets/%c0%ae%c0%ae/secret", "/assets/%C1%9C/secret"]) {
      const response = await send(gateway(), path);
      expect(response.status, path).toBe(401);
      expect(await response.json()).toEqual({ error: "not_signed_in", error_description: "Nobody is signed in. Sign in at /_auth/login." });
    }
    // Only escapes of letters, digits, - _ ~ keep a path public (issue 19): an escaped space is refused too.
    expect((await send(gateway(), "/assets/%7Eplain-name.css")).status).toBe(200);
    expect((await send(gateway(), "/assets/plain%20name.css")).status).toBe(401);
  });

  it("admits an allowed user id written with leading zeros", async () => {
    const cookie = await sessionCookie("gw_review_zero");
    const me = (await (await worker.request(`${SITE}/me`, { headers: { Cookie: cookie } }, env)).json()) as { id: string };
    const seen = await echoed(await send(gateway({ ALLOWED_USER_IDS: `000${me.id}` }), "/echo", { Cookie: cookie }));
    expect(seen.headers["x-twitter-user-id"]).toBe(me.id);
  });
});

describe("what comes back from the origin", () => {
  it("never lets the origin set or clear the sign-in's cookies; the origin's own cookies pass", async () => {
    const cookie = await sessionCookie("gw_review_sc");
    const response = await send(
      gateway(),
      answer(200, "Set-Cookie:twitter_session=attacker; Path=/", "Set-Cookie:__Host-twitter_session=; Max-Age=0; Path=/; Secure", "Set-Cookie:twitter_login%2F_auth=x", "Set-Cookie:origin_pref=dark; Path=/"),
      { Cookie: cookie },
    );
    expect(response.status).toBe(200);
    expect(response.headers.getSetCookie()).toEqual(["origin_pref=dark; Path=/"]);
  });

  it("rewrites a redirect to PROTECT_ORIGIN itself into the site's public address, and leaves others alone", async () => {
    const cookie = await sessionCookie("gw_review_loc");
    const internal = await send(gateway(), answer(302, `Location:${inject("testOrigin")}/internal?x=1#top`), { Cookie: cookie });
    expect(internal.status).toBe(302);
    expect(internal.headers.get("Location")).toBe(`${SITE}/internal?x=1#top`);
    const publicOrigin = await send(gateway({ PUBLIC_ORIGIN: SITE }), answer(301, `Location:${inject("testOrigin")}/moved`), { Cookie: cookie });
    expect(publicOrigin.headers.get("Location")).toBe(`${SITE}/moved`);
    const elsewhere = await send(gateway(), answer(302, "Location:https://partner.example/x"), { Cookie: cookie });
    expect(elsewhere.headers.get("Location")).toBe("https://partner.example/x");
    const relative = await send(gateway(), answer(302, "Location:/relative"), { Cookie: cookie });
    expect(relative.headers.get("Location")).toBe("/relative");
  });

  it("makes a signed-in page private even when the origin qualifies private with a field name", async () => {
    const cookie = await sessionCookie("gw_review_cc");
    const response = await send(gateway(), answer(200, 'Cache-Control:max-age=600, private="Set-Cookie"'), { Cookie: cookie });
    expect(response.headers.get("Cache-Control")).toBe('private, max-age=600, private="Set-Cookie"');
    const stored = await send(gateway(), answer(200, "Cache-Control:no-store"), { Cookie: cookie });
    expect(stored.headers.get("Cache-Control")).toBe("no-store");
  });
});

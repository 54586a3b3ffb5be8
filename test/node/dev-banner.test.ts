// What npm run dev prints (tools/dev/banner.ts): the callback URL to register and what to open, in gateway mode set from .dev.vars too.
import { describe, expect, it } from "vitest";
import { readyLines, signInPrefix, startLines } from "../../tools/dev/banner.ts";

const browserUrl = "http://localhost:8787";
const text = (lines: string[]) => lines.join("\n");

describe("npm run dev's banner", () => {
  it("outside gateway mode: register /auth, open / and click Sign in with Twitter", () => {
    const facts = { browserUrl, standIn: true, devVars: {}, demoOrigin: false };
    // X takes 127.0.0.1 in a local callback, not localhost: the banner says so, and how to serve it.
    expect(text(startLines(facts))).toContain("register http://127.0.0.1:8787/auth as the");
    expect(text(startLines(facts))).toContain("and run npm run dev -- --ip 127.0.0.1.");
    expect(text(startLines({ ...facts, browserUrl: "http://127.0.0.1:8788" }))).toContain("register http://127.0.0.1:8788/auth as the");
    expect(text(startLines({ ...facts, browserUrl: "http://127.0.0.1:8788" }))).toContain("and run npm run dev.");
    expect(text(readyLines(facts))).toContain(`Open ${browserUrl}/ and click "Sign in with Twitter"`);
  });

  it("with PROTECT_ORIGIN in .dev.vars: register /_auth/auth and open the protected site, not the landing page", () => {
    const facts = { browserUrl, standIn: true, devVars: { PROTECT_ORIGIN: "http://localhost:3000" }, demoOrigin: false };
    expect(text(startLines(facts))).toContain("register http://127.0.0.1:8787/_auth/auth as the");
    const ready = text(readyLines(facts));
    expect(ready).toContain("Gateway mode: protecting http://localhost:3000 (PROTECT_ORIGIN in .dev.vars); the sign-in routes are under /_auth");
    expect(ready).toContain(`Open ${browserUrl}/ : sign in, and land on your site's page`);
    expect(ready).not.toContain("click");
  });

  it("follows SIGN_IN_PREFIX from .dev.vars, in gateway mode and outside it", () => {
    expect(signInPrefix({ devVars: { PROTECT_ORIGIN: "http://localhost:3000", SIGN_IN_PREFIX: "/account/" }, demoOrigin: false })).toBe("/account");
    expect(signInPrefix({ devVars: { PROTECT_ORIGIN: "http://localhost:3000", SIGN_IN_PREFIX: "/" }, demoOrigin: false })).toBe("");
    expect(signInPrefix({ devVars: { SIGN_IN_PREFIX: "/account" }, demoOrigin: false })).toBe("/account");
    expect(signInPrefix({ devVars: {}, demoOrigin: true })).toBe("/_auth");
    const facts = { browserUrl, standIn: true, devVars: { SIGN_IN_PREFIX: "/account" }, demoOrigin: false };
    expect(text(startLines(facts))).toContain("register http://127.0.0.1:8787/account/auth as the");
    // The landing page stays at / outside gateway mode.
    expect(text(readyLines(facts))).toContain(`Open ${browserUrl}/ and click "Sign in with Twitter"`);
  });

  it("with the app's own credentials: names the callback URL its X app must list", () => {
    const facts = { browserUrl, standIn: false, devVars: { PROTECT_ORIGIN: "http://localhost:3000" }, demoOrigin: false };
    expect(text(startLines(facts))).toContain("Signing in with the X app in .dev.vars: its callback URLs must include http://127.0.0.1:8787/_auth/auth");
    expect(text(startLines(facts))).toContain("(X takes 127.0.0.1, not localhost: run npm run dev -- --ip 127.0.0.1 and open http://127.0.0.1:8787/)");
    expect(text(startLines(facts))).not.toContain("STAND-IN");
  });

  it("--demo-origin: names the demo origin", () => {
    const facts = { browserUrl, standIn: true, devVars: {}, demoOrigin: true };
    expect(text(readyLines(facts, "http://127.0.0.1:41234"))).toContain("Gateway mode: protecting the demo origin http://127.0.0.1:41234; the sign-in routes are under /_auth");
  });
});

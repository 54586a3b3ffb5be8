// Gateway mode in the workerd tests: the Worker's env protecting the test origin (test/node/test-origin.ts), requests to it, a signed-in session and the origin's echo.
import { env } from "cloudflare:workers";
import { expect, inject } from "vitest";
import worker from "../../../src/index";
import type { GatewayEnv } from "../../../src/env";
import { callback, decide, nextClientIp, startLogin } from "./browser";
import type { Echo } from "./echo";

/** Where the tests open the site. */
export const SITE = "http://localhost:8787";

/** The Worker's env in gateway mode, protecting the test origin, with /assets/ public. */
export function gateway(settings: Partial<GatewayEnv> = {}, base: Cloudflare.Env = env): Cloudflare.Env {
  return { ...base, PROTECT_ORIGIN: inject("testOrigin"), PUBLIC_PATHS: "/assets/", ...settings } as Cloudflare.Env;
}

/** A request to the Worker at SITE + path (a fresh client address unless the headers give one), redirects not followed. */
export function send(bindings: Cloudflare.Env, path: string, headers: HeadersInit = {}, init: RequestInit = {}): Promise<Response> {
  const all = new Headers(headers);
  if (!all.has("CF-Connecting-IP")) all.set("CF-Connecting-IP", nextClientIp());
  return Promise.resolve(worker.request(`${SITE}${path}`, { ...init, headers: all, redirect: "manual" }, bindings));
}

/** A session cookie from a sign-in at the root (the session is the site's, wherever the sign-in routes live). */
export async function sessionCookie(screenName: string): Promise<string> {
  const start = await startLogin();
  const response = await callback(await decide(start.oauthToken, screenName), start.cookie);
  return response.headers.getSetCookie().find((cookie) => cookie.startsWith("twitter_session="))!.split(";")[0]!;
}

/** What the origin received, from its echo (the answer must be 200). */
export async function echoed(response: Response): Promise<Echo> {
  expect(response.status).toBe(200);
  return (await response.json()) as Echo;
}

/** `/answer` on the test origin: it answers with this status and these headers. */
export function answer(status: number, ...headers: string[]): string {
  return `/answer?${new URLSearchParams([["status", String(status)], ...headers.map((header): [string, string] => ["h", header])])}`;
}

/** An answer in the Worker's error format: this status, exactly this JSON body, never stored. */
export async function expectError(response: Response, status: number, body: { error: string; error_description: string }): Promise<void> {
  expect(response.status).toBe(status);
  expect(await response.json()).toEqual(body);
  expect(response.headers.get("Cache-Control")).toBe("no-store");
}

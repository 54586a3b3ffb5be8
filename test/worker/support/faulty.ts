// The Worker pointed at the second stand-in, where faults are switched on over HTTP.
import { env } from "cloudflare:workers";
import { inject } from "vitest";
import app from "../../../src/index";
import { nextClientIp } from "./browser";

export const faultyOrigin = (): string => inject("faultyStandInOrigin");

/** Timeout for calls to X in fault tests: a hang costs half a second, not eight. */
export const FAULT_TIMEOUT_MS = 500;

/** The Worker's env, with every endpoint on the faulty stand-in. */
export function faultyEnv(): Cloudflare.Env {
  const origin = faultyOrigin();
  return {
    ...env,
    TWITTER_REQUEST_TOKEN_URL: `${origin}/oauth/request_token`,
    TWITTER_AUTHORIZE_URL: `${origin}/oauth/authenticate`,
    TWITTER_ACCESS_TOKEN_URL: `${origin}/oauth/access_token`,
    TWITTER_API_BASE_URL: `${origin}/1.1/`,
    TWITTER_TIMEOUT_MS: String(FAULT_TIMEOUT_MS),
  };
}

export type Endpoint = "request_token" | "authorize" | "access_token" | "verify_credentials" | "invalidate_token" | "users_me";

/** Switches a fault on (or off with null) at the faulty stand-in. */
export async function setFault(endpoint: Endpoint, fault: Record<string, unknown> | null): Promise<void> {
  const response = await fetch(`${faultyOrigin()}/__stand-in/faults`, { method: "POST", body: JSON.stringify({ endpoint, fault }) });
  if (!response.ok) throw new Error(`setting the fault failed: ${response.status} ${await response.text()}`);
}

export async function clearFaults(): Promise<void> {
  await fetch(`${faultyOrigin()}/__stand-in/faults`, { method: "DELETE" });
}

/** GET a path of the Worker (on http://localhost:8787) with the faulty env. */
export function request(path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (!headers.has("CF-Connecting-IP")) headers.set("CF-Connecting-IP", nextClientIp());
  return Promise.resolve(app.request(`http://localhost:8787${path}`, { redirect: "manual", ...init, headers }, faultyEnv()));
}

/** /login against the faulty stand-in; the cookie and X's token when it worked. */
export async function login(): Promise<{ response: Response; cookie: string; oauthToken: string }> {
  const response = await request("/login");
  const cookie = (response.headers.get("Set-Cookie") ?? "").split(";")[0]!;
  const oauthToken = new URL(response.headers.get("Location") ?? "http://x/").searchParams.get("oauth_token") ?? "";
  return { response, cookie, oauthToken };
}

/** The consent form on the faulty stand-in; the callback URL it redirects to. */
export async function approve(oauthToken: string, screenName: string): Promise<URL> {
  const response = await fetch(`${faultyOrigin()}/oauth/authorize`, {
    method: "POST",
    body: new URLSearchParams({ oauth_token: oauthToken, screen_name: screenName, action: "allow" }),
    redirect: "manual",
  });
  if (response.status !== 302) throw new Error(`authorize answered ${response.status}`);
  return new URL(response.headers.get("Location")!);
}

/** A complete sign-in against the faulty stand-in; resolves with /auth's answer. */
export async function completeSignIn(screenName: string): Promise<Response> {
  const start = await login();
  if (start.response.status !== 302) return start.response;
  const back = await approve(start.oauthToken, screenName);
  return request(back.pathname + back.search, { headers: { Cookie: start.cookie } });
}

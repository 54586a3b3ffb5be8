// The stand-in's OAuth 2.0 as X documents it: authorize page, token endpoint (code with PKCE, refresh rotation, the 1.0a token exchange), revoke, and Bearer tokens for /2/users/me.
import { createHash, randomBytes } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { constantTimeEqual, type Parameter } from "./oauth.ts";
import { PAGE_HEADERS, oauth2ConsentPage, oauth2ErrorPage } from "./pages.ts";
import { isValidScreenName, userIdForScreenName } from "./twitter.ts";

/** The OAuth 2.0 client id of the app the stand-in knows by default (a public dev value). */
export const DEFAULT_OAUTH2_CLIENT_ID = "stand-in-oauth2-client-id";
/** Its client secret (a public dev value, not a secret). */
export const DEFAULT_OAUTH2_CLIENT_SECRET = "stand-in-oauth2-client-secret";

/** X's token-exchange grant and the token type of a 1.0a access token. */
export const TOKEN_EXCHANGE_GRANT = "urn:ietf:params:oauth:grant-type:token-exchange";
export const OAUTH1_TOKEN_TYPE = "urn:x:params:oauth:token-type:oauth1_token";
/** The scopes X's exchange grants for an app with OAuth 1.0a "Read" permission, and always offline.access. */
export const EXCHANGED_SCOPE = "tweet.read users.read follows.read mute.read block.read list.read like.read timeline.read broadcast.read offline.access";

/** An OAuth 2.0 client of the stand-in: confidential with a secret, public without; paired with the 1.0a app whose tokens it may exchange. */
export interface OAuth2ClientRecord {
  secret: string | undefined;
  consumerKey: string | undefined;
}

/** A live 1.0a access token, as the 1.0a side of the stand-in knows it. */
export interface OAuth1Grant {
  consumerKey: string;
  screenName: string;
  name: string | undefined;
}

export interface OAuth2ProviderOptions {
  clients: Map<string, OAuth2ClientRecord>;
  appName: () => string;
  /** Whether a redirect URI may be used (X: registered in the app's settings; the stand-in: loopback or a configured prefix). */
  isApprovedRedirect: (uri: string) => boolean;
  /** The 1.0a access token with this secret, when it is live. */
  lookUpOAuth1Token: (token: string, secret: string) => OAuth1Grant | undefined;
  /** X's documented 30 seconds by default. */
  codeLifetimeMs?: number;
  /** X's documented 2 hours by default. */
  accessTokenLifetimeMs?: number;
}

/** What a user granted, carried by codes and tokens. */
export interface OAuth2Account {
  clientId: string;
  screenName: string;
  name: string | undefined;
  scope: string;
}

/** A stand-in answer (server.ts serializes it). */
export interface OAuth2Reply {
  answer: {
    status: number;
    contentType?: string;
    headers?: Record<string, string>;
    body: { kind: "text"; text: string } | { kind: "redirect"; base: string; fields: Parameter[] };
  };
  rejected?: string;
}

interface PendingAuthorization {
  clientId: string;
  redirectUri: string;
  scope: string;
  state: string;
  codeChallenge: string;
  codeChallengeMethod: "S256" | "plain";
  expiresAt: number;
}

interface Code extends OAuth2Account {
  redirectUri: string;
  codeChallenge: string;
  codeChallengeMethod: "S256" | "plain";
  expiresAt: number;
}

interface AccessToken extends OAuth2Account {
  expiresAt: number;
}

interface RefreshToken extends OAuth2Account {
  /** The access token issued with it: revoking the refresh token ends it too. */
  accessToken: string;
}

const JSON_CONTENT_TYPE = "application/json; charset=utf-8";
const NO_STORE = { "cache-control": "no-store" };
const PENDING_LIFETIME_MS = 15 * 60 * 1000;
// RFC 7636 section 4.1: 43 to 128 unreserved characters.
const CODE_VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;

/** Everything the stand-in's OAuth 2.0 side holds. */
export class OAuth2Provider {
  readonly #options: OAuth2ProviderOptions;
  readonly #pending = new Map<string, PendingAuthorization>();
  readonly #codes = new Map<string, Code>();
  readonly #accessTokens = new Map<string, AccessToken>();
  readonly #refreshTokens = new Map<string, RefreshToken>();
  /** client id + "\n" + 1.0a access token -> the pair the last exchange issued (the next exchange ends it). */
  readonly #exchanged = new Map<string, { accessToken: string; refreshToken: string }>();

  constructor(options: OAuth2ProviderOptions) {
    this.#options = options;
  }

  get liveAccessTokens(): number {
    return this.#accessTokens.size;
  }

  /**
   * GET i/oauth2/authorize: the consent page for a well-formed request. An unknown client or an
   * unapproved redirect URI gets an error page, never a redirect (RFC 6749 section 4.1.2.1).
   */
  authorizePage(query: URLSearchParams): OAuth2Reply {
    const clientId = query.get("client_id") ?? "";
    const redirectUri = query.get("redirect_uri") ?? "";
    if (!this.#options.clients.has(clientId)) return page(400, oauth2ErrorPage("This app is not known (client_id)."), "unknown client_id");
    if (!this.#options.isApprovedRedirect(redirectUri)) return page(400, oauth2ErrorPage("The redirect_uri is not approved for this app."), "redirect_uri not approved");
    const state = query.get("state") ?? "";
    const redirectError = (error: string, reason: string): OAuth2Reply => ({
      answer: { status: 302, headers: NO_STORE, body: { kind: "redirect", base: redirectUri, fields: [["error", error], ...(state ? [["state", state] as Parameter] : [])] } },
      rejected: reason,
    });
    if (query.get("response_type") !== "code") return redirectError("unsupported_response_type", "response_type is not code");
    const scope = (query.get("scope") ?? "").trim();
    if (scope === "") return redirectError("invalid_scope", "no scope");
    const codeChallenge = query.get("code_challenge") ?? "";
    const method = query.get("code_challenge_method") ?? "plain";
    // X: "PKCE is required"; S256 and plain are both documented.
    if (codeChallenge === "" || (method !== "S256" && method !== "plain")) return redirectError("invalid_request", "no PKCE code_challenge");
    if (state === "") return redirectError("invalid_request", "no state");
    const requestId = randomToken();
    this.#pending.set(requestId, { clientId, redirectUri, scope, state, codeChallenge, codeChallengeMethod: method, expiresAt: Date.now() + PENDING_LIFETIME_MS });
    return page(200, oauth2ConsentPage({ appName: this.#options.appName(), requestId, scope, redirectUri, screenName: query.get("screen_name") ?? "", name: "" }));
  }

  /** POST i/oauth2/authorize: the consent form's answer; redirects with code and state, or error=access_denied. */
  authorizeDecision(form: URLSearchParams): OAuth2Reply {
    const requestId = form.get("request") ?? "";
    const pending = this.#pending.get(requestId);
    if (!pending || pending.expiresAt <= Date.now()) {
      this.#pending.delete(requestId);
      return page(400, oauth2ErrorPage("This authorization request is no longer valid. Go back to the site and try again."), "unknown or expired authorization request");
    }
    const redirect = (fields: Parameter[]): OAuth2Reply => ({ answer: { status: 302, headers: NO_STORE, body: { kind: "redirect", base: pending.redirectUri, fields } } });
    const action = form.get("action");
    const screenName = (form.get("screen_name") ?? "").trim();
    const name = (form.get("name") ?? "").trim();
    if (action === "deny") {
      this.#pending.delete(requestId);
      return redirect([["error", "access_denied"], ["state", pending.state]]);
    }
    const again = (error: string, reason: string): OAuth2Reply => ({
      ...page(400, oauth2ConsentPage({ appName: this.#options.appName(), requestId, scope: pending.scope, redirectUri: pending.redirectUri, screenName, name, error })),
      rejected: reason,
    });
    if (action !== "allow") return again("Choose “Authorize app” or “Cancel”.", "no action");
    if (!isValidScreenName(screenName)) return again("Enter a screen name of 1 to 15 letters, digits or underscores.", "invalid screen name");
    if ([...name].length > 50) return again("The display name can be at most 50 characters.", "display name too long");
    this.#pending.delete(requestId);
    const code = randomToken();
    this.#codes.set(code, {
      clientId: pending.clientId,
      screenName,
      name: name === "" ? undefined : name,
      scope: pending.scope,
      redirectUri: pending.redirectUri,
      codeChallenge: pending.codeChallenge,
      codeChallengeMethod: pending.codeChallengeMethod,
      expiresAt: Date.now() + (this.#options.codeLifetimeMs ?? 30_000),
    });
    return redirect([["state", pending.state], ["code", code]]);
  }

  /** POST 2/oauth2/token: authorization_code, refresh_token, or X's token exchange from a 1.0a token. */
  token(headers: IncomingHttpHeaders, form: URLSearchParams | null): OAuth2Reply {
    if (form === null) return oauthError(400, "invalid_request", "The body must be application/x-www-form-urlencoded.", "not a form");
    const client = this.#authenticateClient(headers, form);
    if (typeof client !== "string") return client;
    switch (form.get("grant_type")) {
      case "authorization_code":
        return this.#exchangeCode(client, form);
      case "refresh_token":
        return this.#refresh(client, form);
      case TOKEN_EXCHANGE_GRANT:
        return this.#exchangeOAuth1Token(client, form);
      default:
        return oauthError(400, "unsupported_grant_type", "The grant_type is not supported.", "unsupported grant_type");
    }
  }

  /**
   * POST 2/oauth2/revoke (RFC 7009): ends the token; a refresh token ends the access token issued
   * with it. An unknown token is answered as revoked too (section 2.2).
   */
  revoke(headers: IncomingHttpHeaders, form: URLSearchParams | null): OAuth2Reply {
    if (form === null) return oauthError(400, "invalid_request", "The body must be application/x-www-form-urlencoded.", "not a form");
    const client = this.#authenticateClient(headers, form);
    if (typeof client !== "string") return client;
    const token = form.get("token") ?? "";
    if (token === "") return oauthError(400, "invalid_request", "Missing required parameter [token].", "no token");
    const refresh = this.#refreshTokens.get(token);
    if (refresh?.clientId === client) {
      this.#refreshTokens.delete(token);
      this.#accessTokens.delete(refresh.accessToken);
    }
    if (this.#accessTokens.get(token)?.clientId === client) this.#accessTokens.delete(token);
    return json(200, { revoked: true });
  }

  /** The account behind `Authorization: Bearer <token>`, or why not. */
  bearer(authorization: string | undefined): OAuth2Account | { rejected: string } {
    const token = /^Bearer (\S+)$/.exec(authorization ?? "")?.[1];
    if (token === undefined) return { rejected: "malformed Bearer authorization" };
    const record = this.#accessTokens.get(token);
    if (!record) return { rejected: "unknown or revoked OAuth 2.0 access token" };
    if (record.expiresAt <= Date.now()) {
      this.#accessTokens.delete(token);
      return { rejected: "expired OAuth 2.0 access token" };
    }
    return record;
  }

  /**
   * RFC 6749 section 2.3.1 as X asks: a confidential client MUST authenticate with HTTP Basic, its
   * id and secret form-urlencoded before base64; a public client names itself with client_id.
   */
  #authenticateClient(headers: IncomingHttpHeaders, form: URLSearchParams): string | OAuth2Reply {
    const authorization = typeof headers.authorization === "string" ? headers.authorization : "";
    const basic = /^Basic ([A-Za-z0-9+/]+=*)$/.exec(authorization)?.[1];
    if (basic !== undefined) {
      const decoded = Buffer.from(basic, "base64").toString("utf8");
      const colon = decoded.indexOf(":");
      if (colon === -1) return oauthError(401, "invalid_client", "Client authentication failed.", "Basic credentials without a colon");
      const clientId = formDecode(decoded.slice(0, colon));
      const secret = formDecode(decoded.slice(colon + 1));
      const client = this.#options.clients.get(clientId);
      if (!client || client.secret === undefined || !constantTimeEqual(secret, client.secret)) {
        return oauthError(401, "invalid_client", "Client authentication failed.", "wrong client id or secret");
      }
      return clientId;
    }
    const clientId = form.get("client_id") ?? "";
    const client = this.#options.clients.get(clientId);
    if (client && client.secret === undefined) return clientId;
    if (client) return oauthError(401, "unauthorized_client", "Missing valid authorization header", "confidential client without Basic authentication");
    return oauthError(401, "invalid_client", "Client authentication failed.", "unknown client_id");
  }

  #exchangeCode(clientId: string, form: URLSearchParams): OAuth2Reply {
    const value = form.get("code") ?? "";
    const code = this.#codes.get(value);
    const invalid = (reason: string) => oauthError(400, "invalid_grant", "Value passed for the authorization code was invalid.", reason);
    if (!code) return invalid("unknown or used authorization code");
    this.#codes.delete(value); // single use, success or not
    if (code.expiresAt <= Date.now()) return invalid("expired authorization code");
    if (code.clientId !== clientId) return invalid("authorization code of another client");
    if (form.get("redirect_uri") !== code.redirectUri) return invalid("redirect_uri differs from the authorization request's");
    const verifier = form.get("code_verifier") ?? "";
    if (!CODE_VERIFIER.test(verifier)) return oauthError(400, "invalid_request", "Value passed for the code_verifier was invalid.", "malformed code_verifier");
    // RFC 7636 section 4.6: BASE64URL-ENCODE(SHA256(ASCII(code_verifier))) == code_challenge.
    const expected = code.codeChallengeMethod === "S256" ? createHash("sha256").update(verifier, "ascii").digest("base64url") : verifier;
    if (!constantTimeEqual(expected, code.codeChallenge)) return invalid("code_verifier does not match the code_challenge");
    return tokenAnswer(this.#issue({ clientId, screenName: code.screenName, name: code.name, scope: code.scope }));
  }

  #refresh(clientId: string, form: URLSearchParams): OAuth2Reply {
    const value = form.get("refresh_token") ?? "";
    const record = this.#refreshTokens.get(value);
    const invalid = (reason: string) => oauthError(400, "invalid_grant", "Value passed for the token was invalid.", reason);
    if (!record) return invalid("unknown, used or revoked refresh token");
    if (record.clientId !== clientId) return invalid("refresh token of another client");
    // X: refresh tokens are single-use; each refresh returns a new pair.
    this.#refreshTokens.delete(value);
    return tokenAnswer(this.#issue(record));
  }

  /**
   * X's token exchange: a live 1.0a access token and its secret, of the 1.0a app paired with this
   * client, for an OAuth 2.0 pair. Exchanging the same token again ends the pair issued before.
   * @see https://docs.x.com/fundamentals/authentication/oauth-2-0/oauth-1-0a-token-exchange
   */
  #exchangeOAuth1Token(clientId: string, form: URLSearchParams): OAuth2Reply {
    const subjectToken = form.get("subject_token") ?? "";
    const tokenSecret = form.get("oauth_token_secret") ?? "";
    if (form.get("subject_token_type") !== OAUTH1_TOKEN_TYPE) return oauthError(400, "invalid_request", "The subject_token_type is not supported.", "wrong subject_token_type");
    if (subjectToken === "" || tokenSecret === "") return oauthError(400, "invalid_request", "Missing subject_token or oauth_token_secret.", "missing exchange parameter");
    const grant = this.#options.lookUpOAuth1Token(subjectToken, tokenSecret);
    if (!grant || grant.consumerKey !== this.#options.clients.get(clientId)?.consumerKey) {
      return oauthError(400, "invalid_grant", "The OAuth 1.0a token and secret were not accepted.", "OAuth 1.0a token unknown, revoked or of another app");
    }
    const key = `${clientId}\n${subjectToken}`;
    const previous = this.#exchanged.get(key);
    if (previous) {
      this.#accessTokens.delete(previous.accessToken);
      this.#refreshTokens.delete(previous.refreshToken);
    }
    const issued = this.#issue({ clientId, screenName: grant.screenName, name: grant.name, scope: EXCHANGED_SCOPE });
    this.#exchanged.set(key, { accessToken: issued.accessToken, refreshToken: issued.refreshToken! });
    return tokenAnswer(issued);
  }

  /** A new access token, and a refresh token when offline.access was granted. */
  #issue(account: OAuth2Account): { accessToken: string; refreshToken: string | undefined; scope: string; expiresIn: number } {
    const lifetimeMs = this.#options.accessTokenLifetimeMs ?? 7_200_000;
    const accessToken = randomToken();
    const base = { clientId: account.clientId, screenName: account.screenName, name: account.name, scope: account.scope };
    this.#accessTokens.set(accessToken, { ...base, expiresAt: Date.now() + lifetimeMs });
    let refreshToken: string | undefined;
    if (account.scope.split(" ").includes("offline.access")) {
      refreshToken = randomToken();
      this.#refreshTokens.set(refreshToken, { ...base, accessToken });
    }
    return { accessToken, refreshToken, scope: account.scope, expiresIn: Math.round(lifetimeMs / 1000) };
  }
}

/** The user id X would give this account (the same as under 1.0a). */
export function oauth2UserId(account: OAuth2Account): string {
  return userIdForScreenName(account.screenName);
}

function tokenAnswer(issued: { accessToken: string; refreshToken: string | undefined; scope: string; expiresIn: number }): OAuth2Reply {
  return json(200, {
    token_type: "bearer",
    expires_in: issued.expiresIn,
    access_token: issued.accessToken,
    scope: issued.scope,
    ...(issued.refreshToken === undefined ? {} : { refresh_token: issued.refreshToken }),
  });
}

function oauthError(status: number, error: string, description: string, reason: string): OAuth2Reply {
  return { ...json(status, { error, error_description: description }), rejected: reason };
}

function json(status: number, value: unknown): OAuth2Reply {
  return { answer: { status, contentType: JSON_CONTENT_TYPE, headers: NO_STORE, body: { kind: "text", text: JSON.stringify(value) } } };
}

function page(status: number, text: string, rejected?: string): OAuth2Reply {
  const reply: OAuth2Reply = { answer: { status, contentType: "text/html; charset=utf-8", headers: PAGE_HEADERS, body: { kind: "text", text } } };
  if (rejected !== undefined) reply.rejected = rejected;
  return reply;
}

/** application/x-www-form-urlencoded decoding of one value ("+" is a space). */
function formDecode(value: string): string {
  return new URLSearchParams(`v=${value}`).get("v") ?? "";
}

/** A code, request id or token: 192 random bits, base64url. */
function randomToken(): string {
  return randomBytes(24).toString("base64url");
}

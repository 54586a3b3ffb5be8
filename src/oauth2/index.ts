// An OAuth 2.0 client (RFC 6749, RFC 7636 PKCE, RFC 7009 revocation) on the Fetch API and WebCrypto: no Hono, no X.

export { OAuth2Client, parseTokenResponse, readBoundedText, type AuthorizationRequest, type OAuth2ClientOptions, type TokenResponse } from "./client.js";
export { basicAuthorization, formUrlEncode } from "./client-authentication.js";
export {
  InvalidInputError,
  NetworkError,
  OAuth2Error,
  ProviderResponseError,
  ProviderStatusError,
  TimeoutError,
  TokenEndpointError,
  isTokenErrorCode,
  type OAuth2ErrorCode,
  type TokenErrorCode,
} from "./errors.js";
export { base64UrlEncode, calculateCodeChallenge, generateCodeVerifier } from "./pkce.js";

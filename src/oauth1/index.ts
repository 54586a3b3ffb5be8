// An OAuth 1.0a client (RFC 5849) on WebCrypto: no Hono, no Twitter; runs wherever WebCrypto does.

export {
  OAuth1Client,
  generateNonce,
  generateTimestamp,
  parseTokenResponse,
  type Credentials,
  type OAuth1ClientOptions,
  type ParametersInit,
  type SignableRequest,
  type SignedRequest,
  type TokenResponse,
} from "./client";
export {
  collectParameters,
  constructBaseString,
  encodeParameters,
  normalizeBaseStringUri,
  normalizeEncodedParameters,
  normalizeParameters,
  parseAbsoluteUrl,
  type EncodedParameter,
  type Parameter,
} from "./base-string";
export {
  CallbackNotConfirmedError,
  InvalidInputError,
  NetworkError,
  OAuth1Error,
  ProviderResponseError,
  ProviderStatusError,
  TimeoutError,
  type OAuth1ErrorCode,
} from "./errors";
export { appendToQuery, toAuthorizationHeader, toFormEncoded, type Placement } from "./parameters";
export { formDecode, percentEncode } from "./percent-encode";
export { sign, signingKey, type SignatureMethod, type SigningSecrets } from "./signature";

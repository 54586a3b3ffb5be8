// An OAuth 1.0a client (RFC 5849) on WebCrypto: no Hono, no Twitter; runs wherever WebCrypto does.

export {
  OAuth1Client,
  generateNonce,
  generateTimestamp,
  parseTokenResponse,
  readBoundedText,
  type Credentials,
  type OAuth1ClientOptions,
  type ParametersInit,
  type SignableRequest,
  type SignedRequest,
  type TokenResponse,
} from "./client.ts";
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
} from "./base-string.ts";
export {
  CallbackNotConfirmedError,
  InvalidInputError,
  NetworkError,
  OAuth1Error,
  ProviderResponseError,
  ProviderStatusError,
  TimeoutError,
  type OAuth1ErrorCode,
} from "./errors.ts";
export { appendToQuery, toAuthorizationHeader, toFormEncoded, type Placement } from "./parameters.ts";
export { percentEncode } from "./percent-encode.ts";
export { importRsaPrivateKey, sign, signingKey, type SignatureMethod, type SigningSecrets } from "./signature.ts";

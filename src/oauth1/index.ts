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
} from "./client.js";
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
} from "./base-string.js";
export {
  CallbackNotConfirmedError,
  InvalidInputError,
  NetworkError,
  OAuth1Error,
  ProviderResponseError,
  ProviderStatusError,
  TimeoutError,
  type OAuth1ErrorCode,
} from "./errors.js";
export { appendToQuery, toAuthorizationHeader, toFormEncoded, type Placement } from "./parameters.js";
export { percentEncode } from "./percent-encode.js";
export { importRsaPrivateKey, sign, signingKey, type SignatureMethod, type SigningSecrets } from "./signature.js";

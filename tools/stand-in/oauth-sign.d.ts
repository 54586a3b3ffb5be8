// Types for oauth-sign (it ships none): the independent signer the stand-in verifies with.
declare module "oauth-sign" {
  type Params = Record<string, string | string[]>;
  export function rfc3986(value: string): string;
  export function generateBase(method: string, baseUri: string, params: Params): string;
  export function hmacsign(method: string, baseUri: string, params: Params, consumerSecret: string, tokenSecret?: string): string;
  export function hmacsign256(method: string, baseUri: string, params: Params, consumerSecret: string, tokenSecret?: string): string;
  export function rsasign(method: string, baseUri: string, params: Params, privateKey: string, tokenSecret?: string): string;
  export function plaintext(consumerSecret: string, tokenSecret?: string): string;
  export function sign(signMethod: string, method: string, baseUri: string, params: Params, consumerSecret: string, tokenSecret?: string): string;
  const _default: { rfc3986: typeof rfc3986; generateBase: typeof generateBase; hmacsign: typeof hmacsign; hmacsign256: typeof hmacsign256; rsasign: typeof rsasign; plaintext: typeof plaintext; sign: typeof sign };
  export default _default;
}

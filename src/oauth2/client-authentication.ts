// Client authentication with HTTP Basic at the token and revocation endpoints (RFC 6749 section 2.3.1).

/**
 * The `Authorization` header value for a confidential client: `Basic` and the base64 of
 * `client_id:client_secret`, each first encoded with application/x-www-form-urlencoded
 * (RFC 6749 Appendix B). Section 2.3.1: "The client identifier is encoded using the
 * application/x-www-form-urlencoded encoding algorithm per Appendix B, and the encoded value is
 * used as the username; the client password is encoded using the same algorithm and used as the
 * password." Skipping that step breaks any secret with `%`, `+`, `:` or a non-ASCII character.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-2.3.1
 */
export function basicAuthorization(clientId: string, clientSecret: string): string {
  const credentials = `${formUrlEncode(clientId)}:${formUrlEncode(clientSecret)}`;
  // After form-urlencoding the credentials are ASCII, so btoa sees one byte per character.
  return `Basic ${btoa(credentials)}`;
}

/** One value encoded as application/x-www-form-urlencoded (UTF-8 octets, space as `+`). */
export function formUrlEncode(value: string): string {
  return new URLSearchParams([["", value]]).toString().slice(1);
}

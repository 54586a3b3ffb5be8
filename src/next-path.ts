// Where the sign-in may send the browser: same-origin paths only (no open redirect). Used by the settings and the routes.

/** The longest `next` path accepted. */
export const MAX_NEXT_LENGTH = 512;

/**
 * A same-origin relative path to send the browser to, or undefined when `value` could lead
 * elsewhere: only `/path?query#fragment`, never `//host`, `/\\host`, a scheme, a backslash,
 * whitespace or a control character (no open redirect).
 */
export function safeNextPath(value: string): string | undefined {
  if (value.length === 0 || value.length > MAX_NEXT_LENGTH) return undefined;
  if (!value.startsWith("/") || value.startsWith("//")) return undefined;
  if (/[\\\s\u0000-\u001f\u007f]/.test(value)) return undefined;
  // Browsers resolve what remains the same way: it must stay on this origin.
  const resolved = new URL(value, "https://origin.invalid");
  return resolved.origin === "https://origin.invalid" ? value : undefined;
}

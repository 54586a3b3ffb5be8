// Where the sign-in may send the browser: same-origin paths only (no open redirect). Used by the settings and the routes.

/** The longest `next` path accepted. */
export const MAX_NEXT_LENGTH = 512;

/**
 * A same-origin relative path to send the browser to, or undefined when `value` could lead
 * elsewhere: only `/path?query#fragment`, never `//host`, `/\\host`, a scheme, a backslash,
 * whitespace or a control character, C1 included (no open redirect). What is not ASCII comes
 * back percent-encoded (UTF-8), so `Location` carries ASCII only; escapes already there stay.
 */
export function safeNextPath(value: string): string | undefined {
  if (value.length === 0 || value.length > MAX_NEXT_LENGTH || !value.isWellFormed()) return undefined;
  if (!value.startsWith("/") || value.startsWith("//")) return undefined;
  if (/[\\\s\u0000-\u001f\u007f-\u009f]/.test(value)) return undefined;
  // Browsers resolve what remains the same way: it must stay on this origin.
  const resolved = new URL(value, "https://origin.invalid");
  if (resolved.origin !== "https://origin.invalid") return undefined;
  return value.replace(/[^\x00-\x7f]+/g, encodeURIComponent);
}

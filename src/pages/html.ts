// A tagged template that escapes every interpolated value: the pages' only way to write HTML.

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** HTML that is already safe: made by {@link html}. */
export class SafeHtml {
  readonly value: string;
  constructor(value: string) {
    this.value = value;
  }
}

/** Escapes text for HTML content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => ESCAPES[character]!);
}

/**
 * Builds HTML: literal parts as written, interpolated values escaped unless they are SafeHtml
 * (a nested `html` template). `undefined`, `null` and `false` render as nothing.
 */
export function html(strings: TemplateStringsArray, ...values: unknown[]): SafeHtml {
  let out = strings[0]!;
  for (let index = 0; index < values.length; index++) {
    const value = values[index];
    out += value instanceof SafeHtml ? value.value : value === undefined || value === null || value === false ? "" : escapeHtml(String(value));
    out += strings[index + 1]!;
  }
  return new SafeHtml(out);
}

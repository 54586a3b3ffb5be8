// The stand-in's HTML (consent form, "no longer valid", PIN) and SVG avatars: self-contained, no scripts, every reflected value escaped.

/** HTML text escaping for element content and double-quoted attribute values. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Security headers for every stand-in page: nothing external, no scripts, no framing. */
export const PAGE_HEADERS: Record<string, string> = {
  "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'",
  "x-frame-options": "DENY",
  "cache-control": "no-store",
  "referrer-policy": "no-referrer",
};

const STYLE = `
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;background:#f5f8fa;color:#14171a;margin:0}
main{max-width:28rem;margin:3rem auto;background:#fff;border:1px solid #e1e8ed;border-radius:12px;padding:1.5rem 2rem}
h1{font-size:1.35rem;line-height:1.3}
.note{color:#657786;font-size:.9rem}
.error{background:#fdecea;color:#a01d12;border-radius:6px;padding:.5rem .75rem}
label{display:block;font-weight:600;margin:1rem 0 .25rem}
input[type=text]{width:100%;box-sizing:border-box;font-size:1rem;padding:.5rem;border:1px solid #aab8c2;border-radius:6px}
.actions{margin-top:1.25rem;display:flex;gap:.75rem}
button{font-size:1rem;padding:.5rem 1.25rem;border-radius:999px;border:1px solid #1da1f2;cursor:pointer}
#allow{background:#1da1f2;color:#fff}
#cancel{background:#fff;color:#1da1f2}
code{font-size:2rem;letter-spacing:.2em}
`;

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}

/** What the consent page shows. */
export interface ConsentPage {
  appName: string;
  oauthToken: string;
  /** Prefill of the screen name input (the screen_name query parameter, or what was typed). */
  screenName: string;
  /** Display name typed before, if the form is shown again. */
  name: string;
  /** Where the user goes back to: the callback URL, or "oob". */
  callback: string;
  accessType: "read" | "write" | undefined;
  forceLogin: boolean;
  error?: string;
}

/** GET oauth/authenticate and oauth/authorize: "Authorize <app> to access your account?" */
export function consentPage(p: ConsentPage): string {
  const app = escapeHtml(p.appName);
  const destination = p.callback === "oob" ? "You will be shown a PIN to enter in the app." : `You will be sent back to ${escapeHtml(callbackOrigin(p.callback))}.`;
  const abilities = p.accessType === "read" ? "Read your profile and Tweets." : "Read your profile and Tweets, and post for you.";
  return page(
    `Authorize ${p.appName} to access your account?`,
    `<h1>Authorize <strong>${app}</strong> to access your account?</h1>
<p class="note">This is the local Twitter stand-in: no real account is involved. Any screen name will do.</p>
${p.forceLogin ? `<p class="note" id="force_login">Please sign in again.</p>\n` : ""}${p.error ? `<p class="error" role="alert" id="error">${escapeHtml(p.error)}</p>\n` : ""}<form method="post" action="/oauth/authorize">
<input type="hidden" name="oauth_token" value="${escapeHtml(p.oauthToken)}">
${consentFields(p.screenName, p.name)}
<p class="note">This application will be able to: ${abilities}</p>
<p class="note">${destination}</p>`,
  );
}

/** The consent form's fields and buttons, the same for both protocols (the e2e test and the docs name them). */
function consentFields(screenName: string, name: string): string {
  return `<label for="screen_name">Screen name</label>
<input type="text" id="screen_name" name="screen_name" value="${escapeHtml(screenName)}" autocomplete="username" autocapitalize="off" spellcheck="false">
<label for="name">Display name (optional)</label>
<input type="text" id="name" name="name" value="${escapeHtml(name)}">
<div class="actions">
<button type="submit" name="action" value="allow" id="allow">Authorize app</button>
<button type="submit" name="action" value="deny" id="cancel">Cancel</button>
</div>
</form>`;
}

/** Only scheme, host and port of a callback, for display. */
function callbackOrigin(callback: string): string {
  try {
    return new URL(callback).origin;
  } catch {
    return callback;
  }
}

/** What the OAuth 2.0 consent page shows. */
export interface OAuth2ConsentPage {
  appName: string;
  /** The pending authorization request's id, posted back with the decision. */
  requestId: string;
  scope: string;
  redirectUri: string;
  screenName: string;
  name: string;
  error?: string;
}

/** GET i/oauth2/authorize: "<app> wants to access your X account", with the scopes asked for. */
export function oauth2ConsentPage(p: OAuth2ConsentPage): string {
  const app = escapeHtml(p.appName);
  return page(
    `${p.appName} wants to access your X account`,
    `<h1><strong>${app}</strong> wants to access your X account</h1>
<p class="note">This is the local X stand-in speaking OAuth 2.0: no real account is involved. Any screen name will do.</p>
${p.error ? `<p class="error" role="alert" id="error">${escapeHtml(p.error)}</p>\n` : ""}<form method="post" action="/i/oauth2/authorize">
<input type="hidden" name="request" value="${escapeHtml(p.requestId)}">
${consentFields(p.screenName, p.name)}
<p class="note" id="scope">Scopes asked for: ${escapeHtml(p.scope)}</p>
<p class="note">You will be sent back to ${escapeHtml(callbackOrigin(p.redirectUri))}.</p>`,
  );
}

/** An OAuth 2.0 authorization request the stand-in will not redirect for (unknown client, unapproved redirect URI...). */
export function oauth2ErrorPage(message: string): string {
  return page("Something went wrong", `<h1>Something went wrong</h1>\n<p id="oauth2_error">${escapeHtml(message)}</p>`);
}

/** Unknown, used or expired request token on the consent pages. */
export function noLongerValidPage(): string {
  return page(
    "This page is no longer valid",
    `<h1>This page is no longer valid</h1>
<p id="invalid_token">The request token for this page is invalid. It may have already been used, or expired because it is too old.
Please go back to the site or app that sent you here and try again.</p>`,
  );
}

/** After "Authorize app" when the callback was "oob": the verifier shown as a PIN. */
export function pinPage(appName: string, pin: string): string {
  return page(
    `Authorized ${appName}`,
    `<h1>You've granted access to ${escapeHtml(appName)}!</h1>
<p>Next, return to ${escapeHtml(appName)} and enter this PIN to complete the authorization process:</p>
<div id="oauth_pin"><p><code>${escapeHtml(pin)}</code></p></div>`,
  );
}

/** After "Cancel" when the callback was "oob". */
export function deniedPage(appName: string): string {
  return page(
    `Access denied`,
    `<h1>You have not granted access to ${escapeHtml(appName)}</h1>
<p>Return to ${escapeHtml(appName)} if you change your mind.</p>`,
  );
}

/** Square sizes of Twitter's profile image variants (name before ".svg"). */
const AVATAR_SIZES: Record<string, number> = { mini: 24, normal: 48, bigger: 73, "200x200": 200, "400x400": 400 };

/** A generated avatar: a coloured disc with the user's initial (or "?" for an id nobody signed in as). */
export function avatarSvg(idStr: string, variant: string, screenName: string | undefined): string {
  const size = AVATAR_SIZES[variant] ?? 48;
  const hue = Number(BigInt(idStr) % 360n);
  const initial = escapeHtml((screenName ?? "?").charAt(0).toUpperCase());
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" viewBox="0 0 48 48" role="img" aria-label="avatar"><circle cx="24" cy="24" r="24" fill="hsl(${hue} 55% 45%)"/><text x="24" y="32" font-family="sans-serif" font-size="22" font-weight="bold" text-anchor="middle" fill="#fff">${initial}</text></svg>\n`;
}

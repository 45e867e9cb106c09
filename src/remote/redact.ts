/**
 * Keeping secrets out of what pivot prints: credentials in URLs, signed-URL
 * parameters, signature headers, and secret values a backend knows about.
 *
 * @module
 */

/** The credentials part of a URL (`scheme://user:password@`). */
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^/\s@'"]*@/gi;

/** Signed-URL query parameters and signature header fields. */
const SIGNED_PARTS =
  /\b(X-Amz-(?:Signature|Credential|Security-Token)=|Signature=|Credential=|AWSAccessKeyId=|SessionToken=)[^&\s,'"]*/gi;

/**
 * `text` with every URL's credentials replaced by `***`
 * (`http://key:secret@host` → `http://***@host`).
 */
export function redactUrl(text: string): string {
  return text.replace(URL_USERINFO, "$1***@");
}

/**
 * Removes secrets from messages before they leave the remote layer: each of
 * `secrets` (endpoint passwords, secret keys, session tokens), URL
 * credentials, and signed-URL parameters.
 */
export class Redactor {
  readonly #secrets: readonly string[];

  /** A redactor for `secrets` (empty and very short strings are ignored). */
  constructor(secrets: readonly (string | undefined)[] = []) {
    this.#secrets = secrets.filter((s): s is string => s !== undefined && s.length >= 4)
      .sort((a, b) => b.length - a.length);
  }

  /** `text` without any secret this redactor knows of. */
  redact(text: string): string {
    let out = text;
    for (const secret of this.#secrets) out = out.split(secret).join("***");
    for (const secret of this.#secrets) {
      const encoded = encodeURIComponent(secret);
      if (encoded !== secret) out = out.split(encoded).join("***");
    }
    return redactUrl(out).replace(SIGNED_PARTS, "$1***");
  }
}

/**
 * Redaction of log text before it leaves the driver. openvpn masks most secrets itself
 * (`CMD 'password [...]'`), but pushed auth-tokens, the web-auth proxy credentials and anything
 * the driver writes must be scrubbed here.
 */

const REDACTED = '[redacted]';

/** openvpn's own wording after the word "password" that carries no secret. */
const BENIGN_AFTER_PASSWORD =
  /^(?:(?:entered|and|or|for|was|is|are|verification|failed|prompt|from|to|not|required|request|in|of)\b|\[\.\.\.\]|\[redacted\]|[(,.;!?]|$)/i;

export function redact(text: string): string {
  let out = text;
  // PEM material: never print any of it, whatever follows the header.
  out = out.replace(/-----BEGIN [^-]*-----[\s\S]*/g, `-----BEGIN ... ${REDACTED}`);
  // Static key files (tls-auth/tls-crypt) are long hex runs.
  out = out.replace(/\b[0-9a-f]{64,}\b/gi, REDACTED);
  // Pushed tokens: `auth-token <t>` and `auth-token-user <b64>` inside PUSH_REPLY (comma separated).
  out = out.replace(/\b(auth-token(?:-user)?)(\s+|:)[^,'"\s]+/gi, `$1$2${REDACTED}`);
  // Answers to challenges.
  out = out.replace(/\b(SCRV1|CRV1):[^\s'",]*/g, `$1:${REDACTED}`);
  // WEB_AUTH proxy form: proxy=<ip>;<port>;<user b64>;<pass b64>
  out = out.replace(/(proxy=[^;,\s]*;[^;,\s]*;)[^,\s]*/g, `$1${REDACTED}`);
  // `password <anything>`, `passphrase <anything>`: everything after the keyword goes.
  out = out.replace(/\b(password|passphrase|passwd|secret)\b(.*)$/i, (whole: string, word: string, rest: string) => {
    // `password "Auth" x`: keep the type so the line still says what was answered.
    const typed = /^(\s+(?:"[^"]*"|'[^']*'|\S+))\s+\S/.exec(rest);
    if (typed && /^\s+["']/.test(rest)) return `${word}${typed[1]} ${REDACTED}`;
    if (BENIGN_AFTER_PASSWORD.test(rest.trimStart()) || /^[/']/.test(rest)) return whole;
    return `${word} ${REDACTED}`;
  });
  return out;
}

/** How a management command appears in the log: passwords and usernames' secrets masked. */
export function redactCommand(command: string): string {
  const m = /^(password|needstr|cr-response|pk-sig|certificate)\b/.exec(command);
  if (!m) return command;
  if (m[1] === 'password' || m[1] === 'needstr') {
    const typed = /^(\S+\s+(?:"(?:[^"\\]|\\.)*"|\S+))/.exec(command);
    return `${typed?.[1] ?? m[1]} ${REDACTED}`;
  }
  return `${m[1]} ${REDACTED}`;
}

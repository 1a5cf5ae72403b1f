/**
 * Redaction of log text before it leaves the driver. openvpn masks most secrets itself
 * (`CMD 'password [...]'`), but pushed auth-tokens, challenge state, the web-auth proxy
 * credentials and anything the driver writes must be scrubbed here. Only values go: a secret is
 * recognised by its form (a keyword followed by `:`/`=` and a value, a management answer, a token
 * after its directive), never by a word alone, so openvpn's prose about passwords ("password
 * entered", "cache passwords in memory") and names that contain the word stay as they are.
 */

const REDACTED = '[redacted]';

/** A value: a quoted string (with escapes), or a run up to a space, quote, comma or semicolon. */
const VALUE = String.raw`(?:"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|[^\s,;'"]+)`;

/** `password "Auth" hunter2`, `password 'Private Key' x`: a management answer keeps its type. */
const MANAGEMENT_ANSWER = new RegExp(String.raw`\b(password|needstr)\s+("[^"]*"|'[^']*')\s+${VALUE}`, 'gi');
/** `password: x`, `passphrase=x`, `secret = x`; not the management notification `>PASSWORD:…`. */
const KEYWORD_VALUE = new RegExp(String.raw`(?<!>)\b(password|passphrase|passwd|secret)\s*[:=]\s*${VALUE}`, 'gi');

export function redact(text: string): string {
  return (
    text
      // PEM material: never print any of it, whatever follows the header.
      .replace(/-----BEGIN [^-]*-----[\s\S]*/g, `-----BEGIN ... ${REDACTED}`)
      // Static key files (tls-auth/tls-crypt) are long hex runs.
      .replace(/\b[0-9a-f]{64,}\b/gi, REDACTED)
      // Pushed tokens: `auth-token <t>` and `auth-token-user <b64>` inside PUSH_REPLY (comma separated).
      .replace(/\b(auth-token(?:-user)?)(\s+|:)[^,'"\s]+/gi, `$1$2${REDACTED}`)
      // Static challenge answer: SCRV1:<password b64>:<response b64>.
      .replace(/\bSCRV1:[^\s'",]*/g, `SCRV1:${REDACTED}`)
      // Dynamic challenge CRV1:<flags>:<state id>:<username b64>:<text>: the question stays readable.
      .replace(/\bCRV1:([A-Z,]*):[^:'"\s]*:[^:'"\s]*(?=:)/g, `CRV1:$1:${REDACTED}:${REDACTED}`)
      // WEB_AUTH proxy form: proxy=<ip>;<port>;<user b64>;<pass b64>
      .replace(/(proxy=[^;,\s]*;[^;,\s]*;)[^,\s]*/g, `$1${REDACTED}`)
      .replace(MANAGEMENT_ANSWER, (_m, word: string, type: string) => `${word} ${type} ${REDACTED}`)
      .replace(KEYWORD_VALUE, (_m, word: string) => `${word} ${REDACTED}`)
  );
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

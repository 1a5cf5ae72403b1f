/**
 * Answers to openvpn's >PASSWORD prompts: from the connect request (first prompt only), from what
 * this session already used (re-prompts after auth-nocache or a respawned process), or from the
 * user. Pure: it turns prompts and credentials into management commands.
 *
 * Answer formats (openvpn 2.6):
 *   plain:              username "Auth" <u>   +   password "Auth" <p>
 *   static challenge:   password "Auth" SCRV1:<base64 password>:<base64 response>
 *   dynamic (CRV1):     username "Auth" <user from the challenge> + password "Auth" CRV1::<state id>::<response>
 *   crtext:             cr-response <base64 response>
 *   key passphrase:     password "Private Key" <p>
 */
import type { CredentialRequest, Credentials } from '../../../../shared/ipc/helper-protocol.js';
import { quoteArg } from '../../../../shared/profiles/openvpn/lexer.js';
import { managementArg, type PasswordNotice } from './protocol.js';

export type NeedNotice = Extract<PasswordNotice, { type: 'need' }>;

export type PromptOutcome =
  | { kind: 'answer'; commands: string[]; userAuth: boolean; source: 'request' | 'session' }
  | { kind: 'ask'; request: CredentialRequest }
  /** A dynamic challenge was already put to the user; the prompt waits for that answer. */
  | { kind: 'wait' }
  | { kind: 'unsupported'; label: string };

export type ProvideOutcome =
  | { kind: 'rejected' }
  | { kind: 'cancel' }
  | { kind: 'answer'; commands: string[]; userAuth: boolean }
  /** A dynamic-challenge answer, kept for the prompt that follows. */
  | { kind: 'stored' };

function b64(s: string): string {
  return Buffer.from(s, 'utf8').toString('base64');
}

/**
 * Whether every value travels as one management argument (protocol.ts managementArg). Checked
 * before anything is answered, for the user's values and the server's (a CRV1 username and state
 * id): a CR or LF would end the command and run the rest as another one.
 */
export function sendable(...values: string[]): boolean {
  return values.every((v) => managementArg(v) !== null);
}

/** The dynamic-challenge answer openvpn sends as the password: the server's state id and the response. */
function crv1Password(stateId: string, response: string): string {
  return `CRV1::${stateId}::${response}`;
}

export function scrv1(password: string, response: string): string {
  return `SCRV1:${b64(password)}:${b64(response)}`;
}

export class PromptBroker {
  private initial: Credentials | undefined;
  private userPass: { username: string; password: string } | null = null;
  private passphrase: string | null = null;
  private lastUsername: string | null = null;
  private readonly answered = new Set<string>();
  private pending: NeedNotice | null = null;
  private crv1: { stateId: string; username: string; response: string | null } | null = null;
  private crText = false;

  constructor(initial?: Credentials) {
    this.initial = initial;
  }

  /** Something is waiting for the user. */
  get waitingForUser(): boolean {
    return this.pending !== null || this.crText || (this.crv1 !== null && this.crv1.response === null);
  }

  need(notice: NeedNotice): PromptOutcome {
    if (notice.label !== 'Auth' && notice.label !== 'Private Key') return { kind: 'unsupported', label: notice.label };
    if (notice.label === 'Auth' && this.crv1) {
      if (this.crv1.response === null) {
        this.pending = notice;
        return { kind: 'wait' };
      }
      return { kind: 'answer', commands: this.crv1Commands(notice), userAuth: true, source: 'request' };
    }
    const initial = this.initial;
    this.initial = undefined;
    if (initial && this.compatible(notice, initial)) return { ...this.commandsFor(notice, initial), source: 'request' };
    const cached = this.cachedFor(notice);
    if (cached) return { ...this.commandsFor(notice, cached), source: 'session' };
    const retry = this.answered.has(notice.label);
    this.pending = notice;
    if (notice.label === 'Private Key') return { kind: 'ask', request: { kind: 'passphrase', retry } };
    if (notice.staticChallenge) {
      const username = this.lastUsername;
      return {
        kind: 'ask',
        request: {
          kind: 'challenge',
          text: notice.staticChallenge.text,
          echo: notice.staticChallenge.echo,
          ...(username !== null ? { username } : {}),
          needsPassword: true,
          retry,
        },
      };
    }
    return { kind: 'ask', request: { kind: 'userpass', retry } };
  }

  /** `Verification Failed: 'Auth' ['CRV1:…']`: the server asks a question before it lets us in. */
  dynamicChallenge(c: { stateId: string; username: string; text: string; echo: boolean }): CredentialRequest {
    this.crv1 = { stateId: c.stateId, username: c.username, response: null };
    return { kind: 'challenge', text: c.text, echo: c.echo, username: c.username, needsPassword: false, retry: false };
  }

  /** `>INFOMSG:CR_TEXT:<flags>:<text>`. */
  crTextChallenge(flags: string, text: string): CredentialRequest {
    this.crText = true;
    return { kind: 'challenge', text, echo: flags.split(',').includes('E'), needsPassword: false, retry: false };
  }

  provide(c: Credentials): ProvideOutcome {
    if (c.kind === 'cancel') return this.waitingForUser ? { kind: 'cancel' } : { kind: 'rejected' };
    if (this.crText) {
      if (c.kind !== 'challenge') return { kind: 'rejected' };
      this.crText = false;
      return { kind: 'answer', commands: [`cr-response ${b64(c.response)}`], userAuth: true };
    }
    if (this.crv1 && this.crv1.response === null) {
      if (c.kind !== 'challenge' || !sendable(this.crv1.username, crv1Password(this.crv1.stateId, c.response))) return { kind: 'rejected' };
      this.crv1.response = c.response;
      const prompt = this.pending;
      if (!prompt) return { kind: 'stored' };
      this.pending = null;
      return { kind: 'answer', commands: this.crv1Commands(prompt), userAuth: true };
    }
    const prompt = this.pending;
    if (!prompt || !this.compatible(prompt, c)) return { kind: 'rejected' };
    this.pending = null;
    return this.commandsFor(prompt, c);
  }

  /** The server (or the key) refused what was sent: never send it again. */
  verificationFailed(label: string): void {
    if (label === 'Auth') this.userPass = null;
    if (label === 'Private Key') this.passphrase = null;
  }

  /** The process that asked is gone: its prompt will not be answered. */
  dropPending(): void {
    this.pending = null;
    this.crText = false;
  }

  private compatible(notice: NeedNotice, c: Credentials): boolean {
    if (notice.label === 'Private Key') return c.kind === 'passphrase' && sendable(c.passphrase);
    if (notice.staticChallenge) return c.kind === 'challenge' && sendable(c.username, scrv1(c.password, c.response));
    return (c.kind === 'userpass' || c.kind === 'challenge') && sendable(c.username, c.password);
  }

  /** Reusable answers: a username/password or a passphrase, never a one-time challenge answer. */
  private cachedFor(notice: NeedNotice): Credentials | null {
    if (notice.label === 'Private Key') return this.passphrase !== null ? { kind: 'passphrase', passphrase: this.passphrase } : null;
    if (notice.staticChallenge || !this.userPass) return null;
    return { kind: 'userpass', ...this.userPass };
  }

  private commandsFor(notice: NeedNotice, c: Credentials): { kind: 'answer'; commands: string[]; userAuth: boolean } {
    this.answered.add(notice.label);
    if (notice.label === 'Private Key') {
      if (c.kind !== 'passphrase') return { kind: 'answer', commands: [], userAuth: false };
      this.passphrase = c.passphrase;
      return { kind: 'answer', commands: [`password "Private Key" ${quoteArg(c.passphrase)}`], userAuth: false };
    }
    if (c.kind !== 'userpass' && c.kind !== 'challenge') return { kind: 'answer', commands: [], userAuth: true };
    this.lastUsername = c.username;
    const password = notice.staticChallenge && c.kind === 'challenge' ? scrv1(c.password, c.response) : c.password;
    if (!notice.staticChallenge) this.userPass = { username: c.username, password: c.password };
    const commands: string[] = [];
    if (notice.form !== 'password') commands.push(`username "Auth" ${quoteArg(c.username)}`);
    if (notice.form !== 'username') commands.push(`password "Auth" ${quoteArg(password)}`);
    return { kind: 'answer', commands, userAuth: true };
  }

  private crv1Commands(notice: NeedNotice): string[] {
    const crv1 = this.crv1;
    this.crv1 = null;
    if (!crv1 || crv1.response === null) return [];
    const commands: string[] = [];
    if (notice.form !== 'password') commands.push(`username "Auth" ${quoteArg(crv1.username)}`);
    commands.push(`password "Auth" ${quoteArg(crv1Password(crv1.stateId, crv1.response))}`);
    return commands;
  }
}

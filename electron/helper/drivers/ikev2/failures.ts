/**
 * What charon 5.9's log lines mean to the user. 5.9 has no structured alerts (the VICI `alert`
 * event exists from 6.0.3), and `initiate`'s errmsg is generic ("establishing CHILD_SA 'x'
 * failed"), so the reason for a failure is read from the `control-log` lines streamed while
 * initiating and from the `log` events afterwards. Pure: lines in, error states out.
 *
 * Several lines can follow one failure (a wrong EAP password logs the method's failure, then
 * charon sends AUTHENTICATION_FAILED itself): each pattern has a rank and the most specific
 * reason seen wins, whatever the order.
 *
 * Also read here, from the same lines: the DNS servers the server assigned (the resolve plugin
 * writes them to a file inside charon's private /run and logs "installing DNS server X to F";
 * charon.ts), the virtual IP, and the CHILD_SA's traffic selectors.
 */
import { isIP } from 'node:net';
import { isDnsServer, MAX_DNS_SERVERS } from '../../dns.js';
import type { Localized } from '../../../../shared/ipc/helper-protocol.js';
import type { ErrorState } from '../lifecycle.js';

export type Ikev2ErrorCode =
  | 'ikev2-auth-failed'
  | 'ikev2-server-auth-failed'
  | 'ikev2-eap-failed'
  | 'ikev2-xauth-failed'
  | 'ikev2-proposal-mismatch'
  | 'ikev2-ts-mismatch'
  | 'ikev2-vip-refused'
  | 'ikev2-server-unreachable'
  | 'ikev2-name-unresolvable'
  | 'ikev2-connection-failed'
  | 'ikev2-connection-lost'
  | 'ikev2-charon-failed'
  | 'ikev2-config-mismatch';

export const MESSAGES: Record<Ikev2ErrorCode, Localized> = {
  'ikev2-auth-failed': {
    en: 'The server rejected the authentication: the pre-shared key or the client certificate is not the one it expects.',
    ja: 'サーバーが認証を拒否しました。事前共有鍵またはクライアント証明書がサーバーの想定と一致しません。',
  },
  'ikev2-server-auth-failed': {
    en: "The server's identity could not be verified: its certificate is not signed by a trusted CA of this profile, or its identity or key is not the expected one.",
    ja: 'サーバーの身元を確認できませんでした。サーバー証明書がこのプロファイルの信頼する CA で署名されていないか、ID または鍵が想定と異なります。',
  },
  'ikev2-eap-failed': {
    en: 'The server rejected the user name or password (EAP authentication failed).',
    ja: 'サーバーがユーザー名またはパスワードを拒否しました (EAP 認証に失敗しました)。',
  },
  'ikev2-xauth-failed': {
    en: 'The server rejected the user name or password (XAuth authentication failed).',
    ja: 'サーバーがユーザー名またはパスワードを拒否しました (XAuth 認証に失敗しました)。',
  },
  'ikev2-proposal-mismatch': {
    en: "The server accepts none of this profile's encryption proposals (NO_PROPOSAL_CHOSEN).",
    ja: 'サーバーはこのプロファイルの暗号方式の提案をどれも受け入れませんでした (NO_PROPOSAL_CHOSEN)。',
  },
  'ikev2-ts-mismatch': {
    en: 'The server does not accept the networks this profile asks to reach (TS_UNACCEPTABLE).',
    ja: 'サーバーは、このプロファイルが要求するネットワークを受け入れませんでした (TS_UNACCEPTABLE)。',
  },
  'ikev2-vip-refused': {
    en: 'The server did not assign a virtual IP address.',
    ja: 'サーバーが仮想 IP アドレスを割り当てませんでした。',
  },
  'ikev2-server-unreachable': {
    en: 'The server does not respond. It may be down, or UDP ports 500 and 4500 may be blocked on the way.',
    ja: 'サーバーが応答しません。サーバーが停止しているか、経路上で UDP ポート 500 と 4500 が遮断されている可能性があります。',
  },
  'ikev2-name-unresolvable': {
    en: "The server's name could not be resolved. Check the address in the profile and the network's DNS.",
    ja: 'サーバー名を解決できませんでした。プロファイルのアドレスとネットワークの DNS を確認してください。',
  },
  'ikev2-connection-failed': {
    en: 'The IPsec connection could not be established.',
    ja: 'IPsec 接続を確立できませんでした。',
  },
  'ikev2-connection-lost': {
    en: 'The IPsec connection to the server was lost.',
    ja: 'サーバーとの IPsec 接続が切れました。',
  },
  'ikev2-charon-failed': {
    en: 'The IPsec service (strongSwan charon) could not be started or stopped unexpectedly.',
    ja: 'IPsec サービス (strongSwan charon) を開始できなかったか、予期せず停止しました。',
  },
  'ikev2-config-mismatch': {
    en: 'The IPsec service did not take the connection exactly as the profile was checked; nothing was sent to the server.',
    ja: 'IPsec サービスが、確認済みのプロファイルどおりに接続設定を読み込みませんでした。サーバーには何も送信していません。',
  },
};

export function errorState(code: Ikev2ErrorCode, detail?: string | null): ErrorState {
  return detail === undefined || detail === null
    ? { status: 'error', code, message: MESSAGES[code] }
    : { status: 'error', code, message: MESSAGES[code], detail };
}

/**
 * Log message → failure, with its rank (higher = more specific, wins over a lower one seen
 * before or after). Messages as charon 5.9.8 logs them (captures in test/fixtures/ikev2/charon-logs).
 */
export const FAILURE_PATTERNS: readonly { re: RegExp; code: Ikev2ErrorCode; rank: number; decisive?: true }[] = [
  // EAP (client side): MSCHAPv2 names the server's error, then the method's failure.
  { re: /^EAP-MS-CHAPv2 failed with error /, code: 'ikev2-eap-failed', rank: 90 },
  { re: /^EAP_\w+ method failed$/, code: 'ikev2-eap-failed', rank: 90 },
  { re: /^EAP method EAP_\w+ failed/, code: 'ikev2-eap-failed', rank: 90 },
  { re: /^received EAP_FAILURE, EAP authentication failed$/, code: 'ikev2-eap-failed', rank: 90 },
  // IKEv1 XAuth (client side).
  { re: /^XAuth authentication of '.*' \(myself\) failed/, code: 'ikev2-xauth-failed', rank: 90 },
  { re: /failed XAuth authentication/, code: 'ikev2-xauth-failed', rank: 90 },
  { re: /^XAuth authentication .*failed/, code: 'ikev2-xauth-failed', rank: 85 },
  // We could not verify the server.
  { re: /^no trusted \w+ public key found for '/, code: 'ikev2-server-auth-failed', rank: 80 },
  { re: /^no shared key found for '/, code: 'ikev2-server-auth-failed', rank: 70 },
  { re: /^tried \d+ shared keys? for '.*' - '.*', but MAC mismatched$/, code: 'ikev2-server-auth-failed', rank: 80 },
  { re: /^constraint check failed: /, code: 'ikev2-server-auth-failed', rank: 80 },
  { re: /^certificate was revoked/, code: 'ikev2-server-auth-failed', rank: 80 },
  { re: /^received end entity cert .* but (?:it )?is not trusted/, code: 'ikev2-server-auth-failed', rank: 80 },
  // The server rejected us.
  { re: /^received AUTHENTICATION_FAILED notify error$/, code: 'ikev2-auth-failed', rank: 60 },
  { re: /^received AUTHENTICATION_FAILED error notify$/, code: 'ikev2-auth-failed', rank: 60 },
  { re: /^received (?:INVALID_ID_INFORMATION|AUTHENTICATION_FAILED) error notify/, code: 'ikev2-auth-failed', rank: 60 },
  // IKEv1 main mode with a wrong PSK: the server's answers decrypt to garbage, and charon keeps
  // retransmitting until it gives up ("peer not responding"): decisive, the attempt ends here.
  { re: /^could not decrypt payloads$/, code: 'ikev2-auth-failed', rank: 35, decisive: true },
  { re: /^invalid HASH_V1 payload length, decryption failed\?$/, code: 'ikev2-auth-failed', rank: 35, decisive: true },
  // Proposals, selectors, addresses.
  { re: /^received NO_PROPOSAL_CHOSEN notify/, code: 'ikev2-proposal-mismatch', rank: 50 },
  { re: /^no acceptable proposal found$/, code: 'ikev2-proposal-mismatch', rank: 50 },
  { re: /^received TS_UNACCEPTABLE notify/, code: 'ikev2-ts-mismatch', rank: 50 },
  { re: /^received (?:INTERNAL_ADDRESS_FAILURE|FAILED_CP_REQUIRED) notify/, code: 'ikev2-vip-refused', rank: 50 },
  { re: /^installing virtual IP .* failed|^virtual IP .* not assigned|^peer didn't accept virtual IP/, code: 'ikev2-vip-refused', rank: 40 },
  // No answer, no address.
  { re: /^giving up after \d+ retransmits$/, code: 'ikev2-server-unreachable', rank: 30 },
  { re: /peer not responding$/, code: 'ikev2-server-unreachable', rank: 30 },
  { re: /^unable to resolve .*, initiate aborted$/, code: 'ikev2-name-unresolvable', rank: 30 },
  { re: /^failed to resolve /, code: 'ikev2-name-unresolvable', rank: 30 },
];

export function classifyLine(msg: string): { code: Ikev2ErrorCode; rank: number; decisive: boolean } | null {
  for (const p of FAILURE_PATTERNS) if (p.re.test(msg)) return { code: p.code, rank: p.rank, decisive: p.decisive === true };
  return null;
}

/** One control-log / log event as the driver gets it (group: IKE, CFG, NET…). */
export interface CharonLine {
  group: string;
  msg: string;
}

/** Reads a captured `[GROUP] message` line (swanctl's print of control-log). */
export function parseCapturedLine(line: string): CharonLine | null {
  const m = /^\[(\w+)\] (.*)$/.exec(line);
  return m ? { group: m[1] ?? '', msg: m[2] ?? '' } : null;
}

/** What the lines of one connection attempt said: the best reason seen, DNS, virtual IPs, selectors. */
export class CharonLog {
  private best: { code: Ikev2ErrorCode; rank: number; decisive: boolean; msg: string } | null = null;
  /** DNS servers the server assigned (the resolve plugin's "installing DNS server …" lines), in order. */
  readonly dns: string[] = [];
  readonly vips: string[] = [];
  /** Remote traffic selectors of established CHILD_SAs (what is routed into the tunnel). */
  readonly remoteTs: string[] = [];
  private childUp = false;
  private lastInteresting: string | null = null;

  observe(line: CharonLine): void {
    const { msg } = line;
    const hit = classifyLine(msg);
    if (hit && (this.best === null || hit.rank > this.best.rank)) this.best = { ...hit, msg };
    // The server's INTERNAL_IP4/6_DNS attributes, as the resolve plugin logs them: hostile input,
    // so only plain addresses (no zone, nothing else), at most what the helper's DNS code takes.
    const dns = /^installing DNS server (\S+) (?:to|via) /.exec(msg);
    if (dns?.[1] && isDnsServer(dns[1]) && !this.dns.includes(dns[1]) && this.dns.length < MAX_DNS_SERVERS) this.dns.push(dns[1]);
    const removed = /^removing DNS server (\S+) (?:from|via) /.exec(msg);
    if (removed?.[1]) {
      const i = this.dns.indexOf(removed[1]);
      if (i >= 0) this.dns.splice(i, 1);
    }
    const vip = /^installing new virtual IP (\S+)$/.exec(msg);
    if (vip?.[1] && isIP(vip[1]) !== 0 && !this.vips.includes(vip[1])) this.vips.push(vip[1]);
    const child = /^CHILD_SA \S+ established with SPIs \S+ \S+ and TS (.+) === (.+)$/.exec(msg);
    if (child?.[2]) {
      this.childUp = true;
      for (const ts of child[2].trim().split(/\s+/)) if (!this.remoteTs.includes(ts)) this.remoteTs.push(ts);
    }
    if (hit || /failed|error|not /.test(msg)) this.lastInteresting = msg;
  }

  /** A CHILD_SA was established in these lines. */
  get established(): boolean {
    return this.childUp;
  }

  /** A failure after which charon only retries in vain (the driver ends the attempt at once). */
  get decided(): boolean {
    return this.best?.decisive === true && !this.childUp;
  }

  /** The most specific failure seen, or null. */
  get failure(): { code: Ikev2ErrorCode; line: string } | null {
    return this.best ? { code: this.best.code, line: this.best.msg } : null;
  }

  /**
   * The error state for an attempt that failed (initiate's errmsg as the fallback detail): the
   * most specific reason the lines gave, else the generic one.
   */
  errorFor(errmsg: string | null): ErrorState {
    const f = this.failure;
    if (f) return errorState(f.code, f.line);
    return errorState('ikev2-connection-failed', [errmsg, this.lastInteresting].filter((s) => s !== null).join(': ') || null);
  }
}

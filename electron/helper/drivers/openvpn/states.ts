/**
 * From what openvpn says to what the user sees: >STATE names to TunnelState, and the failure
 * notices (verification failures, EXITING reasons) to error states with messages in plain words.
 * Pure functions, unit-tested.
 */
import type { Localized, TunnelState } from '../../../../shared/ipc/helper-protocol.js';
import type { OvpnState } from './protocol.js';

export type ErrorState = Extract<TunnelState, { status: 'error' }>;

/** `ip:port`, with brackets for IPv6. */
export function formatRemote(addr: string, port: string): string {
  if (!addr) return '';
  const host = addr.includes(':') ? `[${addr}]` : addr;
  return port ? `${host}:${port}` : host;
}

/**
 * The TunnelState for an in-progress or connected >STATE, or null for the states the driver
 * handles itself (RECONNECTING, EXITING) and for unknown ones.
 * `userAuth`: the current attempt answered an 'Auth' prompt, so AUTH is the login, not just TLS.
 */
export function progressState(s: OvpnState, userAuth: boolean, now: number): TunnelState | null {
  switch (s.name) {
    case 'INITIAL':
      return { status: 'connecting', phase: 'starting' };
    case 'RESOLVE':
      return { status: 'connecting', phase: 'resolving' };
    case 'CONNECTING':
    case 'TCP_CONNECT':
      return { status: 'connecting', phase: 'connecting' };
    case 'WAIT':
      // Waiting for the server's first answer.
      return { status: 'connecting', phase: 'waiting' };
    case 'AUTH':
      return userAuth ? { status: 'authenticating' } : { status: 'connecting', phase: 'handshake' };
    case 'AUTH_PENDING':
      return { status: 'authenticating' };
    case 'GET_CONFIG':
    case 'ASSIGN_IP':
    case 'ADD_ROUTES':
      return { status: 'connecting', phase: 'configuring' };
    case 'CONNECTED': {
      const state: TunnelState = { status: 'connected', localIp: s.localIp || s.localIp6, remote: formatRemote(s.remoteAddr, s.remotePort), since: now };
      // Dual stack: both addresses (issue 15).
      return s.localIp && s.localIp6 ? { ...state, localIp6: s.localIp6 } : state;
    }
    default:
      return null;
  }
}

/** True for a CONNECTED state that actually worked (detail SUCCESS, not ERROR/ROUTE_ERROR). */
export function connectedOk(s: OvpnState): boolean {
  return s.name === 'CONNECTED' && s.detail === 'SUCCESS';
}

function error(code: string, message: Localized, detail?: string): ErrorState {
  return detail === undefined ? { status: 'error', code, message } : { status: 'error', code, message, detail };
}

/** Control characters out, length bounded: the server's reason is shown to the user as text. */
export function cleanReason(reason: string): string {
  // eslint-disable-next-line no-control-regex
  return reason.replace(/[\0-\x1f\x7f]/g, ' ').trim().slice(0, 300);
}

export type VerificationOutcome =
  | { kind: 'error'; state: ErrorState }
  /** `AUTH_FAILED,TEMP…`: openvpn retries by itself; not the user's fault. */
  | { kind: 'temporary'; reason: string }
  /** A dynamic challenge (CRV1): the server wants an answer, this is not a failure. */
  | { kind: 'challenge'; stateId: string; username: string; text: string; echo: boolean; responseRequired: boolean };

function decodeBase64(b64: string): string {
  try {
    return Buffer.from(b64, 'base64').toString('utf8');
  } catch {
    return '';
  }
}

export function badPassphraseError(): ErrorState {
  return error('bad-passphrase', {
    en: 'The passphrase for the private key is wrong.',
    ja: '秘密鍵のパスフレーズが正しくありません。',
  });
}

/** `>PASSWORD:Verification Failed: '<label>' ['<reason>']` → what happens next. */
export function classifyVerificationFailure(label: string, reason: string | null): VerificationOutcome {
  if (label === 'Private Key') return { kind: 'error', state: badPassphraseError() };
  const r = reason === null ? '' : cleanReason(reason);
  const crv1 = /^CRV1:([^:]*):([^:]*):([^:]*):(.*)$/s.exec(reason ?? '');
  if (label === 'Auth' && crv1) {
    const flags = (crv1[1] ?? '').split(',');
    return {
      kind: 'challenge',
      stateId: crv1[2] ?? '',
      username: decodeBase64(crv1[3] ?? ''),
      text: cleanReason(crv1[4] ?? ''),
      echo: flags.includes('E'),
      responseRequired: flags.includes('R'),
    };
  }
  if (/^TEMP\b/.test(r)) return { kind: 'temporary', reason: r };
  if (/cipher negotiation failed/i.test(r)) {
    return {
      kind: 'error',
      state: error(
        'cipher-negotiation-failed',
        {
          en: `The server and this profile have no data-channel cipher in common (the server said: "${r}"). The server probably only supports an old cipher such as AES-256-CBC: re-import the profile so Tsunagu can add its cipher to data-ciphers, or ask the provider for an updated profile.`,
          ja: `サーバーとこのプロファイルに共通のデータチャネル暗号がありません（サーバーの応答: 「${r}」）。サーバーが AES-256-CBC などの古い暗号のみに対応している可能性があります。プロファイルを再インポートして data-ciphers に暗号を追加するか、提供元に新しいプロファイルを依頼してください。`,
        },
        r,
      ),
    };
  }
  if (label !== 'Auth') {
    return {
      kind: 'error',
      state: error(
        'auth-failed',
        { en: `The credentials for '${label}' were rejected.`, ja: `「${label}」の認証情報が拒否されました。` },
        r || undefined,
      ),
    };
  }
  return {
    kind: 'error',
    state: error(
      'auth-failed',
      r
        ? { en: `The server rejected the login: ${r}`, ja: `サーバーがログインを拒否しました: ${r}` }
        : {
            en: 'The server rejected the login. Check the username and password (and the one-time code, if the profile asks for one).',
            ja: 'サーバーがログインを拒否しました。ユーザー名とパスワード（必要な場合はワンタイムコード）を確認してください。',
          },
      r || undefined,
    ),
  };
}

/** An EXITING the driver did not ask for (openvpn stops by itself), as an error state. */
export function unexpectedExit(detail: string, lastLog: string | null): ErrorState {
  const extra = lastLog ? `${detail}: ${lastLog}` : detail;
  if (detail.startsWith('auth-failure')) {
    return error('auth-failed', { en: 'The server rejected the login.', ja: 'サーバーがログインを拒否しました。' }, extra);
  }
  if (detail === 'private-key-password-failure') return badPassphraseError();
  if (detail === 'server-pushed-halt' || detail === 'remote-exit') {
    return error(
      'server-halted',
      { en: 'The server ended the connection and asked not to reconnect.', ja: 'サーバーが接続を終了し、再接続しないよう指示しました。' },
      extra,
    );
  }
  return error(
    'openvpn-exited',
    {
      en: `OpenVPN stopped unexpectedly (${detail || 'no reason given'}).`,
      ja: `OpenVPN が予期せず終了しました（${detail || '理由不明'}）。`,
    },
    extra,
  );
}

export function connectTimeoutError(timeoutMs: number, lastActivity: string | null): ErrorState {
  const s = Math.round(timeoutMs / 1000);
  return error(
    'connect-timeout',
    {
      en: `No connection after ${s} seconds. The server may be unreachable, or its TLS settings may not match this profile's.`,
      ja: `${s} 秒経っても接続できませんでした。サーバーに到達できないか、サーバーの TLS 設定がこのプロファイルと一致していない可能性があります。`,
    },
    lastActivity ?? undefined,
  );
}

export function processExitError(how: string, lastLines: string[]): ErrorState {
  const tail = lastLines.slice(-3).join(' | ');
  return error(
    'openvpn-exited',
    {
      en: `OpenVPN stopped before connecting (${how})${tail ? `: ${tail}` : '.'}`,
      ja: `OpenVPN が接続前に終了しました（${how}）${tail ? `: ${tail}` : '。'}`,
    },
    tail || undefined,
  );
}

export function spawnError(message: string): ErrorState {
  return error('spawn-failed', { en: `OpenVPN could not be started: ${message}`, ja: `OpenVPN を起動できませんでした: ${message}` }, message);
}

export function unsupportedPromptError(label: string): ErrorState {
  return error(
    'unsupported-prompt',
    {
      en: `The profile asks for '${label}' credentials, which Tsunagu cannot provide yet.`,
      ja: `このプロファイルは「${label}」の認証情報を要求していますが、Tsunagu はまだ対応していません。`,
    },
    label,
  );
}

/** The level of a >LOG line from its flags (F fatal, N non-fatal error, W warning, D debug). */
export function logLevel(flags: string): 'debug' | 'info' | 'warn' | 'error' {
  if (flags.includes('F')) return 'error';
  if (flags.includes('N') || flags.includes('W')) return 'warn';
  if (flags.includes('D')) return 'debug';
  return 'info';
}

/** The reconnect cause the driver itself gives when it restarts openvpn after a network change. */
export const NETWORK_CHANGE = 'network-change';

/**
 * Why openvpn is reconnecting, in plain words (issue 14): the detail of `>STATE:…,RECONNECTING,<reason>`
 * (register_signal texts of release/2.6), the driver's own `process-exited`, or NETWORK_CHANGE.
 */
export function reconnectMessage(reason: string): Localized {
  switch (reason) {
    case 'ping-restart':
    case 'ping-exit':
      return { en: 'No reply from the server', ja: 'サーバーから応答がありません' };
    case 'connection-reset':
      return { en: 'The connection to the server was reset', ja: 'サーバーとの接続がリセットされました' };
    case 'server-pushed-connection-reset':
      return { en: 'The server asked to reconnect', ja: 'サーバーから再接続を求められました' };
    case 'tls-error':
      return { en: 'The secure connection could not be set up in time', ja: '安全な接続を時間内に確立できませんでした' };
    case 'connection-failed':
      return { en: 'Could not reach the server', ja: 'サーバーに到達できません' };
    case 'network-unreachable':
      return { en: 'The network is unreachable', ja: 'ネットワークに到達できません' };
    case NETWORK_CHANGE:
      return { en: 'The network changed', ja: 'ネットワークが変わりました' };
    case 'no-push-reply':
      return { en: 'The server did not send its settings', ja: 'サーバーから設定が届きませんでした' };
    case 'process-exited':
      return { en: 'OpenVPN stopped unexpectedly and is being restarted', ja: 'OpenVPN が予期せず停止したため、再起動しています' };
    case 'SIGHUP':
    case 'SIGUSR1':
      return { en: 'OpenVPN was asked to restart', ja: 'OpenVPN に再起動が要求されました' };
    default:
      if (reason.startsWith('auth-temp-failure')) return { en: 'The server refused the login for now', ja: 'サーバーが一時的にログインを拒否しました' };
      return { en: `Reconnecting (OpenVPN says “${cleanReason(reason)}”)`, ja: `再接続しています（OpenVPN の理由: 「${cleanReason(reason)}」）` };
  }
}

/**
 * A fake `window.tsunagu` with canned data and a simulated tunnel, for the dev preview only
 * (renderer/dev/preview.html). The production build's only entry is renderer/index.html, which
 * never imports this file.
 *
 * URL parameters: lang=en|ja (system language), profiles=N (adds generated profiles),
 * helper=available|connecting|unavailable, keychain=real|basic_text|unavailable,
 * scenario=empty|connected|credentials|challenge|passphrase|error|reconnecting|review|refused|import-failed.
 */
import type {
  AppError, AppEvent, AppReply, AppResult, ConnectionView, HelperStatus, ImportPreview, ImportSource,
  ProfileDetails, ProfileSummary, Settings, TsunaguApi,
} from '../../shared/ipc/app-api.js';
import type { CredentialRequest, LogLine, TunnelState } from '../../shared/ipc/helper-protocol.js';
import { defaultPolicyValues } from '../../shared/policy/table.js';
import { profileFileName } from '../../shared/profiles/kinds.js';
import { newWireGuardTunnel } from '../../shared/profiles/wireguard/create.js';

export type Scenario =
  | 'none' | 'empty' | 'connected' | 'credentials' | 'challenge' | 'passphrase' | 'error' | 'reconnecting' | 'review' | 'refused' | 'import-failed';

export type FakeOptions = {
  lang: 'en' | 'ja';
  profiles: number;
  helper: HelperStatus['status'];
  keychain: AppReply<'app:info'>['keychain'];
  scenario: Scenario;
};

export function readOptions(params: URLSearchParams): FakeOptions {
  const pick = <T extends string>(name: string, allowed: readonly T[], fallback: T): T => {
    const v = params.get(name);
    return allowed.find((a) => a === v) ?? fallback;
  };
  return {
    lang: pick('lang', ['en', 'ja'], 'en'),
    profiles: Math.max(0, Math.min(100_000, Number(params.get('profiles') ?? '0') || 0)),
    helper: pick('helper', ['available', 'connecting', 'unavailable'], 'available'),
    keychain: pick('keychain', ['real', 'basic_text', 'unavailable'], 'real'),
    scenario: pick('scenario', ['none', 'empty', 'connected', 'credentials', 'challenge', 'passphrase', 'error', 'reconnecting', 'review', 'refused', 'import-failed'], 'none'),
  };
}

/** Deterministic pseudo-random numbers, so screenshots are repeatable. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const DAY = 86_400_000;
const NOW = Date.now();

const BASE_PROFILES: ProfileSummary[] = [
  { id: 'tokyooffice01', name: 'Tokyo office', kind: 'openvpn', layer: 'L3', server: 'vpn.tokyo.example.co.jp:1194/udp', importedAt: NOW - 40 * DAY, needsCredentials: true, hasSavedCredentials: false, advisoryCount: 2 },
  { id: 'honsha000001', name: '東京本社 VPN', kind: 'openvpn', layer: 'L3', server: 'gw.honsha.example.jp:443/tcp', importedAt: NOW - 12 * DAY, needsCredentials: true, hasSavedCredentials: true, advisoryCount: 0 },
  { id: 'osakalab0001', name: 'Osaka lab (bridged)', kind: 'openvpn', layer: 'L2', server: 'lab-osaka.example.jp:1194/udp', importedAt: NOW - 90 * DAY, needsCredentials: false, hasSavedCredentials: false, advisoryCount: 1 },
  { id: 'homewg000001', name: 'Home WireGuard', kind: 'wireguard', layer: 'L3', server: '203.0.113.5:51820', importedAt: NOW - 3 * DAY, needsCredentials: false, hasSavedCredentials: false, advisoryCount: 0 },
  { id: 'customera001', name: 'Customer A – support access', kind: 'openvpn', layer: 'L3', server: 'support.customer-a.example.com:1194/udp', importedAt: NOW - 200 * DAY, needsCredentials: true, hasSavedCredentials: false, advisoryCount: 0 },
  { id: 'backupwg0001', name: 'Backup gateway', kind: 'wireguard', layer: 'L3', server: '[2001:db8::10]:51820', importedAt: NOW - 1 * DAY, needsCredentials: false, hasSavedCredentials: false, advisoryCount: 0 },
];

function generatedProfiles(count: number): ProfileSummary[] {
  const random = prng(7);
  const cities = ['Sapporo', 'Sendai', 'Nagoya', 'Kyoto', 'Kobe', 'Hiroshima', 'Fukuoka', 'Naha', '横浜', '札幌', '名古屋', '福岡'];
  return Array.from({ length: count }, (_, i): ProfileSummary => {
    const wg = random() < 0.3;
    const l2 = !wg && random() < 0.15;
    const city = cities[i % cities.length] ?? 'Site';
    return {
      id: `gen${String(i).padStart(6, '0')}`,
      name: `${city} branch ${String(i + 1).padStart(4, '0')}`,
      kind: wg ? 'wireguard' : 'openvpn',
      layer: l2 ? 'L2' : 'L3',
      server: wg ? `198.51.100.${i % 250}:51820` : `vpn${i}.branch.example.net:1194/udp`,
      importedAt: NOW - Math.floor(random() * 400) * DAY,
      needsCredentials: !wg && random() < 0.5,
      hasSavedCredentials: false,
      advisoryCount: 0,
    };
  });
}

type Lang = 'en' | 'ja';
const words = (en: string, ja: string) => ({ en, ja });

function detailRows(p: ProfileSummary, lang: Lang): [string, string][] {
  const L = (en: string, ja: string) => (lang === 'ja' ? ja : en);
  if (p.kind === 'wireguard') {
    return [
      [L('Server', 'サーバー'), p.server],
      [L('Sign-in', 'サインイン'), L('Key pair (no password)', '鍵ペア（パスワード不要）')],
      [L('Traffic through the VPN', 'VPN を通る通信'), L('Everything (full tunnel)', 'すべての通信（フルトンネル）')],
      [L('Address in the tunnel', 'トンネル内のアドレス'), '10.66.0.2/32, fd00:66::2/128'],
      [L('DNS servers', 'DNS サーバー'), '10.66.0.1'],
      [L('Keepalive', 'キープアライブ'), L('Every 25 seconds', '25 秒ごと')],
    ];
  }
  return [
    [L('Servers', 'サーバー'), `${p.server}\n${p.server.replace(/^[^.]*/, 'vpn2')} (${L('fallback', '予備')})`],
    [L('Sign-in', 'サインイン'), p.needsCredentials ? L('Certificate and username/password', '証明書とユーザー名・パスワード') : L('Certificate only', '証明書のみ')],
    [L('Network type', 'ネットワークの種類'), p.layer === 'L2' ? L('Bridged (layer 2, tap)', 'ブリッジ（レイヤー 2、tap）') : L('Routed (layer 3, tun)', 'ルーティング（レイヤー 3、tun）')],
    [L('Traffic through the VPN', 'VPN を通る通信'), L('Only company networks: 10.0.0.0/8, 172.16.0.0/12', '社内ネットワークのみ：10.0.0.0/8、172.16.0.0/12')],
    [L('DNS', 'DNS'), L('Pushed by the server (corp.example.jp)', 'サーバーから配布（corp.example.jp）')],
    [L('Encryption', '暗号化'), 'AES-256-GCM, CHACHA20-POLY1305 · TLS 1.2+'],
  ];
}

const ADVISORIES: ProfileDetails['advisories'] = [
  {
    code: 'cipher-legacy', severity: 'warning', line: 14,
    message: words('The profile uses the outdated cipher BF-CBC.', 'プロファイルが古い暗号方式 BF-CBC を使っています。'),
    explanation: words('OpenVPN 2.6 no longer accepts BF-CBC by default, so the connection would fail to agree on a cipher.', 'OpenVPN 2.6 は既定で BF-CBC を受け付けないため、暗号方式の合意に失敗します。'),
    fix: { automatic: true, description: words('Added BF-CBC to data-ciphers so older servers still connect.', '古いサーバーにも接続できるよう data-ciphers に BF-CBC を追加しました。') },
  },
  {
    code: 'comp-lzo', severity: 'info', line: 21,
    message: words('Compression (comp-lzo) is turned on.', '圧縮（comp-lzo）が有効になっています。'),
    explanation: words('Compression in a VPN can leak information about encrypted data (VORACLE).', 'VPN での圧縮は、暗号化されたデータの情報を漏らすおそれがあります（VORACLE）。'),
    fix: { automatic: false, description: words('Ask the administrator for a profile without compression.', '圧縮を使わないプロファイルを管理者に依頼してください。') },
  },
];

function maskedConfig(p: ProfileSummary): string {
  if (p.kind === 'wireguard') {
    return `[Interface]\nPrivateKey = ********\nAddress = 10.66.0.2/32, fd00:66::2/128\nDNS = 10.66.0.1\n\n[Peer]\nPublicKey = hIPd4J0nPuGJuLvQiHh9Tc0tAs9m4fCkqVQUsxQdnHg=\nPresharedKey = ********\nEndpoint = ${p.server}\nAllowedIPs = 0.0.0.0/0, ::/0\nPersistentKeepalive = 25\n`;
  }
  return `client\ndev ${p.layer === 'L2' ? 'tap' : 'tun'}\nproto udp\nremote ${p.server.split(':')[0] ?? ''} 1194\nresolv-retry infinite\nnobind\nremote-cert-tls server\ndata-ciphers AES-256-GCM:CHACHA20-POLY1305:BF-CBC\n${p.needsCredentials ? 'auth-user-pass\n' : ''}verb 3\n<ca>\n-----BEGIN CERTIFICATE-----\nMIIDSzCCAjOgAwIBAgIUJ…\n-----END CERTIFICATE-----\n</ca>\n<key>\n********\n</key>\n<tls-crypt>\n********\n</tls-crypt>\n`;
}

function reviewPreview(refusedOnly: boolean): ImportPreview {
  const refused: ImportPreview['items'][number] = {
    file: 'legacy-router.ovpn', ok: false, kind: 'openvpn', name: 'legacy-router', layer: 'L3', rows: [], advisories: [], inlinedFiles: [],
    errors: [
      { code: 'script-directive', line: 12, column: 1, text: 'up /etc/openvpn/update-resolv-conf', message: words('The profile wants to run a program when the tunnel comes up ("up"). Tsunagu never runs programs from a profile.', 'このプロファイルはトンネル接続時にプログラムを実行しようとしています（up）。Tsunagu はプロファイルからプログラムを実行しません。') },
      { code: 'script-security', line: 11, column: 1, text: 'script-security 2', message: words('"script-security 2" would allow scripts to run as administrator.', '「script-security 2」は管理者権限でのスクリプト実行を許可してしまいます。') },
    ],
  };
  if (refusedOnly) return { importId: 'imprefused01', source: '/home/aiko/Downloads/legacy-router.ovpn', items: [refused] };
  return {
    importId: 'impreview001',
    source: '/home/aiko/Downloads/company-vpn.zip',
    items: [
      {
        file: 'kyoto-office.ovpn', ok: true, kind: 'openvpn', name: 'Kyoto office', layer: 'L3',
        rows: [
          ['Server', 'vpn.kyoto.example.jp:1194/udp'],
          ['Sign-in', 'Certificate and username/password'],
          ['Traffic through the VPN', 'Only company networks: 10.20.0.0/16'],
          ['DNS', 'Pushed by the server'],
        ],
        advisories: ADVISORIES, errors: [], inlinedFiles: ['ca.crt', 'kyoto.crt', 'kyoto.key', 'ta.key'],
      },
      refused,
    ],
  };
}

function wgPreview(importId: string, name: string): ImportPreview {
  return {
    importId, source: name,
    items: [{
      file: `${name}.conf`, ok: true, kind: 'wireguard', name, layer: 'L3',
      rows: [['Server', '198.51.100.7:51820'], ['Traffic through the VPN', 'Everything (full tunnel)'], ['DNS servers', '10.9.0.1']],
      advisories: [], errors: [], inlinedFiles: [],
    }],
  };
}

function logText(random: () => number): { level: LogLine['level']; text: string } {
  const lines: { level: LogLine['level']; text: string }[] = [
    { level: 'info', text: 'TCP/UDP: Preserving recently used remote address: [AF_INET]198.51.100.20:1194' },
    { level: 'info', text: 'Initialization Sequence Completed' },
    { level: 'debug', text: 'MANAGEMENT: >STATE:1767312000,CONNECTED,SUCCESS,10.8.0.6,198.51.100.20,1194,,' },
    { level: 'info', text: 'Data Channel: cipher \'AES-256-GCM\', peer-id: 3' },
    { level: 'warn', text: 'WARNING: this configuration may cache passwords in memory -- use the auth-nocache option to prevent this' },
    { level: 'info', text: 'wg: peer hIPd4J0n… latest handshake 12 s ago' },
    { level: 'debug', text: 'dns: applied 10.66.0.1 to tun0 via resolvconf' },
    { level: 'error', text: 'TLS Error: TLS key negotiation failed to occur within 60 seconds (check your network connectivity)' },
    { level: 'info', text: 'password: [redacted]' },
  ];
  return lines[Math.floor(random() * lines.length)] ?? { level: 'info', text: '' };
}

const PUBLIC_KEY = 'xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=';

/** Resolves after a short delay, like IPC would. */
function reply<T>(value: T, ms = 15): Promise<AppResult<T>> {
  return new Promise((resolve) => setTimeout(() => resolve({ ok: true, value }), ms));
}

function fail<T>(error: AppError, ms = 15): Promise<AppResult<T>> {
  return new Promise((resolve) => setTimeout(() => resolve({ ok: false, error }), ms));
}

export function createFakeApi(options: FakeOptions): TsunaguApi {
  const random = prng(42);
  const listeners = new Set<(event: AppEvent) => void>();
  const emit = (event: AppEvent) => listeners.forEach((l) => l(event));
  let profiles = options.scenario === 'empty' ? [] : [...BASE_PROFILES, ...generatedProfiles(options.profiles)];
  let settings: Settings = { launchAtLogin: true, connectOnLaunch: null, notifications: true, language: 'system', killSwitch: true, allowLan: false };
  const connections = new Map<string, ConnectionView>();
  const pendingImports = new Map<string, ImportPreview>();
  const helper: HelperStatus = options.helper === 'available'
    ? { status: 'available', version: '0.1.0' }
    : options.helper === 'connecting'
      ? { status: 'connecting' }
      : {
          status: 'unavailable', reason: 'not-running',
          message: words('The Tsunagu helper service is not running, so no VPN connection can be made.', 'Tsunagu のヘルパーサービスが動作していないため、VPN に接続できません。'),
          howToFix: words('Start it with:\n  sudo systemctl enable --now tsunagu-helper\nIf that fails, reinstall Tsunagu.', '次のコマンドで起動してください：\n  sudo systemctl enable --now tsunagu-helper\nうまくいかない場合は Tsunagu を再インストールしてください。'),
        };
  let seq = 1;
  const lang = (): Lang => (settings.language === 'system' ? options.lang : settings.language);

  function setConnection(profileId: string, state: TunnelState, prompt: CredentialRequest | null = null, sessionId?: string): void {
    const previous = connections.get(profileId);
    const connection: ConnectionView = {
      profileId,
      sessionId: sessionId ?? previous?.sessionId ?? null,
      state,
      bytesIn: previous?.bytesIn ?? 0,
      bytesOut: previous?.bytesOut ?? 0,
      rateIn: state.status === 'connected' ? previous?.rateIn ?? 0 : 0,
      rateOut: state.status === 'connected' ? previous?.rateOut ?? 0 : 0,
      prompt,
    };
    connections.set(profileId, connection);
    emit({ type: 'connection', connection });
  }

  function log(level: LogLine['level'], text: string, at = Date.now()): LogLine {
    const line: LogLine = { at, sessionId: null, uid: 1000, level, text };
    emit({ type: 'log', line });
    return line;
  }

  function sample(profileId: string, at: number): void {
    const c = connections.get(profileId);
    if (!c || c.state.status !== 'connected') return;
    const t = at / 1000;
    const rateIn = Math.max(0, 180_000 + 140_000 * Math.sin(t / 7) + 90_000 * random() + (Math.floor(t) % 17 === 0 ? 900_000 : 0));
    const rateOut = Math.max(0, 30_000 + 20_000 * Math.cos(t / 5) + 15_000 * random());
    const next = { ...c, bytesIn: c.bytesIn + rateIn, bytesOut: c.bytesOut + rateOut, rateIn, rateOut };
    connections.set(profileId, next);
    emit({ type: 'stats', profileId, bytesIn: next.bytesIn, bytesOut: next.bytesOut, rateIn, rateOut, at });
  }

  function connected(profileId: string, since = Date.now()): void {
    setConnection(profileId, { status: 'connected', localIp: profileId.startsWith('homewg') ? '10.66.0.2' : '10.8.0.6', remote: profiles.find((p) => p.id === profileId)?.server ?? '', since });
    log('info', 'Initialization Sequence Completed');
  }

  function startSession(profileId: string): void {
    const p = profiles.find((x) => x.id === profileId);
    const sessionId = `s${(seq++).toString().padStart(8, '0')}`;
    setConnection(profileId, { status: 'connecting', phase: 'starting' }, null, sessionId);
    const steps: [number, () => void][] = [
      [300, () => setConnection(profileId, { status: 'connecting', phase: 'resolving' })],
      [700, () => setConnection(profileId, { status: 'connecting', phase: 'handshake' })],
      [1200, () => (p?.needsCredentials && !p.hasSavedCredentials
        ? setConnection(profileId, { status: 'authenticating' }, { kind: 'userpass', retry: false })
        : connected(profileId))],
    ];
    for (const [ms, step] of steps) setTimeout(step, ms);
  }

  function applyScenario(): void {
    const first = 'tokyooffice01';
    switch (options.scenario) {
      case 'connected': {
        const since = Date.now() - (1 * 3600 + 23 * 60 + 45) * 1000;
        connections.set(first, { profileId: first, sessionId: 'sdemo0001', state: { status: 'connected', localIp: '10.8.0.6', remote: '198.51.100.20:1194/udp', since }, bytesIn: 1_284_000_000, bytesOut: 96_400_000, rateIn: 0, rateOut: 0, prompt: null });
        connections.set('homewg000001', { profileId: 'homewg000001', sessionId: 'sdemo0002', state: { status: 'connecting', phase: 'handshake' }, bytesIn: 0, bytesOut: 0, rateIn: 0, rateOut: 0, prompt: null });
        break;
      }
      case 'credentials':
        connections.set(first, { profileId: first, sessionId: 'sdemo0001', state: { status: 'authenticating' }, bytesIn: 0, bytesOut: 0, rateIn: 0, rateOut: 0, prompt: { kind: 'userpass', username: 'aiko.tanaka', retry: true } });
        break;
      case 'challenge':
        connections.set(first, { profileId: first, sessionId: 'sdemo0001', state: { status: 'authenticating' }, bytesIn: 0, bytesOut: 0, rateIn: 0, rateOut: 0, prompt: { kind: 'challenge', text: options.lang === 'ja' ? '認証アプリに表示されている 6 桁のコードを入力してください' : 'Enter the 6-digit code from your authenticator app', echo: true, username: 'aiko.tanaka', needsPassword: false, retry: false } });
        break;
      case 'passphrase':
        connections.set('osakalab0001', { profileId: 'osakalab0001', sessionId: 'sdemo0001', state: { status: 'authenticating' }, bytesIn: 0, bytesOut: 0, rateIn: 0, rateOut: 0, prompt: { kind: 'passphrase', retry: false } });
        break;
      case 'error':
        connections.set(first, {
          profileId: first, sessionId: null, bytesIn: 0, bytesOut: 0, rateIn: 0, rateOut: 0, prompt: null,
          state: { status: 'error', code: 'connect-timeout', message: words('The server did not answer within 60 seconds. Check that you are online and that the server address is right; if it keeps happening, the server may be down.', 'サーバーから 60 秒以内に応答がありませんでした。インターネットに接続されているか、サーバーのアドレスが正しいかを確認してください。繰り返し発生する場合は、サーバーが停止している可能性があります。'), detail: 'last state WAIT; TLS Error: TLS key negotiation failed to occur within 60 seconds (check your network connectivity)' },
        });
        break;
      case 'reconnecting':
        connections.set(first, { profileId: first, sessionId: 'sdemo0001', state: { status: 'reconnecting', reason: 'ping-restart', attempt: 2 }, bytesIn: 52_000_000, bytesOut: 4_100_000, rateIn: 0, rateOut: 0, prompt: null });
        break;
      default:
        break;
    }
  }

  applyScenario();

  function afterSubscribe(): void {
    if (options.scenario === 'connected') {
      // Backfill a minute of history so the graph has something to show at once.
      const now = Date.now();
      for (let i = 60; i >= 1; i--) sample('tokyooffice01', now - i * 1000);
    }
    if (options.scenario === 'review' || options.scenario === 'refused') {
      const preview = reviewPreview(options.scenario === 'refused');
      pendingImports.set(preview.importId, preview);
      emit({ type: 'import-review', preview });
    }
    if (options.scenario === 'import-failed') {
      emit({ type: 'import-failed', source: 'https://vpn.example.jp/profiles/aiko.ovpn', error: { code: 'download-failed', message: words('The address answered with an error (404 Not Found). Ask whoever sent it for a new link.', 'アドレスからエラーが返されました（404 Not Found）。送信者に新しいリンクを依頼してください。'), detail: 'GET https://vpn.example.jp/profiles/aiko.ovpn → 404' } });
    }
  }

  setInterval(() => {
    const now = Date.now();
    for (const id of connections.keys()) sample(id, now);
    if (random() < 0.3 && [...connections.values()].some((c) => c.state.status === 'connected')) {
      const { level, text } = logText(random);
      log(level, text, now);
    }
  }, 1000);

  function details(p: ProfileSummary): ProfileDetails {
    return {
      ...p,
      rows: detailRows(p, lang()),
      advisories: p.advisoryCount > 0 ? ADVISORIES.slice(0, p.advisoryCount) : [],
      publicKey: p.kind === 'wireguard' ? PUBLIC_KEY : null,
      maskedConfig: maskedConfig(p),
    };
  }

  const notFound: AppError = { code: 'not-found', message: words('This profile no longer exists.', 'このプロファイルはもう存在しません。') };

  function previewFor(source: ImportSource): Promise<AppResult<ImportPreview>> {
    const importId = `imp${(seq++).toString().padStart(8, '0')}`;
    let preview: ImportPreview;
    if (source.kind === 'url' && source.url.includes('404')) {
      return fail({ code: 'download-failed', message: words('The address answered with an error (404 Not Found).', 'アドレスからエラーが返されました（404 Not Found）。'), detail: `GET ${source.url} → 404` }, 400);
    }
    if (source.kind === 'text' && source.text.includes('[Interface]')) preview = wgPreview(importId, source.fileName?.replace(/\.conf$/, '') ?? 'wg-pasted');
    else if (source.kind === 'text' && /^\s*up\s/m.test(source.text)) preview = { ...reviewPreview(true), importId, source: 'pasted text' };
    else preview = { ...reviewPreview(false), importId, source: source.kind === 'path' ? source.path : source.kind === 'url' ? source.url : 'pasted text' };
    pendingImports.set(importId, preview);
    return reply(preview, 250);
  }

  const recentLogs = (): LogLine[] => {
    const r = prng(3);
    const start = Date.now() - 3600_000;
    return Array.from({ length: 400 }, (_, i) => ({ at: start + i * 9000, sessionId: null, uid: 1000, ...logText(r) }));
  };

  return {
    appInfo: () => reply({ version: '0.1.0-preview', platform: 'linux', systemLanguage: options.lang, keychain: options.keychain }),
    profilesList: () => reply({ profiles }, 0).then((r) => {
      performance.mark('fake:profiles-delivered');
      return r;
    }),
    profilesGet: ({ id }) => {
      const p = profiles.find((x) => x.id === id);
      return p ? reply(details(p), 40) : fail(notFound);
    },
    profilesPrepareImport: ({ source }) => previewFor(source),
    profilesCommitImport: ({ importId, names }) => {
      const preview = pendingImports.get(importId);
      if (!preview) return fail({ code: 'import-expired', message: words('This import has expired. Please import the file again.', 'このインポートは期限切れです。もう一度インポートしてください。') });
      pendingImports.delete(importId);
      const ids: string[] = [];
      preview.items.forEach((item, i) => {
        if (!item.ok) return;
        const id = `new${(seq++).toString().padStart(8, '0')}`;
        ids.push(id);
        profiles = [...profiles, { id, name: names?.[i] ?? item.name, kind: item.kind, layer: item.layer, server: item.rows[0]?.[1] ?? '', importedAt: Date.now(), needsCredentials: false, hasSavedCredentials: false, advisoryCount: Math.min(2, item.advisories.length) }];
      });
      setTimeout(() => emit({ type: 'profiles-changed' }), 0);
      return reply({ ids });
    },
    profilesCancelImport: ({ importId }) => {
      pendingImports.delete(importId);
      return reply({ ok: true as const });
    },
    profilesRename: ({ id, name }) => {
      profiles = profiles.map((p) => (p.id === id ? { ...p, name } : p));
      setTimeout(() => emit({ type: 'profiles-changed' }), 0);
      return reply({ ok: true as const });
    },
    profilesDelete: ({ id }) => {
      profiles = profiles.filter((p) => p.id !== id);
      setTimeout(() => emit({ type: 'profiles-changed' }), 0);
      return reply({ ok: true as const });
    },
    profilesNewWireguard: (form) => {
      // The real pure builder (shared/), so the dialog shows the same field errors as with main.
      const built = newWireGuardTunnel(form);
      if (!built.ok) return reply({ created: false as const, fieldErrors: built.fieldErrors }, 120);
      const id = `new${(seq++).toString().padStart(8, '0')}`;
      profiles = [...profiles, { id, name: built.name, kind: 'wireguard', layer: 'L3', server: form.endpoint.trim(), importedAt: Date.now(), needsCredentials: false, hasSavedCredentials: false, advisoryCount: built.inspection.advisories.length }];
      setTimeout(() => emit({ type: 'profiles-changed' }), 0);
      return reply({ created: true as const, id, name: built.name, publicKey: built.publicKey, peerBlock: built.peerBlock }, 120);
    },
    profilesExport: ({ id }) => {
      const p = profiles.find((x) => x.id === id);
      return p ? reply({ path: `/home/aiko/Documents/${profileFileName(p.name, p.kind)}` }, 300) : fail(notFound);
    },
    managedGet: () => reply({ policy: defaultPolicyValues(), uid: 1000, provisioned: [] }),
    connectionsList: () => reply({ connections: [...connections.values()], helper }),
    connectionsConnect: ({ id }) => {
      if (helper.status !== 'available') return fail({ code: 'helper-unavailable', message: words('The Tsunagu service is not available.', 'Tsunagu サービスを利用できません。') });
      startSession(id);
      return reply({ ok: true as const });
    },
    connectionsDisconnect: ({ id }) => {
      setConnection(id, { status: 'disconnecting' });
      setTimeout(() => setConnection(id, { status: 'disconnected', reason: 'requested by the user' }, null), 500);
      return reply({ ok: true as const });
    },
    connectionsCredentials: ({ id, credentials }) => {
      if (credentials.kind === 'cancel') {
        setConnection(id, { status: 'disconnected', reason: 'credentials-cancelled' }, null);
        return reply({ ok: true as const });
      }
      setConnection(id, { status: 'connecting', phase: 'configuring' }, null);
      setTimeout(() => connected(id), 600);
      return reply({ ok: true as const });
    },
    settingsGet: () => reply(settings),
    settingsSet: (patch) => {
      settings = { ...settings, ...patch };
      setTimeout(() => emit({ type: 'settings-changed', settings }), 0);
      return reply(settings);
    },
    logRecent: () => reply({ lines: recentLogs() }, 60),
    logExport: () => reply({ path: '/home/aiko/Documents/tsunagu-log.txt' }, 300),
    // The preview's helper predates the kill switch: no firewall, as an old helper answers.
    firewallGet: () => reply({ firewall: null }),
    firewallSetLockdown: () => fail({ code: 'firewall-unsupported', message: words('This version of the Tsunagu helper cannot block traffic outside the VPN. Update Tsunagu.', 'このバージョンの Tsunagu ヘルパーは VPN 以外の通信を遮断できません。Tsunagu を更新してください。') }),
    firewallLiftBlock: () => reply({ ok: true as const }),
    onEvent: (listener) => {
      listeners.add(listener);
      if (listeners.size === 1) setTimeout(afterSubscribe, 50);
      return () => listeners.delete(listener);
    },
    pathForFile: (file) => (file instanceof File ? `/home/aiko/Downloads/${file.name}` : ''),
  };
}

/**
 * What is weak or surprising in an IKEv2 profile that still imports: IKEv1 and its modes, weak
 * proposals, short pre-shared keys, an unchecked server identity. Computed on the model, so
 * every sub-format (swanctl.conf, .sswan, mobileconfig, ipsec.conf) gets the same advice.
 */
import type { Advisory } from '../diagnostics.js';
import type { Ikev2Profile } from './model.js';

/** The line a model field came from (0 when unknown), e.g. 'version', 'proposals', 'secrets.psk'. */
export type LineOf = (field: string) => number;

/** RFC 8247's advice on PSKs for IKEv2: below this the key is guessable offline. */
export const MIN_PSK_LENGTH = 20;

/** Algorithm tokens (as charon spells them inside a proposal) that are broken or too short. */
const WEAK_TOKENS: Record<string, { en: string; ja: string }> = {
  modp768: { en: '768-bit Diffie-Hellman (breakable)', ja: '768 ビットの Diffie-Hellman (解読可能)' },
  modp1024: { en: '1024-bit Diffie-Hellman (within reach of a state-level attacker)', ja: '1024 ビットの Diffie-Hellman (国家レベルの攻撃者なら解読可能)' },
  modp1024s160: { en: '1024-bit Diffie-Hellman (within reach of a state-level attacker)', ja: '1024 ビットの Diffie-Hellman (国家レベルの攻撃者なら解読可能)' },
  modp1536: { en: '1536-bit Diffie-Hellman (below the 2048 bits RFC 8247 asks for)', ja: '1536 ビットの Diffie-Hellman (RFC 8247 が求める 2048 ビット未満)' },
  '3des': { en: '3DES (64-bit blocks, Sweet32)', ja: '3DES (64 ビットブロック、Sweet32 攻撃)' },
  des: { en: 'DES (56-bit key, broken)', ja: 'DES (56 ビット鍵、解読済み)' },
  md5: { en: 'MD5 (broken hash)', ja: 'MD5 (破られたハッシュ)' },
  sha1: { en: 'SHA-1 (deprecated by RFC 8247 for integrity and PRF)', ja: 'SHA-1 (RFC 8247 で完全性・PRF 用途は非推奨)' },
  sha: { en: 'SHA-1 (deprecated by RFC 8247 for integrity and PRF)', ja: 'SHA-1 (RFC 8247 で完全性・PRF 用途は非推奨)' },
};

function weakIn(proposals: readonly string[] | null): string[] {
  if (!proposals) return [];
  const found = new Set<string>();
  for (const p of proposals) for (const token of p.split('-')) if (WEAK_TOKENS[token]) found.add(token);
  return [...found];
}

export function ikev2Advisories(p: Ikev2Profile, lineOf: LineOf): Advisory[] {
  const out: Advisory[] = [];
  const psk = p.local.some((r) => r.auth === 'psk') || p.remote.auth === 'psk';
  if (p.version === 1) {
    out.push({
      code: 'IKEV2_IKEV1',
      severity: 'warning',
      line: lineOf('version'),
      message: { en: 'This profile uses IKEv1, the old version of the key exchange.', ja: 'このプロファイルは鍵交換の旧バージョン IKEv1 を使います。' },
      explanation: {
        en: 'RFC 8247 deprecates IKEv1: it needs more round trips, has no built-in protection against some denial-of-service and reflection attacks, cannot move between networks (MOBIKE) and authenticates users only through the non-standard XAuth. Ask your administrator whether the server offers IKEv2.',
        ja: 'RFC 8247 は IKEv1 を非推奨としています。往復が多く、一部のサービス妨害・反射攻撃への備えがなく、ネットワークの切り替え (MOBIKE) ができず、ユーザー認証は非標準の XAuth に頼ります。サーバーが IKEv2 に対応しているか管理者に確認してください。',
      },
    });
  }
  if (p.version === 1 && p.aggressive) {
    out.push({
      code: 'IKEV2_AGGRESSIVE_MODE',
      severity: 'warning',
      line: lineOf('aggressive'),
      message: psk
        ? { en: 'Aggressive mode with a pre-shared key lets an eavesdropper guess the key offline.', ja: '事前共有鍵とアグレッシブモードの組み合わせでは、盗聴者が鍵をオフラインで推測できます。' }
        : { en: 'This profile uses IKEv1 aggressive mode.', ja: 'このプロファイルは IKEv1 のアグレッシブモードを使います。' },
      explanation: {
        en: 'In aggressive mode the identities and a hash derived from the pre-shared key are sent before any encryption: anyone who records the exchange can try every candidate key offline (a dictionary attack) at full speed. Main mode, or better IKEv2, does not expose them.',
        ja: 'アグレッシブモードでは、ID と事前共有鍵から作られたハッシュが暗号化の前に送られます。通信を記録した人は、候補の鍵をオフラインで全速で試せます (辞書攻撃)。メインモード、できれば IKEv2 ではこれらは露出しません。',
      },
    });
  }
  if (p.local.some((r) => r.auth === 'xauth')) {
    out.push({
      code: 'IKEV2_XAUTH',
      severity: 'info',
      line: lineOf('local.xauth'),
      message: { en: 'The username and password are sent with XAuth (IKEv1).', ja: 'ユーザー名とパスワードは XAuth (IKEv1) で送られます。' },
      explanation: {
        en: 'XAuth was never standardised; it runs only after the server has been authenticated, so the password is protected, but everyone sharing the group key can impersonate the server to a user who trusts only that key.',
        ja: 'XAuth は標準化されていません。サーバーの認証後に実行されるためパスワード自体は保護されますが、グループ鍵を知っている人は誰でも、その鍵だけを信頼するユーザーに対してサーバーになりすませます。',
      },
    });
  }
  const weakIke = weakIn(p.proposals);
  if (weakIke.length > 0) {
    out.push(weakAdvisory('IKEV2_WEAK_IKE_PROPOSAL', lineOf('proposals'), weakIke, { en: 'the key exchange (IKE)', ja: '鍵交換 (IKE)' }));
  }
  p.children.forEach((c, i) => {
    const weakEsp = weakIn(c.espProposals);
    if (weakEsp.length > 0) {
      out.push(weakAdvisory('IKEV2_WEAK_ESP_PROPOSAL', lineOf(`children.${i}.esp_proposals`), weakEsp, { en: `the traffic of '${c.name}' (ESP)`, ja: `'${c.name}' の通信 (ESP)` }));
    }
  });
  if (p.secrets.psk !== null && [...p.secrets.psk].length < MIN_PSK_LENGTH) {
    out.push({
      code: 'IKEV2_SHORT_PSK',
      severity: 'warning',
      line: lineOf('secrets.psk'),
      message: { en: `The pre-shared key is shorter than ${MIN_PSK_LENGTH} characters.`, ja: `事前共有鍵が ${MIN_PSK_LENGTH} 文字より短いです。` },
      explanation: {
        en: 'Anyone who can observe or start an exchange with the server can test guesses of a pre-shared key offline; a short or word-like key falls quickly. Ask your administrator for a long random key (or certificates).',
        ja: 'サーバーとの交換を観察または開始できる人は、事前共有鍵の推測をオフラインで試せます。短い鍵や単語のような鍵はすぐに破られます。長いランダムな鍵 (または証明書) を管理者に依頼してください。',
      },
    });
  }
  if (p.remote.auth === 'pubkey' && p.remote.id === null) {
    out.push({
      code: 'IKEV2_SERVER_ID_UNCHECKED',
      severity: 'warning',
      line: lineOf('remote.id'),
      message: { en: "The server's identity is not checked: any certificate from the trusted CAs is accepted.", ja: 'サーバーの ID が検証されません。信頼する CA が発行した証明書なら何でも受け入れます。' },
      explanation: {
        en: "Without 'remote.id', another holder of a certificate from the same CA (another user, another server) could pose as this VPN server. Set it to the server's name as its certificate states it.",
        ja: "'remote.id' がないと、同じ CA の証明書を持つ別の人 (別のユーザーや別のサーバー) がこの VPN サーバーになりすませます。サーバー証明書に記載された名前を設定してください。",
      },
    });
  }
  return out.sort((a, b) => a.line - b.line);
}

function weakAdvisory(code: string, line: number, tokens: string[], what: { en: string; ja: string }): Advisory {
  return {
    code,
    severity: 'warning',
    line,
    message: {
      en: `Weak algorithms are offered for ${what.en}: ${tokens.map((t) => WEAK_TOKENS[t]?.en ?? t).join(', ')}.`,
      ja: `${what.ja}に弱いアルゴリズムが提示されています: ${tokens.map((t) => WEAK_TOKENS[t]?.ja ?? t).join('、')}。`,
    },
    explanation: {
      en: 'If the server picks one of them, the connection is only as strong as the weakest part. Remove them from the proposals, or ask your administrator to update the server (AES-GCM or AES with SHA-256, and a 2048-bit or elliptic-curve group).',
      ja: 'サーバーがこれらを選ぶと、接続の強度は最も弱い部分と同じになります。提案から取り除くか、サーバーの更新 (AES-GCM または AES と SHA-256、2048 ビット以上または楕円曲線のグループ) を管理者に依頼してください。',
    },
  };
}

/**
 * A `secrets { }` entry the connection does not take (the swanctl.conf reader finds them): a
 * shared secret (`ike-`, `eap-`, `xauth-`) naming identities this connection does not have, or one
 * left over when another of its type was taken; a key (`private-`, `pkcs12-`) no certificate of
 * this connection uses. None of them is imported, so each is said, never dropped silently.
 */
export type UnusedSecret =
  | { kind: 'shared'; section: string; line: number; ids: readonly string[]; taken: string | null }
  | { kind: 'key'; section: string; line: number; file: string; taken: string | null };

export function unusedSecretAdvisories(unused: readonly UnusedSecret[]): Advisory[] {
  return unused.map((u): Advisory => {
    if (u.kind === 'shared' && u.ids.length > 0) {
      const ids = u.ids.join(', ');
      return {
        code: 'IKEV2_SECRET_NOT_MATCHED',
        severity: 'warning',
        line: u.line,
        message: { en: `The secret '${u.section}' is for ${ids}, which this connection does not use; it is not imported.`, ja: `シークレット '${u.section}' は ${ids} 用で、この接続では使われないため取り込みません。` },
        explanation: {
          en: "charon pairs secrets with connections by their identities ('id' lines); only the ones naming this connection's identities belong to it. If this is the secret you meant, correct its 'id' lines.",
          ja: "charon はシークレットを ID ('id' 行) で接続と対応付けます。この接続の ID を含むものだけがこの接続のものです。使うつもりのシークレットなら、その 'id' 行を直してください。",
        },
      };
    }
    if (u.kind === 'shared') {
      return {
        code: 'IKEV2_SECRET_UNUSED',
        severity: 'info',
        line: u.line,
        message: u.taken === null
          ? { en: `The secret '${u.section}' is not imported: this connection does not use it.`, ja: `シークレット '${u.section}' はこの接続で使われないため取り込みません。` }
          : { en: `The secret '${u.section}' is not imported: this connection takes '${u.taken}'.`, ja: `シークレット '${u.section}' は取り込みません。この接続は '${u.taken}' を使います。` },
        explanation: {
          en: "A connection uses one secret of each type: the first whose 'id' lines name its identities, else the first with no 'id' lines. The others stay out of the profile.",
          ja: "接続が使うシークレットは種類ごとに 1 つです。'id' 行に接続の ID を含む最初のもの、なければ 'id' 行のない最初のものです。それ以外はプロファイルに取り込みません。",
        },
      };
    }
    return {
      code: 'IKEV2_KEY_UNUSED',
      severity: 'info',
      line: u.line,
      message: u.taken === null
        ? { en: `The key '${u.file}' ('${u.section}') is not imported: this connection signs in without a certificate.`, ja: `鍵 '${u.file}' ('${u.section}') は取り込みません。この接続は証明書を使わずにサインインします。` }
        : { en: `The key '${u.file}' ('${u.section}') is not imported: this connection's certificate uses '${u.taken}'.`, ja: `鍵 '${u.file}' ('${u.section}') は取り込みません。この接続の証明書は '${u.taken}' を使います。` },
      explanation: {
        en: 'swanctl loads every key it is given, for all connections; a Tsunagu profile keeps only the key of its own certificate, so no other private key is copied into it.',
        ja: 'swanctl は渡された鍵をすべての接続のために読み込みますが、Tsunagu のプロファイルは自分の証明書の鍵だけを保持し、ほかの秘密鍵は取り込みません。',
      },
    };
  });
}

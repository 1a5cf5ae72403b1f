/**
 * The text openvpn runs, checked twice: the writer must keep every line within openvpn's limits,
 * and an independent reader (reread.ts) must see in it exactly the directives that were checked.
 * Either failure refuses the profile: what runs as root is never anything but what was inspected.
 */
import { profileError, type ProfileError } from '../diagnostics.js';
import type { OpenVpnDirective, OpenVpnProfile } from './model.js';
import { firstDifference, rereadOpenVpn } from './reread.js';
import { writeOpenVpnChecked, type OverlongLine } from './writer.js';

export type CanonicalResult = { ok: true; text: string } | { ok: false; errors: ProfileError[] };

function overlongError(o: OverlongLine, lines: ReadonlyMap<OpenVpnDirective, number>): ProfileError {
  const d = o.directive;
  const line = d ? lines.get(d) ?? 0 : 0;
  const what = d ? (d.inline !== undefined ? `the <${d.name}> block` : `'${d.name}'`) : 'an Access Server comment';
  const whatJa = d ? (d.inline !== undefined ? `<${d.name}> ブロック` : `'${d.name}'`) : 'Access Server のコメント';
  const where = o.inConnection ? ' inside <connection>' : '';
  const whereJa = o.inConnection ? '<connection> 内の' : '';
  const text = d ? [d.name, ...d.args].join(' ') : '';
  return profileError('OVPN_CANONICAL_LINE_TOO_LONG', { line }, text, {
    en: `Line ${line}: ${what}${where} cannot be written for OpenVPN within its line limit of ${o.limit} bytes (it needs ${o.bytes}); OpenVPN would cut it and read the rest as other settings. Shorten its values.`,
    ja: `${line} 行目: ${whereJa}${whatJa}は OpenVPN の行の上限 ${o.limit} バイトに収まるように書き出せません (${o.bytes} バイト必要です)。OpenVPN は行を切り、残りを別の設定として読んでしまいます。値を短くしてください。`,
  });
}

/**
 * Checks that openvpn reads `text` as exactly `directives`: the canonical text, or the helper's
 * final config (the canonical text plus its own lines, passed in `directives` too).
 */
export function verifyOpenVpnText(text: string, directives: readonly OpenVpnDirective[]): ProfileError | null {
  const reread = rereadOpenVpn(text);
  const difference = reread.ok ? firstDifference(directives, reread.directives) : `OpenVPN stops reading at line ${reread.line}: ${reread.reason}`;
  if (difference === null) return null;
  return profileError('OVPN_CANONICAL_MISMATCH', { line: 0 }, difference, {
    en: `This profile cannot be passed to OpenVPN safely: written out, it would be read differently from what Tsunagu checked (${difference}). Please report this together with the profile.`,
    ja: `このプロファイルは OpenVPN に安全に渡せません。書き出すと、Tsunagu が検査した内容とは異なる形で読み込まれます (${difference})。プロファイルを添えて報告してください。`,
  });
}

/** The canonical text of an inspected profile, or why it cannot be run. */
export function canonicalOpenVpn(profile: Pick<OpenVpnProfile, 'directives' | 'metadata'>, lines: ReadonlyMap<OpenVpnDirective, number>): CanonicalResult {
  const written = writeOpenVpnChecked(profile);
  if (!written.ok) return { ok: false, errors: written.overlong.map((o) => overlongError(o, lines)) };
  const mismatch = verifyOpenVpnText(written.text, profile.directives);
  return mismatch ? { ok: false, errors: [mismatch] } : { ok: true, text: written.text };
}

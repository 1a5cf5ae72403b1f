/** `tsunagu inspect`: what the app would show at import, on a terminal or as JSON. */
import { profileCandidates } from '../main/profile-sources.js';
import { inspectProfile, type InspectResult } from '../../shared/profiles/inspect.js';
import { profileFileEnding, type ProfileKind } from '../../shared/profiles/kinds.js';
import { fileStem } from '../../shared/profiles/name.js';
import { summarizeProfile } from '../../shared/profiles/summary.js';
import type { Lang } from './lang.js';
import type { CliIo } from './main.js';

export interface InspectJson {
  ok: boolean;
  kind: ProfileKind;
  name: string;
  layer: 'L3' | 'L2';
  file: string;
  advisories: Array<{ code: string; line: number; message: string }>;
  errors: Array<{ code: string; line: number; message: string }>;
}

export function toJson(result: InspectResult, file: string, lang: Lang): InspectJson {
  return {
    ok: result.ok,
    kind: result.kind,
    name: result.name,
    layer: result.layer,
    file,
    advisories: result.advisories.map((a) => ({ code: a.code, line: a.line, message: a.message[lang] })),
    errors: result.errors.map((e) => ({ code: e.code, line: e.line, message: e.message[lang] })),
  };
}

/** Product names, the same in every language. */
const KIND_NAMES: Record<ProfileKind, string> = { openvpn: 'OpenVPN', wireguard: 'WireGuard', ikev2: 'IKEv2/IPsec' };

const LABELS = {
  en: { ok: 'importable', refused: 'refused', layer: { L3: 'L3 routed (tun)', L2: 'L2 bridged (tap)' }, advisories: 'Advisories', errors: 'Errors', fixed: 'fixed automatically', fix: 'fix', line: 'line' },
  ja: { ok: 'インポート可能', refused: '拒否', layer: { L3: 'L3 ルート接続 (tun)', L2: 'L2 ブリッジ接続 (tap)' }, advisories: '注意事項', errors: 'エラー', fixed: '自動修正済み', fix: '対処', line: '行' },
} as const;

export function formatHuman(result: InspectResult, file: string, lang: Lang): string {
  const L = LABELS[lang];
  const out: string[] = [];
  const layer = result.kind === 'openvpn' ? `, ${L.layer[result.layer]}` : '';
  out.push(`${file}: ${KIND_NAMES[result.kind]}${layer} — ${result.ok ? L.ok : L.refused}`);
  if (result.ok) {
    for (const [label, value] of summarizeProfile(result.profile, result.name, lang)) out.push(`  ${label}: ${value}`);
  }
  if (result.inlinedFiles.length > 0) out.push(`  ${lang === 'ja' ? '取り込んだファイル' : 'Included files'}: ${result.inlinedFiles.join(', ')}`);
  if (result.advisories.length > 0) {
    out.push(`  ${L.advisories}:`);
    for (const a of result.advisories) {
      out.push(`    ${a.severity === 'warning' ? '!' : 'i'} [${a.code}] ${a.message[lang]}`);
      out.push(`      ${a.explanation[lang]}`);
      if (a.fix) out.push(`      ${a.fix.automatic ? L.fixed : L.fix}: ${a.fix.description[lang]}`);
    }
  }
  if (result.errors.length > 0) {
    out.push(`  ${L.errors}:`);
    for (const e of result.errors) out.push(`    x [${e.code}] ${e.message[lang]}${e.text ? `\n      > ${e.text}` : ''}`);
  }
  return `${out.join('\n')}\n`;
}

export function runInspect(path: string, options: { json: boolean; lang: Lang }, io: CliIo): number {
  const source = profileCandidates(path);
  if (!source.ok) {
    if (options.json) {
      const failed: InspectJson = {
        ok: false,
        // Unread, so named by its ending only (kinds.ts): the first kind it can hold.
        kind: profileFileEnding(path)?.kinds[0] ?? 'openvpn',
        name: fileStem(path),
        layer: 'L3',
        file: path,
        advisories: [],
        errors: [{ code: source.error.code, line: 0, message: source.error.message[options.lang] }],
      };
      io.stdout(`${JSON.stringify(failed, null, 2)}\n`);
    } else {
      io.stderr(`tsunagu inspect: ${source.error.message[options.lang]}\n`);
    }
    return 1;
  }
  const results = source.candidates.map((c) => ({
    file: c.displayName,
    result: inspectProfile(c.bytes, { fileName: c.fileName, files: c.files }),
  }));
  const many = source.container !== 'file';
  if (options.json) {
    const json = results.map(({ file, result }) => toJson(result, file, options.lang));
    io.stdout(`${JSON.stringify(many ? json : json[0], null, 2)}\n`);
  } else {
    io.stdout(results.map(({ file, result }) => formatHuman(result, file, options.lang)).join('\n'));
  }
  return results.every(({ result }) => result.ok) ? 0 : 1;
}

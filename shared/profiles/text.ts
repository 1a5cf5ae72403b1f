import { profileError, type ProfileError } from './diagnostics.js';
import { profileEndingsText } from './kinds.js';

/** The endings of profile files, for the messages (kinds.ts). */
const ENDINGS = profileEndingsText();

/**
 * Profiles arrive as bytes from files, zips, pastes and URLs. They must be UTF-8 text: a binary
 * file (a .p12, an image) gets a clear error instead of garbage in the parser.
 */
export function decodeProfileText(input: Uint8Array | string): { text: string } | { error: ProfileError } {
  if (typeof input === 'string') return { text: input };
  const nul = input.indexOf(0);
  if (nul >= 0) {
    return {
      error: profileError('PROFILE_BINARY', { line: lineOfOffset(input, nul) }, 'NUL byte', {
        en: `This file is binary, not a text profile. Choose the profile file your provider gave you (${ENDINGS.en}).`,
        ja: `このファイルはテキストのプロファイルではなくバイナリです。提供されたプロファイルのファイル (${ENDINGS.ja}) を選択してください。`,
      }),
    };
  }
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(input) };
  } catch {
    return {
      error: profileError('PROFILE_NOT_UTF8', { line: 0 }, 'invalid UTF-8', {
        en: 'This file is not UTF-8 text. Save it as UTF-8 in a text editor and import it again.',
        ja: 'このファイルは UTF-8 のテキストではありません。テキストエディタで UTF-8 として保存し、もう一度インポートしてください。',
      }),
    };
  }
}

function lineOfOffset(bytes: Uint8Array, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset; i++) if (bytes[i] === 0x0a) line++;
  return line;
}

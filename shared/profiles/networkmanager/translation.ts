/**
 * What a translator returns (contract C3): the keyfile rewritten in the format of the kind it
 * belongs to, for that format's inspector to judge like any file of its own.
 */
import type { Advisory, ProfileError } from '../diagnostics.js';
import type { ProfileKind } from '../kinds.js';
import type { ProfileFileSource } from '../openvpn/inliner.js';

export type Translation =
  | {
      ok: true;
      kind: ProfileKind;
      /** An .ovpn, a wg-quick .conf or the IKEv2 canonical text. */
      text: string;
      /** Basenames of the companion files the text refers to (certificates, keys). */
      files: string[];
      source: 'networkmanager';
      /** The connection's name in NetworkManager (`connection.id`), when it has one. */
      name: string | null;
      /** What the translation left out or changed, each at the keyfile line it concerns. */
      advisories: Advisory[];
    }
  | { ok: false; kind: ProfileKind; errors: ProfileError[] };

/** What a kind's translator is given besides the keyfile. */
export interface TranslateContext {
  /** The files beside the keyfile, when the caller has them (required for IKEv2 certificates). */
  files: ProfileFileSource | undefined;
  name: string | null;
}

export type TranslatorResult =
  | { ok: true; text: string; files: string[]; advisories: Advisory[] }
  | { ok: false; errors: ProfileError[] };

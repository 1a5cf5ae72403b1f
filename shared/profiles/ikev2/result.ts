/**
 * What every IKEv2 sub-format reader returns (contract C3: swanctl.conf, .sswan, mobileconfig,
 * ipsec.conf + ipsec.secrets), and the options they take.
 */
import type { Advisory, ProfileError } from '../diagnostics.js';
import type { ProfileFileSource } from '../openvpn/inliner.js';
import type { ProfilePolicy } from '../policy.js';
import type { Ikev2Profile } from './model.js';

export type Ikev2ReadResult =
  | {
      ok: true;
      profile: Ikev2Profile;
      advisories: Advisory[];
      /** Basenames of the companion files read (certificates, keys, includes). */
      inlinedFiles?: string[];
      /** The name the file gives the connection for people (.sswan `name`, mobileconfig `UserDefinedName`). */
      name?: string;
    }
  | { ok: false; errors: ProfileError[] };

export interface Ikev2ReadOptions {
  /** The files beside the profile (certificates, keys, included files), by basename. */
  files?: ProfileFileSource;
  policy?: ProfilePolicy;
}

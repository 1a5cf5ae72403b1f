/**
 * The helper's native addon (electron/helper/native: N-API, so one build loads in any Node):
 * SO_PEERCRED for the socket's callers (peer.ts) and libnftables in-process for the kill switch
 * (firewall/apply.ts). From source it is in its build folder; the bundled CLI carries it beside itself.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

export interface NftOutcome {
  /** 0: done; -1: nft refused (stderr says why); -2: libnftables is not there; -3: the call could not be set up. */
  code: number;
  stdout: string;
  stderr: string;
}

export interface NativeAddon {
  peerCredentials(fd: number): { pid: number; uid: number; gid: number };
  /** Runs an nft script (or command) in-process, in `netnsPath` (/run/netns/NAME) or the helper's own namespace. */
  nftRun(script: string, netnsPath: string | null, flags: number): Promise<NftOutcome>;
}

const require = createRequire(import.meta.url);
let addon: NativeAddon | null = null;

export function nativeAddon(): NativeAddon {
  if (!addon) {
    const candidates = [join(import.meta.dirname, 'native', 'build', 'Release', 'peercred.node'), join(import.meta.dirname, 'peercred.node')];
    const path = candidates.find((p) => existsSync(p)) ?? candidates[0] ?? '';
    try {
      addon = require(path) as NativeAddon;
    } catch (e) {
      throw new Error(`the helper's native addon is missing (${path}); run "npm rebuild" or "npm install" to build it`, { cause: e });
    }
  }
  return addon;
}

/**
 * `tsunagu helper --apply-firewall` (tsunagu-firewall.service, ordered before network-pre.target):
 * at boot, before any interface is up, puts in the kernel what the helper would hold when it
 * starts — lockdown (the user's persisted setting or the AlwaysOn policy), or the block a guarded
 * tunnel left — and exits. The rules stay; the helper takes them over when it starts (the same
 * FirewallController.start, so both decide alike).
 */
import { HelperLog } from '../log.js';
import { DEFAULT_POLICY_DIR, LinuxPolicyReader } from '../policy/linux.js';
import { PolicyService } from '../policy/service.js';
import type { FirewallTarget } from './apply.js';
import { FirewallController } from './controller.js';
import type { FirewallMode } from './intent.js';
import { DEFAULT_FIREWALL_STATE_DIR } from './intent-store.js';

export interface BootFirewallOptions {
  stateDir?: string;
  policyDir?: string;
  target?: FirewallTarget;
  /** Where log lines go (stderr, i.e. the journal, by default). */
  mirror?: (text: string) => void;
}

export type BootFirewallResult = { ok: true; mode: FirewallMode } | { ok: false; code: string; detail: string };

/** Applies the persisted intent once; never removes a table it did not decide to remove. */
export async function applyPersistedFirewall(options: BootFirewallOptions = {}): Promise<BootFirewallResult> {
  if (process.getuid?.() !== 0) return { ok: false, code: 'not-root', detail: 'the kill switch can be set only as root' };
  process.umask(0o077);
  const mirror = options.mirror ?? ((text: string) => process.stderr.write(`${text}\n`));
  const log = new HelperLog(200, (line) => {
    if (line.level !== 'debug') mirror(`${line.level} ${line.text}`);
  });
  const policy = new PolicyService(new LinuxPolicyReader(options.policyDir ?? DEFAULT_POLICY_DIR), (level, code, params) => log.message(level, code, params));
  const firewall = new FirewallController({
    stateDir: options.stateDir ?? DEFAULT_FIREWALL_STATE_DIR,
    target: options.target ?? {},
    log,
    policy: () => policy.policy.values,
  });
  const r = await firewall.start();
  if (!r.ok) return { ok: false, code: r.error.code, detail: r.error.detail };
  const mode = firewall.intent().mode;
  log.add('info', `kill switch at boot: ${mode === 'off' ? 'nothing to hold (no lockdown, no block)' : `${mode} in force`}`);
  return { ok: true, mode };
}

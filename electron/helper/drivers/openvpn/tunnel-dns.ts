/**
 * The DNS a session has put on the system: at most one record (for the current interface),
 * replaced when the tunnel comes up with other settings or on another device, removed on teardown.
 * Operations run one after another, so a removal queued by the teardown always comes after an
 * apply that was still running: nothing is left behind.
 */
import type { LogLine } from '../../../../shared/ipc/helper-protocol.js';
import { applyDns, removeDns } from '../../dns.js';
import { sameDns, type DnsSettings } from './dns-env.js';

export interface TunnelDnsHooks {
  /** The record set changed (for the residue file). */
  changed(): void;
  log(level: LogLine['level'], text: string): void;
}

export class TunnelDns {
  private record: string | null = null;
  private applied: { iface: string; dns: DnsSettings } | null = null;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly netns: string | null,
    private readonly hooks: TunnelDnsHooks,
  ) {}

  get records(): string[] {
    return this.record ? [this.record] : [];
  }

  /** Resolves when every queued operation has finished. */
  idle(): Promise<void> {
    return this.chain;
  }

  /** Makes `dns` the tunnel's DNS on `iface` (no settings: removes ours). */
  set(iface: string, dns: DnsSettings): Promise<void> {
    return this.queue(async () => {
      if (dns.servers.length === 0 && dns.searchDomains.length === 0) {
        await this.remove();
        return;
      }
      const a = this.applied;
      if (a && a.iface === iface && sameDns(a.dns, dns)) return;
      if (a && a.iface !== iface) await this.remove();
      const { record } = await applyDns({ netns: this.netns, interfaceName: iface, servers: dns.servers, searchDomains: dns.searchDomains });
      this.record = record;
      this.applied = { iface, dns };
      this.hooks.changed();
      const lines = [...dns.servers.map((s) => `nameserver ${s}`), ...(dns.searchDomains.length ? [`search ${dns.searchDomains.join(' ')}`] : [])];
      this.hooks.log('info', `DNS: ${lines.join(', ')} (${record})`);
    });
  }

  clear(): Promise<void> {
    return this.queue(() => this.remove());
  }

  private queue(op: () => Promise<void>): Promise<void> {
    const next = this.chain.then(op).catch((e: unknown) => this.hooks.log('error', `DNS: ${(e as Error).message}`));
    this.chain = next;
    return next;
  }

  private async remove(): Promise<void> {
    const record = this.record;
    if (!record) return;
    await removeDns({ netns: this.netns, record });
    this.record = null;
    this.applied = null;
    this.hooks.changed();
    this.hooks.log('info', `DNS: removed ${record}`);
  }
}

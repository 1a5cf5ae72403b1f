/**
 * Runs the helper's DNS code as the helper would, for a test that runs it inside a lab namespace
 * (test/lab/resolved.ts): prints one JSON line.
 *   apply IFACE SERVERS DOMAINS   (comma-separated lists, `-` for none) → {"record": …}
 *   remove RECORD                 → {"removed": true}
 *   detect                        → {"stub": bool, "resolved": bool}
 */
import { applyDns, removeDns } from '../../electron/helper/dns.js';
import { resolvConfIsResolvedStub, systemUsesResolved } from '../../electron/helper/dns/resolved.js';

const list = (s: string | undefined): string[] => (s === undefined || s === '-' ? [] : s.split(','));
const [command, a, b, c] = process.argv.slice(2);

async function main(): Promise<unknown> {
  if (command === 'apply' && a !== undefined) return applyDns({ netns: null, interfaceName: a, servers: list(b), searchDomains: list(c) });
  if (command === 'remove' && a !== undefined) {
    await removeDns({ netns: null, record: a });
    return { removed: true };
  }
  if (command === 'detect') return { stub: await resolvConfIsResolvedStub(), resolved: await systemUsesResolved() };
  throw new Error(`usage: resolved-dns.ts apply IFACE SERVERS DOMAINS | remove RECORD | detect`);
}

main().then(
  (out) => console.log(JSON.stringify(out)),
  (e: unknown) => {
    console.error((e as Error).message);
    process.exit(1);
  },
);

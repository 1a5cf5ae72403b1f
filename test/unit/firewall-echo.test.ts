// The kill switch's apply is verified from the kernel's echo of the commit (apply.ts, nft -j -e):
// test/fixtures/nft/echo-tunnel.json is what nft 1.0.6 printed for renderRuleset(planRuleset(TUNNEL))
// applied in a fresh namespace (the declaration's table, then the new table, its chains and rules).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TUNNEL } from '../support/firewall.js';
import { comparePlans, decodeListing, listingFromEcho } from '../../electron/helper/firewall/kernel-view.js';
import { creationScript, planRuleset, renderRuleset, scriptFor } from '../../electron/helper/firewall/rules.js';

const plan = planRuleset(TUNNEL);
const echo = JSON.parse(readFileSync(join(import.meta.dirname, '../fixtures/nft/echo-tunnel.json'), 'utf8')) as { nftables: Record<string, unknown>[] };

function differences(json: unknown): string[] | string {
  const decoded = decodeListing(listingFromEcho(json));
  if (!plan) throw new Error('no plan');
  return decoded.ok ? comparePlans(plan, decoded.value) : decoded.reason;
}

describe("kill switch: the kernel's echo of an apply, as a listing of the table (listingFromEcho)", () => {
  it('the echo of the planned table decodes to exactly the plan', () => {
    expect(differences(echo)).toEqual([]);
  });

  it('a rule missing from the echo, or one more, is a difference', () => {
    const rules = echo.nftables.filter((o) => JSON.stringify(o).includes('"rule"'));
    expect(rules.length).toBeGreaterThan(10);
    const without = { nftables: echo.nftables.filter((o) => o !== rules[3]) };
    expect(differences(without)).not.toEqual([]);
    const twice = { nftables: [...echo.nftables, rules[0]] };
    expect(differences(twice)).not.toEqual([]);
  });

  it('what came before a deleted table does not count; a foreign object fails the decoding', () => {
    const deleted = { nftables: [...echo.nftables, { delete: { table: { family: 'inet', name: 'tsunagu' } } }] };
    expect(differences(deleted)).toBe('the listing has no table');
    const foreign = { nftables: [...echo.nftables, { add: { set: { family: 'inet', table: 'tsunagu', name: 'x', type: 'ipv4_addr' } } }] };
    expect(differences(foreign)).toMatch(/unexpected nft JSON/);
  });

  it('output that is not an echo gives nothing to go by (the table is then listed back)', () => {
    expect(listingFromEcho({ nftables: [{ list: {} }] })).toBeNull();
    expect(listingFromEcho('')).toBeNull();
    expect(listingFromEcho({})).toBeNull();
  });
});

describe('kill switch: creating the table where there is none (creationScript)', () => {
  it('the same table as the replacement, behind `create` (fails whole if one exists) and without the delete', () => {
    const created = creationScript(TUNNEL);
    if (!plan) throw new Error('no plan');
    expect(created).toBe(`create table inet tsunagu\n${renderRuleset(plan).replace('table inet tsunagu\ndelete table inet tsunagu\n', '')}`);
    expect(created).not.toMatch(/delete/);
    expect(scriptFor(TUNNEL)).toMatch(/^table inet tsunagu\ndelete table inet tsunagu\ntable inet tsunagu \{/);
  });

  it('nothing to create for off (a removal is always the delete)', () => {
    expect(creationScript({ mode: 'off' })).toBeNull();
  });
});

/**
 * What the kernel holds, read back from `nft -j list table inet tsunagu` (pure): the JSON is
 * validated with zod and decoded into the same plan shape rules.ts writes, so "the kernel holds
 * what we wrote" is a comparison of data, not of text. Anything in the table that Tsunagu never
 * writes (another expression, another chain, a changed policy) fails the decoding or the
 * comparison: the table is ours alone.
 */
import * as z from 'zod';
import { TABLE_FAMILY, TABLE_NAME, type ChainName, type ChainSpec, type Match, type MatchKey, type RuleSpec, type RulesetPlan, type Verdict } from './rules.js';

const scalar = z.union([z.string(), z.number()]);
const prefix = z.object({ prefix: z.object({ addr: z.string(), len: z.number() }) });
const range = z.object({ range: z.tuple([scalar, scalar]) });
const element = z.union([scalar, prefix, range]);
const right = z.union([scalar, prefix, range, z.object({ set: z.array(element) }), z.array(scalar)]);
const left = z.union([
  z.object({ meta: z.object({ key: z.string() }) }),
  z.object({ payload: z.object({ protocol: z.string(), field: z.string() }) }),
  z.object({ ct: z.object({ key: z.string() }) }),
]);
const expression = z.union([
  z.object({ match: z.object({ op: z.string(), left, right }) }),
  z.object({ counter: z.object({ packets: z.number(), bytes: z.number() }) }),
  z.object({ accept: z.null() }),
  z.object({ drop: z.null() }),
  z.object({ reject: z.object({ type: z.string().optional(), expr: z.string().optional() }) }),
]);
const chainObject = z.object({
  chain: z.object({
    family: z.string(),
    table: z.string(),
    name: z.string(),
    type: z.string().optional(),
    hook: z.string().optional(),
    prio: z.number().optional(),
    policy: z.string().optional(),
  }),
});
const ruleObject = z.object({
  rule: z.object({ family: z.string(), table: z.string(), chain: z.string(), handle: z.number(), comment: z.string().optional(), expr: z.array(expression) }),
});
const tableObject = z.object({ table: z.object({ family: z.string(), name: z.string() }) });
const metainfoObject = z.object({ metainfo: z.object({}).loose() });
// Sets, maps, flowtables and the like are not part of our table: they fail the union.
export const NftListingSchema = z.object({ nftables: z.array(z.union([metainfoObject, tableObject, chainObject, ruleObject])) });
export type NftListing = z.infer<typeof NftListingSchema>;

const MATCH_KEYS: ReadonlySet<string> = new Set<MatchKey>([
  'meta oifname', 'meta iifname', 'meta mark', 'meta l4proto', 'ip saddr', 'ip daddr', 'ip6 saddr', 'ip6 daddr',
  'ip6 hoplimit', 'udp sport', 'udp dport', 'tcp dport', 'th dport', 'icmpv6 type', 'ct state',
]);
const CHAIN_NAMES: ReadonlySet<string> = new Set<ChainName>(['input', 'output', 'forward']);

function isMatchKey(s: string): s is MatchKey {
  return MATCH_KEYS.has(s);
}
function isChainName(s: string): s is ChainName {
  return CHAIN_NAMES.has(s);
}

type Decoded<T> = { ok: true; value: T } | { ok: false; reason: string };

function elementText(e: z.infer<typeof element>): string {
  if (typeof e === 'string' || typeof e === 'number') return String(e);
  if ('prefix' in e) return `${e.prefix.addr}/${e.prefix.len}`;
  return `${String(e.range[0])}-${String(e.range[1])}`;
}

function rightValues(r: z.infer<typeof right>): string[] {
  if (Array.isArray(r)) return r.map(String);
  if (typeof r === 'object' && 'set' in r) return r.set.map(elementText);
  return [elementText(r)];
}

function leftKey(l: z.infer<typeof left>): string {
  if ('meta' in l) return `meta ${l.meta.key}`;
  if ('payload' in l) return `${l.payload.protocol} ${l.payload.field}`;
  return `ct ${l.ct.key}`;
}

function decodeRule(r: z.infer<typeof ruleObject>['rule']): Decoded<RuleSpec> {
  const matches: Match[] = [];
  let counter = false;
  let verdict: Verdict | null = null;
  for (const e of r.expr) {
    if (verdict !== null) return { ok: false, reason: `rule ${r.handle}: an expression after the verdict` };
    if ('match' in e) {
      const key = leftKey(e.match.left);
      if (!isMatchKey(key)) return { ok: false, reason: `rule ${r.handle}: a match on ${key}, which Tsunagu never writes` };
      // `ct state a,b` is a bitmask test, listed as "in".
      const op = e.match.op === '==' || e.match.op === 'in' ? '==' : e.match.op === '!=' ? '!=' : null;
      if (op === null) return { ok: false, reason: `rule ${r.handle}: operator ${e.match.op}` };
      matches.push({ key, op, values: rightValues(e.match.right) });
    } else if ('counter' in e) counter = true;
    else if ('accept' in e) verdict = 'accept';
    else if ('drop' in e) verdict = 'drop';
    else if (e.reject.type === 'tcp reset') verdict = 'reject-tcp-reset';
    else if (e.reject.type === 'icmpx' && e.reject.expr === 'admin-prohibited') verdict = 'reject-admin-prohibited';
    else return { ok: false, reason: `rule ${r.handle}: reject with ${e.reject.type ?? '(default)'} ${e.reject.expr ?? ''}`.trim() };
  }
  if (verdict === null) return { ok: false, reason: `rule ${r.handle}: no verdict` };
  return { ok: true, value: { comment: r.comment ?? '', matches, counter, verdict } };
}

/** Decodes a listing of our table into a plan (chains in listing order, rules in chain order). */
export function decodeListing(json: unknown): Decoded<RulesetPlan> {
  const parsed = NftListingSchema.safeParse(json);
  if (!parsed.success) return { ok: false, reason: `unexpected nft JSON: ${parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}` };
  const chains = new Map<string, ChainSpec>();
  let sawTable = false;
  for (const o of parsed.data.nftables) {
    if ('table' in o) {
      if (o.table.family !== TABLE_FAMILY || o.table.name !== TABLE_NAME) return { ok: false, reason: `table ${o.table.family} ${o.table.name} in the listing` };
      sawTable = true;
    } else if ('chain' in o) {
      const c = o.chain;
      if (c.table !== TABLE_NAME || c.family !== TABLE_FAMILY) return { ok: false, reason: `chain ${c.name} of table ${c.family} ${c.table}` };
      if (!isChainName(c.name) || c.hook === undefined || !isChainName(c.hook) || c.type !== 'filter' || c.policy !== 'drop' || c.prio === undefined) {
        return { ok: false, reason: `chain ${c.name}: type ${c.type ?? '-'} hook ${c.hook ?? '-'} policy ${c.policy ?? '-'}` };
      }
      chains.set(c.name, { name: c.name, hook: c.hook, priority: c.prio, policy: 'drop', rules: [] });
    } else if ('rule' in o) {
      const chain = chains.get(o.rule.chain);
      if (chain === undefined || o.rule.table !== TABLE_NAME) return { ok: false, reason: `rule ${o.rule.handle} in unknown chain ${o.rule.chain}` };
      const decoded = decodeRule(o.rule);
      if (!decoded.ok) return decoded;
      chain.rules.push(decoded.value);
    }
  }
  if (!sawTable) return { ok: false, reason: 'the listing has no table' };
  return { ok: true, value: { chains: [...chains.values()] } };
}

const echoObject = z.union([
  z.object({ add: z.unknown() }),
  z.object({ create: z.unknown() }),
  z.object({ delete: z.object({ table: z.unknown() }) }),
]);
const EchoSchema = z.object({ nftables: z.array(echoObject) });

/**
 * The table as the kernel reported it back after an apply, from `nft -j -e -f -`: with `--echo`
 * nft asks the kernel to echo every object it commits (NLM_F_ECHO) and prints those notifications,
 * handles and all, as `{"add": {"rule": …}}`. Unwrapped in order (a deleted table drops what came
 * before it), that is the listing `nft -j list table` would print right after the commit, so the
 * apply needs no second nft process to be verified. Null when the output is not such an echo.
 */
export function listingFromEcho(json: unknown): unknown {
  const parsed = EchoSchema.safeParse(json);
  if (!parsed.success) return null;
  let objects: unknown[] = [];
  for (const o of parsed.data.nftables) {
    if ('delete' in o) objects = [];
    else objects.push('add' in o ? o.add : o.create);
  }
  return { nftables: objects };
}

/** One line per rule, values sorted (nft lists set members in its own order). */
export function ruleText(r: RuleSpec): string {
  const matches = r.matches.map((x) => `${x.key} ${x.op} ${[...x.values].sort().join(',')}`);
  return `${matches.join(' ; ')} | ${r.counter ? 'counter ' : ''}${r.verdict} | ${r.comment}`;
}

/** Differences between the intended plan and the kernel's, in words; empty when they agree. */
export function comparePlans(expected: RulesetPlan, actual: RulesetPlan): string[] {
  const out: string[] = [];
  const byName = new Map(actual.chains.map((c) => [c.name, c]));
  for (const want of expected.chains) {
    const have = byName.get(want.name);
    byName.delete(want.name);
    if (have === undefined) {
      out.push(`chain ${want.name} is missing`);
      continue;
    }
    if (have.hook !== want.hook || have.priority !== want.priority || have.policy !== want.policy) {
      out.push(`chain ${want.name}: hook ${have.hook} priority ${have.priority} policy ${have.policy}, expected ${want.hook} ${want.priority} ${want.policy}`);
    }
    const a = want.rules.map(ruleText);
    const b = have.rules.map(ruleText);
    const n = Math.max(a.length, b.length);
    for (let i = 0; i < n; i++) {
      if (a[i] !== b[i]) out.push(`chain ${want.name} rule ${i + 1}: kernel has ${b[i] ?? '(nothing)'}; expected ${a[i] ?? '(nothing)'}`);
    }
  }
  for (const extra of byName.keys()) out.push(`chain ${extra} is not Tsunagu's`);
  return out;
}

export interface CounterTotals {
  /** Packets the final reject/drop rules of each chain stopped since the table was made. */
  [chain: string]: number;
}

/** Packets stopped per chain (the counters on the rules with a counter): for the UI's "blocked" figure and the tests. */
export function stoppedPackets(json: unknown): CounterTotals | null {
  const parsed = NftListingSchema.safeParse(json);
  if (!parsed.success) return null;
  const totals: CounterTotals = {};
  for (const o of parsed.data.nftables) {
    if (!('rule' in o)) continue;
    for (const e of o.rule.expr) if ('counter' in e) totals[o.rule.chain] = (totals[o.rule.chain] ?? 0) + e.counter.packets;
  }
  return totals;
}

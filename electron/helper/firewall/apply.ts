/**
 * Puts an intent into the kernel and checks it is there. nft runs the whole script as one
 * transaction, so a failed apply leaves the previous table exactly as it was (never half of the
 * new one). After every apply the kernel's table is compared with the plan: as the kernel echoed
 * it from the commit (`-e`, nothing more to run), or listed back as JSON (a removal). Through
 * libnftables in the helper's process where it can (native/nft.c), else the nft command.
 *
 * Nothing here removes the table on its own: only `applyIntent({ mode: 'off' })` (an explicit
 * disconnect or turning the kill switch off) does. A helper that crashes or exits leaves the rules
 * in the kernel, which is what keeps traffic blocked until it comes back.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { inNetns, NETNS_NAME_RE, run, type RunResult } from '../exec.js';
import { nativeAddon, type NativeAddon } from '../native-addon.js';
import { firewallError, parseIntent, type FirewallIntent, type Result } from './intent.js';
import { comparePlans, decodeListing, listingFromEcho, stoppedPackets, type CounterTotals } from './kernel-view.js';
import { creationScript, planRuleset, scriptFor, TABLE_FAMILY, TABLE_NAME, type RulesetPlan } from './rules.js';

export const NFT_PATH = '/usr/sbin/nft';

export interface FirewallTarget {
  /** Network namespace to act in (tests); null or absent: the helper's own. */
  netns?: string | null;
  /** The nft command to run (tests): always the command then, never libnftables in-process. */
  nftPath?: string;
  /** `command`: the nft command even where libnftables can be used in-process (tests of that path). */
  via?: 'library' | 'command';
  timeoutMs?: number;
}

export interface ApplyReport {
  intent: FirewallIntent;
  /** Wall time of the `nft -j -e -f` transaction (a failed creation and the replacement after it too), including starting nft. */
  applyMs: number;
  /** Wall time of checking the kernel's table against the plan (the echo decoded, or the table listed back). */
  verifyMs: number;
  /** `echo`: what the kernel echoed of the commit itself; `listing`: the table listed back (a removal, or no usable echo). */
  verifiedBy: 'echo' | 'listing';
}

// libnftables.h: NFT_CTX_OUTPUT_JSON, NFT_CTX_OUTPUT_ECHO (the nft command's -j and -e).
const OUTPUT_JSON = 1 << 4;
const OUTPUT_ECHO = 1 << 5;
/** Why libnftables could not be used in-process, once known: the nft command from then on. */
let libraryMissing: string | null = null;

/**
 * `script` through libnftables in the helper's own process (native/nft.c): no process to start,
 * ~1-2 ms instead of ~5-10 for the nft command. Null when it cannot be used (no addon, no
 * libnftables, a test's `nftPath` or `via: 'command'`): the caller runs the nft command instead.
 */
async function inProcess(target: FirewallTarget, script: string, flags: number): Promise<RunResult | null> {
  if (target.nftPath !== undefined || target.via === 'command' || libraryMissing !== null) return null;
  const netns = target.netns ?? null;
  if (netns !== null && !NETNS_NAME_RE.test(netns)) return null;
  let addon: NativeAddon;
  try {
    addon = nativeAddon();
  } catch (e) {
    libraryMissing = (e as Error).message;
    return null;
  }
  if (typeof addon.nftRun !== 'function') {
    libraryMissing = 'the native addon predates nftRun (npm rebuild)';
    return null;
  }
  const o = await addon.nftRun(script, netns === null ? null : `/run/netns/${netns}`, flags);
  if (o.code === -2) {
    libraryMissing = o.stderr;
    return null;
  }
  return { code: o.code === 0 ? 0 : 1, signal: null, stdout: o.stdout, stderr: o.stderr, timedOut: false };
}

function nft(target: FirewallTarget, args: string[], input?: string): Promise<RunResult> {
  const [cmd, argv] = inNetns(target.netns ?? null, target.nftPath ?? NFT_PATH, args);
  return run(cmd, argv, { input, timeoutMs: target.timeoutMs ?? 10_000 });
}

/**
 * `nft -j -e -f FILE`: with -j, nft opens the script by name, and /dev/stdin cannot be opened when
 * it is the socket Node gives a child (ENXIO); on the command line it would be readable by every
 * user (/proc/PID/cmdline). So the script goes into a file in a fresh private directory (0700).
 */
async function nftScript(target: FirewallTarget, script: string): Promise<RunResult> {
  const done = await inProcess(target, script, OUTPUT_JSON | OUTPUT_ECHO);
  if (done) return done;
  const dir = mkdtempSync(join(tmpdir(), 'tsunagu-nft-'));
  try {
    const file = join(dir, 'table.nft');
    writeFileSync(file, script, { mode: 0o600 });
    return await nft(target, ['-j', '-e', '-f', file]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function failureDetail(r: RunResult): string {
  if (r.timedOut) return 'nft did not finish in time';
  return (r.stderr.trim() || r.stdout.trim() || `exit ${String(r.code ?? r.signal)}`).slice(0, 2000);
}

const NOT_APPLIED = {
  en: 'The kill switch rules could not be set; the previous rules are still in force.',
  ja: 'キルスイッチのルールを設定できませんでした。以前のルールがそのまま有効です。',
};

/** The kernel's table, decoded; null when there is none. */
export async function readKernelTable(target: FirewallTarget = {}): Promise<Result<{ plan: RulesetPlan; stopped: CounterTotals } | null>> {
  const r = (await inProcess(target, `list table ${TABLE_FAMILY} ${TABLE_NAME}`, OUTPUT_JSON)) ?? (await nft(target, ['-j', 'list', 'table', TABLE_FAMILY, TABLE_NAME]));
  if (r.code !== 0) {
    if (/No such file or directory/.test(r.stderr)) return { ok: true, value: null };
    const missing = r.code === null && /ENOENT/.test(r.stderr);
    return {
      ok: false,
      error: firewallError(
        missing ? 'firewall-nft-missing' : 'firewall-list-failed',
        missing
          ? { en: 'nftables (nft) is not installed, so the kill switch cannot work.', ja: 'nftables (nft) がインストールされていないため、キルスイッチを使用できません。' }
          : { en: 'The kill switch rules could not be read back.', ja: 'キルスイッチのルールを読み取れませんでした。' },
        failureDetail(r),
      ),
    };
  }
  let json: unknown;
  try {
    json = JSON.parse(r.stdout);
  } catch (e) {
    return { ok: false, error: firewallError('firewall-list-failed', { en: 'The kill switch rules could not be read back.', ja: 'キルスイッチのルールを読み取れませんでした。' }, `nft -j printed no JSON: ${(e as Error).message}`) };
  }
  const decoded = decodeListing(json);
  const stopped = stoppedPackets(json);
  if (!decoded.ok || stopped === null) {
    return {
      ok: false,
      error: firewallError(
        'firewall-verify-failed',
        { en: 'The kernel holds kill switch rules that Tsunagu did not write.', ja: 'カーネルに Tsunagu が書いていないキルスイッチのルールがあります。' },
        decoded.ok ? 'counters unreadable' : decoded.reason,
      ),
    };
  }
  return { ok: true, value: { plan: decoded.value, stopped } };
}

/** Differences between what the kernel holds and an intent; empty when they agree. */
export async function verifyIntent(intent: FirewallIntent, target: FirewallTarget = {}): Promise<Result<string[]>> {
  const held = await readKernelTable(target);
  if (!held.ok) return held;
  const plan = planRuleset(intent);
  if (plan === null) return { ok: true, value: held.value === null ? [] : ['the table is present although the kill switch is off'] };
  if (held.value === null) return { ok: true, value: ['the table is missing'] };
  return { ok: true, value: comparePlans(plan, held.value.plan) };
}

export interface ApplyHints {
  /**
   * The caller last removed the table (or saw none): try creating it, which needs no delete and so
   * no RCU wait at commit; a table that is there after all makes that fail whole, and the usual
   * replacement runs instead.
   */
  tableAbsent?: boolean;
}

/**
 * The differences between the plan and the table the kernel echoed back from the commit; null when
 * there is nothing to go by (a removal echoes nothing, or the output is not an echo of our table),
 * and the table is then listed back instead.
 */
function echoDifferences(intent: FirewallIntent, stdout: string): Result<string[]> | null {
  const plan = planRuleset(intent);
  if (plan === null) return null;
  let json: unknown;
  try {
    json = JSON.parse(stdout);
  } catch {
    return null;
  }
  const decoded = decodeListing(listingFromEcho(json));
  return decoded.ok ? { ok: true, value: comparePlans(plan, decoded.value) } : null;
}

/** Replaces the table with the one for `intent` (or removes it for 'off'), then verifies. */
export async function applyIntent(candidate: unknown, target: FirewallTarget = {}, hints: ApplyHints = {}): Promise<Result<ApplyReport>> {
  const parsed = parseIntent(candidate);
  if (!parsed.ok) return parsed;
  const intent = parsed.value;
  const started = performance.now();
  const creation = hints.tableAbsent ? creationScript(intent) : null;
  // -j -e: the kernel's echo of what it committed, as JSON (listingFromEcho); a text script still.
  let r = creation === null ? null : await nftScript(target, creation);
  if (r === null || (r.code !== 0 && /File exists/.test(r.stderr))) r = await nftScript(target, scriptFor(intent));
  const applyMs = performance.now() - started;
  if (r.code !== 0) {
    const missing = r.code === null && /ENOENT/.test(r.stderr);
    return {
      ok: false,
      error: missing
        ? firewallError('firewall-nft-missing', { en: 'nftables (nft) is not installed, so the kill switch cannot work.', ja: 'nftables (nft) がインストールされていないため、キルスイッチを使用できません。' }, failureDetail(r))
        : firewallError('firewall-apply-failed', NOT_APPLIED, failureDetail(r)),
    };
  }
  const verifyStarted = performance.now();
  const echoed = echoDifferences(intent, r.stdout);
  const differences = echoed ?? (await verifyIntent(intent, target));
  const verifyMs = performance.now() - verifyStarted;
  if (!differences.ok) return differences;
  if (differences.value.length > 0) {
    return {
      ok: false,
      error: firewallError(
        'firewall-verify-failed',
        { en: 'The kill switch rules in the kernel are not the ones Tsunagu set.', ja: 'カーネル内のキルスイッチのルールが Tsunagu の設定したものと異なります。' },
        differences.value.slice(0, 10).join('\n'),
      ),
    };
  }
  return { ok: true, value: { intent, applyMs, verifyMs, verifiedBy: echoed ? 'echo' : 'listing' } };
}

/** Lifts the block: only for an explicit disconnect, turning the kill switch off, or quitting. */
export function removeFirewall(target: FirewallTarget = {}): Promise<Result<ApplyReport>> {
  return applyIntent({ mode: 'off' }, target);
}

/**
 * The helper's effective policy: read through a platform reader, resolved against the table,
 * and read again whenever the reader reports a change (no restart). Every problem is one log line
 * naming its file; a change of value is logged with where the new value came from.
 */
import { resolvePolicy, type EffectivePolicy } from '../../../shared/policy/resolve.js';
import { POLICY_NAMES } from '../../../shared/policy/table.js';
import type { MessageLogger } from '../log.js';
import type { PolicyReader } from './reader.js';

export class PolicyService {
  private current: EffectivePolicy;
  private readonly listeners = new Set<(policy: EffectivePolicy) => void>();
  private unwatch: (() => void) | null = null;

  constructor(
    private readonly reader: PolicyReader,
    private readonly log: MessageLogger,
  ) {
    this.current = this.load();
    for (const problem of this.current.problems) this.log('warn', 'policy.problem', { problem });
  }

  get policy(): EffectivePolicy {
    return this.current;
  }

  onChange(listener: (policy: EffectivePolicy) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Follows the reader's changes from now on. */
  start(): void {
    this.unwatch ??= this.reader.watch(() => this.reload());
  }

  stop(): void {
    this.unwatch?.();
    this.unwatch = null;
  }

  private load(): EffectivePolicy {
    try {
      return resolvePolicy(this.reader.read());
    } catch (e) {
      // A reader never throws by design; if one does, the defaults hold and the helper lives on.
      return { ...resolvePolicy([]), problems: [`the policy could not be read: ${e instanceof Error ? e.message : String(e)}; using the defaults`] };
    }
  }

  /** Reads the policy again, logs its problems and what changed, and tells the listeners. */
  reload(): void {
    const before = this.current;
    const after = this.load();
    this.current = after;
    for (const problem of after.problems) this.log('warn', 'policy.problem', { problem });
    const changed = POLICY_NAMES.filter((n) => JSON.stringify(before.values[n]) !== JSON.stringify(after.values[n]) || before.sources[n] !== after.sources[n]);
    for (const n of changed) this.log('info', 'policy.changed', { name: n, value: JSON.stringify(after.values[n]), source: after.sources[n] });
    for (const listener of this.listeners) listener(after);
  }
}

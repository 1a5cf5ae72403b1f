/**
 * From raw policy documents to the effective policy. A platform reader (electron/helper/policy)
 * finds the documents and says where each came from; everything about names, types and defaults is
 * decided here, against the table, so every platform gets the same rules: later documents override
 * earlier ones, an unknown name or a wrong value is reported (one line naming the origin and the
 * problem) and that policy falls back to its default, which is the safe value.
 */
import type { z } from 'zod';
import { defaultPolicyValues, isPolicyName, POLICIES, POLICY_NAMES, type PolicyName, type PolicyValues } from './table.js';

/** One document a reader found: its values, or why it could not be read at all. */
export type PolicyDocument =
  | { origin: string; values: unknown }
  | { origin: string; problem: string };

export interface EffectivePolicy {
  values: PolicyValues;
  /** Where each value came from: a document's origin, or 'default'. */
  sources: Record<PolicyName, string>;
  /** One line per problem, each naming its origin. */
  problems: string[];
}

export const DEFAULT_SOURCE = 'default';

function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  return issue ? `${issue.path.length > 0 ? `[${issue.path.join('.')}] ` : ''}${issue.message}` : 'invalid value';
}

function assign<K extends PolicyName>(values: PolicyValues, name: K, value: PolicyValues[K]): void {
  values[name] = value;
}

export function resolvePolicy(documents: readonly PolicyDocument[]): EffectivePolicy {
  const values = defaultPolicyValues();
  const sources = Object.fromEntries(POLICY_NAMES.map((n) => [n, DEFAULT_SOURCE])) as Record<PolicyName, string>;
  const problems: string[] = [];
  for (const doc of documents) {
    if ('problem' in doc) {
      problems.push(`${doc.origin}: ${doc.problem}; ignored`);
      continue;
    }
    if (typeof doc.values !== 'object' || doc.values === null || Array.isArray(doc.values)) {
      problems.push(`${doc.origin}: not a JSON object of policy names and values; ignored`);
      continue;
    }
    for (const [name, raw] of Object.entries(doc.values)) {
      if (!isPolicyName(name)) {
        problems.push(`${doc.origin}: unknown policy '${name}' (known: ${POLICY_NAMES.join(', ')}); ignored`);
        continue;
      }
      const declaration = POLICIES[name];
      const parsed = declaration.schema.safeParse(raw);
      if (parsed.success) {
        assign(values, name, parsed.data as PolicyValues[typeof name]);
        sources[name] = doc.origin;
      } else {
        // What the document tried to set is not honoured, nor is an earlier value kept: the default.
        assign(values, name, defaultPolicyValues()[name]);
        sources[name] = DEFAULT_SOURCE;
        problems.push(`${doc.origin}: ${name}: ${describeIssue(parsed.error)}; using the default ${JSON.stringify(declaration.default)}`);
      }
    }
  }
  return { values, sources, problems };
}

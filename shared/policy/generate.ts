/**
 * What is generated from the policy table (table.ts): the policy file's JSON Schema, the sample
 * policy.json and the README's administrator table. `npm run policy:generate` writes them
 * (build/policy-generate.ts); test/unit/policy-generate.test.ts fails when a copy is out of step.
 */
import * as z from 'zod';
import { defaultPolicyValues, POLICIES, POLICY_NAMES } from './table.js';

export const README_TABLE_START = '<!-- policy-table:start -->';
export const README_TABLE_END = '<!-- policy-table:end -->';

/** A policy document: every name optional, nothing else allowed. */
export function policyFileSchema() {
  return z
    .object(Object.fromEntries(POLICY_NAMES.map((n) => [n, POLICIES[n].schema.describe(POLICIES[n].description.en).optional()])))
    .strict();
}

export function policyJsonSchema(): string {
  const schema = { ...z.toJSONSchema(policyFileSchema()), title: 'Tsunagu administrator policy (/etc/tsunagu/policy.json, /etc/tsunagu/policy.d/*.json)' };
  return `${JSON.stringify(schema, null, 2)}\n`;
}

/** Every policy at its default: what the package installs as /etc/tsunagu/policy.json. */
export function policySample(): string {
  return `${JSON.stringify(defaultPolicyValues(), null, 2)}\n`;
}

/** A value's type in words, from its JSON Schema: `boolean`, `one of a, b`, `list of …`. */
function typeText(schema: Record<string, unknown>): string {
  const anyOf = schema['anyOf'];
  if (Array.isArray(anyOf)) return anyOf.map((s: unknown) => (typeof s === 'object' && s !== null ? typeText(Object.fromEntries(Object.entries(s))) : 'value')).join(' or ');
  if ('const' in schema) return `\`${JSON.stringify(schema['const'])}\``;
  if (Array.isArray(schema['enum'])) return `one of ${schema['enum'].map((v) => `\`${String(v)}\``).join(', ')}`;
  const items = schema['items'];
  if (schema['type'] === 'array' && typeof items === 'object' && items !== null && !Array.isArray(items)) return `list of ${typeText(Object.fromEntries(Object.entries(items)))}`;
  return typeof schema['type'] === 'string' ? schema['type'] : 'value';
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

/** The README's table, markers included. */
export function policyReadmeTable(): string {
  const rows = POLICY_NAMES.map((n) => {
    const p = POLICIES[n];
    return `| \`${n}\` | ${cell(typeText(z.toJSONSchema(p.schema)))} | \`${cell(JSON.stringify(p.default))}\` | ${p.enforcedBy} | ${cell(p.description.en)} | ${cell(p.description.ja)} |`;
  });
  return [
    README_TABLE_START,
    '<!-- generated from shared/policy/table.ts by `npm run policy:generate`; do not edit by hand -->',
    '| Policy | Type | Default | Enforced by | Description | 説明 |',
    '|---|---|---|---|---|---|',
    ...rows,
    README_TABLE_END,
  ].join('\n');
}

/** `readme` with its table replaced by the generated one; null when the markers are missing. */
export function withReadmeTable(readme: string): string | null {
  const start = readme.indexOf(README_TABLE_START);
  const end = readme.indexOf(README_TABLE_END);
  if (start < 0 || end < start) return null;
  return readme.slice(0, start) + policyReadmeTable() + readme.slice(end + README_TABLE_END.length);
}

/**
 * The policy table's generated copies (shared/policy/generate.ts) are in step with it: the JSON
 * Schema and sample in resources/linux/etc and the README's administrator table. `npm run
 * policy:generate` rewrites them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { policyFileSchema, policyJsonSchema, policyReadmeTable, policySample, README_TABLE_END, README_TABLE_START } from '../../shared/policy/generate.js';
import { POLICY_NAMES } from '../../shared/policy/table.js';

const ROOT = join(import.meta.dirname, '../..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

describe('generated from the policy table', () => {
  it('the JSON Schema in resources/linux/etc is the one the table gives', () => {
    expect(read('resources/linux/etc/policy.schema.json')).toBe(policyJsonSchema());
  });

  it('the sample policy.json is the table’s defaults, and valid against the schema', () => {
    const sample = read('resources/linux/etc/policy.json');
    expect(sample).toBe(policySample());
    const parsed: unknown = JSON.parse(sample);
    expect(policyFileSchema().safeParse(parsed).success).toBe(true);
    expect(Object.keys(parsed as object)).toEqual(POLICY_NAMES);
  });

  it('the README table sits in the administrators section and names every policy', () => {
    const readme = read('README.md');
    const section = readme.slice(readme.indexOf('## Installing Tsunagu (administrators)'));
    const table = section.slice(section.indexOf(README_TABLE_START), section.indexOf(README_TABLE_END) + README_TABLE_END.length);
    expect(table).toBe(policyReadmeTable());
    for (const name of POLICY_NAMES) expect(table).toContain(`| \`${name}\` |`);
  });

  it('the schema refuses an unknown name and a wrong type', () => {
    expect(policyFileSchema().safeParse({ AllowScript: true }).success).toBe(false);
    expect(policyFileSchema().safeParse({ AllowScripts: 'yes' }).success).toBe(false);
    expect(policyFileSchema().safeParse({ AllowedServers: ['vpn.example.com', '*.corp.example', '192.0.2.0/24'] }).success).toBe(true);
  });
});

/**
 * `npm run policy:generate`: writes what comes from the policy table (shared/policy/generate.ts):
 * the JSON Schema and sample policy.json in resources/linux/etc, and the README's table.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { policyJsonSchema, policySample, withReadmeTable } from '../shared/policy/generate.js';

const ROOT = join(import.meta.dirname, '..');
export const GENERATED = {
  schema: join(ROOT, 'resources/linux/etc/policy.schema.json'),
  sample: join(ROOT, 'resources/linux/etc/policy.json'),
  readme: join(ROOT, 'README.md'),
};

const readme = withReadmeTable(readFileSync(GENERATED.readme, 'utf8'));
if (readme === null) throw new Error('README.md has no policy-table markers in "Installing Tsunagu (administrators)"');
writeFileSync(GENERATED.schema, policyJsonSchema());
writeFileSync(GENERATED.sample, policySample());
writeFileSync(GENERATED.readme, readme);
process.stdout.write('wrote resources/linux/etc/policy.schema.json, resources/linux/etc/policy.json and the README policy table\n');

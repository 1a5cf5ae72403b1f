#!/usr/bin/env node
// The `tsunagu` command. The CLI is TypeScript run through tsx so that it shares the exact
// sources of the app and the helper without a separate build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./main.ts');
process.exitCode = await main(process.argv.slice(2));

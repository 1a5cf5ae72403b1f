// Property tests explore fresh random inputs on every local run; in CI they replay one fixed seed,
// so a landing never depends on luck and any failure there reproduces exactly. Override with
// FC_SEED=<n> to replay a failure reported by fast-check.
import fc from 'fast-check';

const seed = process.env['FC_SEED'] ?? (process.env['CI'] ? '20261127' : undefined);
if (seed !== undefined) fc.configureGlobal({ seed: Number(seed) });

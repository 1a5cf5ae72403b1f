// Entry point of the bundled CLI (out/cli/tsunagu.mjs); bin.js runs the same main() from source.
import { main } from './main.js';

process.exitCode = await main(process.argv.slice(2));

// The integration tests run the helper as it ships: the bundled CLI on plain Node.
import { bundleCli } from '../../build/bundle.js';

export default async function setup(): Promise<void> {
  await bundleCli();
}

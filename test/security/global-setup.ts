// The security suite runs the helper as it ships (the integration project's build of the bundled
// CLI), for real unprivileged users created here and removed after the run.
import type { TestProject } from 'vitest/node';
import bundle from '../integration/global-setup.js';
import { setUpUsers, tearDownUsers } from './users.js';

export default async function setup(project: TestProject): Promise<() => void> {
  if (process.getuid?.() !== 0) throw new Error('the security suite creates users and runs the helper: run it as root');
  await bundle();
  const tools = await setUpUsers();
  project.provide('securityTools', tools);
  return () => tearDownUsers(tools);
}

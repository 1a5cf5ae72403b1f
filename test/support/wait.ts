/** Polls `probe` every 5 ms until it returns something truthy (returned), or fails after `timeoutMs`. */
export async function waitFor<T>(probe: () => T | null | undefined | false, what: string, timeoutMs = 2000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

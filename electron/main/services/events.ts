/** A minimal typed event source: services emit, the shell (or a test) listens. */
export class EventSource<T> {
  private readonly listeners = new Set<(event: T) => void>();

  on(listener: (event: T) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  emit(event: T): void {
    // A failing listener (e.g. one sending to a window being destroyed) must not stop the others.
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch (e) {
        console.error('tsunagu: an event listener failed:', e);
      }
    }
  }
}

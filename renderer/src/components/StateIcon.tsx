import type { Tone } from '../state/tunnel-view.js';

/**
 * A state drawn as a shape as well as a colour, so it reads without colour vision: a check in a
 * filled circle (connected), a turning arc (busy), a warning triangle (error), an empty ring (idle).
 * Decorative: the words beside it carry the meaning.
 */
export function StateIcon({ tone, className = '' }: { tone: Tone; className?: string }) {
  return (
    <svg className={`state-icon tone-${tone} ${className}`} viewBox="0 0 20 20" aria-hidden="true" focusable="false">
      {tone === 'ok' && (
        <>
          <circle cx="10" cy="10" r="9" className="fill" />
          <path d="M5.5 10.5l3 3 6-7" className="mark" />
        </>
      )}
      {tone === 'busy' && (
        <>
          <circle cx="10" cy="10" r="7.5" className="track" />
          <path d="M10 2.5a7.5 7.5 0 0 1 7.5 7.5" className="arc spin" />
        </>
      )}
      {tone === 'error' && (
        <>
          <path d="M10 1.5l9 16.5H1z" className="fill" />
          <path d="M10 7.5v5M10 14.8v.2" className="mark" />
        </>
      )}
      {tone === 'idle' && <circle cx="10" cy="10" r="7.5" className="ring" />}
    </svg>
  );
}

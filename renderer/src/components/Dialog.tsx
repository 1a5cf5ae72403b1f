import { useEffect, useLayoutEffect, useRef, type ReactNode } from 'react';

/**
 * A modal on the native <dialog>: the browser makes the rest of the window inert and keeps focus
 * inside; Escape dismisses. Focus starts on the element marked data-initial-focus (or the first
 * control) and returns to where it was when the dialog goes away.
 */
export function Dialog({ labelledBy, describedBy, onDismiss, className = '', children }: {
  labelledBy: string;
  describedBy?: string;
  onDismiss: () => void;
  className?: string;
  children: ReactNode;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const dismissRef = useRef(onDismiss);
  const dismissed = useRef(false);
  useEffect(() => {
    dismissRef.current = onDismiss;
  }, [onDismiss]);

  useLayoutEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    const previous = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    dismissed.current = false;
    if (!dialog.open) dialog.showModal();
    const target = dialog.querySelector<HTMLElement>('[data-initial-focus]') ?? dialog.querySelector<HTMLElement>('input, select, textarea, button');
    target?.focus();
    return () => {
      // Closing here is our doing, not the user's: the close event it queues must not dismiss.
      dismissed.current = true;
      if (dialog.open) dialog.close();
      // Back where the user was; if that is gone (a deleted profile's pane), to the page itself.
      if (previous?.isConnected) previous.focus();
      else document.querySelector<HTMLElement>('.app-main [tabindex="0"], .app-main button')?.focus();
    };
  }, []);

  function dismissOnce(): void {
    if (dismissed.current) return;
    dismissed.current = true;
    dismissRef.current();
  }

  return (
    <dialog
      ref={ref}
      className={`dialog ${className}`}
      aria-labelledby={labelledBy}
      aria-describedby={describedBy}
      onCancel={(e) => {
        e.preventDefault();
        dismissOnce();
      }}
      onClose={() => {
        // Escape closes the dialog itself when the browser does not let `cancel` be prevented.
        if (!ref.current?.open) dismissOnce();
      }}
    >
      {children}
    </dialog>
  );
}

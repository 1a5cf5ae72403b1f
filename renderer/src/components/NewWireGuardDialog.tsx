import { useId, useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { AppError, NewWireGuardReply, NewWireGuardRequest } from '../../../shared/ipc/app-api.js';
import { request } from '../api.js';
import { useCopy } from '../hooks.js';
import { blockImeEnter } from '../ime.js';
import { useLocalize } from '../i18n.js';
import { announce, refreshProfiles, selectProfile } from '../state/actions.js';
import { Dialog } from './Dialog.js';
import { ErrorNote } from './ErrorNote.js';
import '../styles/new-tunnel.css';

type Field = keyof NewWireGuardRequest;
type FieldErrors = Extract<NewWireGuardReply, { created: false }>['fieldErrors'];
type Created = Extract<NewWireGuardReply, { created: true }>;

const EMPTY: Required<NewWireGuardRequest> = { name: '', address: '', endpoint: '', serverPublicKey: '', allowedIPs: '', dns: '', persistentKeepalive: '' };

/** The form as sent: optional fields left empty are not sent at all. */
function requestOf(form: Required<NewWireGuardRequest>): NewWireGuardRequest {
  const { dns, persistentKeepalive, ...required } = form;
  return { ...required, ...(dns.trim() ? { dns } : {}), ...(persistentKeepalive.trim() ? { persistentKeepalive } : {}) };
}

/**
 * "New WireGuard tunnel": main generates the key pair and saves the profile (the private key
 * stays there); this form sends what the server administrator gave, shows main's verdict under
 * each field, and once saved shows the [Peer] block to send back to the administrator.
 */
export function NewWireGuardDialog({ onClose }: { onClose: () => void }) {
  const { t } = useTranslation();
  const [form, setForm] = useState(EMPTY);
  const [errors, setErrors] = useState<FieldErrors>([]);
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<AppError | null>(null);
  const [created, setCreated] = useState<Created | null>(null);
  const formRef = useRef<HTMLFormElement>(null);

  async function submit(event: FormEvent): Promise<void> {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    setFailure(null);
    const result = await request((a) => a.profilesNewWireguard(requestOf(form)));
    setBusy(false);
    if (!result.ok) {
      setFailure(result.error);
      return;
    }
    const reply = result.value;
    if (!reply.created) {
      setErrors(reply.fieldErrors);
      announce(t('newTunnel.fixFields'));
      // The first field with a problem gets the focus, so its message is read out with it.
      const first = reply.fieldErrors.find((e) => e.field !== 'form');
      if (first) requestAnimationFrame(() => formRef.current?.querySelector<HTMLElement>(`[data-field="${first.field}"]`)?.focus());
      return;
    }
    setErrors([]);
    setCreated(reply);
    await refreshProfiles();
    selectProfile(reply.id);
    announce(t('newTunnel.createdTitle'));
  }

  if (created) return <CreatedView created={created} onClose={onClose} />;

  const update = (field: Field, value: string) => {
    setForm((f) => ({ ...f, [field]: value }));
    // A field's old message goes once the user changes it; main checks again on Create.
    setErrors((list) => list.filter((e) => e.field !== field));
  };
  const formErrors = errors.filter((e) => e.field === 'form');

  return (
    <Dialog labelledBy="new-tunnel-title" describedBy="new-tunnel-intro" onDismiss={onClose} className="new-tunnel-dialog">
      <h2 id="new-tunnel-title">{t('newTunnel.title')}</h2>
      <p id="new-tunnel-intro" className="hint">{t('newTunnel.intro')}</p>
      {/* noValidate: the app says what is wrong in the UI's language, not the browser's. */}
      <form ref={formRef} onSubmit={(e) => void submit(e)} onKeyDown={blockImeEnter} noValidate>
        <TextField field="name" label={t('newTunnel.name')} form={form} errors={errors} onChange={update} initialFocus />
        <TextField field="address" label={t('newTunnel.address')} help={t('newTunnel.addressHelp')} placeholder="10.0.0.2/32" form={form} errors={errors} onChange={update} />
        <TextField field="endpoint" label={t('newTunnel.endpoint')} help={t('newTunnel.endpointHelp')} placeholder="vpn.example.com:51820" form={form} errors={errors} onChange={update} />
        <TextField field="serverPublicKey" label={t('newTunnel.serverKey')} help={t('newTunnel.serverKeyHelp')} form={form} errors={errors} onChange={update} mono />
        <TextField field="allowedIPs" label={t('newTunnel.allowedIPs')} help={t('newTunnel.allowedIPsHelp')} placeholder="10.0.0.0/24" form={form} errors={errors} onChange={update} />
        <TextField field="dns" label={t('newTunnel.dns')} placeholder="10.0.0.1" form={form} errors={errors} onChange={update} />
        <TextField field="persistentKeepalive" label={t('newTunnel.keepalive')} help={t('newTunnel.keepaliveHelp')} placeholder="25" inputMode="numeric" form={form} errors={errors} onChange={update} />
        {formErrors.length > 0 && (
          <ul className="field-problem new-tunnel-form-errors" role="alert">
            {formErrors.map((e, i) => <FormError key={i} message={e.message} />)}
          </ul>
        )}
        {failure && <ErrorNote error={failure} title={t('newTunnel.title')} />}
        <div className="button-row end dialog-footer">
          {busy && <span className="hint" role="status">{t('newTunnel.creating')}</span>}
          <button type="button" className="button" onClick={onClose}>{t('common.cancel')}</button>
          <button type="submit" className="button primary" aria-disabled={busy}>{t('newTunnel.create')}</button>
        </div>
      </form>
    </Dialog>
  );
}

function FormError({ message }: { message: { en: string; ja: string } }) {
  const localize = useLocalize();
  return <li>{localize(message)}</li>;
}

function TextField({ field, label, help, placeholder, inputMode, mono = false, initialFocus = false, form, errors, onChange }: {
  field: Field;
  label: string;
  help?: string;
  placeholder?: string;
  inputMode?: 'numeric';
  mono?: boolean;
  initialFocus?: boolean;
  form: Required<NewWireGuardRequest>;
  errors: FieldErrors;
  onChange: (field: Field, value: string) => void;
}) {
  const localize = useLocalize();
  const id = useId();
  const problems = errors.filter((e) => e.field === field);
  const describedBy = [help ? `${id}-help` : '', problems.length > 0 ? `${id}-problem` : ''].filter(Boolean).join(' ');
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        data-field={field}
        className={mono ? 'mono' : undefined}
        value={form[field]}
        placeholder={placeholder}
        inputMode={inputMode}
        spellCheck={false}
        autoComplete="off"
        autoCapitalize="off"
        data-initial-focus={initialFocus || undefined}
        aria-invalid={problems.length > 0}
        aria-describedby={describedBy || undefined}
        onChange={(e) => onChange(field, e.target.value)}
      />
      {help && <p id={`${id}-help`} className="hint">{help}</p>}
      {problems.length > 0 && (
        <p id={`${id}-problem`} className="field-problem">
          {problems.map((p) => localize(p.message)).join(' ')}
        </p>
      )}
    </div>
  );
}

function CreatedView({ created, onClose }: { created: Created; onClose: () => void }) {
  const { t } = useTranslation();
  const block = useCopy();
  const key = useCopy();
  return (
    <Dialog labelledBy="new-tunnel-done-title" describedBy="new-tunnel-done-body" onDismiss={onClose} className="new-tunnel-dialog">
      <h2 id="new-tunnel-done-title">{t('newTunnel.createdTitle')}</h2>
      <p id="new-tunnel-done-body">{t('newTunnel.createdBody', { name: created.name })}</p>
      <section aria-labelledby="new-tunnel-block-heading" className="new-tunnel-block">
        <h3 id="new-tunnel-block-heading">{t('newTunnel.peerBlock')}</h3>
        <p className="hint">{t('newTunnel.sendBlock')}</p>
        <pre className="peer-block" tabIndex={0} aria-labelledby="new-tunnel-block-heading">{created.peerBlock}</pre>
        <div className="button-row">
          <button type="button" className="button primary" data-initial-focus onClick={() => void block.copy(created.peerBlock)}>
            {block.copied ? t('common.copied') : t('newTunnel.copy')}
          </button>
        </div>
      </section>
      <section aria-labelledby="new-tunnel-key-heading" className="new-tunnel-block">
        <h3 id="new-tunnel-key-heading">{t('newTunnel.publicKey')}</h3>
        <div className="key-row">
          <code className="public-key">{created.publicKey}</code>
          <button type="button" className="button" onClick={() => void key.copy(created.publicKey)}>
            {key.copied ? t('common.copied') : t('newTunnel.copyKey')}
          </button>
        </div>
      </section>
      <div className="button-row end dialog-footer">
        <button type="button" className="button" onClick={onClose}>{t('newTunnel.done')}</button>
      </div>
    </Dialog>
  );
}

import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { AppError, ConnectionView } from '../../../shared/ipc/app-api.js';
import type { CredentialRequest, Credentials } from '../../../shared/ipc/helper-protocol.js';
import { useLocalize } from '../i18n.js';
import { blockImeEnter } from '../ime.js';
import { sendCredentials } from '../state/actions.js';
import { canRememberSecrets } from '../state/settings.js';
import { locksOf } from '../state/managed.js';
import { useConnections, useManaged, useProfiles, useSettings } from '../state/store.js';
import { Dialog } from './Dialog.js';
import { ErrorNote } from './ErrorNote.js';

/**
 * The tunnel waits for the user: username and password, a challenge (the server's question, the
 * answer shown or hidden as the server asks), or the private key's passphrase. Escape cancels.
 * Enter submits, except the Enter that commits an input-method conversion.
 */
export function CredentialsDialog({ connection, prompt }: { connection: ConnectionView; prompt: CredentialRequest }) {
  const { t } = useTranslation();
  const localize = useLocalize();
  const name = useProfiles((s) => s.list.find((p) => p.id === connection.profileId)?.name ?? '');
  const keychain = useSettings((s) => s.info?.keychain ?? 'unavailable');
  const savingLocked = useManaged((s) => locksOf(s).savePassword);
  const canRemember = useSettings(canRememberSecrets) && !savingLocked;
  // After the server refused what was typed, the app connected again: the username stays, with why.
  const signIn = useConnections((s) => s.signIns[connection.profileId]);
  const [rejected] = useState(signIn?.rejected ?? null);
  const [username, setUsername] = useState(prompt.kind === 'passphrase' ? '' : prompt.username ?? signIn?.username ?? '');
  const [password, setPassword] = useState('');
  const [response, setResponse] = useState('');
  const [passphrase, setPassphrase] = useState('');
  const [remember, setRemember] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<AppError | null>(null);

  // A static challenge wants username, password and answer on every connect (the username may be
  // prefilled); a dynamic one (or CR_TEXT) wants only the answer.
  const askUserPass = prompt.kind === 'userpass' || (prompt.kind === 'challenge' && prompt.needsPassword);
  const offerRemember = prompt.kind !== 'challenge';

  function credentials(): Credentials {
    switch (prompt.kind) {
      case 'userpass':
        return { kind: 'userpass', username, password };
      case 'challenge':
        return { kind: 'challenge', username, password, response };
      case 'passphrase':
        return { kind: 'passphrase', passphrase };
    }
  }

  const complete = prompt.kind === 'passphrase'
    ? passphrase.length > 0
    : prompt.kind === 'challenge'
      ? response.length > 0 && (!askUserPass || (username.length > 0 && password.length > 0))
      : username.length > 0 && password.length > 0;

  async function submit(event: FormEvent): Promise<void> {
    event.preventDefault();
    if (!complete || busy) return;
    setBusy(true);
    setError(null);
    const result = await sendCredentials(connection.profileId, credentials(), offerRemember && canRemember && remember);
    // On success the prompt goes away with the next connection event, and this dialog with it.
    if (!result.ok) {
      setBusy(false);
      setError(result.error);
    }
  }

  async function cancel(): Promise<void> {
    if (busy) return;
    setBusy(true);
    const result = await sendCredentials(connection.profileId, { kind: 'cancel' }, false);
    if (!result.ok) {
      setBusy(false);
      setError(result.error);
    }
  }

  // The driver's reason (charon's EAP failure…) when it knows one, else the generic line.
  function retryText(): string {
    if (prompt.kind === 'passphrase') return t('credentials.retryPassphrase');
    return prompt.reason ? `${localize(prompt.reason)} ${t('credentials.retryAgain')}` : t('credentials.retry');
  }

  const title = prompt.kind === 'passphrase' ? t('credentials.passphraseTitle', { name }) : t('credentials.title', { name });
  const rememberHelp = savingLocked ? t('common.managed') : keychain === 'basic_text' ? t('credentials.rememberNoKeychain') : t('credentials.rememberUnavailable');

  return (
    <Dialog labelledBy="credentials-title" describedBy="credentials-intro" onDismiss={() => void cancel()} className="credentials-dialog">
      <form onSubmit={(e) => void submit(e)} onKeyDown={blockImeEnter}>
        <h2 id="credentials-title">{title}</h2>
        <p id="credentials-intro">
          {prompt.kind === 'passphrase' ? t('credentials.passphraseIntro') : prompt.kind === 'challenge' ? t('credentials.challengeIntro') : t('credentials.intro')}
        </p>
        {rejected && !prompt.retry && <ErrorNote error={rejected} title={t('credentials.rejectedTitle')} />}
        {prompt.retry && <p className="error-text" role="alert">{retryText()}</p>}
        {prompt.kind === 'challenge' && <p className="challenge-text">{prompt.text}</p>}
        {prompt.kind === 'challenge' && !askUserPass && prompt.username && (
          <p className="hint">{t('credentials.signedInAs', { username: prompt.username })}</p>
        )}
        {askUserPass && (
          <>
            <label className="field">
              <span>{t('credentials.username')}</span>
              <input
                value={username}
                autoComplete="username"
                spellCheck={false}
                autoCapitalize="off"
                data-initial-focus={username === '' ? true : undefined}
                onChange={(e) => setUsername(e.target.value)}
              />
            </label>
            <label className="field">
              <span>{t('credentials.password')}</span>
              <input
                type="password"
                value={password}
                autoComplete="current-password"
                data-initial-focus={username !== '' ? true : undefined}
                onChange={(e) => setPassword(e.target.value)}
              />
            </label>
          </>
        )}
        {prompt.kind === 'challenge' && (
          <label className="field">
            <span>{t('credentials.response')}</span>
            <input
              type={prompt.echo ? 'text' : 'password'}
              value={response}
              autoComplete="one-time-code"
              spellCheck={false}
              data-initial-focus={askUserPass ? undefined : true}
              onChange={(e) => setResponse(e.target.value)}
            />
          </label>
        )}
        {prompt.kind === 'passphrase' && (
          <label className="field">
            <span>{t('credentials.passphrase')}</span>
            <input type="password" value={passphrase} autoComplete="off" data-initial-focus onChange={(e) => setPassphrase(e.target.value)} />
          </label>
        )}
        {offerRemember && (
          <div className="check-field">
            <label>
              <input type="checkbox" checked={canRemember && remember} disabled={!canRemember} aria-describedby={canRemember ? undefined : 'remember-help'} onChange={(e) => setRemember(e.target.checked)} />
              {prompt.kind === 'passphrase' ? t('credentials.rememberPassphrase') : t('credentials.remember')}
            </label>
            {!canRemember && <p id="remember-help" className="hint">{rememberHelp}</p>}
          </div>
        )}
        {error && <ErrorNote error={error} />}
        <div className="button-row end dialog-footer">
          <button type="button" className="button" aria-disabled={busy} onClick={() => void cancel()}>{t('common.cancel')}</button>
          <button type="submit" className="button primary" disabled={!complete} aria-disabled={busy}>
            {prompt.kind === 'passphrase' ? t('credentials.unlock') : t('credentials.submit')}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

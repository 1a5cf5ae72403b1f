import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { setImportOpen } from '../state/actions.js';
import { locksOf } from '../state/managed.js';
import { useManaged, useProfiles, useUi } from '../state/store.js';
import { ConnectionPanel } from './ConnectionPanel.js';
import { ErrorNote } from './ErrorNote.js';
import { NewWireGuardDialog } from './NewWireGuardDialog.js';
import { ProfileDetails, ProfileHeader } from './ProfileDetails.js';
import { ProfileList } from './ProfileList.js';

export function ProfilesPage() {
  const { t } = useTranslation();
  const status = useProfiles((s) => s.status);
  const error = useProfiles((s) => s.error);
  const count = useProfiles((s) => s.list.length);
  // Held here, above the empty/list switch: the first tunnel created turns the empty page into the
  // list, and the dialog (now showing the [Peer] block) must stay open through that.
  const [newTunnelOpen, setNewTunnelOpen] = useState(false);

  let content;
  if (status === 'loading') content = <p className="page-message loading">{t('common.loading')}</p>;
  else if (status === 'failed' && error) {
    content = (
      <div className="page-message">
        <ErrorNote error={error} title={t('profiles.loadFailed')} />
      </div>
    );
  } else if (count === 0) content = <EmptyProfiles onNewTunnel={() => setNewTunnelOpen(true)} />;
  else {
    content = (
      <div className="profiles-page">
        <div className="profiles-column">
          <ProfileList />
          <div className="new-tunnel-bar">
            <NewTunnelButton onClick={() => setNewTunnelOpen(true)} />
          </div>
        </div>
        <SelectedProfile />
      </div>
    );
  }
  // The dialog keeps its place in the tree whatever the page shows, so React keeps its state.
  return (
    <>
      {content}
      {newTunnelOpen && <NewWireGuardDialog onClose={() => setNewTunnelOpen(false)} />}
    </>
  );
}

/** Opens "New WireGuard tunnel" (not while the administrator locks personal profiles). */
function NewTunnelButton({ onClick, className = 'button' }: { onClick: () => void; className?: string }) {
  const { t } = useTranslation();
  const locked = useManaged((s) => locksOf(s).personalProfiles);
  return (
    <button type="button" className={className} disabled={locked} title={locked ? t('common.managed') : undefined} onClick={onClick}>
      {t('newTunnel.open')}
    </button>
  );
}

function SelectedProfile() {
  const { t } = useTranslation();
  const selectedId = useUi((s) => s.selectedId);
  const profile = useProfiles((s) => s.list.find((p) => p.id === selectedId));
  if (!profile) {
    return (
      <div className="profile-pane empty">
        <p>{t('profiles.selectHint')}</p>
      </div>
    );
  }
  return (
    <div className="profile-pane" key={profile.id}>
      <ProfileHeader profile={profile} />
      <ConnectionPanel profile={profile} />
      <ProfileDetails profile={profile} />
    </div>
  );
}

function EmptyProfiles({ onNewTunnel }: { onNewTunnel: () => void }) {
  const { t } = useTranslation();
  return (
    <div className="empty-state">
      <h1>{t('profiles.emptyTitle')}</h1>
      <p>{t('profiles.emptyBody')}</p>
      <button type="button" className="button primary big" onClick={() => setImportOpen(true)}>{t('import.open')}</button>
      <NewTunnelButton className="button new-tunnel-open" onClick={onNewTunnel} />
      <p className="hint">{t('profiles.emptyDrop')}</p>
    </div>
  );
}

import { useTranslation } from 'react-i18next';
import { setImportOpen } from '../state/actions.js';
import { useProfiles, useUi } from '../state/store.js';
import { ConnectionPanel } from './ConnectionPanel.js';
import { ErrorNote } from './ErrorNote.js';
import { ProfileDetails, ProfileHeader } from './ProfileDetails.js';
import { ProfileList } from './ProfileList.js';

export function ProfilesPage() {
  const { t } = useTranslation();
  const status = useProfiles((s) => s.status);
  const error = useProfiles((s) => s.error);
  const count = useProfiles((s) => s.list.length);

  if (status === 'loading') return <p className="page-message loading">{t('common.loading')}</p>;
  if (status === 'failed' && error) {
    return (
      <div className="page-message">
        <ErrorNote error={error} title={t('profiles.loadFailed')} />
      </div>
    );
  }
  if (count === 0) return <EmptyProfiles />;
  return (
    <div className="profiles-page">
      <ProfileList />
      <SelectedProfile />
    </div>
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

function EmptyProfiles() {
  const { t } = useTranslation();
  return (
    <div className="empty-state">
      <h1>{t('profiles.emptyTitle')}</h1>
      <p>{t('profiles.emptyBody')}</p>
      <button type="button" className="button primary big" onClick={() => setImportOpen(true)}>{t('import.open')}</button>
      <p className="hint">{t('profiles.emptyDrop')}</p>
    </div>
  );
}

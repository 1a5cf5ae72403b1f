import { useTranslation } from 'react-i18next';
import type { ProfileSummary } from '../../../shared/ipc/app-api.js';
import type { TunnelState } from '../../../shared/ipc/helper-protocol.js';
import { tunnelView } from '../state/tunnel-view.js';
import { StateIcon } from './StateIcon.js';

/**
 * "OpenVPN L3", "OpenVPN L2", "WireGuard", "IKEv2" / "IKEv1" (WireGuard and IPsec are always
 * layer 3, so no layer is shown). An IKE badge whose version is not known says "IPsec".
 * `ikeVersion` is a required prop (possibly undefined) so no caller can forget it and show IKEv1 as IKEv2.
 */
export function KindBadge({ kind, layer, ikeVersion }: Pick<ProfileSummary, 'kind' | 'layer'> & { ikeVersion: ProfileSummary['ikeVersion'] }) {
  const { t } = useTranslation();
  const key = kindKey(kind, layer, ikeVersion);
  return (
    <span className={`badge kind-${kind} layer-${layer}${kind === 'ikev2' && ikeVersion !== undefined ? ` ike-v${ikeVersion}` : ''}`} title={t(`kind.${key}Help`)}>
      {t(`kind.${key}`)}
    </span>
  );
}

type KindKey = 'wireguard' | 'ikev1' | 'ikev2' | 'ike' | 'openvpnL2' | 'openvpnL3';

/** The catalog key under `kind.` (its help text is the same key + "Help"). */
function kindKey(kind: ProfileSummary['kind'], layer: ProfileSummary['layer'], ikeVersion: ProfileSummary['ikeVersion']): KindKey {
  switch (kind) {
    case 'wireguard':
      return 'wireguard';
    case 'ikev2':
      return ikeVersion === 1 ? 'ikev1' : ikeVersion === 2 ? 'ikev2' : 'ike';
    case 'openvpn':
      return layer === 'L2' ? 'openvpnL2' : 'openvpnL3';
  }
}

/** A tunnel state as icon + words; `compact` for list rows. */
export function StateBadge({ state, waitingForUser = false, compact = false }: { state: TunnelState | undefined; waitingForUser?: boolean; compact?: boolean }) {
  const { t } = useTranslation();
  const view = tunnelView(state, waitingForUser);
  return (
    <span className={`state-badge tone-${view.tone}${compact ? ' compact' : ''}`}>
      <StateIcon tone={view.tone} />
      <span className="state-text">{t(view.label, { attempt: view.attempt ?? 1 })}</span>
    </span>
  );
}

/**
 * The helper's side of the admin policies that concern security: checked on every request, so a
 * client that talks to the socket directly is held to them as the app is. Each check returns the
 * refusal (`policy-denied`, saying the organisation manages it) or null.
 */
import type { ProfileKind } from '../../../shared/profiles/diagnostics.js';
import { serversOutside } from '../../../shared/policy/servers.js';
import type { PolicyValues } from '../../../shared/policy/table.js';
import { HelperFailure } from '../failure.js';

export const POLICY_DENIED = 'policy-denied';

function denied(en: string, ja: string, detail: string): HelperFailure {
  return new HelperFailure(POLICY_DENIED, { en: `Managed by your organization: ${en}`, ja: `組織によって管理されています: ${ja}` }, detail);
}

/** A personal profile (one the caller sends) of `kind`, before it is inspected. */
export function personalProfileDenial(policy: PolicyValues, kind: ProfileKind): HelperFailure | null {
  if (!policy.AllowUserProfiles) {
    return denied('only the profiles your organization provides can be connected.', '組織が配布したプロファイルだけに接続できます。', 'AllowUserProfiles is false');
  }
  if (!policy.AllowedKinds.includes(kind)) {
    return denied(`${kind} profiles are not allowed on this computer.`, `このコンピューターでは ${kind} プロファイルは許可されていません。`, `AllowedKinds is ${JSON.stringify(policy.AllowedKinds)}`);
  }
  return null;
}

/** A personal profile's servers (its remotes' or endpoints' hosts), once the helper has read them. */
export function serverDenial(policy: PolicyValues, hosts: readonly string[]): HelperFailure | null {
  const outside = serversOutside(hosts, policy.AllowedServers);
  if (outside.length === 0) return null;
  const list = outside.join(', ');
  return denied(`this profile connects to ${list}, which is not among the allowed servers.`, `このプロファイルの接続先 ${list} は許可されたサーバーに含まれていません。`, `AllowedServers ${JSON.stringify(policy.AllowedServers)} does not match ${list}`);
}

/** Ending a tunnel: under AlwaysOn only root may. */
export function disconnectDenial(policy: PolicyValues, uid: number): HelperFailure | null {
  if (uid === 0 || !policy.AlwaysOn) return null;
  return denied('the VPN is always on and cannot be disconnected.', 'VPN は常時接続に設定されているため切断できません。', 'AlwaysOn is true');
}

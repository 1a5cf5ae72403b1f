// Companions: servers of other families that share an instance's server namespace, so one client
// namespace (and one helper in it) reaches e.g. both an OpenVPN and a WireGuard server.
// Pure: validation runs before anything needs root.
import { familyOf, isScenarioName, SCENARIO_NAMES, type LabInfo, type ScenarioName } from './state.js';

const FAMILY_NAMES = { openvpn: 'OpenVPN', wireguard: 'WireGuard', ikev2: 'IKEv2' } as const;

/**
 * Scenarios that can never be companions: openvpn-tap turns the server's inside link into a bridge
 * when the topology is created, which only the primary scenario decides.
 */
const NOT_COMPANIONS: readonly ScenarioName[] = ['openvpn-tap'];

/** The scenarios that may accompany `primary`: another family, never openvpn-tap. */
export function validCompanions(primary: ScenarioName): ScenarioName[] {
  return SCENARIO_NAMES.filter((s) => familyOf(s) !== familyOf(primary) && !NOT_COMPANIONS.includes(s));
}

/**
 * Checks the companions asked for alongside `primary` and returns them typed. One server per
 * family shares the namespace (each family has its own tunnel subnet, port and device names), so a
 * companion must be of another family than the primary and than every other companion.
 */
export function checkCompanions(primary: ScenarioName, requested: readonly string[]): ScenarioName[] {
  const valid = `valid with ${primary}: ${validCompanions(primary).join(', ')}`;
  const out: ScenarioName[] = [];
  for (const name of requested) {
    if (!isScenarioName(name)) throw new Error(`unknown companion scenario "${name}"; ${valid}`);
    if (NOT_COMPANIONS.includes(name)) {
      throw new Error(`${name} cannot be a companion (it makes the server's inside link a bridge); bring it up as the primary scenario instead; ${valid}`);
    }
    const family = familyOf(name);
    if (family === familyOf(primary)) {
      throw new Error(`companion ${name} is ${FAMILY_NAMES[family]} like the primary ${primary}: a companion must be another family; ${valid}`);
    }
    const twin = out.find((s) => familyOf(s) === family);
    if (twin === name) throw new Error(`companion ${name} is given twice; ${valid}`);
    if (twin) throw new Error(`companions ${twin} and ${name} are both ${FAMILY_NAMES[family]}: at most one companion per family; ${valid}`);
    out.push(name);
  }
  return out;
}

/**
 * The instance as a client of its companion `scenario` sees it: the companion's profile, files,
 * credentials and tunnel peer with the instance's namespace and protected host. Every client
 * helper (connectClient, OpenvpnClient, wgQuickUp, …) takes it like a primary instance.
 * For the primary scenario itself, the instance without its companions.
 */
export function companionInfo(info: LabInfo, scenario: ScenarioName): LabInfo {
  const { id, clientNetns, protectedHostIp } = info;
  const source = scenario === info.scenario ? info : info.companions?.find((x) => x.scenario === scenario);
  if (!source) {
    const has = (info.companions ?? []).map((x) => x.scenario);
    throw new Error(`lab instance ${id} (${info.scenario}) has no companion ${scenario}; its companions: ${has.length > 0 ? has.join(', ') : 'none'}`);
  }
  const { profile, extraFiles, credentials, tunnelPeerIp } = source;
  return { id, scenario, clientNetns, profile, extraFiles, credentials, tunnelPeerIp, protectedHostIp };
}

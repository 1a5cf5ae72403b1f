// `npm run lab -- <command>`: the lab from the shell. Exit code 0 on success, 1 on any error.
import { checkCompanions } from './companions.js';
import { assertRoot, down, downAll, fault, FAULTS, isFaultKind, list, scenarios, serverRunning, up } from './lab.js';
import { isScenarioName, publicInfo, SCENARIO_NAMES, type ScenarioName } from './state.js';
import { formatTimings, measureTimings } from './timings.js';

const USAGE = `usage: npm run lab -- <command>
  scenarios                       list the scenarios
  up <scenario> [--with <scenario>[,<scenario>]] [--json]
                                  bring a scenario up; it stays up until \`down\`. --with adds
                                  companions: servers of other families (one per family, not
                                  openvpn-tap) beside it, reachable from the same client namespace
  down <id>                       tear one instance down
  down --all                      sweep everything the lab left (namespaces, processes, devices, sockets)
  list [--json]                   running instances
  fault <id> <${FAULTS.join('|')}>
  timings [--json] [scenario...]  bring each scenario up and down once; print setup/teardown times`;

class UsageError extends Error {}

/** Takes `--with a,b` / `--with=a` (repeatable) out of `args`: the companions of `up`. */
function takeWith(args: string[]): { rest: string[]; companions: string[] } {
  const rest: string[] = [];
  const companions: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i] ?? '';
    let value: string | undefined;
    if (a === '--with') value = args[++i];
    else if (a.startsWith('--with=')) value = a.slice('--with='.length);
    else {
      rest.push(a);
      continue;
    }
    if (!value || value.startsWith('-')) throw new UsageError('--with needs scenario names, e.g. --with wireguard-split');
    companions.push(...value.split(',').filter(Boolean));
  }
  return { rest, companions };
}

function scenarioArg(s: string | undefined): ScenarioName {
  if (!s) throw new UsageError(`missing scenario; valid: ${SCENARIO_NAMES.join(', ')}`);
  if (!isScenarioName(s)) throw new UsageError(`unknown scenario "${s}"; valid: ${SCENARIO_NAMES.join(', ')}`);
  return s;
}

async function main(argv: string[]): Promise<void> {
  const json = argv.includes('--json');
  const { rest: args, companions } = takeWith(argv.filter((a) => a !== '--json'));
  const [cmd, ...rest] = args;
  if (companions.length > 0 && cmd !== 'up') throw new UsageError('--with goes with `up` only');
  switch (cmd) {
    case 'scenarios':
      if (json) console.log(JSON.stringify(scenarios(), null, 2));
      else for (const s of scenarios()) console.log(`${s.name.padEnd(18)} ${s.description}`);
      return;
    case 'up': {
      const scenario = scenarioArg(rest[0]);
      checkCompanions(scenario, companions);
      assertRoot();
      const inst = await up(scenario, { persistent: true, with: companions });
      const info = publicInfo(inst);
      if (json) {
        console.log(JSON.stringify(info, null, 2));
      } else {
        console.log(`${info.id} ${info.scenario} up in ${inst.setupMs} ms`);
        console.log(`  client netns      ${info.clientNetns}`);
        console.log(`  profile           ${info.profile}`);
        for (const f of info.extraFiles) console.log(`  extra file        ${f}`);
        console.log(`  tunnel peer       ${info.tunnelPeerIp}`);
        console.log(`  protected host    ${info.protectedHostIp}`);
        if (Object.keys(info.credentials).length > 0) console.log(`  credentials       ${JSON.stringify(info.credentials)}`);
        for (const c of info.companions ?? []) {
          console.log(`  companion         ${c.scenario}`);
          console.log(`    profile         ${c.profile}`);
          for (const f of c.extraFiles) console.log(`    extra file      ${f}`);
          console.log(`    tunnel peer     ${c.tunnelPeerIp}`);
          if (Object.keys(c.credentials).length > 0) console.log(`    credentials     ${JSON.stringify(c.credentials)}`);
        }
        console.log(`  try: ip netns exec ${info.clientNetns} <client> ...; npm run lab -- down ${info.id}`);
      }
      return;
    }
    case 'down': {
      assertRoot();
      if (rest[0] === '--all') {
        const r = downAll();
        console.log(
          `swept ${r.instances.length} instance(s)${r.instances.length ? `: ${r.instances.join(' ')}` : ''}` +
            (r.strayProcesses.length ? `; killed ${r.strayProcesses.length} stray process(es)` : '') +
            (r.hostLinks.length ? `; deleted host links ${r.hostLinks.join(' ')}` : ''),
        );
        return;
      }
      if (!rest[0]) throw new UsageError('missing id (or --all)');
      const known = list().some((i) => i.id === rest[0]);
      await down(rest[0]);
      console.log(known ? `${rest[0]} down` : `${rest[0]} was not running (swept any leftovers)`);
      return;
    }
    case 'list': {
      assertRoot();
      const all = list();
      if (json) {
        const entries = all.map((i) => {
          const companions = i.companions?.map(({ dir: _dir, server, ...c }) => ({ ...c, serverRunning: serverRunning(i, server) }));
          return { ...publicInfo(i), ...(companions ? { companions } : {}), serverRunning: serverRunning(i), faults: i.faults };
        });
        console.log(JSON.stringify(entries, null, 2));
      } else if (all.length === 0) {
        console.log('no lab instances');
      } else {
        for (const i of all) {
          const flags = [serverRunning(i) ? 'server up' : 'server down', i.faults.dropped ? 'dropping' : '', i.faults.linkDown ? 'link down' : '']
            .filter(Boolean)
            .join(', ');
          console.log(`${i.id}  ${i.scenario.padEnd(18)} ${i.clientNetns}  ${flags}  ${i.profile}`);
          for (const c of i.companions ?? []) {
            console.log(`  + ${c.scenario.padEnd(18)} ${serverRunning(i, c.server) ? 'server up' : 'server down'}  ${c.profile}`);
          }
        }
      }
      return;
    }
    case 'fault': {
      const [id, kind] = rest;
      if (!id || !kind) throw new UsageError(`usage: fault <id> <${FAULTS.join('|')}>`);
      if (!isFaultKind(kind)) throw new UsageError(`unknown fault "${kind}"; valid: ${FAULTS.join(', ')}`);
      assertRoot();
      await fault(id, kind);
      console.log(`${id}: ${kind} done`);
      return;
    }
    case 'timings': {
      assertRoot();
      const names = rest.length > 0 ? rest.map(scenarioArg) : [...SCENARIO_NAMES];
      const rows = await measureTimings(names);
      console.log(json ? JSON.stringify(rows, null, 2) : formatTimings(rows));
      return;
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      console.log(USAGE);
      return;
    default:
      throw new UsageError(`unknown command "${cmd}"\n${USAGE}`);
  }
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (err: unknown) => {
    const msg = err instanceof Error ? err.message : String(err);
    console.error(`lab: ${msg}`);
    process.exit(1);
  },
);

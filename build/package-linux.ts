/**
 * `npm run package:linux`: the helper package, offline, with Debian's own tools, into dist/:
 *   tsunagu-helper_<version>_amd64.deb     (dpkg-deb)
 *   tsunagu-helper-<version>-1.x86_64.rpm  (rpmbuild, from Debian's rpm package)
 * Both carry the same tree (LAYOUT below) built by `npm run build:helper`, the systemd units and
 * the group from resources/linux, and maintainer scripts made of resources/linux/maintainer/
 * actions.sh followed by the format's dispatch (maintainer/deb/*, maintainer/rpm/*).
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { buildHelper, HELPER_FILES, HELPER_OUT, HELPER_RUNTIME, helperRuntime, runtimeLicense } from './helper.js';

const root = join(import.meta.dirname, '..');
const linux = join(root, 'resources/linux');
const work = join(root, 'out/package');
export const DIST = join(root, 'dist');

export const PACKAGE_NAME = 'tsunagu-helper';
const MAINTAINER = 'Tsunagu contributors <tsunagu@users.noreply.github.com>';
const SUMMARY = 'privileged helper of the Tsunagu VPN client';
const DESCRIPTION = [
  'Tsunagu connects OpenVPN and WireGuard profiles. This package is its root',
  'side: a socket-activated system service that checks every profile again and',
  'runs openvpn or wg-quick for the members of the tsunagu group, and the',
  'tsunagu command line.',
];

export const LIBDIR = '/usr/lib/tsunagu';
export const CONFDIR = '/etc/tsunagu';
export const UNITS = ['tsunagu-helper.socket', 'tsunagu-helper.service', 'tsunagu-firewall.service'] as const;

/** Dependencies, one list for both formats (Debian package names; RPM distributions' differ). */
export const DEPENDS = ['openvpn', 'wireguard-tools', 'iproute2', 'openresolv | resolvconf | systemd-resolved'];
export const RECOMMENDS = ['wireguard-go', 'strongswan-charon', 'strongswan-swanctl', 'nftables'];

type Format = 'deb' | 'rpm';

/**
 * xz level 1 for both payloads: on this 2-core machine about 12 s per package and 32 MB, where the
 * default level 6 takes three minutes for 28 MB.
 */
const XZ_LEVEL = 1;

interface Entry {
  /** Path in the installed system. */
  path: string;
  mode: number;
  /** A file copied from here, a symlink to `link`, or a directory. */
  from?: string;
  link?: string;
  conffile?: boolean;
}

/** Debian 12 still keeps units in /lib (dpkg does not know /lib is /usr/lib); RPM distributions in /usr/lib. */
function unitDir(format: Format): string {
  return format === 'deb' ? '/lib/systemd/system' : '/usr/lib/systemd/system';
}

/** Node.js's own LICENSE (its bundled components' licences too), beside the copyright file. */
const NODE_LICENSE = 'LICENSE.node.gz';

export function layout(format: Format, docDir: string): Entry[] {
  return [
    { path: LIBDIR, mode: 0o755 },
    { path: `${LIBDIR}/${HELPER_FILES.executable}`, mode: 0o755, from: join(HELPER_OUT, HELPER_FILES.executable) },
    { path: `${LIBDIR}/${HELPER_FILES.addon}`, mode: 0o644, from: join(HELPER_OUT, HELPER_FILES.addon) },
    { path: `${LIBDIR}/${HELPER_FILES.worker}`, mode: 0o644, from: join(HELPER_OUT, HELPER_FILES.worker) },
    { path: '/usr/bin/tsunagu', mode: 0o777, link: `../lib/tsunagu/${HELPER_FILES.executable}` },
    ...UNITS.map((unit) => ({ path: `${unitDir(format)}/${unit}`, mode: 0o644, from: join(linux, 'systemd', unit) })),
    { path: '/usr/lib/sysusers.d/tsunagu.conf', mode: 0o644, from: join(linux, 'sysusers.d/tsunagu.conf') },
    { path: CONFDIR, mode: 0o755 },
    { path: `${CONFDIR}/policy.json`, mode: 0o644, from: join(linux, 'etc/policy.json'), conffile: true },
    { path: `${CONFDIR}/policy.d`, mode: 0o755 },
    // Provisioned profiles carry secrets that never leave root.
    { path: `${CONFDIR}/profiles`, mode: 0o700 },
    { path: '/var/lib/tsunagu', mode: 0o700 },
    // The JSON Schema of policy.json (generated from shared/policy/table.ts), for editors and MDM tools.
    { path: '/usr/share/tsunagu', mode: 0o755 },
    { path: '/usr/share/tsunagu/policy.schema.json', mode: 0o644, from: join(linux, 'etc/policy.schema.json') },
    { path: '/usr/share/man/man1/tsunagu.1.gz', mode: 0o644, from: join(docDir, 'tsunagu.1.gz') },
    { path: `/usr/share/doc/${PACKAGE_NAME}`, mode: 0o755 },
    { path: `/usr/share/doc/${PACKAGE_NAME}/copyright`, mode: 0o644, from: join(docDir, 'copyright') },
    { path: `/usr/share/doc/${PACKAGE_NAME}/changelog.gz`, mode: 0o644, from: join(docDir, 'changelog.gz') },
    { path: `/usr/share/doc/${PACKAGE_NAME}/${NODE_LICENSE}`, mode: 0o644, from: join(docDir, NODE_LICENSE) },
    ...(format === 'deb' ? [{ path: `/usr/share/lintian/overrides/${PACKAGE_NAME}`, mode: 0o644, from: join(linux, 'lintian-overrides') }] : []),
  ];
}

function version(): string {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

/** copyright (machine-readable, Debian's format) and changelog, shared by both packages. */
function writeDocs(docDir: string, ver: string): void {
  mkdirSync(docDir, { recursive: true });
  helperRuntime();
  writeFileSync(join(docDir, NODE_LICENSE), gzipSync(readFileSync(runtimeLicense()), { level: 9 }));
  const indent = (text: string) => text.trimEnd().split('\n').map((l) => (l.trim() === '' ? ' .' : ` ${l}`)).join('\n');
  writeFileSync(
    join(docDir, 'copyright'),
    [
      'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/',
      'Upstream-Name: Tsunagu',
      '',
      'Files: *',
      'Copyright: 2026 Tsunagu contributors',
      'License: Expat',
      '',
      `Files: usr/lib/tsunagu/${HELPER_FILES.executable}`,
      `Copyright: Node.js contributors and the authors of its bundled components (Node.js ${HELPER_RUNTIME.version})`,
      'License: Node.js',
      '',
      'License: Expat',
      indent(EXPAT),
      '',
      'License: Node.js',
      ` The licence of Node.js and of every component it bundles, in full, is in`,
      ` /usr/share/doc/${PACKAGE_NAME}/${NODE_LICENSE}.`,
      '',
    ].join('\n'),
  );
  const date = execFileSync('date', ['-R', '-u', '-d', `@${Math.floor(statSync(join(root, 'package.json')).mtimeMs / 1000)}`], { encoding: 'utf8' }).trim();
  const changelog = `${PACKAGE_NAME} (${ver}) unstable; urgency=medium\n\n  * Release ${ver}.\n\n -- ${MAINTAINER}  ${date}\n`;
  // -n's equivalent: no name or time in the gzip header, so the file is reproducible.
  writeFileSync(join(docDir, 'changelog.gz'), gzipSync(changelog, { level: 9 }));
}

/** roff text: a leading dot or quote would be a request, a backslash an escape. */
function roff(line: string): string {
  return line.replace(/\\/g, '\\e').replace(/^([.'])/, '\\&$1');
}

/** The manual page is the CLI's own --help (one source), under the sections man expects. */
function writeManPage(docDir: string, ver: string): void {
  const help = execFileSync(join(HELPER_OUT, HELPER_FILES.executable), ['--help'], { encoding: 'utf8', env: { PATH: process.env['PATH'], LANG: 'C' } });
  const page = [
    `.TH TSUNAGU 1 "" "tsunagu ${ver}" "User Commands"`,
    '.SH NAME',
    'tsunagu \\- VPN client command line and privileged helper',
    '.SH SYNOPSIS',
    '.B tsunagu',
    '[\\fB\\-\\-socket\\fR \\fIPATH\\fR] \\fIcommand\\fR [\\fIoptions\\fR]',
    '.SH DESCRIPTION',
    'Checks OpenVPN and WireGuard profiles, and connects them through the Tsunagu helper',
    '(tsunagu-helper.service), which serves root and the members of the tsunagu group.',
    '.SH USAGE',
    '.nf',
    ...help.trimEnd().split('\n').map(roff),
    '.fi',
    '.SH FILES',
    '.TP',
    '.I /run/tsunagu/helper.sock',
    "The helper's socket.",
    '.TP',
    '.I /etc/tsunagu/',
    'Administrator settings and provisioned profiles.',
    '',
  ].join('\n');
  writeFileSync(join(docDir, 'tsunagu.1.gz'), gzipSync(page, { level: 9 }));
}

const EXPAT = `Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.`;

function stage(tree: string, entries: Entry[]): void {
  rmSync(tree, { recursive: true, force: true });
  for (const e of entries) {
    const target = join(tree, e.path);
    mkdirSync(dirname(target), { recursive: true });
    if (e.link !== undefined) symlinkSync(e.link, target);
    else if (e.from !== undefined) copyFileSync(e.from, target);
    else mkdirSync(target, { recursive: true });
    if (e.link === undefined) chmodSync(target, e.mode);
  }
}

/** A maintainer script: the shared actions, then this format's dispatch. */
function maintainerScript(format: Format, name: string): string {
  const actions = readFileSync(join(linux, 'maintainer/actions.sh'), 'utf8');
  const dispatch = readFileSync(join(linux, 'maintainer', format, name), 'utf8');
  return `${format === 'deb' ? '#!/bin/sh\n' : ''}${actions}\n${dispatch}`;
}

function shlibsDepends(tree: string): string {
  // dpkg-shlibdeps reads debian/control of a source package; a minimal one beside the tree will do.
  const src = join(work, 'shlibs');
  rmSync(src, { recursive: true, force: true });
  mkdirSync(join(src, 'debian'), { recursive: true });
  writeFileSync(join(src, 'debian/control'), `Source: ${PACKAGE_NAME}\n\nPackage: ${PACKAGE_NAME}\nArchitecture: amd64\n`);
  const out = execFileSync('dpkg-shlibdeps', ['-O', '--ignore-missing-info', join(tree, LIBDIR.slice(1), HELPER_FILES.executable), join(tree, LIBDIR.slice(1), HELPER_FILES.addon)], { cwd: src, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const match = /^shlibs:Depends=(.*)$/m.exec(out);
  if (!match?.[1]) throw new Error(`dpkg-shlibdeps gave no dependencies: ${out}`);
  return match[1];
}

function installedSizeKiB(entries: Entry[]): number {
  return entries.reduce((sum, e) => sum + (e.from !== undefined ? Math.ceil(statSync(e.from).size / 1024) : 1), 0);
}

export function buildDeb(ver: string, docDir: string): string {
  const entries = layout('deb', docDir);
  const tree = join(work, 'deb');
  stage(tree, entries);
  const control = join(tree, 'DEBIAN');
  mkdirSync(control);
  writeFileSync(
    join(control, 'control'),
    [
      `Package: ${PACKAGE_NAME}`,
      `Version: ${ver}`,
      'Architecture: amd64',
      `Maintainer: ${MAINTAINER}`,
      `Installed-Size: ${installedSizeKiB(entries)}`,
      `Depends: ${[shlibsDepends(tree), 'passwd', ...DEPENDS].join(', ')}`,
      `Recommends: ${RECOMMENDS.join(', ')}`,
      'Section: net',
      'Priority: optional',
      `Description: ${SUMMARY}`,
      ...DESCRIPTION.map((l) => ` ${l}`),
      '',
    ].join('\n'),
  );
  writeFileSync(join(control, 'conffiles'), entries.filter((e) => e.conffile).map((e) => `${e.path}\n`).join(''));
  for (const name of ['postinst', 'prerm', 'postrm']) {
    writeFileSync(join(control, name), maintainerScript('deb', name));
    chmodSync(join(control, name), 0o755);
  }
  mkdirSync(DIST, { recursive: true });
  const deb = join(DIST, `${PACKAGE_NAME}_${ver}_amd64.deb`);
  execFileSync('dpkg-deb', ['--root-owner-group', '-Zxz', `-z${XZ_LEVEL}`, '--build', tree, deb], { stdio: ['ignore', 'ignore', 'inherit'] });
  return deb;
}

/** RPM's rich dependency for Debian's "a | b | c". */
function rpmDependency(dep: string): string {
  const alternatives = dep.split('|').map((a) => a.trim());
  return alternatives.length === 1 ? (alternatives[0] ?? dep) : `(${alternatives.join(' or ')})`;
}

export function buildRpm(ver: string, docDir: string): string {
  const entries = layout('rpm', docDir);
  const top = join(work, 'rpm');
  const tree = join(top, 'root');
  rmSync(top, { recursive: true, force: true });
  stage(tree, entries);
  const files = entries.map((e) => {
    if (e.link !== undefined) return e.path;
    const attr = `%attr(${e.mode.toString(8).padStart(4, '0')},root,root)`;
    if (e.from === undefined) return `%dir ${attr} ${e.path}`;
    return `${e.conffile ? '%config(noreplace) ' : ''}${attr} ${e.path}`;
  });
  const script = (name: string) => maintainerScript('rpm', name);
  const spec = [
    `Name: ${PACKAGE_NAME}`,
    `Version: ${ver}`,
    'Release: 1',
    `Summary: ${SUMMARY}`,
    'License: MIT',
    'BuildArch: x86_64',
    ...DEPENDS.map((d) => `Requires: ${rpmDependency(d)}`),
    ...RECOMMENDS.map((d) => `Recommends: ${d}`),
    // The executable is a Node binary with the application injected: stripping it again, or
    // splitting debug info out of it, would cut the injected part off.
    '%global debug_package %{nil}',
    '%global __os_install_post %{nil}',
    '%define _build_id_links none',
    `%define _binary_payload w${XZ_LEVEL}.xzdio`,
    '',
    '%description',
    ...DESCRIPTION,
    '',
    '%install',
    // The tree is staged already (the same as the .deb's, units in /usr/lib).
    `cp -a ${tree}/. %{buildroot}/`,
    '',
    '%post',
    script('post'),
    '%preun',
    script('preun'),
    '%postun',
    script('postun'),
    '',
    '%files',
    ...files,
    '',
  ].join('\n');
  const specFile = join(top, `${PACKAGE_NAME}.spec`);
  writeFileSync(specFile, spec);
  execFileSync('rpmbuild', ['-bb', '--quiet', '--define', `_topdir ${top}`, '--define', `_rpmdir ${join(top, 'RPMS')}`, specFile], { stdio: ['ignore', 'ignore', 'inherit'] });
  const name = `${PACKAGE_NAME}-${ver}-1.x86_64.rpm`;
  mkdirSync(DIST, { recursive: true });
  copyFileSync(join(top, 'RPMS/x86_64', name), join(DIST, name));
  return join(DIST, name);
}

export async function packageLinux(): Promise<{ deb: string; rpm: string }> {
  await buildHelper();
  const ver = version();
  const docDir = join(work, 'doc');
  writeDocs(docDir, ver);
  writeManPage(docDir, ver);
  return { deb: buildDeb(ver, docDir), rpm: buildRpm(ver, docDir) };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const built = await packageLinux();
  for (const file of [built.deb, built.rpm]) console.log(`Built ${relative(root, file)} (${(statSync(file).size / 1e6).toFixed(1)} MB)`);
}

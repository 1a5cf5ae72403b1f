/**
 * The canonical writer: the exact text the helper hands to openvpn. One directive per line with
 * canonical quoting, inline material as `<tag>` blocks on their own lines (2.6 rejects a tag that
 * shares its line), Access Server metadata kept as comments. parse(write(model)) equals model.
 */
import { quoteArg } from './lexer.js';
import type { OpenVpnDirective, OpenVpnProfile } from './model.js';

function writeDirective(d: OpenVpnDirective, out: string[]): void {
  if (d.block) {
    out.push(`<${d.name}>`);
    for (const inner of d.block) writeDirective(inner, out);
    out.push(`</${d.name}>`);
    return;
  }
  if (d.inline !== undefined) {
    out.push(`<${d.name}>`);
    const body = d.inline.endsWith('\n') ? d.inline.slice(0, -1) : d.inline;
    if (d.inline !== '') out.push(body);
    out.push(`</${d.name}>`);
    return;
  }
  out.push([d.name, ...d.args].map(quoteArg).join(' '));
}

export function writeOpenVpn(profile: Pick<OpenVpnProfile, 'directives' | 'metadata'>): string {
  const out: string[] = [];
  for (const { key, value } of profile.metadata.values) out.push(`# OVPN_ACCESS_SERVER_${key}=${value}`);
  for (const { tag, lines } of profile.metadata.blocks) {
    out.push(`# OVPN_ACCESS_SERVER_${tag}_START`);
    for (const line of lines) out.push(`# ${line}`);
    out.push(`# OVPN_ACCESS_SERVER_${tag}_STOP`);
  }
  for (const d of profile.directives) writeDirective(d, out);
  return `${out.join('\n')}\n`;
}

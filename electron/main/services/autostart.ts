/**
 * Launch at login on Linux, where Electron's setLoginItemSettings does nothing: an XDG autostart
 * entry (~/.config/autostart/tsunagu.desktop) that starts the app hidden in the tray.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ensurePrivateFolder, writeFileAtomic } from './atomic-file.js';

/** Quotes one argument for a desktop entry's Exec key (Desktop Entry Specification, "Exec"). */
export function desktopExecArg(arg: string): string {
  if (!/[\s"'\\$`<>~|&;*?#()%]/.test(arg) && arg !== '') return arg;
  // Inside double quotes, ", `, $ and \ are escaped with a backslash; % is doubled in any case.
  return `"${arg.replace(/(["`$\\])/g, '\\$1').replace(/%/g, '%%')}"`;
}

export function autostartEntry(command: readonly string[]): string {
  return [
    '[Desktop Entry]',
    'Type=Application',
    'Name=Tsunagu',
    'Comment=VPN client (starts in the tray)',
    `Exec=${command.map(desktopExecArg).join(' ')}`,
    'Icon=tsunagu',
    'Terminal=false',
    'X-GNOME-Autostart-enabled=true',
    '',
  ].join('\n');
}

export class LinuxAutostart {
  readonly path: string;

  /** `configHome` is $XDG_CONFIG_HOME or ~/.config; `command` starts the app (with --hidden). */
  constructor(configHome: string, private readonly command: readonly string[]) {
    this.path = join(configHome, 'autostart', 'tsunagu.desktop');
  }

  async set(enabled: boolean): Promise<void> {
    if (!enabled) {
      await rm(this.path, { force: true });
      return;
    }
    await ensurePrivateFolder(join(this.path, '..'));
    await writeFileAtomic(this.path, autostartEntry(this.command), { mode: 0o644 });
  }
}

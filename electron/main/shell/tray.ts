/**
 * The tray icon, drawn from the pure tray model. The whole menu is rebuilt and set again on every
 * change: Linux (AppIndicator) only picks up a new menu, never edits to the old one.
 */
import { join } from 'node:path';
import { Menu, Tray, nativeImage, type MenuItemConstructorOptions, type NativeImage } from 'electron';
import { TRAY_ICONS, type TrayAction, type TrayIcon, type TrayItem, type TrayModel } from '../services/tray-model.js';

export class TrayController {
  private readonly tray: Tray;
  private readonly images = new Map<TrayIcon, NativeImage>();
  private lastIcon: TrayIcon | null = null;

  constructor(iconDir: string, private readonly onAction: (action: TrayAction) => void, onClick: () => void) {
    // <state>.png with <state>@2x.png beside it: Electron picks the right one for the display.
    for (const icon of TRAY_ICONS) this.images.set(icon, nativeImage.createFromPath(join(iconDir, `${icon}.png`)));
    this.tray = new Tray(this.images.get('disconnected') ?? nativeImage.createEmpty());
    // Windows and macOS deliver clicks (Linux does not): a click opens the window.
    this.tray.on('click', onClick);
  }

  update(model: TrayModel): void {
    if (model.icon !== this.lastIcon) {
      const image = this.images.get(model.icon);
      if (image) this.tray.setImage(image);
      this.lastIcon = model.icon;
    }
    this.tray.setToolTip(model.tooltip);
    this.tray.setContextMenu(Menu.buildFromTemplate(model.items.map((item) => this.menuItem(item))));
  }

  private menuItem(item: TrayItem): MenuItemConstructorOptions {
    // Windows reads "&" as an access-key marker; a profile called "R&D" must show as written.
    const label = (text: string) => (process.platform === 'win32' ? text.replace(/&/g, '&&') : text);
    switch (item.kind) {
      case 'separator':
        return { type: 'separator' };
      case 'label':
        return { label: label(item.label), enabled: false };
      case 'action':
        return { label: label(item.label), enabled: item.enabled, click: () => this.onAction(item.action) };
    }
  }

  destroy(): void {
    this.tray.destroy();
  }
}

/**
 * The helper's end of the management interface. With --management-client openvpn connects OUT to
 * a socket the helper listens on, and exits when that connection closes: if the helper dies, the
 * tunnel goes down instead of staying up unsupervised. One listener serves every openvpn process
 * of a session (a respawned process dials the same socket); one connection at a time.
 */
import { chmodSync, existsSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { ManagementProtocol, type Notification } from './protocol.js';

export interface ManagementHandlers {
  connected(conn: ManagementProtocol): void;
  notification(conn: ManagementProtocol, n: Notification, raw: string): void;
  closed(conn: ManagementProtocol): void;
  stray(line: string): void;
}

export class ManagementServer {
  private server: Server | null = null;
  private socket: Socket | null = null;
  private conn: ManagementProtocol | null = null;

  constructor(
    readonly path: string,
    private readonly handlers: ManagementHandlers,
  ) {}

  /**
   * Listens on the socket (mode 0600; the directory around it is 0700 too). Node binds and
   * listens on a Unix socket synchronously (only the 'listening' event waits for the next tick),
   * so when this returns openvpn can be told to dial in. Throws if the socket cannot be created.
   */
  listen(): void {
    // Unix socket paths are limited to 107 bytes; fail clearly rather than truncated.
    if (Buffer.byteLength(this.path) > 100) throw new Error(`management socket path too long: ${this.path}`);
    rmSync(this.path, { force: true });
    const server = createServer((s) => this.accept(s));
    this.server = server;
    // Later errors (none are expected once bound) must not crash the helper.
    server.on('error', () => undefined);
    server.listen(this.path);
    // A bind error is only emitted on the next tick; the missing socket file says it now.
    if (!existsSync(this.path)) throw new Error(`could not create the management socket ${this.path}`);
    chmodSync(this.path, 0o600);
  }

  get connection(): ManagementProtocol | null {
    return this.conn && !this.conn.isClosed ? this.conn : null;
  }

  private accept(s: Socket): void {
    if (this.socket) {
      // openvpn talks to one management client; a second caller is not ours to serve.
      s.destroy();
      return;
    }
    this.socket = s;
    s.setEncoding('utf8');
    const conn = new ManagementProtocol(
      (data) => {
        if (!s.destroyed) s.write(data);
      },
      (n, raw) => this.handlers.notification(conn, n, raw),
      (line) => this.handlers.stray(line),
    );
    this.conn = conn;
    s.on('data', (d: string) => conn.feed(d));
    s.on('error', () => undefined);
    s.on('close', () => {
      conn.close();
      if (this.socket === s) {
        this.socket = null;
        this.conn = null;
      }
      this.handlers.closed(conn);
    });
    this.handlers.connected(conn);
  }

  /** Drops the current connection (openvpn then exits by itself). */
  dropConnection(): void {
    this.socket?.destroy();
  }

  async close(): Promise<void> {
    this.socket?.destroy();
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(this.path, { force: true });
  }
}

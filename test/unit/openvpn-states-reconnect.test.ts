import { describe, expect, it } from 'vitest';
import { parseStateFields } from '../../electron/helper/drivers/openvpn/protocol.js';
import { NETWORK_CHANGE, progressState, reconnectMessage } from '../../electron/helper/drivers/openvpn/states.js';

describe('OpenVPN reconnect reasons in words (reconnectMessage)', () => {
  it.each([
    ['ping-restart', 'No reply from the server', 'サーバーから応答がありません'],
    ['connection-reset', 'The connection to the server was reset', 'サーバーとの接続がリセットされました'],
    ['tls-error', 'The secure connection could not be set up in time', '安全な接続を時間内に確立できませんでした'],
    [NETWORK_CHANGE, 'The network changed', 'ネットワークが変わりました'],
    ['server-pushed-connection-reset', 'The server asked to reconnect', 'サーバーから再接続を求められました'],
    ['process-exited', 'OpenVPN stopped unexpectedly and is being restarted', 'OpenVPN が予期せず停止したため、再起動しています'],
    ['auth-temp-failure (server temporary reject)', 'The server refused the login for now', 'サーバーが一時的にログインを拒否しました'],
  ])('%s', (reason, en, ja) => {
    expect(reconnectMessage(reason)).toEqual({ en, ja });
  });

  it('an unknown reason is quoted, cleaned of control characters, in both languages', () => {
    const m = reconnectMessage('weird\u0007reason');
    expect(m.en).toBe('Reconnecting (OpenVPN says “weird reason”)');
    expect(m.ja).toContain('「weird reason」');
  });
});

describe('OpenVPN connected state: both tunnel addresses', () => {
  it('dual stack: localIp is IPv4, localIp6 the IPv6 address (the optional ninth field)', () => {
    const s = parseStateFields('1795742228,CONNECTED,SUCCESS,10.8.0.2,10.200.1.1,1194,,,fd00:8::1000');
    expect(s && progressState(s, false, 5)).toEqual({ status: 'connected', localIp: '10.8.0.2', localIp6: 'fd00:8::1000', remote: '10.200.1.1:1194', since: 5 });
  });

  it('IPv4 only: no localIp6', () => {
    const s = parseStateFields('1795742228,CONNECTED,SUCCESS,10.8.0.2,10.200.1.1,1194,,');
    expect(s && progressState(s, false, 5)).toEqual({ status: 'connected', localIp: '10.8.0.2', remote: '10.200.1.1:1194', since: 5 });
  });

  it('IPv6 only: localIp is the IPv6 address', () => {
    const s = parseStateFields('1795742228,CONNECTED,SUCCESS,,10.200.1.1,1194,,,fd00:8::1000');
    expect(s && progressState(s, false, 5)).toEqual({ status: 'connected', localIp: 'fd00:8::1000', remote: '10.200.1.1:1194', since: 5 });
  });
});

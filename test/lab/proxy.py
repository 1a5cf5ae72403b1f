"""A tiny proxy for tests: HTTP CONNECT and SOCKS5 CONNECT (no authentication) on one port.

Usage: python3 proxy.py BIND_ADDRESS PORT [NAME=ADDRESS ...]. The first byte of a connection picks
the protocol (5: SOCKS5, anything else: HTTP). Names are looked up only in the NAME=ADDRESS pairs
(a name the proxy does not know is refused; addresses pass as they are), so the proxy resolves
names the client never can. Prints "ready" once listening, then one line per request:
"connect http HOST:PORT", "connect socks HOST:PORT", or "refused <why>", so a test can tell what
the client asked for.
"""
import ipaddress
import socket
import sys
import threading

bind_address, port = sys.argv[1], int(sys.argv[2])
names = dict(arg.split("=", 1) for arg in sys.argv[3:])
lock = threading.Lock()


def say(line):
    with lock:
        print(line, flush=True)


def address_of(host):
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return names.get(host)


def recv_exact(conn, n):
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    return data


def pump(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def open_upstream(host, target_port):
    address = address_of(host)
    if address is None:
        say(f"refused unknown name {host}")
        return None
    try:
        return socket.create_connection((address, target_port), timeout=5)
    except OSError as e:
        say(f"refused {host}:{target_port}: {e}")
        return None


def socks(conn):
    # The version byte (5) is already read: the methods follow their count.
    methods = recv_exact(conn, recv_exact(conn, 1)[0])
    if 0 not in methods:
        conn.sendall(b"\x05\xff")
        return None
    conn.sendall(b"\x05\x00")
    ver, cmd, _, atyp = recv_exact(conn, 4)
    if atyp == 1:
        host = socket.inet_ntoa(recv_exact(conn, 4))
    elif atyp == 3:
        host = recv_exact(conn, recv_exact(conn, 1)[0]).decode("ascii", "replace")
    elif atyp == 4:
        host = socket.inet_ntop(socket.AF_INET6, recv_exact(conn, 16))
    else:
        return None
    target_port = int.from_bytes(recv_exact(conn, 2), "big")
    if ver != 5 or cmd != 1:
        say(f"refused socks command {cmd} for {host}:{target_port}")
        conn.sendall(b"\x05\x07\x00\x01\x00\x00\x00\x00\x00\x00")
        return None
    say(f"connect socks {host}:{target_port}")
    upstream = open_upstream(host, target_port)
    conn.sendall((b"\x05\x00" if upstream else b"\x05\x04") + b"\x00\x01\x00\x00\x00\x00\x00\x00")
    return upstream


def http(conn, first):
    head = first
    while b"\r\n\r\n" not in head:
        chunk = conn.recv(4096)
        if not chunk or len(head) > 16384:
            return None
        head += chunk
    request = head.split(b"\r\n", 1)[0].decode("ascii", "replace").split()
    if len(request) != 3 or request[0] != "CONNECT" or ":" not in request[1]:
        say(f"refused http request {' '.join(request[:2])}")
        conn.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
        return None
    host, _, target_port = request[1].rpartition(":")
    say(f"connect http {host.strip('[]')}:{target_port}")
    upstream = open_upstream(host.strip("[]"), int(target_port))
    conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n" if upstream else b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
    return upstream


def serve(conn):
    try:
        first = recv_exact(conn, 1)
        upstream = socks(conn) if first == b"\x05" else http(conn, first)
    except (OSError, ValueError):
        upstream = None
    if upstream is None:
        conn.close()
        return
    upstream.settimeout(None)
    threading.Thread(target=pump, args=(upstream, conn), daemon=True).start()
    pump(conn, upstream)


listener = socket.socket(socket.AF_INET6 if ":" in bind_address else socket.AF_INET, socket.SOCK_STREAM)
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind((bind_address, port))
listener.listen(16)
say("ready")
while True:
    client, _ = listener.accept()
    threading.Thread(target=serve, args=(client,), daemon=True).start()

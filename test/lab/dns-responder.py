"""A tiny DNS responder for tests: answers every A query with one address, prints each query name.

Usage: python3 dns-responder.py BIND_ADDRESS ANSWER_ADDRESS. Prints "ready" once bound, then one
line per query ("query <name>"), so a test can tell which server a resolver asked.
"""
import socket
import sys

bind_address, answer = sys.argv[1], socket.inet_aton(sys.argv[2])
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.bind((bind_address, 53))
print("ready", flush=True)
while True:
    data, peer = sock.recvfrom(512)
    if len(data) < 17:
        continue
    # Question name: length-prefixed labels from byte 12 to the zero label.
    i, labels = 12, []
    while i < len(data) and data[i] != 0:
        labels.append(data[i + 1:i + 1 + data[i]].decode("ascii", "replace"))
        i += 1 + data[i]
    question = data[12:i + 5]
    qtype = data[i + 1:i + 3]
    print("query " + ".".join(labels), flush=True)
    flags = b"\x81\x80"  # response, recursion desired + available, no error
    if qtype == b"\x00\x01":
        answer_rr = b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x05\x00\x04" + answer
        reply = data[:2] + flags + b"\x00\x01\x00\x01\x00\x00\x00\x00" + question + answer_rr
    else:
        reply = data[:2] + flags + b"\x00\x01\x00\x00\x00\x00\x00\x00" + question
    sock.sendto(reply, peer)

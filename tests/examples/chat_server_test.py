#!/usr/bin/env python3
"""ctest "example_chat_server": c-examples/chat_server with four python clients.

usage: chat_server_test.py CHAT_SERVER

1. Three talkers send 2000 lines of 1 KB each, all at once, while a fourth client (with a
   4 KiB receive buffer) reads nothing: every talker still receives all 4000 lines of the other
   two, in each sender's order, and none of its own.
2. The silent client then reads: it has all 6000 lines, each sender's in order (the server
   queued them instead of stalling the talkers or dropping lines).
3. A client that disconnects is removed: the others see "* #N left", the server logs
   "left #N (3 online)", and a later line reaches the three remaining clients only.
4. SIGTERM: the server exits 0.
"""
import re
import socket
import sys
import threading

from example_proc import check, start

LINES = 2000
PAD = "x" * 1000  # 6 MB for the silent client: more than kernel buffers hold


class Client:
    def __init__(self, port, rcvbuf=None):
        self.sock = socket.socket()
        if rcvbuf:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(30)
        self.sock.connect(("127.0.0.1", port))
        self.reader = self.sock.makefile("rb")
        m = re.fullmatch(rb"\* you are #(\d+)\n", self.reader.readline())
        check(m, "no welcome line")
        self.id = int(m.group(1))

    def close(self):
        self.reader.close()  # the socket's fd closes once its file object is closed too
        self.sock.close()

    def send_lines(self):
        for k in range(LINES):
            self.sock.sendall(f"{k} {PAD}\n".encode())

    def read_messages(self, count):
        """Reads `count` chat lines (skipping notices); returns {sender: [seq, ...]}."""
        got = {}
        while count > 0:
            line = self.reader.readline()
            check(line, f"#{self.id}: connection closed with {count} lines missing")
            if line.startswith(b"* "):
                continue
            m = re.fullmatch(rb"#(\d+): (\d+) x+\n", line)
            check(m, f"#{self.id}: unexpected line {line[:60]!r}")
            got.setdefault(int(m.group(1)), []).append(int(m.group(2)))
            count -= 1
        return got

    def expect_notice(self, notice):
        while True:
            line = self.reader.readline()
            check(line, f"#{self.id}: closed while waiting for {notice!r}")
            if line == notice:
                return


def check_all_in_order(receiver, got, senders):
    check(receiver.id not in got, f"#{receiver.id} received its own lines")
    check(sorted(got) == sorted(s.id for s in senders), f"#{receiver.id}: senders {sorted(got)}")
    for sender, seqs in got.items():
        check(seqs == list(range(LINES)), f"#{receiver.id}: lines of #{sender} lost or reordered")


def main():
    server = start([sys.argv[1]])
    talkers = [Client(server.port) for _ in range(3)]
    silent = Client(server.port, rcvbuf=4096)
    server.wait_for(rb"^joined #%d \(4 online\)$" % silent.id)

    results = {}

    def talk(c):
        sender = threading.Thread(target=c.send_lines)
        sender.start()
        results[c.id] = c.read_messages(2 * LINES)
        sender.join()

    threads = [threading.Thread(target=talk, args=(c,)) for c in talkers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    check(len(results) == 3, "a talker did not get all lines (timed out)")
    for c in talkers:
        check_all_in_order(c, results[c.id], [o for o in talkers if o is not c])
    print(f"talkers: each got the other two's {2 * LINES} lines in order while one client slept")

    check_all_in_order(silent, silent.read_messages(3 * LINES), talkers)
    print(f"silent client: all {3 * LINES} lines in order once it read")

    leaver, rest = talkers[1], [talkers[0], talkers[2], silent]
    leaver.close()
    server.wait_for(rb"^left #%d \(3 online\)$" % leaver.id)
    for c in rest:
        c.expect_notice(b"* #%d left\n" % leaver.id)
    talkers[0].sock.sendall(b"0 xxx\n")
    for c in rest[1:]:
        check(c.read_messages(1) == {talkers[0].id: [0]}, f"#{c.id}: line after the leave")
    print("disconnect: the client was removed and the others were told")
    server.stop()
    print("chat_server example: OK")


if __name__ == "__main__":
    main()

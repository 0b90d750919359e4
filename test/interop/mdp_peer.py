#!/usr/bin/python3
"""An independent, minimal Majordomo Protocol 0.1 (7/MDP) peer, written from the spec.

Two roles, chosen by the first argument:

  worker --broker ENDPOINT --service NAME [--heartbeat MS] [--liveness N]
      Registers with READY, heartbeats, and answers every REQUEST with a REPLY whose body
      is the request body upper-cased. Prints {"event": "registered"} once READY is sent and
      {"event": "served", "body": [...]} after each reply. Exits when stdin closes (so it never
      outlives the process that started it) or after --max-seconds.

  client --broker ENDPOINT --service NAME [--timeout MS] FRAME...
      Sends one MDPC01 request from a REQ socket and prints the reply as one JSON line,
      {"service": ..., "body": [...]}. Exit status 2 if no reply arrives within --timeout.

Only the Python standard library and pyzmq are used.
"""

import argparse
import json
import sys
import time

import zmq

MDPC = b"MDPC01"
MDPW = b"MDPW01"
READY, REQUEST, REPLY, HEARTBEAT, DISCONNECT = (bytes([n]) for n in range(1, 6))


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def fail(message, status):
    sys.stderr.write("mdp_peer: " + message + "\n")
    sys.stderr.flush()
    sys.exit(status)


class Worker:
    """A 7/MDP worker on a DEALER socket. A DEALER adds no envelope, so every message we send
    starts with the empty frame a REQ socket would have added, as the spec requires."""

    def __init__(self, ctx, broker, service, heartbeat_ms, liveness):
        self.ctx = ctx
        self.broker = broker
        self.service = service.encode()
        self.heartbeat_s = heartbeat_ms / 1000.0
        self.liveness = liveness
        self.socket = None

    def send(self, command, *frames):
        self.socket.send_multipart([b"", MDPW, command] + list(frames))

    def connect(self):
        if self.socket is not None:
            self.socket.close(linger=0)
        self.socket = self.ctx.socket(zmq.DEALER)
        self.socket.linger = 0
        self.socket.connect(self.broker)
        self.send(READY, self.service)
        self.last_heard = time.monotonic()
        self.next_heartbeat = time.monotonic() + self.heartbeat_s
        emit({"event": "registered", "service": self.service.decode()})

    def handle(self, frames):
        # [empty, MDPW01, command, ...]
        if len(frames) < 3 or frames[0] != b"" or frames[1] != MDPW:
            sys.stderr.write("mdp_peer worker: ignoring malformed message %r\n" % (frames,))
            return
        command = frames[2]
        if command == REQUEST:
            # [empty, MDPW01, 0x02, client address, empty, body...]
            if len(frames) < 6 or frames[4] != b"":
                sys.stderr.write("mdp_peer worker: ignoring malformed REQUEST %r\n" % (frames,))
                return
            client, body = frames[3], frames[5:]
            reply = [frame.upper() for frame in body]
            self.send(REPLY, client, b"", *reply)
            emit({"event": "served", "body": [frame.decode("utf-8", "replace") for frame in body]})
        elif command == HEARTBEAT:
            pass
        elif command == DISCONNECT:
            self.connect()
        else:
            sys.stderr.write("mdp_peer worker: ignoring command %r\n" % (command,))

    def run(self, max_seconds):
        deadline = time.monotonic() + max_seconds
        self.connect()
        stdin_fd = sys.stdin.fileno()
        while time.monotonic() < deadline:
            poller = zmq.Poller()
            poller.register(self.socket, zmq.POLLIN)
            poller.register(stdin_fd, zmq.POLLIN)
            ready = dict(poller.poll(timeout=self.heartbeat_s * 1000))
            if ready.get(stdin_fd):
                if sys.stdin.buffer.read1(4096) == b"":
                    return  # stdin closed: whoever started us is gone
            if ready.get(self.socket):
                self.last_heard = time.monotonic()
                self.handle(self.socket.recv_multipart())
            now = time.monotonic()
            if now - self.last_heard > self.heartbeat_s * self.liveness:
                sys.stderr.write("mdp_peer worker: broker silent, reconnecting\n")
                self.connect()
            elif now >= self.next_heartbeat:
                self.send(HEARTBEAT)
                self.next_heartbeat = now + self.heartbeat_s


def run_client(ctx, broker, service, timeout_ms, body):
    # A REQ socket adds the empty delimiter itself, so the request is [MDPC01, service, body...].
    socket = ctx.socket(zmq.REQ)
    socket.linger = 0
    socket.connect(broker)
    socket.send_multipart([MDPC, service.encode()] + [frame.encode() for frame in body])
    if not socket.poll(timeout_ms, zmq.POLLIN):
        fail("no reply from %s within %d ms" % (broker, timeout_ms), 2)
    frames = socket.recv_multipart()
    socket.close(linger=0)
    # [MDPC01, service, body...]
    if len(frames) < 3 or frames[0] != MDPC:
        fail("malformed reply %r" % (frames,), 3)
    emit({"service": frames[1].decode(), "body": [frame.decode("utf-8", "replace") for frame in frames[2:]]})


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("role", choices=["worker", "client"])
    parser.add_argument("--broker", required=True)
    parser.add_argument("--service", required=True)
    parser.add_argument("--heartbeat", type=int, default=2500, help="worker heartbeat interval, ms")
    parser.add_argument("--liveness", type=int, default=3, help="worker: silent heartbeats before reconnecting")
    parser.add_argument("--timeout", type=int, default=2500, help="client: reply timeout, ms")
    parser.add_argument("--max-seconds", type=float, default=60.0, help="worker: exit after this long")
    parser.add_argument("body", nargs="*")
    args = parser.parse_intermixed_args()

    ctx = zmq.Context()
    try:
        if args.role == "worker":
            Worker(ctx, args.broker, args.service, args.heartbeat, args.liveness).run(args.max_seconds)
        else:
            if not args.body:
                fail("client: give at least one body frame", 1)
            run_client(ctx, args.broker, args.service, args.timeout, args.body)
    finally:
        ctx.destroy(linger=0)


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""A keelhaul subscriber driver in Python: a durable KHP/1 subscriber behind the pub/sub driver protocol.

Written from docs/protocol.md ("Reliable pub/sub: KHP/1", subscriber rules, "What exactly-once
means here") and docs/drivers.md ("Pub/sub drivers (KHP/1)"). The harness writes commands on stdin:

    {"type":"subscribe","topic":"news"}      answered {"type":"subscribed","topic":"news"}
    {"type":"unsubscribe","topic":"news"}    answered {"type":"unsubscribed","topic":"news"}

(once the proxy made the change durable; {"type":"error","topic":...} when it does not answer in
time), and the driver reports every message it takes, once, in per-topic sequence order:

    {"type":"deliver","topic":"news","msg":...,"publisher":...,"seq":42,"subscriber":<--id>,"payload":...}

How it keeps exactly-once:

* Subscriber rule 1: on every new connection, and after RESET, it says HELLO with its id and its
  processed position on each topic, and once WELCOME comes it sends again every SUBSCRIBE /
  UNSUBSCRIBE still unanswered (an unanswered one is also sent again every --command-timeout ms,
  and given up with an `error` report after --command-attempts sends).
* Rule 4: a DELIVER is taken only if its sequence is exactly the last one taken + 1; one at or below
  is a duplicate (dropped, and the position acknowledged again), one beyond is a gap (dropped: the
  proxy retransmits it).
* Rule 5: taking a message writes the positions file (--positions): a temp file written and
  fdatasync'ed, then rename(2)d into place. The `deliver` report is written right after the rename,
  with no I/O wait in between. The folder is fsync'ed before any ACK covering the message leaves.
  ACK is cumulative: one per topic after each batch read from the socket (at most 16 messages).
* The positions file also keeps the last message taken on each topic. A SIGKILL between the rename
  and the report would lose the report, so a restarted driver first reports those messages again
  with "repeat": true ("What exactly-once means here"); the harness keeps a repeat only if the first
  report never reached it.
* Rule 6: from the moment `unsubscribe` is read, no message of the topic is reported. The topic is
  written to the positions file as being left, so a restart before UNSUBSCRIBED comes keeps it out.
* Rule 7: HEARTBEAT every --heartbeat ms; a proxy silent for --heartbeat x --liveness ms is taken for
  dead: the socket is closed and a new one connects after a random exponential backoff
  (--reconnect-initial doubling up to --reconnect-max), then HELLO again.

One zmq.Poller loop in one thread waits on the socket, stdin and a self-pipe for signals, with a
timeout no later than the next heartbeat, liveness deadline, reconnect or command deadline.

stdin EOF: no new commands; unanswered subscribe/unsubscribe commands get their answer or their
error (bounded), acknowledgements go out, then the driver exits. SIGTERM/SIGINT: acknowledgements
go out, then it exits. Logs go to stderr; stdout carries only driver reports.

Only the Python standard library and pyzmq (Debian: python3-zmq) are used.
"""

import argparse
import json
import logging
import math
import os
import signal
import sys
import time

import zmq

from driver_common import KHP, MAX_POLL_MS, MAX_READS_PER_TURN, STDIN, StdinLines, WakePipe, backoff_delay, configure_logging, decimal, emit, json_command, name_problem

# At most this many messages of a topic are taken before an ACK covering them goes out (rule 5).
ACK_EVERY = 16

log = logging.getLogger("khp-subscriber-driver")


# --- the driver protocol: reports on stdout -----------------------------------------------------


def parse_command(raw):
    """Parses one stdin line into (kind, topic); raises ValueError saying what is wrong."""
    value = json_command(raw, ("subscribe", "unsubscribe"))
    kind = value["type"]
    topic = value.get("topic")
    if not isinstance(topic, str) or topic == "":
        raise ValueError('"topic" must be a non-empty string')
    problem = name_problem(topic, "topic")
    if problem is not None:
        raise ValueError(problem)
    return kind, topic


# --- KHP/1 frames -----------------------------------------------------------------------------------


def name(frame, what):
    text = frame.decode("latin-1")
    problem = name_problem(text, what)
    if problem is not None:
        raise ValueError(problem)
    return text


def expect_count(command, args, count):
    if len(args) != count:
        raise ValueError("%s takes %d frames after the command, got %d" % (command, count, len(args)))


def decode(frames):
    """A message from the proxy as (command, fields...); ValueError for anything malformed."""
    if len(frames) < 2 or frames[0] != KHP:
        raise ValueError("not a KHP/1 message: %r" % frames[:2])
    command, args = frames[1].decode("latin-1"), frames[2:]
    if command == "WELCOME":
        if len(args) % 2:
            raise ValueError("WELCOME positions come in (topic, position) pairs, got %d frames" % len(args))
        return command, [(name(args[i], "topic"), decimal(args[i + 1], 0)) for i in range(0, len(args), 2)]
    if command == "SUBSCRIBED":
        expect_count(command, args, 2)
        return command, name(args[0], "topic"), decimal(args[1], 0)
    if command == "UNSUBSCRIBED":
        expect_count(command, args, 1)
        return command, name(args[0], "topic")
    if command == "DELIVER":
        expect_count(command, args, 5)
        return command, name(args[0], "topic"), decimal(args[1], 1), name(args[2], "publisher id"), name(args[3], "message id"), args[4]
    if command in ("HEARTBEAT", "RESET"):
        expect_count(command, args, 0)
        return (command,)
    raise ValueError("unknown command %r at a subscriber" % command[:40])


# --- the positions file ---------------------------------------------------------------------------


class PositionsFile:
    """JSON {"subscriber", "positions": {topic: seq}, "last": {topic: message}, "leaving": [topic]},
    replaced atomically: temp file written and fdatasync'ed, rename(2), then (before any ACK) the
    folder fsync'ed. Without a path everything lives in memory only."""

    def __init__(self, path):
        self.path = path
        self.temp = None if path is None else path + ".tmp"
        self.dir_fd = None
        self.dir_dirty = False
        if path is not None:
            folder = os.path.dirname(os.path.abspath(path))
            os.makedirs(folder, exist_ok=True)
            self.dir_fd = os.open(folder, os.O_RDONLY)

    def load(self):
        if self.path is None:
            return {}, {}, []
        try:
            with open(self.path, "r", encoding="utf-8") as handle:
                state = json.load(handle)
        except FileNotFoundError:
            return {}, {}, []
        # A file we cannot read is fatal: starting from zero would report messages again.
        positions = {str(topic): int(seq) for topic, seq in state.get("positions", {}).items()}
        if any(seq < 0 for seq in positions.values()):
            raise ValueError("negative position in %s" % self.path)
        last = {str(topic): dict(taken) for topic, taken in state.get("last", {}).items()}
        leaving = [str(topic) for topic in state.get("leaving", [])]
        return positions, last, leaving

    def save(self, subscriber, positions, last, leaving):
        """Write + fdatasync the temp file, then rename it into place. The caller's effect (the report)
        follows right after this returns: nothing else happens between the rename and it."""
        if self.path is None:
            return
        text = json.dumps({"subscriber": subscriber, "positions": positions, "last": last, "leaving": sorted(leaving)}, separators=(",", ":"))
        fd = os.open(self.temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            data = text.encode("utf-8")
            written = 0
            while written < len(data):
                written += os.write(fd, data[written:])
            os.fdatasync(fd)
        finally:
            os.close(fd)
        os.rename(self.temp, self.path)
        self.dir_dirty = True

    def sync(self):
        """Makes the last rename survive a power loss too: required before acknowledging (rule 5)."""
        if self.dir_fd is not None and self.dir_dirty:
            os.fsync(self.dir_fd)
            self.dir_dirty = False

    def close(self):
        if self.dir_fd is not None:
            os.close(self.dir_fd)
            self.dir_fd = None


# --- the subscriber ---------------------------------------------------------------------------------


class Command:
    __slots__ = ("kind", "topic", "sends", "next_send")

    def __init__(self, kind, topic):
        self.kind = kind  # "subscribe" or "unsubscribe"
        self.topic = topic
        self.sends = 0  # attempts so far (a period without a session to send it on counts as one)
        self.next_send = time.monotonic()  # when the current attempt is over (monotonic s)


class SubscriberDriver:
    def __init__(self, args):
        self.args = args
        self.id = args.id
        self.heartbeat = args.heartbeat / 1000.0
        self.silence_limit = self.heartbeat * args.liveness
        self.command_timeout = args.command_timeout / 1000.0
        self.store = PositionsFile(args.positions)
        positions, last, leaving = self.store.load()
        self.processed = positions  # topic -> last sequence taken (and recorded)
        self.received = dict(positions)  # topic -> last sequence accepted in order (rule 4); == processed here
        self.last = last  # topic -> the last message taken on it, for the repeat after a restart
        self.leaving = set(leaving)  # unsubscribe read, UNSUBSCRIBED not yet come
        self.subscribed = set()  # topics whose messages are taken (WELCOME, SUBSCRIBED), minus leaving ones
        self.unacked = {}  # topic -> (processed sequence to acknowledge, messages it covers)
        self.pending = {}  # topic -> Command not yet answered by the proxy
        self.ctx = zmq.Context()
        self.socket = None
        self.welcomed = False
        self.hello_at = 0.0
        self.last_heard = 0.0
        self.next_heartbeat = 0.0
        self.reconnect_at = None
        self.reconnects = 0  # failed connections in a row, for the backoff
        self.stdin = StdinLines()
        self.stopping = False
        self.wake = WakePipe()
        for topic in self.leaving:
            # Left before a restart, UNSUBSCRIBED never came: ask again once welcomed.
            self.pending[topic] = Command("unsubscribe", topic)
            self.pending[topic].next_send = time.monotonic() + self.command_timeout

    def on_signal(self, signum, _frame):
        self.stopping = True
        self.wake.wake()

    # the proxy connection -----------------------------------------------------------------------

    def send(self, *frames):
        if self.socket is None:
            return
        try:
            self.socket.send_multipart([KHP, *frames], zmq.NOBLOCK)
        except zmq.Again:
            # A full pipe means the proxy is not reading: liveness will notice. Everything sent is
            # either repeated (HELLO, commands, heartbeats) or covered by a later cumulative ACK.
            log.debug("dropped %s: the send queue is full", frames[0].decode())

    def connect(self):
        self.socket = self.ctx.socket(zmq.DEALER)
        self.socket.linger = 0
        self.socket.connect(self.args.proxy)
        self.reconnect_at = None
        now = time.monotonic()
        self.last_heard = now
        self.next_heartbeat = now + self.heartbeat
        self.hello()

    def hello(self):
        """Rule 1: HELLO with every processed position; they acknowledge everything up to them."""
        self.welcomed = False
        self.hello_at = time.monotonic()
        self.unacked.clear()
        frames = [b"HELLO", self.id.encode("ascii")]
        for topic, position in sorted(self.processed.items()):
            frames += [topic.encode("ascii"), str(position).encode("ascii")]
            self.received[topic] = position
        self.store.sync()
        self.send(*frames)
        log.info("HELLO to %s with %d position(s)", self.args.proxy, len(self.processed))

    def drop_connection(self, why):
        self.flush_acks()
        if self.socket is not None:
            self.socket.close(linger=0)
            self.socket = None
        self.welcomed = False
        delay = backoff_delay(self.reconnects, self.args.reconnect_initial, self.args.reconnect_max)
        self.reconnects += 1
        self.reconnect_at = time.monotonic() + delay
        log.warning("%s: connecting a new socket in %d ms", why, delay * 1000)

    # the loop -----------------------------------------------------------------------------------

    def run(self):
        # The repeat ("What exactly-once means here"): the first report of these may have been lost
        # to the kill that ended the previous run; the harness keeps a repeat only if so.
        for topic, taken in sorted(self.last.items()):
            emit({"type": "deliver", "topic": topic, "msg": taken["msg"], "publisher": taken["publisher"], "seq": taken["seq"],
                  "subscriber": self.id, "payload": taken.get("payload", ""), "repeat": True})
        self.connect()
        emit({"type": "ready", "role": "subscriber", "subscriber": self.id, "name": self.args.name})
        for topic in self.args.topic or []:
            self.command("subscribe", topic)
        while not self.stopping:
            if not self.stdin.open and not self.pending:
                break
            poller = zmq.Poller()
            if self.stdin.open:
                poller.register(STDIN, zmq.POLLIN)
            poller.register(self.wake.fd, zmq.POLLIN)
            if self.socket is not None:
                poller.register(self.socket, zmq.POLLIN)
            for item, _ in poller.poll(self.poll_timeout_ms()):
                if item == STDIN:
                    self.read_stdin()
                elif item == self.wake.fd:
                    self.wake.drain()
                elif self.socket is not None and item is self.socket:
                    self.read_proxy()
            # Inputs first, then timers: a message that came in just before a deadline still counts.
            self.fire_timers(time.monotonic())
        log.info("%s", "stopped by signal" if self.stopping else "stdin closed and no command open: exiting")
        self.close()

    def poll_timeout_ms(self):
        if self.socket is not None:
            due = [self.next_heartbeat, self.last_heard + self.silence_limit]
        else:
            due = [self.reconnect_at if self.reconnect_at is not None else time.monotonic() + 1]
        due += [command.next_send for command in self.pending.values()]
        return max(0, min(MAX_POLL_MS, math.ceil((min(due) - time.monotonic()) * 1000)))

    def fire_timers(self, now):
        if self.socket is None:
            if self.reconnect_at is not None and now >= self.reconnect_at:
                self.connect()
        elif now - self.last_heard > self.silence_limit:
            self.drop_connection("proxy silent for %d ms" % ((now - self.last_heard) * 1000))
        elif now >= self.next_heartbeat:
            self.send(b"HEARTBEAT")
            self.next_heartbeat = now + self.heartbeat
            self.flush_acks()
            if not self.welcomed and now - self.hello_at >= self.heartbeat:
                self.hello()  # HELLO or WELCOME went missing: ask again
        for command in list(self.pending.values()):
            if now < command.next_send:
                continue
            if command.sends >= self.args.command_attempts:
                del self.pending[command.topic]
                error = "%s %s: no answer from the proxy within %d attempts of %d ms" % (command.kind, command.topic, command.sends, self.args.command_timeout)
                log.warning("%s", error)
                emit({"type": "error", "topic": command.topic, "error": error})
            elif self.welcomed:
                self.send_command(command)
            else:
                # No session to send it on: the period counts as an attempt, so the command stays bounded.
                command.sends += 1
                command.next_send = now + self.command_timeout

    def close(self):
        self.flush_acks()
        if self.socket is not None:
            self.socket.close(linger=100)  # best effort: the last ACKs spare a redelivery next time
            self.socket = None
        self.store.close()
        self.ctx.term()

    # stdin --------------------------------------------------------------------------------------

    def read_stdin(self):
        if not self.stdin.read(self.on_line):
            log.info("stdin closed: %d command(s) still open", len(self.pending))

    def on_line(self, raw):
        if raw.strip() == b"":
            return
        text = raw.decode("utf-8", "replace")
        try:
            kind, topic = parse_command(text)
        except ValueError as error:
            emit({"type": "error", "error": "bad command %s: %s" % (json.dumps(text[:200]), error)})
            return
        self.command(kind, topic)

    # subscribe / unsubscribe ------------------------------------------------------------------------

    def command(self, kind, topic):
        superseded = self.pending.get(topic)
        if superseded is not None and superseded.kind != kind:
            emit({"type": "error", "topic": topic, "error": "%s %s: superseded by %s before the proxy answered" % (superseded.kind, topic, kind)})
        if kind == "unsubscribe":
            # Rule 6: from now on nothing of the topic is taken; what the proxy still has is released.
            self.subscribed.discard(topic)
            self.unacked.pop(topic, None)
            self.received[topic] = self.processed.get(topic, 0)
            if topic not in self.leaving:
                self.leaving.add(topic)
                self.save()  # a restart before UNSUBSCRIBED keeps the topic out
        elif topic in self.leaving:
            self.leaving.discard(topic)
            self.save()
        command = Command(kind, topic)
        command.next_send = time.monotonic() + self.command_timeout
        self.pending[topic] = command
        if self.welcomed:
            self.send_command(command)

    def send_command(self, command):
        command.sends += 1
        command.next_send = time.monotonic() + self.command_timeout
        self.send(b"SUBSCRIBE" if command.kind == "subscribe" else b"UNSUBSCRIBE", command.topic.encode("ascii"))

    def answered(self, kind, topic):
        command = self.pending.get(topic)
        if command is None or command.kind != kind:
            return False  # an answer to a repeated or superseded command
        del self.pending[topic]
        return True

    # messages from the proxy --------------------------------------------------------------------------

    def read_proxy(self):
        socket = self.socket
        for _ in range(MAX_READS_PER_TURN):
            if socket is not self.socket:
                break
            try:
                frames = socket.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                break
            self.last_heard = time.monotonic()
            try:
                message = decode(frames)
            except ValueError as error:
                log.warning("dropped a malformed message from the proxy: %s", error)
                continue
            self.on_message(message)
        # The batch is taken: its positions are durable once the folder is synced; then acknowledge.
        self.flush_acks()

    def on_message(self, message):
        command = message[0]
        if command == "HEARTBEAT":
            return
        if command == "RESET":
            # Commands sent before our HELLO reached the proxy are answered RESET too: one HELLO is
            # enough until a heartbeat has passed without WELCOME.
            if self.welcomed or time.monotonic() - self.hello_at >= self.heartbeat:
                log.info("proxy sent RESET: saying HELLO again")
                self.hello()
            return
        if command == "WELCOME":
            self.welcomed = True
            self.reconnects = 0
            self.subscribed.clear()
            for topic, acked in message[1]:
                if topic in self.leaving:
                    continue  # being left: whatever the proxy still has, nothing of it is taken
                self.subscribed.add(topic)
                self.advance_to(topic, acked)
            log.info("WELCOME: subscribed to %s", ", ".join(sorted(self.subscribed)) or "nothing")
            for pending in list(self.pending.values()):
                self.send_command(pending)
            return
        if command == "SUBSCRIBED":
            _, topic, position = message
            if self.answered("subscribe", topic):
                self.subscribed.add(topic)
                self.advance_to(topic, position)
                emit({"type": "subscribed", "topic": topic})
            return
        if command == "UNSUBSCRIBED":
            _, topic = message
            if self.answered("unsubscribe", topic):
                self.leaving.discard(topic)
                self.save()
                emit({"type": "unsubscribed", "topic": topic})
            return
        if command == "DELIVER":
            self.on_deliver(*message[1:])

    def advance_to(self, topic, position):
        """The proxy's acknowledged position is a floor for ours: a new subscription starts there, and
        the proxy never sends anything at or below it again."""
        if self.processed.get(topic, 0) < position:
            self.processed[topic] = position
        if self.received.get(topic, 0) < position:
            self.received[topic] = position

    def on_deliver(self, topic, seq, publisher, msg, payload):
        if topic not in self.subscribed:
            return  # not (or no longer) ours: not acknowledged; the proxy releases it on UNSUBSCRIBE
        processed = self.processed.get(topic, 0)
        received = self.received.get(topic, processed)
        if seq <= received:
            # Rule 4: a duplicate. The proxy has not seen (or lost) our acknowledgement: say it again.
            if seq <= processed:
                covered = self.unacked.get(topic, (processed, 0))[1]
                self.unacked[topic] = (processed, covered)
            return
        if seq > received + 1:
            log.debug("gap on %s: expected %d, got %d: dropped, the proxy retransmits", topic, received + 1, seq)
            return
        self.received[topic] = seq
        self.take(topic, seq, publisher, msg, payload)

    def take(self, topic, seq, publisher, msg, payload):
        """Rule 5: the position first (durably), the report right after the rename, the ACK later."""
        text = payload.decode("utf-8", "replace")
        self.processed[topic] = seq
        self.last[topic] = {"seq": seq, "msg": msg, "publisher": publisher, "payload": text}
        self.save()
        emit({"type": "deliver", "topic": topic, "msg": msg, "publisher": publisher, "seq": seq, "subscriber": self.id, "payload": text})
        covered = self.unacked.get(topic, (seq, 0))[1] + 1
        self.unacked[topic] = (seq, covered)
        if covered >= ACK_EVERY:
            self.flush_acks()

    def save(self):
        try:
            self.store.save(self.id, self.processed, self.last, self.leaving)
        except OSError as error:
            # Nothing can be taken without a durable position: stop rather than report what a restart would repeat.
            log.critical("cannot write the positions file %s: %s", self.args.positions, error)
            os._exit(70)

    def flush_acks(self):
        if not self.unacked:
            return
        self.store.sync()
        for topic, (seq, _) in sorted(self.unacked.items()):
            if seq >= 1:
                self.send(b"ACK", topic.encode("ascii"), str(seq).encode("ascii"))
        self.unacked.clear()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--name", default="subscriber", help="this node's name, for logs")
    parser.add_argument("--id", help="durable subscriber id, the same across restarts (default: --name)")
    parser.add_argument("--proxy", required=True, help="proxy endpoint, e.g. tcp://127.0.0.1:5560")
    parser.add_argument("--positions", help="positions file: exactly-once across restarts of this process (without it: in memory)")
    parser.add_argument("--topic", action="append", help="topic to subscribe to at start, as if commanded (repeatable)")
    parser.add_argument("--heartbeat", type=int, default=2500, help="ms between heartbeats (as the proxy's)")
    parser.add_argument("--liveness", type=int, default=3, help="heartbeats of proxy silence before reconnecting")
    parser.add_argument("--reconnect-initial", type=int, default=100, help="ms: first delay before a new connection")
    parser.add_argument("--reconnect-max", type=int, default=5000, help="ms: longest delay before a new connection")
    parser.add_argument("--command-timeout", type=int, default=1000, help="ms before an unanswered SUBSCRIBE/UNSUBSCRIBE is sent again")
    parser.add_argument("--command-attempts", type=int, default=10, help="sends of a SUBSCRIBE/UNSUBSCRIBE before it is reported as an error")
    args = parser.parse_args()
    if args.id is None:
        args.id = args.name
    problem = name_problem(args.id, "--id")
    if problem is not None:
        parser.error(problem)
    for topic in args.topic or []:
        if name_problem(topic, "--topic") is not None:
            parser.error(name_problem(topic, "--topic"))
    for option in ("heartbeat", "liveness", "command_timeout", "command_attempts"):
        if getattr(args, option) < 1:
            parser.error("--%s must be at least 1" % option.replace("_", "-"))
    if args.reconnect_initial < 0 or args.reconnect_max < 0:
        parser.error("reconnect delays must not be negative")

    configure_logging(args.name)
    try:
        driver = SubscriberDriver(args)
    except (OSError, ValueError, TypeError, AttributeError) as error:
        log.critical("cannot load the positions file %s: %s", args.positions, error)
        sys.exit(70)
    signal.signal(signal.SIGTERM, driver.on_signal)
    signal.signal(signal.SIGINT, driver.on_signal)
    driver.run()


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""A keelhaul publisher driver in Python: a KHP/1 publisher behind the pub/sub driver protocol.

Written from docs/protocol.md ("Reliable pub/sub: KHP/1", publisher rules) and docs/drivers.md
("Pub/sub drivers (KHP/1)"). The harness writes one put per line on stdin:

    {"type":"put","topic":"news","msg":"publisher-1:a1b2c3:17","payload":"..."}

and this driver answers each with exactly one outcome on stdout:

    {"type":"put-ok","topic":...,"msg":...,"seq":42,"publisher":<--id>}   ACCEPTED: durably accepted
    {"type":"put-fail","topic":...,"msg":...,"code":"busy","error":...}   REFUSED: definite, never delivered
    {"type":"put-info","topic":...,"msg":...,"error":...}                 no answer: it may have been accepted

How a put runs:

* Puts run one at a time, in the order they were read (publisher rule 2): the next one starts only
  when the one before has its outcome. That is what makes per-publisher order hold.
* A put is sent as PUT [publisher id, message id, topic, payload] up to --attempts times, always
  with the same message id and on the same DEALER socket (publisher rule 1: the proxy dedups by
  (publisher id, message id), so a retry of an accepted message is answered ACCEPTED again with its
  original sequence). Each attempt waits --timeout ms; between attempts comes a random exponential
  backoff (--backoff-initial doubling up to --backoff-max, "equal jitter").
* ACCEPTED or REFUSED for another message id is a late answer to an earlier put: ignored.
* A topic or message id KHP/1 does not take (1-255 bytes of printable ASCII) is refused here, before
  sending, as `put-fail` with code `bad-request`: it was never sent, so the failure is definite.

One socket serves the publisher's whole life: ZeroMQ reconnects it by itself when the proxy restarts,
and attempts leave in order on its one pipe. One zmq.Poller loop in one thread waits on the socket,
stdin and a self-pipe for signals, with a timeout no later than the next deadline or backoff.

stdin EOF: no new puts; the queued and open ones finish (each is bounded), then the driver exits.
SIGTERM/SIGINT: exits at once. Logs go to stderr; stdout carries only driver reports.

Only the Python standard library and pyzmq (Debian: python3-zmq) are used.
"""

import argparse
import json
import logging
import math
import signal
import time
from collections import deque

import zmq

from driver_common import KHP, MAX_POLL_MS, MAX_READS_PER_TURN, STDIN, StdinLines, WakePipe, backoff_delay, configure_logging, decimal, emit, json_command, name_problem

log = logging.getLogger("khp-publisher-driver")


# --- the driver protocol: reports on stdout -----------------------------------------------------


def parse_put(raw):
    """Parses one stdin line into (topic, msg, payload); raises ValueError saying what is wrong."""
    value = json_command(raw, ("put",))
    topic, msg, payload = value.get("topic"), value.get("msg"), value.get("payload")
    if not isinstance(topic, str) or topic == "":
        raise ValueError('"topic" must be a non-empty string')
    if not isinstance(msg, str) or msg == "":
        raise ValueError('"msg" must be a non-empty string')
    if payload is not None and not isinstance(payload, str):
        raise ValueError('"payload" must be a string')
    return topic, msg, payload or ""


def decode_answer(frames):
    """ACCEPTED or REFUSED as ("accepted", msg, topic, seq) / ("refused", msg, code, reason); ValueError otherwise."""
    if len(frames) < 2 or frames[0] != KHP:
        raise ValueError("not a KHP/1 message: %r" % frames[:2])
    command, args = frames[1], frames[2:]
    if command == b"ACCEPTED":
        if len(args) != 3:
            raise ValueError("ACCEPTED takes 3 frames, got %d" % len(args))
        return "accepted", args[0].decode("latin-1"), args[1].decode("latin-1"), decimal(args[2], 1)
    if command == b"REFUSED":
        if len(args) != 3:
            raise ValueError("REFUSED takes 3 frames, got %d" % len(args))
        code = args[1].decode("latin-1")
        if code not in ("busy", "bad-request"):
            raise ValueError("unknown REFUSED code %r" % code[:40])
        return "refused", args[0].decode("latin-1"), code, args[2].decode("utf-8", "replace")
    raise ValueError("unknown command %r at a publisher" % command[:40])


# --- one put ----------------------------------------------------------------------------------------


class Put:
    __slots__ = ("topic", "msg", "payload", "attempt", "deadline", "wake_at")

    def __init__(self, topic, msg, payload):
        self.topic = topic
        self.msg = msg
        self.payload = payload
        self.attempt = 0  # attempts made so far
        self.deadline = None  # set while an attempt waits for its answer (monotonic s)
        self.wake_at = None  # set while backing off before the next attempt (monotonic s)


class PublisherDriver:
    def __init__(self, args):
        self.args = args
        self.id = args.id
        self.timeout = args.timeout / 1000.0
        self.ctx = zmq.Context()
        self.socket = self.ctx.socket(zmq.DEALER)
        self.socket.linger = 0
        self.socket.connect(args.proxy)
        self.current = None  # the put in flight (publisher rule 2: at most one)
        self.queued = deque()  # puts read and waiting their turn, in the order read
        self.stdin = StdinLines()
        self.stopping = False
        self.wake = WakePipe()

    # signals ----------------------------------------------------------------------------------

    def on_signal(self, signum, _frame):
        self.stopping = True
        self.wake.wake()

    # the loop ---------------------------------------------------------------------------------

    def run(self):
        emit({"type": "ready", "role": "publisher", "publisher": self.id, "name": self.args.name})
        log.info("%s: ready, publisher id %s, proxy %s", self.args.name, self.id, self.args.proxy)
        while not self.stopping:
            if not self.stdin.open and self.current is None and not self.queued:
                break
            poller = zmq.Poller()
            if self.stdin.open:
                poller.register(STDIN, zmq.POLLIN)
            poller.register(self.wake.fd, zmq.POLLIN)
            poller.register(self.socket, zmq.POLLIN)
            for item, _ in poller.poll(self.poll_timeout_ms()):
                if item == STDIN:
                    self.read_stdin()
                elif item == self.wake.fd:
                    self.wake.drain()
                elif item is self.socket:
                    self.read_answers()
            # Inputs first, then timers: an answer that came in just at its deadline still counts.
            self.fire_timers(time.monotonic())
            self.start_next()
        if self.stopping:
            log.info("%s: stopped by signal with %d put(s) open", self.args.name, len(self.queued) + (self.current is not None))
        else:
            log.info("%s: stdin closed and every put settled: exiting", self.args.name)
        self.socket.close(linger=0)
        self.ctx.term()

    def poll_timeout_ms(self):
        put = self.current
        due = None if put is None else (put.deadline if put.deadline is not None else put.wake_at)
        if due is None:
            return MAX_POLL_MS
        return max(0, min(MAX_POLL_MS, math.ceil((due - time.monotonic()) * 1000)))

    def fire_timers(self, now):
        put = self.current
        if put is None:
            return
        if put.deadline is not None and now >= put.deadline:
            put.deadline = None
            if put.attempt >= self.args.attempts:
                error = "no answer for put %s on %s after %d attempts: it may have been accepted" % (put.msg, put.topic, put.attempt)
                self.finish({"type": "put-info", "topic": put.topic, "msg": put.msg, "error": error})
            else:
                log.info("put %s on %s: no answer to attempt %d within %d ms: sending it again", put.msg, put.topic, put.attempt, self.args.timeout)
                put.wake_at = now + backoff_delay(put.attempt - 1, self.args.backoff_initial, self.args.backoff_max)
        elif put.wake_at is not None and now >= put.wake_at:
            put.wake_at = None
            self.attempt(put)

    # stdin ------------------------------------------------------------------------------------

    def read_stdin(self):
        if not self.stdin.read(self.on_line):
            log.info("%s: stdin closed: finishing %d open put(s)", self.args.name, len(self.queued) + (self.current is not None))

    def on_line(self, raw):
        if raw.strip() == b"":
            return
        text = raw.decode("utf-8", "replace")
        try:
            topic, msg, payload = parse_put(text)
        except ValueError as error:
            emit({"type": "error", "error": "bad command %s: %s" % (json.dumps(text[:200]), error)})
            return
        self.queued.append(Put(topic, msg, payload))
        self.start_next()

    # puts -------------------------------------------------------------------------------------

    def start_next(self):
        # Publisher rule 2: one put in flight; the next waits until this one has its outcome.
        while self.current is None and self.queued and not self.stopping:
            put = self.queued.popleft()
            problem = name_problem(put.topic, "topic") or name_problem(put.msg, "message id")
            if problem is not None:
                # Never sent, so definitely never accepted.
                emit({"type": "put-fail", "topic": put.topic, "msg": put.msg, "code": "bad-request", "error": "put refused before sending: %s" % problem})
                continue
            self.current = put
            self.attempt(put)

    def attempt(self, put):
        frames = [KHP, b"PUT", self.id.encode("ascii"), put.msg.encode("ascii"), put.topic.encode("ascii"), put.payload.encode("utf-8")]
        put.attempt += 1
        put.deadline = time.monotonic() + self.timeout
        try:
            self.socket.send_multipart(frames, zmq.NOBLOCK)
        except zmq.ZMQError as error:
            # Nothing could be queued (high-water mark): the attempt times out like a lost one.
            log.warning("put %s: attempt %d not sent (%s)", put.msg, put.attempt, error)

    def read_answers(self):
        for _ in range(MAX_READS_PER_TURN):
            try:
                frames = self.socket.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                return
            try:
                answer = decode_answer(frames)
            except ValueError as error:
                log.warning("dropped a malformed message from the proxy: %s", error)
                continue
            self.on_answer(answer)

    def on_answer(self, answer):
        put = self.current
        # Publisher rule 1: answers for other message ids are late answers to earlier puts.
        if put is None or answer[1] != put.msg:
            log.debug("ignored a late %s for message %s", answer[0].upper(), answer[1])
            return
        put.deadline = put.wake_at = None
        if answer[0] == "accepted":
            _, msg, topic, seq = answer
            if topic != put.topic:
                log.warning("put %s: ACCEPTED names topic %r, the put was on %r", msg, topic, put.topic)
            self.finish({"type": "put-ok", "topic": put.topic, "msg": put.msg, "seq": seq, "publisher": self.id})
        else:
            _, msg, code, reason = answer
            error = "put %s on %s refused (%s): %s" % (put.msg, put.topic, code, reason)
            self.finish({"type": "put-fail", "topic": put.topic, "msg": put.msg, "code": code, "error": error})

    def finish(self, report):
        emit(report)
        self.current = None


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--name", default="publisher", help="this node's name, for logs")
    parser.add_argument("--id", help="publisher id: the dedup key with each message id (default: --name)")
    parser.add_argument("--proxy", required=True, help="proxy endpoint, e.g. tcp://127.0.0.1:5560")
    parser.add_argument("--timeout", type=int, default=2500, help="ms to wait for the answer to one attempt")
    parser.add_argument("--attempts", type=int, default=5, help="attempts per put, the first included")
    parser.add_argument("--backoff-initial", type=int, default=100, help="ms: first delay between attempts")
    parser.add_argument("--backoff-max", type=int, default=2000, help="ms: longest delay between attempts")
    args = parser.parse_args()
    if args.id is None:
        args.id = args.name
    problem = name_problem(args.id, "--id")
    if problem is not None:
        parser.error(problem)
    if args.timeout < 1 or args.attempts < 1:
        parser.error("--timeout and --attempts must be at least 1")
    if args.backoff_initial < 0 or args.backoff_max < 0:
        parser.error("backoffs must not be negative")

    configure_logging(args.name)
    driver = PublisherDriver(args)
    signal.signal(signal.SIGTERM, driver.on_signal)
    signal.signal(signal.SIGINT, driver.on_signal)
    driver.run()


if __name__ == "__main__":
    main()

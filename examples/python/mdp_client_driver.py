#!/usr/bin/python3
"""A keelhaul client driver in Python: a Lazy Pirate 7/MDP (MDPC01) client behind the driver protocol.

The harness writes one call per line on stdin:

    {"type":"call","job":"client-1:a1b2c3:17","service":"echo","payload":"..."}

and this driver answers each with exactly one outcome on stdout (docs/drivers.md):

    {"type":"ok","job":...,"reply":<first reply frame>}   the service answered
    {"type":"fail","job":...,"error":...}                 definite: the request was never sent
    {"type":"info","job":...,"error":...}                 indefinite: gave up, the job may have run

How a call runs:

1. (unless --no-mmi) 8/MMI: ask `mmi.service` whether the service has workers. "200" (or "501",
   the broker has no MMI) lets the call go ahead; a positive answer is trusted for
   --service-check-ttl ms. Any other answer is asked again after a backoff, up to --attempts
   times; if it never turns into "200" the call ends in `fail` (nobody serves the service), as it
   does when the broker never answers at all: either way the request itself was never sent.
2. The request, body [job id, payload], is sent up to --attempts times. Each attempt waits
   --timeout ms for the reply; an attempt that times out closes its socket (so a late reply to it is
   routed to a peer that no longer exists and can never be taken for the answer to a later attempt),
   and the next attempt goes out on a fresh socket after a random exponential backoff
   (--backoff-initial doubling up to --backoff-max, "equal jitter"). No reply after the last attempt
   ends the call in `info`.

Concurrency: every open call has its own DEALER socket; one zmq.Poller loop in one thread waits on
all of them, on stdin and on a self-pipe for signals, with a timeout no longer than the next
attempt deadline or backoff. Sockets whose exchange ended with an answer (nothing outstanding on
them) are pooled and reused by later calls. At most --max-open calls run at once; more wait in a
FIFO queue.

stdin EOF: no new calls; the open ones finish (each is bounded), then the driver exits.
SIGTERM/SIGINT: exits at once. Logs go to stderr; stdout carries only driver reports.

Only the Python standard library and pyzmq (Debian: python3-zmq) are used.
"""

import argparse
import json
import logging
import math
import os
import signal
import time
from collections import deque

import zmq

from driver_common import STDIN, StdinLines, WakePipe, backoff_delay, configure_logging, emit, json_command

MDPC = b"MDPC01"
MMI_SERVICE = b"mmi.service"
MAX_IDLE_SOCKETS = 64
# The loop wakes at least this often even with nothing due (it is woken earlier by any event).
MAX_POLL_MS = 1000

log = logging.getLogger("mdp-client-driver")


# --- the driver protocol: reports on stdout (emit, driver_common.py) and calls on stdin ---------


def parse_call(raw):
    """Parses one stdin line into (job, service, payload); raises ValueError saying what is wrong."""
    value = json_command(raw, ["call"])
    job, service, payload = value.get("job"), value.get("service"), value.get("payload")
    if not isinstance(job, str) or job == "":
        raise ValueError('"job" must be a non-empty string')
    if not isinstance(service, str) or service == "":
        raise ValueError('"service" must be a non-empty string')
    if payload is not None and not isinstance(payload, str):
        raise ValueError('"payload" must be a string')
    return job, service, payload or ""


# --- one call ---------------------------------------------------------------------------------------

CHECK = "check"  # asking 8/MMI whether the service has workers
REQUEST = "request"  # sending the request itself


class Call:
    __slots__ = ("job", "service", "payload", "phase", "attempt", "socket", "deadline", "wake_at", "mmi_status")

    def __init__(self, job, service, payload):
        self.job = job
        self.service = service
        self.payload = payload
        self.phase = None
        self.attempt = 0  # attempts made in the current phase
        self.socket = None
        self.deadline = None  # set while an attempt waits for its answer (monotonic s)
        self.wake_at = None  # set while backing off before the next attempt (monotonic s)
        self.mmi_status = None  # the last 8/MMI answer, if any came


class ClientDriver:
    def __init__(self, args):
        self.args = args
        self.timeout = args.timeout / 1000.0
        self.ctx = zmq.Context()
        self.open = []  # calls in progress, at most --max-open
        self.queued = deque()  # calls beyond --max-open, started in order as others finish
        self.idle = []  # sockets with nothing outstanding, safe to reuse
        self.service_seen = {}  # service -> monotonic time 8/MMI last said it has workers
        self.stdin = StdinLines()
        self.stopping = False
        self.wake_pipe = WakePipe()

    # signals ----------------------------------------------------------------------------------

    def on_signal(self, signum, _frame):
        self.stopping = True
        self.wake_pipe.wake()

    # the loop ---------------------------------------------------------------------------------

    def run(self):
        emit({"type": "ready", "role": "client", "name": self.args.name})
        log.info("%s: ready, broker %s", self.args.name, self.args.broker)
        while not self.stopping:
            if not self.stdin.open and not self.open and not self.queued:
                break
            poller = zmq.Poller()
            if self.stdin.open:
                poller.register(STDIN, zmq.POLLIN)
            poller.register(self.wake_pipe.fd, zmq.POLLIN)
            waiting_on = {}
            for call in self.open:
                if call.deadline is not None:
                    poller.register(call.socket, zmq.POLLIN)
                    waiting_on[call.socket] = call
            for item, _ in poller.poll(self.poll_timeout_ms()):
                if item == STDIN:
                    self.read_stdin()
                elif item == self.wake_pipe.fd:
                    self.wake_pipe.drain()
                elif item in waiting_on:
                    self.read_answers(waiting_on[item], item)
            # Inputs first, then timers: an answer that came in just at its deadline still counts.
            self.fire_timers(time.monotonic())
        if self.stopping:
            log.info("%s: stopped by signal with %d call(s) open", self.args.name, len(self.open) + len(self.queued))
        else:
            log.info("%s: stdin closed and every call settled: exiting", self.args.name)
        self.close()

    def poll_timeout_ms(self):
        due = [call.deadline if call.deadline is not None else call.wake_at for call in self.open]
        due = [t for t in due if t is not None]
        if not due:
            return MAX_POLL_MS
        return max(0, min(MAX_POLL_MS, math.ceil((min(due) - time.monotonic()) * 1000)))

    def fire_timers(self, now):
        for call in list(self.open):
            if call.deadline is not None and now >= call.deadline:
                self.on_timeout(call)
            elif call.wake_at is not None and now >= call.wake_at:
                call.wake_at = None
                self.attempt(call)

    def close(self):
        for call in self.open:
            if call.socket is not None:
                call.socket.close(linger=0)
        for socket in self.idle:
            socket.close(linger=0)
        self.ctx.term()

    # stdin ------------------------------------------------------------------------------------

    def read_stdin(self):
        if not self.stdin.read(self.on_line):
            log.info("%s: stdin closed: finishing %d open call(s)", self.args.name, len(self.open) + len(self.queued))

    def on_line(self, raw):
        if raw.strip() == b"":
            return
        text = raw.decode("utf-8", "replace")
        try:
            job, service, payload = parse_call(text)
        except ValueError as error:
            emit({"type": "error", "error": "bad command %s: %s" % (json.dumps(text[:200]), error)})
            return
        call = Call(job, service, payload)
        if len(self.open) < self.args.max_open:
            self.start(call)
        else:
            self.queued.append(call)

    # calls ------------------------------------------------------------------------------------

    def start(self, call):
        self.open.append(call)
        seen = self.service_seen.get(call.service)
        fresh = seen is not None and time.monotonic() - seen < self.args.service_check_ttl / 1000.0
        call.phase = REQUEST if self.args.no_mmi or fresh else CHECK
        self.attempt(call)

    def attempt(self, call):
        """Sends the current phase's message once more and waits up to --timeout ms for the answer."""
        if call.phase == CHECK:
            frames = [b"", MDPC, MMI_SERVICE, call.service.encode()]
        else:
            frames = [b"", MDPC, call.service.encode(), call.job.encode(), call.payload.encode()]
        if call.socket is None:
            call.socket = self.take_socket()
        call.attempt += 1
        call.deadline = time.monotonic() + self.timeout
        try:
            call.socket.send_multipart(frames, zmq.NOBLOCK)
        except zmq.ZMQError as error:
            # Nothing could be queued (high-water mark): counts as an attempt that timed out.
            log.warning("job %s: send failed (%s): counting the attempt as timed out", call.job, error)
            self.on_timeout(call)

    def take_socket(self):
        while self.idle:
            socket = self.idle.pop()
            # Nothing should be waiting on an idle socket; drop whatever is, it answers nothing of ours.
            try:
                while True:
                    stray = socket.recv_multipart(zmq.NOBLOCK)
                    log.warning("dropped a message that came in on an idle socket: %r", stray[:4])
            except zmq.Again:
                return socket
        socket = self.ctx.socket(zmq.DEALER)
        socket.linger = 0
        socket.connect(self.args.broker)
        return socket

    def read_answers(self, call, socket):
        # The call may settle, or move on to its request on the same socket, while we read.
        while call.socket is socket and call.deadline is not None:
            try:
                frames = socket.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                return
            self.on_answer(call, frames)

    def on_answer(self, call, frames):
        # A DEALER sees the broker's reply as ["", "MDPC01", service, body...].
        if len(frames) < 3 or frames[0] != b"" or frames[1] != MDPC:
            log.warning("job %s: dropped a malformed reply %r", call.job, frames[:4])
            return
        expected = MMI_SERVICE if call.phase == CHECK else call.service.encode()
        if frames[2] != expected:
            log.warning("job %s: dropped a reply from %r (expected %r)", call.job, frames[2], expected)
            return
        body = frames[3:]
        call.deadline = None
        if call.phase == REQUEST:
            reply = body[0].decode("utf-8", "replace") if body else ""
            self.finish(call, {"type": "ok", "job": call.job, "reply": reply})
            return
        status = body[0].decode("utf-8", "replace") if body else ""
        call.mmi_status = status
        if status in ("200", "501"):  # 501: the broker has no MMI; nothing to learn, so go ahead
            self.service_seen[call.service] = time.monotonic()
            call.phase, call.attempt = REQUEST, 0
            self.attempt(call)  # on the same socket: nothing is outstanding on it
        elif call.attempt >= self.args.attempts:
            error = 'service "%s" has no workers (8/MMI answered %s)' % (call.service, status or "nothing")
            self.finish(call, {"type": "fail", "job": call.job, "error": error})
        else:
            # Perhaps a worker is just registering: ask again after a backoff.
            call.wake_at = time.monotonic() + backoff_delay(call.attempt - 1, self.args.backoff_initial, self.args.backoff_max)

    def on_timeout(self, call):
        # Lazy Pirate: the socket goes, so a late answer to this attempt can never be read as the answer to the next.
        call.socket.close(linger=0)
        call.socket = None
        call.deadline = None
        if call.phase == REQUEST:
            self.service_seen.pop(call.service, None)  # ask 8/MMI afresh next time
        if call.attempt < self.args.attempts:
            log.info("job %s: no answer to %s attempt %d within %d ms: retrying on a new socket", call.job, call.phase, call.attempt, self.args.timeout)
            call.wake_at = time.monotonic() + backoff_delay(call.attempt - 1, self.args.backoff_initial, self.args.backoff_max)
        elif call.phase == REQUEST:
            error = 'no reply from "%s" after %d attempts' % (call.service, call.attempt)
            self.finish(call, {"type": "info", "job": call.job, "error": error})
        elif call.mmi_status is not None:
            error = 'service "%s" has no workers (8/MMI answered %s)' % (call.service, call.mmi_status)
            self.finish(call, {"type": "fail", "job": call.job, "error": error})
        else:
            error = "broker %s did not answer 8/MMI within %d attempts: the request was never sent" % (self.args.broker, call.attempt)
            self.finish(call, {"type": "fail", "job": call.job, "error": error})

    def finish(self, call, report):
        emit(report)
        if call.socket is not None:
            # Its exchange ended with an answer, so nothing is outstanding on it: keep it for another call.
            if len(self.idle) < MAX_IDLE_SOCKETS:
                self.idle.append(call.socket)
            else:
                call.socket.close(linger=0)
            call.socket = None
        self.open.remove(call)
        while self.queued and len(self.open) < self.args.max_open:
            self.start(self.queued.popleft())


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--name", default="client", help="this node's name, for logs")
    parser.add_argument("--broker", required=True, help="broker endpoint, e.g. tcp://127.0.0.1:5555")
    parser.add_argument("--timeout", type=int, default=2500, help="ms to wait for the answer to one attempt")
    parser.add_argument("--attempts", type=int, default=3, help="attempts per call (and per 8/MMI check), the first included")
    parser.add_argument("--backoff-initial", type=int, default=100, help="ms: first delay between attempts")
    parser.add_argument("--backoff-max", type=int, default=2000, help="ms: longest delay between attempts")
    parser.add_argument("--service-check-ttl", type=int, default=1000, help="ms an 8/MMI '200' is trusted for")
    parser.add_argument("--no-mmi", action="store_true", help="do not ask 8/MMI before sending (a broker without MMI)")
    parser.add_argument("--max-open", type=int, default=64, help="calls run at once; more wait their turn")
    args = parser.parse_args()
    for option in ("timeout", "attempts", "max_open"):
        if getattr(args, option) < 1:
            parser.error("--%s must be at least 1" % option.replace("_", "-"))
    if args.backoff_initial < 0 or args.backoff_max < 0:
        parser.error("backoffs must not be negative")

    configure_logging(args.name)
    driver = ClientDriver(args)
    signal.signal(signal.SIGTERM, driver.on_signal)
    signal.signal(signal.SIGINT, driver.on_signal)
    driver.run()


if __name__ == "__main__":
    main()

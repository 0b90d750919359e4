#!/usr/bin/python3
"""A keelhaul worker driver in Python: a 7/MDP (MDPW01) echo worker behind the driver protocol.

It registers with the broker (READY), heartbeats both ways, and answers each REQUEST with a REPLY
that echoes the request body after sleeping --work-ms. Around each run of the handler it reports,
on stdout, one JSON line each (docs/drivers.md):

    {"type":"exec-start","job":<first body frame>,"worker":<--name>}   before the handler runs
    {"type":"exec-end","job":...,"worker":...}                          handler done, just before REPLY

How it keeps its place with the broker:

* Every --heartbeat ms it sends HEARTBEAT, also while a job runs (the handler runs in a thread; the
  socket is only ever used by the main loop).
* Anything from the broker counts as a sign of life. After --liveness heartbeats of silence it takes
  the broker for dead: it closes its socket, waits --reconnect ms and registers again (READY) on a
  fresh socket.
* DISCONNECT from the broker: the same, at once.
* A job that finishes after the connection it came on was replaced is reported (exec-end: the
  handler's effect happened) but its REPLY is dropped: the broker has given the job to another
  worker or lost it, and that connection's peer is gone.
* A handler that raises gives its job back: DISCONNECT, then a new registration after --reconnect
  ms (MDP has no error reply, and a broker gives a worker nothing more until it replies).

stdin: the harness keeps it open and sends nothing; EOF means the harness is gone, so the worker says
DISCONNECT and exits. So does SIGTERM/SIGINT. Logs go to stderr; stdout carries only reports.

Only the Python standard library and pyzmq (Debian: python3-zmq) are used.
"""

import argparse
import json
import logging
import os
import queue
import signal
import threading
import time
from collections import deque

import zmq

from driver_common import STDIN, WakePipe, configure_logging, emit

MDPW = b"MDPW01"
READY, REQUEST, REPLY, HEARTBEAT, DISCONNECT = (bytes([n]) for n in range(1, 6))
COMMAND_NAMES = {READY: "READY", REQUEST: "REQUEST", REPLY: "REPLY", HEARTBEAT: "HEARTBEAT", DISCONNECT: "DISCONNECT"}
MAX_QUEUED_REQUESTS = 16

log = logging.getLogger("mdp-worker-driver")


def make_handler(work_ms):
    """The service itself: replace this with your own. Runs in a thread, gets the request body
    (a list of bytes frames) and returns the reply body. The reply's first frame must be the job id
    (the request's first frame): the harness checks replies by it."""

    def echo(body):
        if work_ms > 0:
            time.sleep(work_ms / 1000.0)
        return body

    return echo


class WorkerDriver:
    def __init__(self, args, handler):
        self.args = args
        self.handler = handler
        self.heartbeat = args.heartbeat / 1000.0
        self.silence_limit = self.heartbeat * args.liveness
        self.ctx = zmq.Context()
        self.socket = None
        # Bumped whenever the connection is dropped or replaced: a result of an older generation
        # belongs to a broker session that is gone.
        self.generation = 0
        self.last_heard = 0.0
        self.next_heartbeat = 0.0
        self.reconnect_at = None
        self.requests = deque()  # (generation, client address, body) waiting for the handler
        self.running = None  # (generation, client address, job) while the handler runs
        self.results = queue.Queue()  # handler thread -> main loop
        self.stopping = False
        self.ready_reported = False
        # Self-pipe: the handler thread and signal handlers wake the poll loop through it.
        self.wake_pipe = WakePipe()

    def wake(self):
        self.wake_pipe.wake()

    def on_signal(self, signum, _frame):
        self.stopping = True
        self.wake()

    # the broker connection --------------------------------------------------------------------

    def send(self, command, *frames):
        if self.socket is None:
            return
        try:
            self.socket.send_multipart([b"", MDPW, command, *frames], zmq.NOBLOCK)
        except zmq.Again:
            # A full pipe means the broker is not reading; the heartbeat check will notice.
            log.debug("dropped %s: the send queue is full", COMMAND_NAMES.get(command, command))

    def connect(self):
        self.drop_connection()
        self.socket = self.ctx.socket(zmq.DEALER)
        self.socket.linger = 0
        self.socket.connect(self.args.broker)
        self.reconnect_at = None
        now = time.monotonic()
        self.last_heard = now
        self.next_heartbeat = now + self.heartbeat
        self.send(READY, self.args.service.encode())
        log.info("registering with %s for %r (generation %d)", self.args.broker, self.args.service, self.generation)
        if not self.ready_reported:
            self.ready_reported = True
            emit({"type": "ready", "role": "worker", "name": self.args.name, "service": self.args.service})

    def drop_connection(self):
        if self.socket is not None:
            self.socket.close(linger=0)
            self.socket = None
            self.generation += 1
        # Requests from the old session could not be answered on a new one.
        self.requests.clear()

    def reconnect_later(self, delay_ms, why):
        log.warning("%s: registering again in %d ms", why, delay_ms)
        self.drop_connection()
        self.reconnect_at = time.monotonic() + delay_ms / 1000.0

    # the loop ---------------------------------------------------------------------------------

    def run(self):
        self.connect()
        stdin_open = True
        while not self.stopping:
            poller = zmq.Poller()
            if stdin_open:
                poller.register(STDIN, zmq.POLLIN)
            poller.register(self.wake_pipe.fd, zmq.POLLIN)
            if self.socket is not None:
                poller.register(self.socket, zmq.POLLIN)
            for item, _ in poller.poll(self.poll_timeout_ms()):
                if item == STDIN:
                    if os.read(STDIN, 65536) == b"":
                        log.info("stdin closed: exiting")
                        stdin_open = False
                        self.stopping = True
                elif item == self.wake_pipe.fd:
                    self.wake_pipe.drain()
                elif self.socket is not None and item is self.socket:
                    self.read_broker()
            self.collect_results()
            # Inputs first, then timers: a message that came in just before the deadline still counts.
            self.fire_timers(time.monotonic())
        log.info("stopping%s", " (a job was running: the broker gets it back)" if self.running else "")
        self.close()

    def poll_timeout_ms(self):
        if self.socket is not None:
            due = min(self.next_heartbeat, self.last_heard + self.silence_limit)
        elif self.reconnect_at is not None:
            due = self.reconnect_at
        else:
            due = time.monotonic() + 1.0
        return max(0, min(1000, int((due - time.monotonic()) * 1000) + 1))

    def fire_timers(self, now):
        if self.socket is None:
            if self.reconnect_at is not None and now >= self.reconnect_at:
                self.connect()
            return
        if now - self.last_heard > self.silence_limit:
            self.reconnect_later(self.args.reconnect, "broker silent for %d ms" % ((now - self.last_heard) * 1000))
            return
        if now >= self.next_heartbeat:
            self.send(HEARTBEAT)
            self.next_heartbeat = now + self.heartbeat

    def read_broker(self):
        socket = self.socket
        while socket is self.socket:  # a DISCONNECT may replace the socket while we read
            try:
                frames = socket.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                return
            self.last_heard = time.monotonic()
            self.on_message(frames)

    def on_message(self, frames):
        # A DEALER sees ["", "MDPW01", command, ...].
        if len(frames) < 3 or frames[0] != b"" or frames[1] != MDPW or len(frames[2]) != 1:
            log.warning("dropped a malformed message from the broker: %r", frames[:4])
            return
        command = frames[2]
        if command == HEARTBEAT:
            return
        if command == DISCONNECT:
            self.reconnect_later(self.args.reconnect, "broker sent DISCONNECT")
            return
        if command == REQUEST:
            # ["", MDPW01, 0x02, client address, "", body...]
            if len(frames) < 6 or frames[3] == b"" or frames[4] != b"":
                log.warning("dropped a malformed REQUEST: %r", frames[:6])
                return
            if len(self.requests) >= MAX_QUEUED_REQUESTS:
                log.warning("dropped a REQUEST: %d already wait (a broker gives a worker one at a time)", len(self.requests))
                return
            self.requests.append((self.generation, frames[3], frames[5:]))
            self.start_next()
            return
        # e.g. KHX/1's RECORDED (0x06): never sent to a worker that did not declare KHX/1 in READY.
        log.warning("ignored command 0x%s from the broker", command.hex())

    # jobs -------------------------------------------------------------------------------------

    def start_next(self):
        if self.running is not None or not self.requests:
            return
        generation, client, body = self.requests.popleft()
        job = body[0].decode("utf-8", "replace")
        emit({"type": "exec-start", "job": job, "worker": self.args.name})
        self.running = (generation, client, job)
        threading.Thread(target=self.run_handler, args=(generation, client, job, body), daemon=True).start()

    def run_handler(self, generation, client, job, body):
        try:
            self.results.put((generation, client, job, self.handler(body), None))
        except Exception as error:  # the handler's failure is reported by the main loop
            self.results.put((generation, client, job, None, error))
        self.wake()

    def collect_results(self):
        while True:
            try:
                generation, client, job, reply, error = self.results.get_nowait()
            except queue.Empty:
                return
            self.running = None
            current = generation == self.generation and self.socket is not None
            if error is not None:
                log.error("handler failed for job %s: %r: giving the request back", job, error)
                if current:
                    self.send(DISCONNECT)
                    self.reconnect_later(self.args.reconnect, "gave a failed job back")
            else:
                # The handler's effect is done: report it, then reply right away.
                emit({"type": "exec-end", "job": job, "worker": self.args.name})
                if current:
                    self.send(REPLY, client, b"", *reply)
                else:
                    log.warning("job %s finished after its connection was replaced: its reply is dropped", job)
            self.start_next()

    def close(self):
        if self.socket is not None:
            self.send(DISCONNECT)  # best effort: the broker forgets us now instead of after liveness
            self.socket.close(linger=100)
            self.socket = None
        self.ctx.term()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--name", default="worker", help="this worker's name, reported in exec events")
    parser.add_argument("--broker", required=True, help="broker endpoint, e.g. tcp://127.0.0.1:5555")
    parser.add_argument("--service", required=True, help="the service to serve")
    parser.add_argument("--work-ms", type=int, default=0, help="simulated work per job, ms")
    parser.add_argument("--heartbeat", type=int, default=2500, help="ms between heartbeats")
    parser.add_argument("--liveness", type=int, default=3, help="heartbeats of broker silence before reconnecting")
    parser.add_argument("--reconnect", type=int, default=1000, help="ms to wait before registering again")
    args = parser.parse_args()
    if args.heartbeat < 1 or args.liveness < 1:
        parser.error("--heartbeat and --liveness must be at least 1")
    if args.work_ms < 0 or args.reconnect < 0:
        parser.error("--work-ms and --reconnect must not be negative")

    configure_logging(args.name)
    driver = WorkerDriver(args, make_handler(args.work_ms))
    signal.signal(signal.SIGTERM, driver.on_signal)
    signal.signal(signal.SIGINT, driver.on_signal)
    driver.run()


if __name__ == "__main__":
    main()

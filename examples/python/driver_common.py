"""What the example drivers share: the driver protocol's report line, the backoff and the logging
set-up (all four), and for the two KHP/1 drivers (khp_publisher_driver.py, khp_subscriber_driver.py)
KHP/1 names and numbers and the pieces of a single-threaded poll loop (stdin read as lines, a
self-pipe that wakes the loop on a signal).

Only the Python standard library is used here.
"""

import json
import logging
import os
import random
import sys

KHP = b"KHP01"
STDIN = 0
MAX_LINE_BYTES = 1 << 20
MAX_NAME_BYTES = 255
# The loop wakes at least this often even with nothing due (it is woken earlier by any event).
MAX_POLL_MS = 1000
# Messages read from the socket per loop turn, so stdin and timers are never starved by a flood.
MAX_READS_PER_TURN = 256


def emit(report):
    """One JSON object per line, flushed at once: a report written before a SIGKILL still arrives."""
    try:
        sys.stdout.write(json.dumps(report, separators=(",", ":")) + "\n")
        sys.stdout.flush()
    except (BrokenPipeError, ValueError):
        # The harness is gone. Point stdout at /dev/null so the interpreter's final flush is quiet.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise SystemExit(1)


def name_problem(value, what):
    """Why `value` (str) is not a KHP/1 id or topic (1-255 bytes of printable ASCII), or None."""
    if value == "":
        return "%s must not be empty" % what
    if any(not (0x20 <= ord(char) <= 0x7E) for char in value):
        return "%s must be printable ASCII" % what
    if len(value) > MAX_NAME_BYTES:
        return "%s is %d bytes, more than %d" % (what, len(value), MAX_NAME_BYTES)
    return None


def json_command(raw, types):
    """One stdin line as a JSON object whose "type" is one of `types`; raises ValueError saying what is wrong."""
    try:
        value = json.loads(raw)
    except ValueError as error:
        raise ValueError("not JSON: %s" % error)
    if not isinstance(value, dict):
        raise ValueError("a command must be a JSON object")
    if value.get("type") not in types:
        expected = " or ".join('"%s"' % t for t in types)
        raise ValueError("unknown command type %s (expected %s)" % (json.dumps(value.get("type")), expected))
    return value


def backoff_delay(attempt, initial_ms, max_ms):
    """Delay (s) before retry number attempt+1: uniform in [d/2, d], d = min(max, initial * 2^attempt)."""
    ceiling = min(max_ms, initial_ms * 2 ** min(attempt, 30))
    return (ceiling / 2 + random.random() * ceiling / 2) / 1000.0


def decimal(frame, minimum):
    """A KHP/1 sequence (minimum 1) or position (minimum 0): a decimal integer without leading zeros."""
    text = frame.decode("latin-1")
    if not text.isdigit() or not text.isascii() or (len(text) > 1 and text[0] == "0") or len(text) > 16:
        raise ValueError("not a decimal integer: %r" % text[:40])
    number = int(text)
    if number < minimum:
        raise ValueError("%d is less than %d" % (number, minimum))
    return number


def configure_logging(name):
    """Logs go to stderr: stdout carries only driver reports."""
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(name)s[" + name + "] %(levelname)s %(message)s")


class WakePipe:
    """A self-pipe: a signal handler writes to it, and the poll loop, which watches `fd`, wakes up."""

    def __init__(self):
        self.fd, self._write_fd = os.pipe()
        os.set_blocking(self.fd, False)
        os.set_blocking(self._write_fd, False)

    def wake(self):
        try:
            os.write(self._write_fd, b"\0")
        except OSError:
            pass

    def drain(self):
        try:
            while os.read(self.fd, 64):
                pass
        except BlockingIOError:
            pass


class StdinLines:
    """stdin read as it comes, split into lines; an over-long line is reported once and skipped."""

    def __init__(self):
        self.open = True
        self._buffer = b""
        self._discarding = False  # skipping the rest of an over-long line

    def read(self, on_line):
        """Reads what is there and calls on_line for each whole line; returns False once stdin is closed."""
        data = os.read(STDIN, 65536)
        if not data:
            self.open = False
            if self._buffer.strip() and not self._discarding:
                on_line(self._buffer)
            self._buffer = b""
            return False
        self._buffer += data
        while True:
            line, newline, rest = self._buffer.partition(b"\n")
            if not newline:
                break
            self._buffer = rest
            if self._discarding:
                self._discarding = False
                continue
            on_line(line)
        if len(self._buffer) > MAX_LINE_BYTES:
            emit({"type": "error", "error": "bad command: line longer than %d bytes" % MAX_LINE_BYTES})
            self._buffer = b""
            self._discarding = True
        return True

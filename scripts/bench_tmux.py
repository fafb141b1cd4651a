#!/usr/bin/env python3
"""Measure the screen through tmux, as an operator's terminal sees it (used by bench.sh).

tmux's control mode reports every byte a pane writes (`%output`) the moment tmux reads it,
so "a key to a changed screen" is the time from `send-keys` to the first output that moves
the selection marker, and "first frame" is the time from starting the process to the
output that draws the first role rows.

Usage:
  bench_tmux.py first-frame RUNS -- COMMAND...
  bench_tmux.py keys PRESSES [--in-flight N] -- COMMAND...
  bench_tmux.py idle SECONDS -- COMMAND...
  bench_tmux.py filter ROUNDS -- COMMAND...   (each keystroke of a filter typed after `/`)
Prints one JSON object on stdout.
"""
import json
import os
import queue
import re
import shlex
import statistics
import subprocess
import sys
import threading
import time

WIDTH, HEIGHT = 160, 48
MARKER = "▸"
ROWS_SHOWN = re.compile(r"role-\d")
OCTAL = re.compile(rb"\\([0-7]{3})")


class Tmux:
    """A private tmux server with one fixed-size window and a control-mode client on it."""

    def __init__(self):
        self.socket = f"switchboard-bench-{os.getpid()}"
        self.run("-f", "/dev/null", "new-session", "-d", "-s", "bench", "-x", str(WIDTH), "-y", str(HEIGHT),
                 "sleep 1000000")
        self.run("set-option", "-g", "window-size", "manual")
        self.run("set-option", "-g", "remain-on-exit", "on")
        self.run("resize-window", "-t", "bench", "-x", str(WIDTH), "-y", str(HEIGHT))
        self.control = subprocess.Popen(["tmux", "-L", self.socket, "-C", "attach", "-t", "bench"],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0)
        self.events = queue.Queue()
        self.replies = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        # The client is attached once it answers a command.
        self.command("display-message -p attached")
        self.replies.get(timeout=10)

    def run(self, *args):
        subprocess.run(["tmux", "-L", self.socket, *args], check=True, stdout=subprocess.DEVNULL)

    def _read(self):
        for line in self.control.stdout:
            if line.startswith(b"%output "):
                payload = line.rstrip(b"\n").split(b" ", 2)[2] if line.count(b" ") >= 2 else b""
                data = OCTAL.sub(lambda m: bytes([int(m.group(1), 8)]), payload)
                self.events.put((time.monotonic(), data.decode("utf-8", "replace")))
            elif line.startswith((b"%end", b"%error")):
                self.replies.put(line)

    def command(self, text):
        self.control.stdin.write(text.encode() + b"\n")

    def drain(self, quiet=0.05, limit=3.0):
        """Forgets output until the pane has been quiet for `quiet` seconds (or `limit` passed)."""
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            try:
                self.events.get(timeout=quiet)
            except queue.Empty:
                return

    def wait_output(self, predicate, timeout=30.0):
        """The time of the first output for which predicate(text so far) holds."""
        seen = ""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no such output within {timeout}s; last: {seen[-300:]!r}")
            try:
                at, text = self.events.get(timeout=left)
            except queue.Empty:
                continue
            seen += text
            if predicate(seen):
                return at

    def start(self, command):
        self.drain(0.02)
        started = time.monotonic()
        # exec: the pane's process is switchboard itself, whose CPU and memory are measured.
        self.command("respawn-pane -k -t bench " + shlex.quote("exec " + command))
        try:
            shown = self.wait_output(lambda text: "REACHED" in text and len(ROWS_SHOWN.findall(text)) >= 5)
        except TimeoutError:
            self.report("no first frame")
            raise
        return started, shown

    def report(self, what):
        """What the pane shows and whether its process lives, on stderr."""
        screen = subprocess.run(["tmux", "-L", self.socket, "capture-pane", "-p", "-t", "bench"],
                                capture_output=True, text=True).stdout
        panes = subprocess.run(["tmux", "-L", self.socket, "list-panes", "-t", "bench", "-F",
                                "dead=#{pane_dead} status=#{pane_dead_status} pid=#{pane_pid} cmd=#{pane_current_command}"],
                               capture_output=True, text=True)
        print(f"{what}; pane: {panes.stdout.strip()} {panes.stderr.strip()}; control client exit: "
              f"{self.control.poll()}; the screen:\n{screen}", file=sys.stderr)

    def pid(self):
        out = subprocess.run(["tmux", "-L", self.socket, "display-message", "-p", "-t", "bench", "#{pane_pid}"],
                             check=True, capture_output=True, text=True).stdout
        return int(out.strip())

    def close(self):
        try:
            subprocess.run(["tmux", "-L", self.socket, "kill-server"], stderr=subprocess.DEVNULL, check=True)
        except subprocess.CalledProcessError:
            pass
        self.control.wait(timeout=5)


def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def first_frame(runs, command):
    """Each run in a tmux server of its own: at real-time priority, a server whose pane had
    quit sometimes went away with its control client before the next run (bench.sh runs
    everything under `chrt -f 50`)."""
    times = []
    for _ in range(runs):
        tmux = Tmux()
        try:
            started, shown = tmux.start(command)
            times.append((shown - started) * 1000)
            tmux.send_quit()
        finally:
            tmux.close()
    return {"first_frame_ms": times, "median_ms": statistics.median(times)}


def press(tmux, key, timeout=10.0):
    tmux.drain(0.03)
    sent = time.monotonic()
    tmux.command(f"send-keys -t bench {key}")
    try:
        shown = tmux.wait_output(lambda text: MARKER in text, timeout)
    except TimeoutError:
        screen = subprocess.run(["tmux", "-L", tmux.socket, "capture-pane", "-p", "-t", "bench"],
                                capture_output=True, text=True).stdout
        print(f"no frame after {key}; the screen:\n{screen}", file=sys.stderr)
        raise
    return (shown - sent) * 1000


def keys(tmux, presses, in_flight, command):
    tmux.start(command)
    pid = tmux.pid()
    if in_flight:
        # Roles without MFA (role-1 of each account): `r` on each sends a refresh that the
        # hung endpoint never answers; Esc then clears the filter.
        tmux.command("send-keys -t bench / r o l e - 1 Enter")
        tmux.drain(0.3)
        for _ in range(in_flight):
            tmux.command("send-keys -t bench r j")
        tmux.drain(0.5)
        tmux.command("send-keys -t bench Escape")
        tmux.drain(0.3)
    # k then j, in turn: each moves the selection marker on screen (a scroll would leave it
    # in place and redraw only the row text, which is harder to tell from a tick).
    times = [press(tmux, "k" if index % 2 == 0 else "j") for index in range(presses)]
    ordered = sorted(times)
    result = {
        "presses": len(times),
        "median_ms": statistics.median(times),
        "p99_ms": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))],
        "max_ms": ordered[-1],
        "rss_kib": rss_kib(pid),
    }
    tmux.send_quit()
    return result


def filter_keys(tmux, rounds, command):
    """`/` then `acct-0042/role-1`, one keystroke at a time: each timed to the frame that
    shows the list filtered by what was typed so far; Esc clears it for the next round."""
    tmux.start(command)
    pid = tmux.pid()
    typed = "acct-0042/role-1"
    times = []
    for _ in range(rounds):
        tmux.command("send-keys -t bench /")
        tmux.drain(0.3)
        for character in typed:
            tmux.drain(0.03)
            sent = time.monotonic()
            tmux.command(f"send-keys -t bench -l {shlex.quote(character)}")
            shown = tmux.wait_output(lambda text, typed_now=character: typed_now in text, 10.0)
            times.append((shown - sent) * 1000)
        tmux.command("send-keys -t bench Escape")
        tmux.drain(0.3)
        tmux.command("send-keys -t bench Escape")
        tmux.drain(0.3)
    ordered = sorted(times)
    result = {
        "keystrokes": len(times),
        "median_ms": statistics.median(times),
        "p99_ms": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))],
        "max_ms": ordered[-1],
        "rss_kib": rss_kib(pid),
    }
    tmux.send_quit()
    return result


def idle(tmux, seconds, command):
    tmux.start(command)
    pid = tmux.pid()
    time.sleep(2.0)  # the first status reload and the first ticks
    hz = os.sysconf("SC_CLK_TCK")
    before, started = cpu_ticks(pid), time.monotonic()
    time.sleep(seconds)
    used, elapsed = cpu_ticks(pid) - before, time.monotonic() - started
    result = {"seconds": round(elapsed, 1), "cpu_percent": round(100.0 * used / hz / elapsed, 2),
              "rss_kib": rss_kib(pid)}
    tmux.send_quit()
    return result


def send_quit(self):
    self.command("send-keys -t bench q")
    self.drain(0.3)


Tmux.send_quit = send_quit


def main():
    if "--" not in sys.argv:
        print(__doc__, file=sys.stderr)
        return 2
    split = sys.argv.index("--")
    args, command = sys.argv[1:split], " ".join(shlex.quote(part) for part in sys.argv[split + 1:])
    mode, count = args[0], int(args[1])
    in_flight = int(args[args.index("--in-flight") + 1]) if "--in-flight" in args else 0
    if mode == "first-frame":
        print(json.dumps(first_frame(count, command)))
        return 0
    tmux = Tmux()
    try:
        if mode == "keys":
            result = keys(tmux, count, in_flight, command)
        elif mode == "idle":
            result = idle(tmux, count, command)
        elif mode == "filter":
            result = filter_keys(tmux, count, command)
        else:
            print(__doc__, file=sys.stderr)
            return 2
    finally:
        tmux.close()
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())

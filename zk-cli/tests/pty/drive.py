"""Runs a program on a pseudo-terminal and lets a test steer it, one step per line
on stdin:

    send TEXT     types TEXT (\\t, \\n, \\x04 and \\\\ are unescaped)
    expect TEXT   waits until TEXT appears in the output after the last match

Each step answers one line on stdout: "ok", or "timeout" and the output seen since
the last match. At the end of stdin the terminal is closed and the answer is
"exit CODE" with the program's exit status, or "exit hung" if it had to be killed.

usage: python3 drive.py SECONDS_PER_EXPECT PROGRAM ARGS...
"""

import os
import pty
import select
import sys
import time


def unescape(text):
    return text.encode("utf-8").decode("unicode_escape").encode("latin-1")


def main():
    limit = float(sys.argv[1])
    pid, terminal = pty.fork()
    if pid == 0:
        os.execv(sys.argv[2], sys.argv[2:])
    seen = b""

    def read_some(deadline):
        nonlocal seen
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        ready, _, _ = select.select([terminal], [], [], left)
        if ready:
            try:
                chunk = os.read(terminal, 4096)
            except OSError:
                return False
            if not chunk:
                return False
            seen += chunk
        return True

    for line in sys.stdin:
        verb, _, argument = line.rstrip("\n").partition(" ")
        text = unescape(argument)
        if verb == "send":
            os.write(terminal, text)
            print("ok", flush=True)
        elif verb == "expect":
            deadline = time.monotonic() + limit
            while text not in seen and read_some(deadline):
                pass
            if text in seen:
                seen = seen[seen.index(text) + len(text):]
                print("ok", flush=True)
            else:
                print("timeout", repr(seen), flush=True)
        else:
            print("unknown step", verb, flush=True)
    os.write(terminal, b"\x04")
    deadline = time.monotonic() + limit
    while read_some(deadline):
        pass
    while time.monotonic() < deadline + limit:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            print("exit", os.waitstatus_to_exitcode(status), flush=True)
            return
        time.sleep(0.05)
    os.kill(pid, 9)
    os.waitpid(pid, 0)
    print("exit hung", flush=True)


main()

"""kazoo's side of the zk-recipes interop tests (driven by tests/lock_kazoo.rs).

Commands (HOSTS is a 127.0.0.1 connect string):

  count HOSTS LOCK_PATH COUNTER_PATH N
      N times: take kazoo's Lock, read the counter (ASCII decimal; missing = 0),
      sleep 5 ms, write value + 1, release. Prints "done N".
  hold HOSTS LOCK_PATH IDENTIFIER KIND
      KIND is lock, read or write (Lock, ReadLock, WriteLock). Prints "held" once
      held, then reads commands from stdin: "contenders" prints the lock's
      contenders as JSON, "release" releases and prints "released" and exits.
  contenders HOSTS LOCK_PATH
      Prints kazoo's Lock(LOCK_PATH).contenders() as JSON.
  add HOSTS COUNTER_PATH N
      N times: kazoo's Counter(COUNTER_PATH) += 1. Prints "done N".

Every line is flushed at once; kazoo's own log goes to stderr.
"""

import json
import logging
import sys
import time

from kazoo.client import KazooClient
from kazoo.exceptions import NoNodeError

HOLD = 0.005


def say(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def connect(hosts):
    zk = KazooClient(hosts=hosts, timeout=20)
    zk.start(timeout=20)
    return zk


def count(hosts, lock_path, counter_path, n):
    zk = connect(hosts)
    lock = zk.Lock(lock_path, "kazoo-count")
    for _ in range(int(n)):
        with lock:
            try:
                data, stat = zk.get(counter_path)
                value, version = int(data.decode("ascii")), stat.version
            except NoNodeError:
                value, version = 0, None
            time.sleep(HOLD)
            data = str(value + 1).encode("ascii")
            if version is None:
                zk.create(counter_path, data)
            else:
                zk.set(counter_path, data, version=version)
    zk.stop()
    zk.close()
    say("done %s" % n)


def hold(hosts, lock_path, identifier, kind):
    zk = connect(hosts)
    make = {"lock": zk.Lock, "read": zk.ReadLock, "write": zk.WriteLock}[kind]
    lock = make(lock_path, identifier)
    lock.acquire(timeout=20)
    say("held")
    for line in sys.stdin:
        command = line.strip()
        if command == "contenders":
            say(json.dumps(lock.contenders()))
        elif command == "release":
            lock.release()
            say("released")
            break
    zk.stop()
    zk.close()


def contenders(hosts, lock_path):
    zk = connect(hosts)
    say(json.dumps(zk.Lock(lock_path).contenders()))
    zk.stop()
    zk.close()


def add(hosts, counter_path, n):
    zk = connect(hosts)
    counter = zk.Counter(counter_path)
    for _ in range(int(n)):
        counter += 1
    zk.stop()
    zk.close()
    say("done %s" % n)


def main():
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING)
    command, args = sys.argv[1], sys.argv[2:]
    {"count": count, "hold": hold, "contenders": contenders, "add": add}[command](*args)


if __name__ == "__main__":
    main()

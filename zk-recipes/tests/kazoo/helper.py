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
  put HOSTS QUEUE_PATH PRIORITY VALUE...
      kazoo's Queue(QUEUE_PATH).put(VALUE, PRIORITY) for each VALUE. Prints "put".
  take HOSTS QUEUE_PATH
      kazoo's Queue(QUEUE_PATH).get() until it is empty; prints the items as JSON.
  lead HOSTS ELECTION_PATH IDENTIFIER
      kazoo's Election(ELECTION_PATH, IDENTIFIER).run(...): prints "leading" once it
      leads, then waits for "resign" on stdin and prints "resigned".
  double HOSTS BARRIER_PATH N IDENTIFIER
      kazoo's DoubleBarrier(BARRIER_PATH, N, IDENTIFIER): enter, print "entered",
      wait for "leave" on stdin, leave, print "left".
  lease HOSTS SEMAPHORE_PATH N IDENTIFIER
      kazoo's Semaphore(SEMAPHORE_PATH, IDENTIFIER, max_leases=N): acquire, print
      "leased" (or "mismatch" when the stored limit is another), then reads commands
      from stdin: "holders" prints the sorted lease_holders() as JSON, "release"
      releases, prints "released" and exits.
  barrier HOSTS BARRIER_PATH
      kazoo's Barrier(BARRIER_PATH): reads commands from stdin: "create" and
      "remove" print "created" and "removed True|False"; "wait" prints "waiting",
      waits (at most 20 s) and prints "cleared True|False"; "quit" exits.
  party HOSTS PARTY_PATH KIND IDENTIFIER
      KIND is party or shallow (Party, ShallowParty): join, print "joined", then
      read commands from stdin: "members" prints the sorted members as JSON,
      "leave" leaves, prints "left" and exits.

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


def put(hosts, queue_path, priority, *values):
    zk = connect(hosts)
    queue = zk.Queue(queue_path)
    for value in values:
        queue.put(value.encode("utf-8"), priority=int(priority))
    zk.stop()
    zk.close()
    say("put")


def take(hosts, queue_path):
    zk = connect(hosts)
    queue = zk.Queue(queue_path)
    items = []
    while True:
        item = queue.get()
        if item is None:
            break
        items.append(item.decode("utf-8"))
    zk.stop()
    zk.close()
    say(json.dumps(items))


def lead(hosts, election_path, identifier):
    zk = connect(hosts)

    def leading():
        say("leading")
        for line in sys.stdin:
            if line.strip() == "resign":
                break

    zk.Election(election_path, identifier).run(leading)
    say("resigned")
    zk.stop()
    zk.close()


def double(hosts, barrier_path, n, identifier):
    zk = connect(hosts)
    barrier = zk.DoubleBarrier(barrier_path, int(n), identifier)
    barrier.enter()
    say("entered")
    for line in sys.stdin:
        if line.strip() == "leave":
            break
    barrier.leave()
    say("left")
    zk.stop()
    zk.close()


def lease(hosts, semaphore_path, n, identifier):
    zk = connect(hosts)
    semaphore = zk.Semaphore(semaphore_path, identifier, max_leases=int(n))
    try:
        semaphore.acquire(timeout=20)
    except ValueError:
        say("mismatch")
        zk.stop()
        zk.close()
        return
    say("leased")
    for line in sys.stdin:
        command = line.strip()
        if command == "holders":
            say(json.dumps(sorted(semaphore.lease_holders())))
        elif command == "release":
            semaphore.release()
            say("released")
            break
    zk.stop()
    zk.close()


def barrier(hosts, barrier_path):
    zk = connect(hosts)
    kazoo_barrier = zk.Barrier(barrier_path)
    for line in sys.stdin:
        command = line.strip()
        if command == "create":
            kazoo_barrier.create()
            say("created")
        elif command == "remove":
            say("removed %s" % kazoo_barrier.remove())
        elif command == "wait":
            say("waiting")
            say("cleared %s" % kazoo_barrier.wait(20))
        elif command == "quit":
            break
    zk.stop()
    zk.close()


def party(hosts, party_path, kind, identifier):
    zk = connect(hosts)
    make = {"party": zk.Party, "shallow": zk.ShallowParty}[kind]
    member = make(party_path, identifier)
    member.join()
    say("joined")
    for line in sys.stdin:
        command = line.strip()
        if command == "members":
            say(json.dumps(sorted(member)))
        elif command == "leave":
            member.leave()
            say("left")
            break
    zk.stop()
    zk.close()


def main():
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING)
    command, args = sys.argv[1], sys.argv[2:]
    commands = {
        "count": count,
        "hold": hold,
        "contenders": contenders,
        "add": add,
        "put": put,
        "take": take,
        "lead": lead,
        "double": double,
        "lease": lease,
        "party": party,
        "barrier": barrier,
    }
    commands[command](*args)


if __name__ == "__main__":
    main()

// Curator's side of the zk-recipes interop tests (driven by tests/lock_curator.rs, which
// compiles this file with javac against Debian's Curator 5.4 jars; see .ci/install).
//
// Usage: Helper HOSTS KIND PATH ID, HOSTS a 127.0.0.1 connect string. Prints "ready" once
// connected, then reads commands from stdin and answers each with one line:
//
//   KIND mutex: an InterProcessMutex on PATH (its node data is ID).
//     acquire    acquire(), waiting as long as it takes: "held"
//     try MS     acquire(MS, ms): "held" or "busy"
//     release    release(): "released"
//     nodes      getParticipantNodes(), the node names in lock order: "a,b,..."
//     count COUNTER N
//                N times: acquire, read COUNTER (ASCII decimal), sleep 5 ms, write
//                value + 1 (at the version read), release: "done N" ("lost update: ..."
//                and exit 1 if someone else wrote it meanwhile)
//   KIND latch: a LeaderLatch on PATH with the id ID.
//     start      start(), and wait until its node is made: "started"
//     await MS   await(MS, ms): "leading" or "waiting"
//     ids        getParticipants(), their ids in order: "a,b,..."
//     close      close(): "closed"
//   quit         closes the client and exits: "bye"
//
// Every line is flushed at once; the client's own log (if any) goes to stderr.

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.recipes.leader.LeaderLatch;
import org.apache.curator.framework.recipes.leader.Participant;
import org.apache.curator.framework.recipes.locks.InterProcessMutex;
import org.apache.curator.retry.RetryNTimes;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.Stat;

public class Helper {
    static void say(String line) {
        System.out.println(line);
        System.out.flush();
    }

    static String lastName(String path) {
        return path.substring(path.lastIndexOf('/') + 1);
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 4) {
            System.err.println("usage: Helper HOSTS mutex|latch PATH ID");
            System.exit(2);
        }
        String hosts = args[0], kind = args[1], path = args[2], id = args[3];
        CuratorFramework client = CuratorFrameworkFactory.builder()
            .connectString(hosts)
            .sessionTimeoutMs(20000)
            .connectionTimeoutMs(20000)
            .retryPolicy(new RetryNTimes(100, 100))
            .defaultData(id.getBytes(StandardCharsets.UTF_8))
            .build();
        client.start();
        if (!client.blockUntilConnected(20, TimeUnit.SECONDS)) {
            System.err.println("not connected to " + hosts);
            System.exit(1);
        }
        InterProcessMutex mutex = kind.equals("mutex") ? new InterProcessMutex(client, path) : null;
        LeaderLatch latch = kind.equals("latch") ? new LeaderLatch(client, path, id) : null;
        if (mutex == null && latch == null) {
            System.err.println("unknown kind " + kind);
            System.exit(2);
        }
        say("ready");

        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            String[] words = line.trim().split(" ");
            switch (words[0]) {
                case "acquire":
                    mutex.acquire();
                    say("held");
                    break;
                case "try":
                    say(mutex.acquire(Long.parseLong(words[1]), TimeUnit.MILLISECONDS) ? "held" : "busy");
                    break;
                case "release":
                    mutex.release();
                    say("released");
                    break;
                case "count": {
                    String counter = words[1];
                    int n = Integer.parseInt(words[2]);
                    for (int i = 0; i < n; i++) {
                        mutex.acquire();
                        try {
                            Stat stat = new Stat();
                            byte[] data = client.getData().storingStatIn(stat).forPath(counter);
                            long value = Long.parseLong(new String(data, StandardCharsets.US_ASCII).trim());
                            Thread.sleep(5);
                            client.setData().withVersion(stat.getVersion())
                                .forPath(counter, Long.toString(value + 1).getBytes(StandardCharsets.US_ASCII));
                        } catch (KeeperException.BadVersionException e) {
                            say("lost update: the counter changed while Curator held the lock");
                            System.exit(1);
                        } finally {
                            mutex.release();
                        }
                    }
                    say("done " + n);
                    break;
                }
                case "nodes": {
                    List<String> names = new ArrayList<>();
                    for (String node : mutex.getParticipantNodes()) {
                        names.add(lastName(node));
                    }
                    say(String.join(",", names));
                    break;
                }
                case "start": {
                    latch.start();
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                    while (latch.getOurPath() == null && System.nanoTime() < deadline) {
                        Thread.sleep(10);
                    }
                    say(latch.getOurPath() != null ? "started" : "not started");
                    break;
                }
                case "await":
                    say(latch.await(Long.parseLong(words[1]), TimeUnit.MILLISECONDS) ? "leading" : "waiting");
                    break;
                case "ids": {
                    List<String> ids = new ArrayList<>();
                    for (Participant p : latch.getParticipants()) {
                        ids.add(p.getId());
                    }
                    say(String.join(",", ids));
                    break;
                }
                case "close":
                    latch.close();
                    say("closed");
                    break;
                case "quit":
                    client.close();
                    say("bye");
                    return;
                default:
                    System.err.println("unknown command " + line);
                    System.exit(2);
            }
        }
        client.close();
    }
}

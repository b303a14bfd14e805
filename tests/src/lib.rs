//! Test support: real Apache ZooKeeper servers on loopback and a fault proxy.

@replicated-exactly-once @failover @faults @cluster-storm
Feature: A crash storm across a broker cluster
  Jepsen-style, over a replicated broker (KHR/1, docs/protocol.md): clients keep submitting jobs while
  the replica that leads is killed again and again, other replicas are killed, the leader is frozen
  (some freezes outlast the election timeout), the cluster is partitioned in the shapes of
  harness/nemesis/cluster-shape.ts and workers are killed and frozen, at moments drawn from the seed the
  run prints (KEELHAUL_SEED=<seed> replays the schedule; the schedule is also kept as
  fault-schedule.json, which `keelhaul shrink --from` reads). A fault on `leader` strikes whichever
  replica leads when it strikes; each fault on the cluster waits for the one before it to be over and
  for a leader to be known. A storm that struck fewer faults than it planned is INCONCLUSIVE, never a
  pass or a FAIL. Judged from what the clients and workers saw: no acknowledged job lost, none run twice
  by two leaders (dual-dispatch), no answer from a deposed leader after a newer one (stale-leader-reply).

  @khr1:commit-before-ack @khr1:failover @khr1:follower-refuses @khr1:follower-never-dispatches @khr1:client-fencing @khr1:worker-fencing @khr1:read-index
  Scenario: 10 broker kills (3 aimed at the leader), a leader freeze and partitions, under load, from a printed seed
    # Patient clients: a job can be caught by two faults in a row, each costing an election and a new leader's result grace.
    # After a fault that may change the leader, the storm leaves that grace and an election before the next one.
    Given clients that try each call up to 40 times
    And a broker cluster
    And 3 workers serving "echo" that take 10 ms per job
    And 4 clients
    When the clients submit at least 400 jobs to "echo", 2 at a time each, through a cluster storm of 3 leader crashes, 7 replica crashes, 1 leader freezes, 2 cluster partitions, 2 worker crashes and 2 worker freezes over 30 seconds
    Then every fault the storm planned struck
    And the brokers of the cluster were killed at least 10 times, the leader at least 3 of them
    And at least 400 jobs were submitted
    And every job is answered exactly once
    And no call is stuck
    And the history shows no anomaly the "replicated-exactly-once" profile forbids, with a failover bound of 10000 ms

  @khr1:commit-before-ack @khr1:failover @khr1:follower-refuses @khr1:client-fencing @khr1:worker-fencing
  Scenario: A cluster storm given as a fault table
    # The form `keelhaul shrink` prints: `leader` is whichever replica leads then; a cluster-partition names its shape.
    Given clients that try each call up to 40 times
    And a broker cluster
    And 3 workers serving "echo" that take 10 ms per job
    And 2 clients
    When the clients submit at least 150 jobs to "echo", 2 at a time each, through these faults:
      | at ms | fault             | node            | lasting ms |
      | 500   | crash-restart     | leader          | 200        |
      | 2500  | cluster-partition | leader-isolated | 1200       |
      | 5000  | freeze            | leader          | 1500       |
      | 7500  | crash-restart     | broker-2        | 100        |
      | 7600  | freeze            | worker-1        | 300        |
    Then every fault the storm planned struck
    And every job is answered exactly once
    And no call is stuck
    And the history shows no anomaly the "replicated-exactly-once" profile forbids, with a failover bound of 10000 ms

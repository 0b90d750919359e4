@replicated-exactly-once @failover @faults @membership
Feature: Brokers added to and removed from a cluster while jobs flow
  Seed 000's ring resize had "a glaring issue": a server dying during the resize. A replicated broker
  (KHR/1) changes its membership one server at a time (docs/replication.md): a new broker starts with
  `--join`, the harness asks the leader to add it through the operator service (`mmi.khr.cluster`, what
  `keelhaul cluster add|remove` sends), and reads the outcome off `cluster status`. Each change must
  complete or roll back within catchUpTimeoutMs + changeTimeoutMs plus one commit round (21 election
  timeouts), never deadlock, and the jobs must keep flowing: none lost, none run twice.

  @khr1:commit-before-ack @khr1:failover @khr1:follower-refuses
  Scenario: A broker is added under load, then a follower is removed
    Given clients that try each call up to 20 times
    And a broker cluster
    And 3 workers serving "echo" that take 20 ms per job
    And 2 clients
    When the clients keep submitting jobs to "echo", 2 at a time each, while a broker is added to the cluster and a follower removed
    Then every membership change completed or rolled back within the bound, and the cluster has a leader
    And every job is answered exactly once
    And no call is stuck
    And the history shows no anomaly the "replicated-exactly-once" profile forbids, with a failover bound of 10000 ms

  @khr1:commit-before-ack @khr1:failover @khr1:follower-refuses
  Scenario: A dead follower is replaced by a new broker under load
    Given clients that try each call up to 20 times
    And a broker cluster
    And 3 workers serving "echo" that take 20 ms per job
    And 2 clients
    When the clients keep submitting jobs to "echo", 2 at a time each, while a dead follower is replaced by a new broker
    Then every membership change completed or rolled back within the bound, and the cluster has a leader
    And every job is answered exactly once
    And no call is stuck
    And the history shows no anomaly the "replicated-exactly-once" profile forbids, with a failover bound of 10000 ms

  @khr1:commit-before-ack @khr1:failover
  Scenario: The newcomer is killed in the middle of its addition
    Given clients that try each call up to 20 times
    And a broker cluster
    And 3 workers serving "echo" that take 20 ms per job
    And 2 clients
    When the clients keep submitting jobs to "echo", 2 at a time each, while a broker is added and killed in the middle of the change
    Then every membership change completed or rolled back within the bound, and the cluster has a leader
    And every job is answered exactly once
    And no call is stuck
    And the history shows no anomaly the "replicated-exactly-once" profile forbids, with a failover bound of 10000 ms

  # The new member may win the election that follows: workers and clients started before it was added reach it
  # by the route the harness gave them for its node id (their own fault-proxy link), named by a TERM, a 307 or mmi.khr.
  @khr1:commit-before-ack @khr1:failover @khr1:worker-failover
  Scenario: The leader is killed in the middle of an addition
    Given clients that try each call up to 20 times
    And a broker cluster
    And 3 workers serving "echo" that take 20 ms per job
    And 2 clients
    When the clients keep submitting jobs to "echo", 2 at a time each, while a broker is added and the leader killed in the middle of the change
    Then every membership change completed or rolled back within the bound, and the cluster has a leader
    And every job is answered exactly once
    And no call is stuck
    And the history shows no anomaly the "replicated-exactly-once" profile forbids, with a failover bound of 10000 ms

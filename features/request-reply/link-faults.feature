@at-least-once @rfc7 @faults @links
Feature: Network faults between clients, broker and workers
  Every link runs through its own fault-proxy proxy (named like "worker-2->broker"), so a node,
  a link or one direction can be cut, slowed, reset or sliced. Partitions are silent: data
  vanishes, as packets do in a real partition. Whatever happens, every call ends within its
  bound and no anomaly the profile forbids appears.

  Background:
    Given a broker

  @rfc7:heartbeating @rfc7:reliability @rfc7:recover-worker-network @rfc7:broker-liveness @rfc7:worker-liveness @rfc7:worker-restarts-conversation @rfc7:detect-disconnection
  Scenario: A worker partitioned from the broker is replaced, and registers again after the heal
    Given 3 workers serving "echo" that take 30 ms per job
    And 2 clients
    When each client starts submitting 40 jobs to "echo", 2 at a time
    And a worker that holds a job is partitioned from the broker for 4 liveness periods
    Then the jobs the fault hit were answered
    And the workload finishes
    When each client submits 30 more jobs to "echo", 3 at a time
    Then the partitioned worker has run jobs since the fault healed
    And no call is stuck
    And the history shows no anomaly the "at-least-once" profile forbids

  @rfc7:reliability @rfc7:recover-client-network @rfc7:client-recovery
  Scenario: A client partitioned from the broker gets an answer or a definite failure after the heal
    Given 2 workers serving "echo" that take 5 ms per job
    And 2 clients
    When each client starts submitting 60 jobs to "echo", 2 at a time
    And "client-1" is partitioned from the broker for 1000 ms while it has calls open
    Then every call ends in a reply or a definite failure
    And no call is stuck
    And the history shows no anomaly the "at-least-once" profile forbids

  @rfc7:heartbeating @rfc7:recover-worker-network @rfc7:broker-liveness
  Scenario: A one-way partition: the broker hears nothing from a worker that still hears the broker
    Given 3 workers serving "echo" that take 30 ms per job
    And 2 clients
    When each client starts submitting 40 jobs to "echo", 2 at a time
    And a worker that holds a job loses everything it sends to the broker for 4 liveness periods
    Then the jobs the fault hit were answered
    And the workload finishes
    When each client submits 30 more jobs to "echo", 3 at a time
    Then the faulted worker has run jobs since the fault healed
    And no call is stuck
    And the history shows no anomaly the "at-least-once" profile forbids

  @rfc7:heartbeating
  Scenario: Latency with jitter above the heartbeat interval
    Given 3 workers serving "echo"
    And clients that wait 1500 ms for a reply
    And 2 clients
    When every link gets 80 ms of latency with 40 ms of jitter
    And each client submits 20 jobs to "echo", 2 at a time
    And the links heal
    Then every job is answered exactly once
    And no call is stuck
    And the history shows no anomaly the "at-least-once" profile forbids

  @rfc7:reliability @rfc7:recover-worker-network @rfc7:recover-lost-messages
  Scenario: Connections reset in the middle of a request
    Given 3 workers serving "echo" that take 30 ms per job
    And 2 clients
    When each client starts submitting 40 jobs to "echo", 2 at a time
    And the connections of a worker that holds a job are reset for 2 liveness periods
    Then every job is answered exactly once
    And no call is stuck
    And the history shows no anomaly the "at-least-once" profile forbids

  @rfc7:request-reply
  Scenario: Every frame arrives sliced into 1-byte pieces
    Given 2 workers serving "echo"
    And 2 clients
    When every link slices data into 1-byte pieces
    And each client submits 20 jobs to "echo", 2 at a time
    And the links heal
    Then every job is answered exactly once
    And the history shows no anomaly the "at-least-once" profile forbids

  @rfc7:heartbeating @rfc7:reliability @rfc7:worker-liveness @rfc7:worker-restarts-conversation @rfc7:recover-lost-messages
  Scenario: The broker blackholed for 2 liveness periods, then healed
    Given 3 workers serving "echo" that take 10 ms per job
    And 2 clients
    When each client starts submitting 60 jobs to "echo", 2 at a time
    And the broker is blackholed for 2 liveness periods
    Then every call ends in a reply or a definite failure
    When each client submits 20 more jobs to "echo", 3 at a time
    Then every worker has run jobs since the fault healed
    And no call is stuck
    And the history shows no anomaly the "at-least-once" profile forbids

  @rfc7:heartbeating @rfc7:reliability @rfc7:recover-worker-network @rfc7:recover-client-network
  Scenario: The network split in halves, one with the broker
    Given 3 workers serving "echo" that take 10 ms per job
    And 2 clients
    When each client starts submitting 60 jobs to "echo", 2 at a time
    And the network is split between "broker, worker-1, client-1" and the rest for 4 liveness periods
    Then every call ends in a reply or a definite failure
    And no call is stuck
    And the history shows no anomaly the "at-least-once" profile forbids

  @rfc7:reliability @rfc7:recover-worker-network
  Scenario: One named link partitioned, then healed
    Given 2 workers serving "echo" that take 10 ms per job
    And 1 client
    When each client starts submitting 60 jobs to "echo", 2 at a time
    And the link "worker-1->broker" is partitioned for 3 liveness periods
    Then every call ends in a reply or a definite failure
    And no call is stuck
    And the history shows no anomaly the "at-least-once" profile forbids

  @rfc7:heartbeating
  Scenario: Every link throttled to a trickle
    Given 2 workers serving "echo"
    And clients that wait 1500 ms for a reply
    And 2 clients
    When every link is limited to 2 KB/s
    And each client submits 10 jobs to "echo", 1 at a time
    And the links heal
    Then every job is answered exactly once
    And the history shows no anomaly the "at-least-once" profile forbids

  @rfc7:heartbeating @rfc7:reliability @rfc7:recover-worker-network
  Scenario: Worker connections that close after a few hundred bytes
    Given 2 workers serving "echo"
    And 2 clients
    When every connection of the workers closes after 400 bytes
    And each client submits 20 jobs to "echo", 2 at a time
    And the links heal
    Then every call ends in a reply or a definite failure
    And no call is stuck
    And the history shows no anomaly the "at-least-once" profile forbids

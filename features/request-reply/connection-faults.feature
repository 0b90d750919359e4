@at-least-once @rfc7 @faults @links @connections
Feature: Connection faults: refused, hung and half-open connections
  Faults on connections rather than bytes, from the keelhaul fault proxy's extension toxics: new
  connections refused while open ones keep working, new connections accepted and never served,
  and an open connection that goes silent in one direction. Each fault counts the connections it
  acted on; a fault that acted on none leaves the scenario INCONCLUSIVE. They need the built-in
  fault proxy: a real Toxiproxy (TOXIPROXY_URL) has no such toxics.

  Background:
    Given a fault proxy with keelhaul's connection toxics
    And a broker

  @rfc7:reliability @rfc7:recover-worker-crash-or-freeze @rfc7:worker-restarts-conversation
  Scenario: New worker connections are refused through a worker restart, while open ones keep working
    Given 3 workers serving "echo" that take 20 ms per job
    And 2 clients
    When each client starts submitting 60 jobs to "echo", 2 at a time
    And new connections from the workers are refused while a worker that holds a job crashes and restarts, for 8 liveness periods
    Then the other workers kept running jobs on their open connections meanwhile
    And the jobs the fault hit were answered
    And the workload finishes
    When each client submits 30 more jobs to "echo", 3 at a time
    Then the faulted worker has run jobs since the fault healed
    And no call is stuck
    And the history shows no anomaly the "at-least-once" profile forbids

  @rfc7:reliability @rfc7:recover-client-network @rfc7:client-recovery
  Scenario: A client whose connection goes silent retries on new sockets that hang, and gets through after the heal
    Given 2 workers serving "echo" that take 5 ms per job
    And 2 clients
    When each client starts submitting 60 jobs to "echo", 2 at a time
    And "client-1" stops hearing the broker on its open connection, and its new connections hang, for 1200 ms
    Then every call ends in a reply or a definite failure
    And no call is stuck
    And the history shows no anomaly the "at-least-once" profile forbids

  @rfc7:heartbeating @rfc7:worker-liveness @rfc7:broker-liveness @rfc7:recover-worker-network
  Scenario: A half-open link: a worker that no longer hears the broker reconnects, and the broker's liveness recovers its job
    Given 3 workers serving "echo" that take 30 ms per job
    And 2 clients
    When each client starts submitting 40 jobs to "echo", 2 at a time
    And a worker that holds a job stops hearing the broker on its open connection for 6 liveness periods
    Then the jobs the fault hit were answered
    And the workload finishes
    When each client submits 30 more jobs to "echo", 3 at a time
    Then the faulted worker has run jobs since the fault healed
    And no call is stuck
    And the history shows no anomaly the "at-least-once" profile forbids

@at-least-once @rfc7 @faults
Feature: Worker crashes and freezes
  A 7/MDP broker hears from its workers every heartbeat. A worker that dies or falls silent
  for its liveness is removed, and the request it held goes to another worker. (A KHX/1 broker
  first gives a silent KHX/1 worker the result grace to hand in a result it may have finished;
  either way the job is answered.)

  @containers @rfc7:heartbeating @rfc7:reliability @rfc7:recover-worker-crash-or-freeze
  Scenario: A worker killed while it holds a job
    Given a broker
    And 3 workers serving "echo" that take 30 ms per job
    And 2 clients
    When each client starts submitting 40 jobs to "echo", 2 at a time
    And a worker is killed while it holds a job
    Then every job is answered exactly once
    And the jobs the fault hit were completed by other workers
    And no call is stuck
    And the history shows no anomaly the "at-least-once" profile forbids

  @containers @rfc7:heartbeating @rfc7:reliability @rfc7:recover-worker-crash-or-freeze @rfc7:broker-liveness
  Scenario: A worker frozen longer than its liveness is replaced, then serves again
    Given a broker
    And 3 workers serving "echo" that take 30 ms per job
    And 3 clients
    When each client starts submitting 30 jobs to "echo", 2 at a time
    And a worker that holds a job is frozen for 4 liveness periods
    Then the jobs the fault hit were answered
    And the workload finishes
    When each client submits 30 more jobs to "echo", 3 at a time
    Then the frozen worker has run jobs since it resumed
    And no call is stuck
    And the history shows no anomaly the "at-least-once" profile forbids

  @message-triggered @rfc7:heartbeating @rfc7:reliability @rfc7:recover-worker-crash-or-freeze @rfc7:broker-liveness
  Scenario: A worker frozen the moment it receives its 3rd job is replaced, then serves again
    # Triggered: the 3rd REQUEST to worker-1 is held, the worker frozen, then the REQUEST forwarded:
    # it waits in the frozen worker's socket while the broker takes the worker for dead.
    Given a broker
    And 3 workers serving "echo" that take 30 ms per job
    And 3 clients
    When each client starts submitting 30 jobs to "echo", 2 at a time
    And "worker-1" is frozen for 4 liveness periods when it receives its 3rd job
    Then the jobs the fault hit were answered
    And the workload finishes
    When each client submits 30 more jobs to "echo", 3 at a time
    Then the frozen worker has run jobs since it resumed
    And no call is stuck
    And the history shows no anomaly the "at-least-once" profile forbids

  @containers @rfc7:heartbeating @rfc7:reliability @rfc7:recover-worker-network @rfc7:broker-liveness @rfc7:worker-liveness @rfc7:worker-restarts-conversation
  Scenario: A worker cut off from the network while it holds a job is replaced, then serves again
    # In the docker runtime the worker's container leaves the network (docker network disconnect);
    # in the process runtime every link of the worker is partitioned at the fault proxy.
    Given a broker
    And 3 workers serving "echo" that take 30 ms per job
    And 2 clients
    When each client starts submitting 30 jobs to "echo", 2 at a time
    And a worker that holds a job is cut off from the network for 4 liveness periods
    Then the jobs the fault hit were answered
    And the workload finishes
    When each client submits 30 more jobs to "echo", 2 at a time
    Then the faulted worker has run jobs since the fault healed
    And no call is stuck
    And the history shows no anomaly the "at-least-once" profile forbids

  @rfc7:resend-to-other-workers @rfc7:broker-liveness @rfc7:recover-worker-crash-or-freeze
  Scenario: A worker killed while it holds a job, with clients that never retry: the broker re-sends the job
    # One attempt per call, and a reply timeout longer than the recovery bound: no client retry can
    # bring the job back, so it is answered only if the broker re-queues the dead worker's request.
    Given a broker
    And clients that try each call once and wait longer than the recovery bound
    And 3 workers serving "echo" that take 30 ms per job
    And 2 clients
    When each client starts submitting 20 jobs to "echo", 2 at a time
    And a worker is killed while it holds a job
    Then the broker re-sent the jobs the fault hit to other workers within the recovery bound
    And every job is answered exactly once
    And no call is stuck
    And the history shows no anomaly the "at-least-once" profile forbids

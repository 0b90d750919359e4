@control @khc1
Feature: Draining and stopping workers, and heartbeats that carry state and instructions
  KHC/1 workers tell the broker on every heartbeat what they run and which results they keep; the
  broker answers with the instructions that reconcile the two (drop what is recorded, re-send what it
  still waits for, kill what was killed, drain). An operator can drain a worker (it finishes its job
  and takes no more) or stop it (drain, then leave): nothing is re-queued that should not be, nothing
  runs twice.

  @khc1:drain
  Scenario: A worker drained under load finishes its job and takes no more
    Given a broker
    And 3 workers serving "echo" that take 50 ms per job
    And 2 clients
    When each client starts submitting 40 jobs to "echo", 3 at a time
    And "worker-1" is drained once it holds a job
    Then the workload finishes
    And "worker-1" started no job after it acknowledged the drain
    And every job is answered exactly once
    And no job ran more than once
    And the history shows no anomaly the "exactly-once" profile forbids

  @khc1:stop
  Scenario: A worker stopped under load finishes its job, leaves, and nothing it did runs again
    Given a broker
    And 3 workers serving "echo" that take 50 ms per job
    And 2 clients
    When each client starts submitting 40 jobs to "echo", 3 at a time
    And "worker-1" is stopped through the broker once it holds a job
    Then the workload finishes
    And "worker-1" exited by itself with status 0
    And every job is answered exactly once
    And no job ran more than once
    And the history shows no anomaly the "exactly-once" profile forbids

  @links @khc1:inventory @khc1:instructions-idempotent
  Scenario: A worker cut off with a kept result is reconciled by its inventory after the heal
    Given a broker
    And 3 workers serving "echo" that take 100 ms per job
    And 2 clients
    When each client starts submitting 20 jobs to "echo", 2 at a time
    And a worker that holds a job is partitioned from the broker, finishes it cut off, and stays cut off for 3 liveness periods in all
    Then every job is answered exactly once
    And no job ran more than once
    And no call is stuck
    And the history shows no anomaly the "exactly-once" profile forbids

  @messages @khc1:instructions-idempotent @khc1:kill-repeated
  Scenario: A KILL instruction that reaches the worker twice is applied once
    Given a broker
    And 2 workers serving "echo" that take 100 ms per job
    And 1 client
    When the client starts submitting 1 job to "echo" that takes 4000 ms
    And every CONTROL on the links of the worker running that job reaches it twice, and the client kills the job
    Then the message fault affected at least 1 message
    And the kill is answered "killed"
    And the worker that ran the killed job reported it killed once
    And the history shows no anomaly the "control" profile forbids

  @messages @khc1:kill-repeated
  Scenario: A KILL instruction lost on its way to the worker is sent again
    Given a broker
    And 2 workers serving "echo" that take 100 ms per job
    And 1 client
    When the client starts submitting 1 job to "echo" that takes 1500 ms
    And the first CONTROL to the worker running that job is lost, and the client kills the job
    Then the message fault affected at least 1 message
    And the workload finishes
    And the history shows no anomaly the "control" profile forbids
    And the kill is answered "killed"
    And the killed job's call failed "killed"
    And the worker that ran the killed job reported it killed

  @messages @khc1:kill-repeated
  Scenario: A lost acknowledgement of a kill: the broker repeats the KILL until one comes
    Given a broker
    And 2 workers serving "echo" that take 100 ms per job
    And 1 client
    When the client starts submitting 1 job to "echo" that takes 4000 ms
    And the first CONTROL-ACK from the worker running that job is lost, and the client kills the job
    Then the message fault affected at least 1 message
    And the kill is answered "killed"
    And the history shows no anomaly the "control" profile forbids

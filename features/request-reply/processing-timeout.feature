@processing-timeout @exactly-once @khx1:processing-timeout
Feature: A worker that heartbeats but never finishes its job loses it to another worker
  Liveness by heartbeat sees only silent workers: a worker stuck on one job (a deadlock, a hung call,
  an overloaded host) heartbeats on and holds its job for ever. With a processing timeout per service
  the broker takes the job back from a worker that holds it too long, disables that worker (no new
  job until it reports done), and has the job run by another (the `retry` class). A KHC/1 worker is
  told to kill the job first, and the job runs elsewhere only once the worker confirmed its handler
  stopped before committing: exactly once (docs/protocol.md, KHX/1 broker rule 9).

  @khc1 @khx1:processing-timeout @khx1:processing-timeout-kill @khx1:processing-timeout-disables
  Scenario: A busy worker is stuck on a job: it is killed there and answered once by another worker
    Given a broker with a processing timeout of 600 ms
    And 2 workers serving "echo" that take 20 ms per job
    And 1 busy worker serving "echo"
    And 2 clients
    When each client starts submitting 20 jobs to "echo", 3 at a time
    Then the workload finishes
    And the job the busy worker was stuck on was answered by another worker within the processing timeout and the recovery bound
    And the busy worker started no other job until it reported that job killed
    And every job is answered exactly once
    And no job ran more than once
    And the history shows no anomaly the "exactly-once" profile forbids

  @khc1 @khx1:processing-timeout-kill
  Scenario: A slow worker never finishes within the timeout: every job it takes runs once, elsewhere
    Given a broker with a processing timeout of 600 ms
    And 2 workers serving "echo" that take 100 ms per job
    And 1 slow worker serving "echo" whose 100 ms jobs take 10 times as long
    And 2 clients
    When each client starts submitting 15 jobs to "echo", 3 at a time
    Then the workload finishes
    And every job the slow worker started was killed and committed by another worker
    And every job is answered exactly once
    And no job ran more than once
    And the history shows no anomaly the "exactly-once" profile forbids

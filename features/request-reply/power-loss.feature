@exactly-once @khx1 @faults @power-loss
Feature: Power loss: what the broker acknowledged survives a power cut, not only a crash
  A SIGKILL loses nothing a process wrote: the page cache survives it. So no crash can tell a broker
  that syncs its journal before it acknowledges from one that only writes it. A power cut can: here
  the broker is killed and everything it wrote under its state folder without making it durable
  (fsync, fdatasync, O_DSYNC; for a new file or a rename, an fsync of its folder) is destroyed
  before it starts again (docs/power-loss.md). Jobs it had accepted (202) or recorded (200) must
  still be there: each answered once, none run twice.

  @containers @khx1:accept-before-dispatch @khx1:record-before-reply @khx1:restart @khx1:same-job-id
  Scenario: The broker loses its unsynced writes while workers hold jobs
    Given nodes whose unsynced writes the harness can destroy
    And a broker
    And 3 workers serving "echo" that take 200 ms per job
    And 2 clients
    When each client starts submitting 12 jobs to "echo", 3 at a time
    And the broker loses its unsynced writes while a worker holds a job, and restarts 300 ms later
    Then every job is answered exactly once
    And no job ran more than once
    And no call is stuck
    And the history shows no anomaly the "exactly-once" profile forbids

  # The client hears nothing from the broker from the moment one of its jobs starts until after the
  # power cut, so the broker has recorded that job's result and nobody has had it: the client's retry
  # must be answered from the journal, and the job must not run again.
  @khx1:record-before-reply @khx1:retries-from-table @khx1:same-job-id @khx1:restart
  Scenario: The broker loses its unsynced writes after recording a result its client has not heard of
    Given nodes whose unsynced writes the harness can destroy
    And a broker
    And 2 workers serving "echo" that take 100 ms per job
    And 2 clients
    When each client starts submitting 20 jobs to "echo", 2 at a time
    And the broker loses its unsynced writes after recording a job of "client-1" that the client has not heard of, and restarts 300 ms later
    Then every job is answered exactly once
    And no job ran more than once
    And no call is stuck
    And the history shows no anomaly the "exactly-once" profile forbids

@exactly-once @khx1 @faults
Feature: Exactly-once jobs through broker crashes, partitions and lost replies
  With KHX/1 (docs/protocol.md) every job carries an id its client keeps across retries. The broker
  journals a job before any worker sees it and its result before any client hears of it; a worker
  keeps its result until the broker says it is recorded. So a crash at any moment, a worker cut off
  with a finished job, or a reply lost on its way back runs no job twice and loses none.

  @containers @khx1:accept-before-dispatch @khx1:restart @khx1:same-job-id
  Scenario: The broker is killed between accepting jobs and dispatching them
    # Two slow workers take two jobs; the other six are accepted and wait in the broker's queue.
    Given a broker
    And 2 workers serving "echo" that take 300 ms per job
    And 2 clients
    When each client starts submitting 4 jobs to "echo", 4 at a time
    And the broker is killed once every worker is busy and more calls wait, and restarted 300 ms later
    Then every job is answered exactly once
    And no job ran more than once
    And no call is stuck
    And the history shows no anomaly the "exactly-once" profile forbids

  @khx1:restart @khx1:same-job-id @khx1:keep-until-recorded
  Scenario Outline: The broker is stopped gracefully by <how> while workers hold jobs, and started again
    # Not a crash: a supervisor's stop, as in a rolling upgrade. What the broker accepted comes back with
    # it from its journal; a worker that finished a job meanwhile hands the result in to the new one.
    Given a broker
    And 3 workers serving "echo" that take 100 ms per job
    And 2 clients
    When each client starts submitting 20 jobs to "echo", 2 at a time
    And the broker is stopped gracefully by <how> while a worker holds a job, and started again 300 ms later
    Then every job is answered exactly once
    And the node stopped gracefully exited by itself within its grace
    And no job ran more than once
    And no call is stuck
    And the history shows no anomaly the "exactly-once" profile forbids

    Examples:
      | how               |
      | SIGTERM           |
      | closing its stdin |

  @message-triggered @khx1:result-grace @khx1:worker-keeps-result @khx1:worker-declares @khx1:hand-in-after-welcome @khx1:keep-until-recorded
  Scenario: The broker is killed between dispatching a job and receiving its result
    # Triggered: the broker dies right after a REQUEST leaves it; the worker gets the job from a dead broker.
    Given a broker
    And 3 workers serving "echo" that take 200 ms per job
    And 2 clients
    When each client starts submitting 12 jobs to "echo", 3 at a time
    And the broker is killed right after it dispatches a job to a worker, which still gets it, and restarted 300 ms later
    Then every job is answered exactly once
    And no job ran more than once
    And no call is stuck
    And the history shows no anomaly the "exactly-once" profile forbids

  @message-triggered @khx1:record-before-reply @khx1:retries-from-table @khx1:same-job-id
  Scenario: The broker is killed between a job's result and its reply
    # Triggered: the broker dies right after a client's reply leaves it, and that reply never arrives.
    Given a broker
    And 3 workers serving "echo" that take 20 ms per job
    And 3 clients
    When each client starts submitting 60 jobs to "echo", 3 at a time
    And the broker is killed right after it sends a client the reply to a job of "echo", which never arrives, and restarted 200 ms later
    Then the jobs the fault hit were answered
    And every job is answered exactly once
    And no job ran more than once
    And no call is stuck
    And the history shows no anomaly the "exactly-once" profile forbids

  @message-triggered @khx1:keep-until-recorded @khx1:hand-in-after-welcome @khx1:record-before-reply
  Scenario: The broker is killed right after it sends RECORDED for a job, which never reaches the worker
    # The worker never hears its result was recorded: it keeps it and hands it in again after the
    # restart, and the broker must answer from its record, not run the job again.
    Given a broker
    And 3 workers serving "echo" that take 20 ms per job
    And 2 clients
    When each client starts submitting 40 jobs to "echo", 2 at a time
    And the broker is killed right after it sends RECORDED for a job, which never reaches the worker, and restarted 200 ms later
    Then the jobs the fault hit were answered
    And every job is answered exactly once
    And no job ran more than once
    And no call is stuck
    And the history shows no anomaly the "exactly-once" profile forbids

  @message-triggered @links @khx1:retries-from-table @khx1:same-job-id
  Scenario: A client cut off the moment its first retry of a job leaves gets the recorded result after the heal
    # The job's reply is lost, so the client retries it; the retry is held, the client's links go
    # silent, and the retry is lost in the partition. After the heal a further retry must get the result.
    Given a broker
    And 2 workers serving "echo" that take 50 ms per job
    And 2 clients
    When each client starts submitting 20 jobs to "echo", 2 at a time
    And "client-1" is partitioned from the broker for 4 liveness periods when its first retry of a job leaves
    Then the jobs the fault hit were answered
    And every job is answered exactly once
    And no job ran more than once
    And no call is stuck
    And the history shows no anomaly the "exactly-once" profile forbids

  @links @khx1:worker-keeps-result @khx1:result-grace @khx1:hand-in-after-welcome @khx1:keep-until-recorded
  Scenario: A worker cut off from the broker after finishing a job hands the result in after the heal
    Given a broker
    And 3 workers serving "echo" that take 100 ms per job
    And 2 clients
    When each client starts submitting 20 jobs to "echo", 2 at a time
    And a worker that holds a job is partitioned from the broker, finishes it cut off, and stays cut off for 3 liveness periods in all
    Then the jobs the fault hit were answered
    And every job is answered exactly once
    And no job ran more than once
    And no call is stuck
    And the history shows no anomaly the "exactly-once" profile forbids

  @links @khx1:retries-from-table @khx1:same-job-id
  Scenario: A client whose replies are lost retries the same jobs and gets the recorded results
    Given a broker
    And 2 workers serving "echo" that take 50 ms per job
    And 2 clients
    When each client starts submitting 40 jobs to "echo", 2 at a time
    And "client-1" hears nothing from the broker for 1000 ms from the moment a worker starts one of its jobs
    Then every job is answered exactly once
    And no job ran more than once
    And no call is stuck
    And the history shows no anomaly the "exactly-once" profile forbids

  @khx1:restart @khx1:accept-before-dispatch @khx1:same-job-id
  Scenario: The broker is restarted twice in a row
    Given a broker
    And 3 workers serving "echo" that take 5 ms per job
    And 4 clients
    When each client starts submitting 100 jobs to "echo", 2 at a time
    And the broker is killed mid-run and restarted 300 ms later
    And the broker is killed again as soon as it is back, and restarted 300 ms later
    Then every job is answered exactly once
    And no job ran more than once
    When each client submits 30 more jobs to "echo", 3 at a time
    Then every worker has run jobs since the broker restarted
    And no call is stuck
    And the history shows no anomaly the "exactly-once" profile forbids

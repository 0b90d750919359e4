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

  @khx1:result-grace @khx1:worker-keeps-result @khx1:worker-declares @khx1:hand-in-after-welcome @khx1:keep-until-recorded
  Scenario: The broker is killed between dispatching a job and receiving its result
    Given a broker
    And 3 workers serving "echo" that take 200 ms per job
    And 2 clients
    When each client starts submitting 12 jobs to "echo", 3 at a time
    And the broker is killed while a worker holds a job, and restarted 300 ms later
    Then every job is answered exactly once
    And no job ran more than once
    And no call is stuck
    And the history shows no anomaly the "exactly-once" profile forbids

  @khx1:record-before-reply @khx1:retries-from-table @khx1:same-job-id
  Scenario: The broker is killed between a job's result and its reply
    Given a broker
    And 3 workers serving "echo" that take 20 ms per job
    And 3 clients
    When each client starts submitting 60 jobs to "echo", 3 at a time
    And the broker is killed the moment a worker finishes a job, and restarted 200 ms later
    Then every job is answered exactly once
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

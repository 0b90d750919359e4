@control @khc1
Feature: Killing a job: one definite answer, agreed by broker, worker and client, through faults
  KHC/1 (docs/protocol.md, "Control") lets a client ask the broker to kill a job by its id. The broker
  answers definitely: `killed` (the job will never run or complete, and its client's call fails
  `killed`), `finished` (too late: the recorded result stands) or `unknown`. A queued job is removed at
  once; a running job's worker is told over its own connection, again on every heartbeat until it
  acknowledges; the kill is journaled, so it survives a broker crash. Celery's revoke, by contrast, is
  broadcast, in memory and unacknowledged: a revoked task can still run.

  @khc1:kill-queued @khc1:killed-fails-call
  Scenario: A queued job is killed before any worker takes it
    Given a broker
    And 1 worker serving "echo" that take 1500 ms per job
    And 1 client
    When each client starts submitting 3 jobs to "echo", 3 at a time
    And the client kills a job that is waiting in the queue
    Then the kill is answered "killed"
    And the killed job's call failed "killed"
    And the killed job never ran
    And every other job is answered exactly once
    And the history shows no anomaly the "control" profile forbids
    And the history shows no anomaly the "exactly-once" profile forbids

  @khc1:kill-running @khc1:kill-repeated @khc1:killed-fails-call
  Scenario: A running job is killed: its handler stops and never commits
    Given a broker
    And 2 workers serving "echo" that take 100 ms per job
    And 1 client
    When the client starts submitting 1 job to "echo" that takes 4000 ms
    And the client kills that job once a worker runs it
    Then the kill is answered "killed"
    And the killed job's call failed "killed"
    And the worker that ran the killed job reported it killed
    And the history shows no anomaly the "control" profile forbids

  @khc1:kill-cannot-stop
  Scenario: A job whose handler cannot be stopped finishes, and the kill says so
    Given a broker
    And 1 worker serving "echo" that take 100 ms per job
    And 1 client
    When the client starts submitting 1 unstoppable job to "echo" that takes 1500 ms
    And the client kills that job once a worker runs it
    Then the kill is answered "finished"
    And every job is answered exactly once
    And the history shows no anomaly the "control" profile forbids

  @khc1:kill-race @khc1:first-outcome-wins
  Scenario: Kills racing completion: each job has exactly one outcome, agreed by everyone
    Given a broker
    And 3 workers serving "echo" that take 30 ms per job
    And 2 clients
    When each client starts submitting 40 jobs to "echo", 3 at a time
    And the clients kill 12 jobs, each the moment a worker finishes one
    Then every kill is answered definitely
    And every call ends in a reply or a definite failure
    And no job ran more than once
    And the history shows no anomaly the "control" profile forbids

  @links @khc1:kill-repeated @khc1:worker-lease @khc1:kill-fenced
  Scenario: A job is killed while its worker is cut off: the kill lands after the heal, or the job never runs again
    Given a broker
    And 2 workers serving "echo" that take 100 ms per job
    And 1 client
    When the client starts submitting 1 job to "echo" that takes 6000 ms
    And the worker running that job is cut off from the broker for 2 liveness periods, and the client kills the job meanwhile
    Then every kill is answered definitely
    And the killed job never ran again
    And the history shows no anomaly the "control" profile forbids

  @containers @message-triggered @khc1:kill-journaled @khc1:kill-after-restart
  Scenario: A job is killed and the broker is killed right after: the kill survives the restart
    # Triggered: the broker dies the moment its CONTROL KILL leaves for the worker, and that KILL is
    # lost; only the kill it journaled before sending can reach the worker after the restart.
    Given a broker
    And 2 workers serving "echo" that take 100 ms per job
    And 1 client
    When the client starts submitting 1 job to "echo" that takes 6000 ms
    And the client kills that job once a worker runs it, and the broker is killed right after it sends the worker the KILL, which never arrives, and restarted 300 ms later
    Then every kill is answered definitely
    And the killed job's call ended without a reply
    And the history shows no anomaly the "control" profile forbids

  @khc1:kill-lost-worker @khc1:worker-lease
  Scenario: The worker running a killed job dies: the kill is answered once the result grace has passed
    Given a broker
    And 2 workers serving "echo" that take 100 ms per job
    And 1 client
    When the client starts submitting 1 job to "echo" that takes 6000 ms
    And the worker running that job is killed and the client kills the job
    Then the kill is answered "killed"
    And the killed job never ran again
    And the history shows no anomaly the "control" profile forbids

  @khc1:kill-unknown
  Scenario: Killing a job id the broker never saw is answered "unknown"
    Given a broker
    And 1 worker serving "echo" that take 10 ms per job
    And 1 client
    When each client submits 3 jobs to "echo", 1 at a time
    And the client kills job "never-submitted"
    Then the kill is answered "unknown"
    And the history shows no anomaly the "control" profile forbids

  @storm @khc1:kill-journaled @khc1:kill-repeated @khc1:kill-fenced @khc1:worker-lease
  Scenario: A storm of kills mixed with broker and worker crashes, from a printed seed
    Given a broker
    And 3 workers serving "echo" that take 40 ms per job
    And 4 clients
    When the clients submit at least 400 jobs to "echo", 3 at a time each, killing 40 of them at random, through a crash storm of 3 broker crashes, 2 worker crashes and 2 worker freezes over 10 seconds
    Then at least 400 jobs were submitted
    And every kill is answered definitely
    And every call ends in a reply or a definite failure
    And the checker counts every anomaly and finds none the "control" profile forbids
    And the checker counts every anomaly and finds none the "exactly-once" profile forbids

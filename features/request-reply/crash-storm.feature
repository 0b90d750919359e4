@exactly-once @khx1 @faults @storm
Feature: A crash storm
  Jepsen-style: clients keep submitting jobs while the broker is killed (SIGKILL) and restarted
  again and again, and workers are killed and frozen, at moments drawn from a seed the run prints.
  KEELHAUL_SEED=<seed> replays the same schedule. The checker counts every anomaly; under
  exactly-once none may appear, except a re-run of a job whose worker was killed or frozen before
  its result was recorded, which the checker shows with the fault that explains it.

  @khx1:restart @khx1:result-grace @khx1:worker-keeps-result @khx1:same-job-id @khx1:hand-in-after-welcome @khx1:keep-until-recorded
  Scenario: 8 clients, 2000 jobs, 10 broker crashes, workers killed and frozen
    # Patient clients: a job can be caught by two crashes in a row, each costing a restart and the result grace.
    Given clients that try each call up to 20 times
    And a broker
    And 4 workers serving "echo"
    And 8 clients
    When the clients submit at least 2000 jobs to "echo", 4 at a time each, through a crash storm of 10 broker crashes, 5 worker crashes and 5 worker freezes over 20 seconds
    Then the broker was crashed and restarted at least 10 times
    And at least 2000 jobs were submitted
    And every job is answered exactly once
    And no call is stuck
    And the checker counts every anomaly and finds none the "exactly-once" profile forbids

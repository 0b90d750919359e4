@mdp @rfc7
Feature: Heartbeats go on while a worker is busy
  7/MDP heartbeats run both ways whatever a worker is doing: the broker keeps heartbeating a worker
  that holds a request, and the worker keeps heartbeating while its handler runs. Jobs longer than
  several liveness periods then run once each, on the worker that took them, and nobody is taken for
  dead. A broker or worker that stays silent while busy makes its peer give up on it mid-job.

  @rfc7:heartbeating @rfc7:broker-heartbeats @rfc7:worker-heartbeats
  Scenario: Jobs longer than several liveness periods run once each
    Given a broker
    And clients that wait 20 liveness periods for a reply
    And 2 workers serving "echo" whose jobs take 4 liveness periods
    And 1 client
    When each client submits 6 jobs to "echo", 2 at a time
    Then every job is answered exactly once
    And no job ran more than once
    And no call is stuck
    And the history shows no anomaly the "mdp" profile forbids

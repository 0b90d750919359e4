@mdp @rfc7
Feature: Heartbeats go on while a worker is busy
  7/MDP heartbeats run both ways whatever a worker is doing: the broker keeps heartbeating a worker
  that holds a request, and the worker keeps heartbeating while its handler runs. Jobs longer than
  several liveness periods then run once each, on the worker that took them, and nobody is taken for
  dead. A broker or worker that stays silent while busy makes its peer give up on it mid-job. The
  second scenario times the broker's half alone, with a stand-in worker of the harness that holds a
  request; the worker's half is timed against the harness's stand-in broker
  (features/request-reply/worker-conformance.feature).

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

  @rfc7:broker-heartbeats @rfc7:one-client-address
  Scenario: The broker heartbeats a worker all the while it holds a request
    Given a broker
    When a stand-in worker for "long-job" takes a stand-in client's request and holds it for 3 liveness periods, heartbeating, before it replies
    Then the broker heartbeated the stand-in worker at its interval all the while it held the request
    And the stand-in client got the stand-in worker's reply

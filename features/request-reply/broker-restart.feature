@at-least-once @rfc7 @faults
Feature: Broker crash and restart
  A 7/MDP broker may keep its queues in memory, so a crash can lose the requests it held (the
  reference broker journals them: see exactly-once.feature). Workers notice the silence and
  register again; clients retry on new sockets, so every call still ends within its bound, with
  a reply or a definite failure.

  @rfc7:heartbeating @rfc7:reliability @rfc7:recover-broker-restart @rfc7:worker-restarts-conversation @rfc7:client-recovery
  Scenario: The broker is killed and restarted mid-run
    Given a broker
    And 3 workers serving "echo" that take 5 ms per job
    And 4 clients
    When each client starts submitting 100 jobs to "echo", 2 at a time
    And the broker is killed mid-run and restarted 300 ms later
    Then every call ends in a reply or a definite failure
    When each client submits 30 more jobs to "echo", 3 at a time
    Then every worker has run jobs since the broker restarted
    And no call is stuck
    And the history shows no anomaly the "at-least-once" profile forbids

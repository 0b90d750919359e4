@faults @links @messages
Feature: Faults on single messages between clients, broker and workers
  The fault proxy reads the ZMTP stream of each link (NULL mechanism) and can drop, duplicate,
  delay or reorder single messages matched by their 7/MDP or KHX/1 fields, where byte-level faults
  can only hit everything on a link. Each fault says how many messages it matched and affected: one
  that affected none leaves the scenario INCONCLUSIVE, never PASS.

  Background:
    Given a broker

  @at-least-once @rfc7 @rfc7:heartbeating @rfc7:broker-liveness @rfc7:worker-liveness
  Scenario: Heartbeats alone are lost while jobs still flow: no worker is taken for dead, no job is lost
    Given 2 workers serving "echo" that take 10 ms per job
    And 2 clients
    When each client starts submitting 60 jobs to "echo", 2 at a time
    And every heartbeat on the workers' links is lost for 4 liveness periods
    Then the message fault affected at least 2 messages
    And the workload finishes
    And every job is answered exactly once
    And no call is stuck
    And the history shows no anomaly the "at-least-once" profile forbids

  @exactly-once @khx1 @khx1:record-before-reply
  Scenario: A REPLY duplicated on its way to the broker reaches the client once
    Given 2 workers serving "echo" that take 20 ms per job
    And 2 clients
    When each client starts submitting 20 jobs to "echo", 2 at a time
    And the REPLY for a job a worker holds reaches the broker twice
    Then the message fault affected at least 1 message
    And the workload finishes
    And every job is answered exactly once
    And no job ran more than once
    And the history shows no anomaly the "exactly-once" profile forbids

  @exactly-once @khx1 @khx1:keep-until-recorded
  Scenario: A RECORDED lost on its way to the worker: the job is answered once and runs once
    Given 2 workers serving "echo" that take 50 ms per job
    And 2 clients
    When each client starts submitting 20 jobs to "echo", 2 at a time
    And the RECORDED for a job a worker holds is lost on its way to that worker
    Then the message fault affected at least 1 message
    And the workload finishes
    And every job is answered exactly once
    And no job ran more than once
    And the history shows no anomaly the "exactly-once" profile forbids

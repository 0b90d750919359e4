@retry-classes @retry-policy @khx1:service-classes
Feature: Each class of service keeps its own promise through broker crashes, freezes, busy workers and partitions
  A real system mixes three answers to a server's loss, per class of message (seed 001): wait and
  retry (`retry`), give up at once and say so (`give-up`), or guarantee nothing (`best-effort`). The
  scenario declares each service's class and the clients' retry policy (docs/protocol.md, KHX/1 rule
  10); the harness records the declaration in the history (`service-policy`) and the retry-policy
  checker judges every call by it from what the clients and workers reported (docs/checkers.md,
  "Retry policy"): attempts within the bound, each backoff within its ceiling and spread as the
  declared jitter says, no retry without budget, a give-up call ended within F and its job never
  started after that, a best-effort sender never blocked and never told of a success.

  @khx1:retry-class
  Scenario: Retried calls ride out broker freezes with capped, fully jittered backoff
    Given a broker whose services are declared "echo=retry"
    And clients that wait 150 ms for a reply
    And clients that retry by the policy "attempts=10,initial=40,multiplier=2,cap=400,jitter=full"
    And 2 workers serving "echo" that take 5 ms per job
    And 6 clients
    When each client starts submitting 150 jobs to "echo", 4 at a time
    And the broker is frozen for 1500 ms while calls are open, 2 times
    Then the workload finishes
    And the clients retried at least 100 times
    And no job ran more than once
    And the history shows no anomaly the "retry-policy" profile forbids
    And the history shows no anomaly the "exactly-once" profile forbids

  # A retry budget sheds load by design: once a client's tokens are spent, its waiting calls end
  # `info` (the job may have run, as it did here) instead of retrying. That is the policy's trade, so
  # this scenario is judged by the retry-policy profile and "no job ran more than once", not by the
  # exactly-once profile's "every executed job is answered".
  @khx1:retry-class
  Scenario: Retried calls ride out broker crashes with equal jitter and a retry budget
    Given a broker whose services are declared "echo=retry"
    And clients that wait 150 ms for a reply
    And clients that retry by the policy "attempts=10,initial=40,multiplier=2,cap=400,jitter=equal,budget=40:1"
    And 2 workers serving "echo" that take 5 ms per job
    And 6 clients
    When each client starts submitting 150 jobs to "echo", 4 at a time
    And the broker is killed while calls are open and restarted 1000 ms later, 2 times
    Then the workload finishes
    And the clients retried at least 100 times
    And no job ran more than once
    And the history shows no anomaly the "retry-policy" profile forbids

  @khx1:retry-class
  Scenario: A client cut off from the broker retries within its policy, and every job runs once
    Given a broker whose services are declared "echo=retry"
    And clients that wait 150 ms for a reply
    And clients that retry by the policy "attempts=10,initial=40,multiplier=2,cap=400,jitter=full"
    And 2 workers serving "echo" that take 5 ms per job
    And 2 clients
    When each client starts submitting 30 jobs to "echo", 4 at a time
    And "client-1" is partitioned from the broker for 1500 ms while it has calls open
    Then the workload finishes
    And no job ran more than once
    And the history shows no anomaly the "exactly-once" profile forbids

  @khx1:give-up-class @kht1
  Scenario: Give-up calls end within F when the broker freezes, and their jobs never start afterwards
    Given a broker whose services are declared "step=give-up:600"
    And 2 workers serving "step" that take 5 ms per job
    And 4 clients
    When each client starts submitting 20 jobs to "step", 3 at a time
    And the broker is frozen for 1500 ms while calls are open, 1 time
    Then the workload finishes
    And the history shows no anomaly the "retry-policy" profile forbids
    And some calls to "step" gave up
    And no job ran more than once

  @khx1:give-up-class @kht1
  Scenario: Give-up calls end within F when the broker crashes, and their jobs never start afterwards
    Given a broker whose services are declared "step=give-up:600"
    And 2 workers serving "step" that take 5 ms per job
    And 4 clients
    When each client starts submitting 20 jobs to "step", 3 at a time
    And the broker is killed while calls are open and restarted 1200 ms later, 1 time
    Then the workload finishes
    And the history shows no anomaly the "retry-policy" profile forbids
    And some calls to "step" gave up
    And no job ran more than once

  @khx1:give-up-class @khx1:service-classes @kht1 @processing-timeout
  Scenario: A give-up job stuck on a busy worker is failed, never run again elsewhere
    Given a broker whose services are declared "step=give-up:1500", with a processing timeout of 400 ms
    And 2 workers serving "step" that take 20 ms per job
    And 1 busy worker serving "step"
    And 2 clients
    When each client starts submitting 15 jobs to "step", 3 at a time
    Then the workload finishes
    And the history shows no anomaly the "retry-policy" profile forbids
    And some calls to "step" gave up
    And no job ran more than once

  @khx1:give-up-class @kht1
  Scenario: Give-up calls of a client cut off from the broker end within F, and their jobs never start afterwards
    Given a broker whose services are declared "step=give-up:600"
    And 2 workers serving "step" that take 5 ms per job
    And 2 clients
    When each client starts submitting 20 jobs to "step", 3 at a time
    And "client-1" is partitioned from the broker for 1500 ms while it has calls open
    Then the workload finishes
    And the history shows no anomaly the "retry-policy" profile forbids
    And some calls to "step" gave up
    And no job ran more than once

  @khx1:best-effort-class
  Scenario: A best-effort sender never blocks while its broker is down, and never hears of a success
    Given a broker whose services are declared "log=best-effort"
    And 2 workers serving "log" that take 1 ms per job
    And 2 clients
    When each client starts submitting 1500 jobs to "log", 2 at a time
    And the broker is killed while the clients send and restarted 1500 ms later
    Then the workload finishes
    And best-effort messages to "log" were sent and some ran on a worker
    And the history shows no anomaly the "retry-policy" profile forbids

  @khx1:best-effort-class
  Scenario: A best-effort sender never blocks while its broker is frozen
    Given a broker whose services are declared "log=best-effort"
    And 2 workers serving "log" that take 1 ms per job
    And 2 clients
    When each client starts submitting 1500 jobs to "log", 2 at a time
    And the broker is frozen for 1500 ms while the clients send
    Then the workload finishes
    And best-effort messages to "log" were sent and some ran on a worker
    And the history shows no anomaly the "retry-policy" profile forbids

  @khx1:best-effort-class
  Scenario: A best-effort sender cut off from its broker never blocks
    Given a broker whose services are declared "log=best-effort"
    And 2 workers serving "log" that take 1 ms per job
    And 2 clients
    When each client starts submitting 1500 jobs to "log", 2 at a time
    And "client-1" is partitioned from the broker for 1500 ms while the clients send
    Then the workload finishes
    And best-effort messages to "log" were sent and some ran on a worker
    And the history shows no anomaly the "retry-policy" profile forbids

  @khx1:best-effort-class @khx1:service-classes @processing-timeout
  Scenario: A best-effort message stuck on a busy worker costs nothing but itself
    Given a broker whose services are declared "log=best-effort", with a processing timeout of 400 ms
    And 2 workers serving "log" that take 1 ms per job
    And 1 busy worker serving "log"
    And 2 clients
    When each client starts submitting 1500 jobs to "log", 2 at a time
    Then the workload finishes
    And best-effort messages to "log" were sent and some ran on a worker
    And the history shows no anomaly the "retry-policy" profile forbids

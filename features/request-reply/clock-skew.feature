@at-least-once @rfc7 @faults @clock-skew
Feature: A node's wall clock jumps or runs fast
  Wall-clock time is not a timer: NTP steps it, a virtual machine's clock drifts. A node that times
  heartbeats, liveness or expiry on the wall clock expires live workers or waiting requests when its
  clock jumps; one that uses a monotonic clock does not notice. These scenarios start every node
  with libfaketime (docs/clock-skew.md) and move the broker's wall clock only: its monotonic clock
  keeps real time. They need Debian's faketime package and the process runtime.

  Background:
    Given nodes whose wall clocks the harness can skew
    And a broker

  @rfc7:heartbeating @rfc7:broker-liveness
  Scenario: The broker's wall clock jumps 30 s ahead while jobs are in flight
    Given 3 workers serving "echo" that take 20 ms per job
    And 2 clients
    When each client starts submitting 60 jobs to "echo", 2 at a time
    And the broker's wall clock jumps 30000 ms ahead for 8 liveness periods while a worker holds a job
    Then every job is answered exactly once
    And no job ran more than once
    And no call is stuck
    And the history shows no anomaly the "at-least-once" profile forbids

  @rfc7:heartbeating @rfc7:broker-liveness
  Scenario: The broker's wall clock runs 10 times as fast while jobs are in flight
    Given 3 workers serving "echo" that take 20 ms per job
    And 2 clients
    When each client starts submitting 60 jobs to "echo", 2 at a time
    And the broker's wall clock runs 10 times as fast for 8 liveness periods while a worker holds a job
    Then every job is answered exactly once
    And no job ran more than once
    And no call is stuck
    And the history shows no anomaly the "at-least-once" profile forbids

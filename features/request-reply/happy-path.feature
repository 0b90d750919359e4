@at-least-once @rfc7
Feature: Reliable request-reply through a Majordomo broker
  Clients send jobs through a 7/MDP broker to a pool of workers. With nothing failing,
  every job is answered exactly once.

  @containers @smoke @rfc7:request-reply
  Scenario: Every job is answered once when nothing fails
    Given a broker
    And 3 workers serving "echo"
    And 4 clients
    When each client submits 200 jobs to "echo", 4 at a time
    Then every job is answered exactly once
    And no call is stuck
    And the history shows no anomaly the "at-least-once" profile forbids

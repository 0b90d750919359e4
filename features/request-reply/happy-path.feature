@at-least-once @rfc7
Feature: Reliable request-reply through a Majordomo broker
  Clients send jobs through a 7/MDP broker to a pool of workers. With nothing failing,
  every job is answered exactly once.

  @containers @smoke @rfc7:request-reply
  @rfc7:route-by-service @rfc7:broker-router @rfc7:one-or-two-sockets @rfc7:dispatch-any-basis @rfc7:many-workers-per-service
  @rfc7:client-request-frames @rfc7:client-reply-frames @rfc7:client-dealer @rfc7:client-empty-frame
  @rfc7:ready-opens @rfc7:ready-frames @rfc7:request-frames @rfc7:reply-frames @rfc7:one-client-address @rfc7:empty-after-address @rfc7:assume-registered
  Scenario: Every job is answered once when nothing fails
    Given a broker
    And 3 workers serving "echo"
    And 4 clients
    When each client submits 200 jobs to "echo", 4 at a time
    Then every job is answered exactly once
    And no call is stuck
    And the history shows no anomaly the "at-least-once" profile forbids

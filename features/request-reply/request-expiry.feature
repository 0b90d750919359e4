@mdp @rfc7
Feature: Requests for a service nobody serves wait, but not forever
  A 7/MDP broker queues a request for a service no worker has registered, and expires it after a
  configurable time (the manifest's requestExpiry). A worker that registers within that time gets
  the request; one that registers later never does. The requests here come from a stand-in client
  of the harness, because a client that asks 8/MMI first never sends them.

  @rfc7:queue-unserved
  Scenario: A request for a service with no workers goes to the first worker that registers for it
    Given a broker
    When a stand-in client sends a request to "latecomer", which no worker serves
    And 1 worker serving "latecomer"
    Then a worker runs the stand-in client's request within 2 liveness periods

  @rfc7:expire-unserved
  Scenario: A request for a service with no workers expires and never reaches a worker that registers later
    Given a broker
    When a stand-in client sends a request to "latecomer", which no worker serves
    And the broker's request expiry has passed
    And 1 worker serving "latecomer"
    Then no worker runs the stand-in client's request within 2 liveness periods

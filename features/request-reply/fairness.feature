@mdp @rfc7
Feature: The broker serves clients on a fair basis
  7/MDP: "The broker SHOULD serve clients on a fair basis". One client floods a service whose one
  worker is slow, a second client sends one request, and the first sends more: the second client's
  request must not be overtaken by requests the first sent after it. The clients are stand-ins of the
  harness, so they can send many requests on one connection at once.

  @rfc7:fair-to-clients
  Scenario: A client's request is not overtaken by another client's later requests
    Given a broker
    And 1 worker serving "fair" that takes 20 ms per job
    When a stand-in client sends 8 requests to "fair" at once, then a second stand-in client sends 1, then the first sends 8 more
    Then the second client's request ran before every request the first sent after it

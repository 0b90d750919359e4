@mdp @rfc7
Feature: The broker serves clients on a fair basis
  7/MDP: "The broker SHOULD serve clients on a fair basis". One client floods a service whose one
  worker is slow, a second client sends one request, and the first sends more: the second client's
  request must not be overtaken by requests the first sent after it. The clients are stand-ins of the
  harness, so they can send many requests on one connection at once.

  A broker MAY pick its worker on any basis, but one that leaves requests queued while workers of
  their service sit idle starves them: the checker's `idle-worker-bypassed`, a quality rule rather
  than a rule of the RFC, so its FAIL names the anomaly and no clause.

  @rfc7:fair-to-clients
  Scenario: A client's request is not overtaken by another client's later requests
    Given a broker
    And 1 worker serving "fair" that takes 20 ms per job
    When a stand-in client sends 8 requests to "fair" at once, then a second stand-in client sends 1, then the first sends 8 more
    Then the second client's request ran before every request the first sent after it

  @rfc7:dispatch-any-basis @rfc7:many-workers-per-service
  Scenario: A broker with idle workers to spare leaves no request queued beside them
    Given a broker
    And 4 workers serving "echo" whose jobs take 1 liveness periods
    And 4 clients
    When each client starts submitting 3 jobs to "echo", 1 at a time
    Then the workload finishes
    And no call is stuck
    And the history shows no anomaly the "mdp" profile forbids

@rfc7
Feature: A client speaks 7/MDP and KHX/1 to its broker as the specs say
  The client under test connects to a stand-in broker of the harness (harness/probe/stand-in-broker.ts)
  through its manifest's `{{broker}}`: a scripted ROUTER that records every request with its
  connection's routing id and answers 8/MMI (`mmi.service` 200 for every service; `mmi.khx` 200 as a
  KHX/1 broker, 501 as a plain one) and jobs as its script says. Every verdict is about the client,
  and names the clause it broke.

  @exactly-once @khx1:client-asks-mmi-khx
  Scenario: A KHX/1 client asks mmi.khx before its first job
    Given a KHX/1 stand-in broker that answers every job
    And 1 client
    When each client submits 3 jobs to "echo", 1 at a time
    Then the client asked mmi.khx before its first job
    And every call ended ok

  @exactly-once @khx1:plain-broker-fallback
  Scenario: A KHX/1 client whose broker answers mmi.khx 501 sends plain 7/MDP requests
    Given a stand-in broker that answers every job after 0 ms
    And 1 client
    When each client submits 3 jobs to "echo", 1 at a time
    Then the client's jobs went out as plain 7/MDP requests
    And every call ended ok

  @mdp @rfc7:client-req-socket
  Scenario: A client keeps one request at a time on each connection, as a REQ socket does
    Given a stand-in broker that answers every job after 20 ms
    And 1 client
    When each client submits 12 jobs to "echo", 4 at a time
    Then each client connection carried one request at a time
    And every call ended ok

  @at-least-once @khx1:out-of-attempts-indefinite
  Scenario: A client whose broker never answers ends each call indefinite after its attempts, never as a definite failure
    Given a KHX/1 stand-in broker that never answers a job
    And 1 client
    When each client submits 2 jobs to "echo", 2 at a time
    Then every call ended indefinite, none definite

@exactly-once @khx1
Feature: A KHX/1 broker keeps the rules only stand-in peers can provoke
  Some KHX/1 broker rules need a peer to do what no node under test is asked to do: give a job back
  with DISCONNECT, submit a job nobody will ever serve, or speak plain 7/MDP beside KHX/1 peers. The
  harness plays those peers itself (harness/probe/khx-broker-probe.ts) against the broker under test;
  every verdict names the clause (docs/protocol.md, KHX/1).

  @khx1:given-back-requeued
  Scenario: A job a KHX/1 worker gives back with DISCONNECT goes to another worker at once, with no result grace
    Given a broker
    When a stand-in KHX/1 worker for "give-back" takes a job from a stand-in KHX/1 client
    And 1 worker serving "give-back"
    And the stand-in worker gives the job back with DISCONNECT
    Then another worker runs the given-back job within 2 liveness periods, inside the result grace
    And the stand-in client gets the result of the job's run on another worker

  @khx1:expiry
  Scenario: A KHX/1 job no worker ever took is answered 410 after the request expiry, and never runs
    Given a broker
    When a stand-in KHX/1 client sends a job to "latecomer-khx", which no worker serves
    Then the stand-in client is answered 410 once the request expiry has passed, and so is a retry of the job
    When 1 worker serving "latecomer-khx"
    Then no worker runs the stand-in client's request within 2 liveness periods

  @khx1:plain-client-served @khx1:plain-worker-served
  Scenario: A plain 7/MDP client is served by a plain 7/MDP worker through a KHX/1 broker, which sends the worker nothing of KHX/1
    Given a broker
    When a plain stand-in worker and a plain stand-in client meet on "plain"
    Then the plain client was served through the plain worker, which heard nothing but 7/MDP

  @khx1:retention
  Scenario: A completed KHX/1 job is answered from its record within the retention, and is a new job after it
    Given a broker that remembers completed jobs for 1500 ms
    And 1 worker serving "kept"
    When a stand-in KHX/1 client's job to "kept" is answered 200
    Then a retry of the job within the retention is answered 200 without running it again
    When the retention has passed
    Then a retry of the job runs it again, as a new job

  @processing-timeout @khx1:processing-timeout-plain
  Scenario: The job of a KHX/1-only worker that heartbeats but never answers is re-queued at the processing timeout
    Given a broker with a processing timeout of 600 ms
    When a stand-in KHX/1 worker for "stuck" takes a job from a stand-in KHX/1 client
    And 1 worker serving "stuck"
    Then another worker runs the stuck job within the processing timeout and a liveness period
    And the stand-in client gets the result of the job's run on another worker

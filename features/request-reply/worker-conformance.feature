@rfc7
Feature: A worker speaks 7/MDP to its broker as the RFC says
  The worker under test connects to a stand-in broker of the harness (harness/probe/stand-in-broker.ts)
  through its manifest's `{{broker}}`: a scripted ROUTER that records every message with its
  connection's routing id, heartbeats as told, sends REQUESTs and DISCONNECT when a step says so,
  and answers the KHX/1 READY with the welcome when it plays a KHX/1 broker. No broker under test is
  involved: every verdict is about the worker, and names the clause it broke.

  @mdp @rfc7:ready-opens @rfc7:no-further-ready @rfc7:heartbeat-frames @rfc7:worker-one-dealer
  Scenario: A worker registers once per connection, heartbeats in well-formed frames, and holds one connection at a time
    Given a stand-in broker that heartbeats its workers
    And 1 worker serving "echo"
    When the stand-in broker sends the worker 5 requests, one at a time, and listens for 3 liveness periods
    Then the worker opened each connection with READY and sent no further READY on it
    And every message the worker sent was well-formed 7/MDP
    And the worker held one connection at a time

  @mdp @khx1:khx-worker-on-plain-broker
  Scenario: A worker whose broker never sends the KHX/1 welcome serves as a plain 7/MDP worker
    Given a stand-in broker that heartbeats its workers
    And 1 worker serving "echo"
    When the stand-in broker sends the worker 5 requests, one at a time, and listens for 1 liveness periods
    Then the worker answered each request once, on its connection, echoing its address

  @mdp @rfc7:worker-quiet-after-disconnect @rfc7:worker-reconnect-on-disconnect
  Scenario: A worker told DISCONNECT says nothing more on that connection, and registers again on a new one
    Given a stand-in broker that heartbeats its workers
    And 1 worker serving "echo"
    When the stand-in broker sends the worker DISCONNECT and listens for 3 liveness periods
    Then the worker sent nothing more on that connection
    And the worker registered again on a new connection within 2 liveness periods

  @mdp @rfc7:worker-liveness
  Scenario: A worker whose broker falls silent takes it for disconnected and registers again on a new connection
    Given a stand-in broker that heartbeats its workers
    And 1 worker serving "echo"
    When the stand-in broker falls silent and listens for 4 liveness periods
    Then the worker took its silent broker for disconnected and registered again on a new connection

  @mdp @rfc7:any-command-is-heartbeat @rfc7:no-redundant-heartbeats
  Scenario: A worker kept busy with REQUESTs and no HEARTBEATs stays, and sends no HEARTBEAT while it replies
    Given a stand-in broker that heartbeats its workers
    And 1 worker serving "echo"
    When the stand-in broker stops heartbeating and keeps the worker busy with requests for 3 liveness periods
    Then the worker kept its connection all along
    And the worker sent no HEARTBEAT while it sent REPLYs

  @mdp @rfc7:worker-heartbeats
  Scenario: A worker heartbeats all the while its handler runs a job several liveness periods long
    Given a stand-in broker that heartbeats its workers
    And 1 worker serving "echo" whose jobs take 3 liveness periods
    When the stand-in broker sends the worker a request and waits up to 6 liveness periods for its reply
    Then the worker heartbeated at its interval all the while its handler ran

  @exactly-once @khx1:answer-repeat-from-kept
  Scenario: A KHX/1 worker sent the same job twice before RECORDED runs it once and answers both with its result
    Given a KHX/1 stand-in broker that heartbeats its workers
    And 1 worker serving "echo"
    When the stand-in broker sends the worker the same job twice without RECORDED
    Then the worker ran the job once and answered both REQUESTs with the same result

  @exactly-once @khx1:disconnect-gives-back
  Scenario: A KHX/1 worker stopped gracefully while it runs a job sends DISCONNECT before its REPLY only for a job it did not run
    Given a KHX/1 stand-in broker that heartbeats its workers
    And 1 worker serving "echo" that takes 100 ms per job
    When the worker is stopped gracefully while it runs a job from the stand-in broker
    Then a DISCONNECT the worker sent before its REPLY means it did not run the job

  # A KHR/1 worker is what a replicated broker's manifest describes (roles.broker.replicas), so this runs
  # with the @failover scenarios; no cluster is started, the stand-in broker takes its place.
  @replicated-exactly-once @failover @khr1:worker-declares-khr
  Scenario: A KHR/1 worker declares KHR/1 last in READY, after KHX/1, its instance id, KHC/1 and KHT/1
    Given a KHX/1 stand-in broker that heartbeats its workers
    And workers and clients that speak KHR/1
    And 1 worker serving "echo"
    When the stand-in broker sends the worker 2 requests, one at a time, and listens for 1 liveness periods
    Then the worker declared KHR/1 as the last READY extension, after KHX/1, its instance id, KHC/1 and KHT/1
    And the worker answered each request once, on its connection, echoing its address

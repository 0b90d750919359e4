@degrading
Feature: KHR/1 degrades cleanly between peers and brokers that do not all speak it
  KHR/1 (docs/protocol.md, "Degrading") extends KHX/1: a single broker answers `mmi.khr` with `501` and
  its KHR/1 clients and workers speak KHX/1 to it; a cluster serves clients and workers that speak only
  KHX/1 from its leader, as KHX/1 (no term, no redirect), while a follower drops their requests and
  DISCONNECTs such a worker. The harness asks the peers for KHR/1, or for KHX/1 only, through the
  manifest's `{{khr}}` (docs/manifest.md); a peer that ignores it is judged as what it is.

  @exactly-once @khr1:degrades
  Scenario: KHR/1 clients and workers of a single broker speak KHX/1 to it, through a broker crash
    Given workers and clients that speak KHR/1
    And a broker
    And 2 workers serving "echo" that take 20 ms per job
    And 2 clients
    When each client starts submitting 40 jobs to "echo", 2 at a time
    Then the KHR/1 clients get answers from the single broker, and none of their calls fails definitely
    When the broker is killed mid-run and restarted 300 ms later
    Then the broker answers "mmi.khr" about "KHR/1" with "501"
    And every job is answered exactly once
    And no job ran more than once
    And no call is stuck
    And the history shows no anomaly the "exactly-once" profile forbids

  # No term is reported (the peers speak none), so the history is judged for exactly-once, not by the
  # replicated profile's term checks. The follower listed first turns every peer away: the clients
  # time out there (their 8/MMI questions are answered 503) and the workers are DISCONNECTed.
  @replicated-exactly-once @failover @khr1:degrades
  Scenario: KHX/1-only clients and workers of a cluster are served by the leader, and a follower listed first turns them away
    Given clients that try each call up to 20 times
    And a broker cluster
    And workers and clients that speak KHX/1 but not KHR/1, listing a follower first
    And 3 workers serving "echo" that take 20 ms per job, which a follower sends on to the leader
    And 2 clients
    When each client submits 30 jobs to "echo", 2 at a time
    Then every job is answered exactly once
    And no job ran more than once
    And no call is stuck

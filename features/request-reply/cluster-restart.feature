@replicated-exactly-once @failover @faults @cluster-restart
Feature: A replicated broker restarted one replica at a time, and an old leader that comes back
  Operators restart a cluster one broker at a time (an upgrade, a new configuration), and a broker that
  led before its crash comes back with its data while another one leads. zguide's Binary Star had a
  primary that, restarted while its backup was active, became a second master (zguide#172). The cluster
  (KHR/1, docs/protocol.md) must keep every job answered once through both, judged from what the
  clients and workers saw: no acknowledged job lost, none run twice by two leaders (dual-dispatch), no
  answer from a deposed leader after a newer one (stale-leader-reply).

  @khr1:commit-before-ack @khr1:failover @khr1:follower-never-dispatches @khr1:follower-refuses
  Scenario: Every broker is restarted in turn under load
    # A failover and a new leader's result grace for the jobs it inherits outlast 8 attempts at a low time scale,
    # and attempts refused at once by a restarting broker (a few ms each) used up 20 in 5 s once in CI.
    Given clients that try each call up to 40 times
    And a broker cluster
    And 3 workers serving "echo" that take 20 ms per job
    And 2 clients
    When the clients keep submitting jobs to "echo", 2 at a time each, while every broker is restarted in turn
    Then every job is answered exactly once
    And no call is stuck
    And the history shows no anomaly the "replicated-exactly-once" profile forbids, with a failover bound of 10000 ms

  @containers @khr1:commit-before-ack @khr1:failover @khr1:follower-never-dispatches @khr1:client-fencing @khr1:worker-fencing
  Scenario: A leader restarted while a new leader serves comes back as a follower, not a second master
    # A failover and a new leader's result grace for the jobs it inherits outlast 8 attempts at a low time scale,
    # and attempts refused at once by a restarting broker (a few ms each) used up 20 in 5 s once in CI.
    Given clients that try each call up to 40 times
    And a broker cluster
    And 3 workers serving "echo" that take 20 ms per job
    And 2 clients that list the leader first
    When the clients keep submitting jobs to "echo", 2 at a time each, while the leader is killed and restarted with its data once a new leader has answered
    Then the old leader comes back as a follower of the new one
    And every job is answered exactly once
    And no call is stuck
    And the history shows no anomaly the "replicated-exactly-once" profile forbids, with a failover bound of 10000 ms

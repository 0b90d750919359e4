@replicated-exactly-once @failover @faults
Feature: A replicated broker fails over without losing or repeating a job
  A broker replicated over three nodes (KHR/1, docs/protocol.md) accepts a job only once a majority
  has it, stamps every dispatch and answer with its term, and fences what a deposed leader still
  says. The harness aims its faults at whichever replica leads when they strike (asking every replica
  `mmi.khr`), partitions the cluster in shapes around the leader, and judges the run from what the
  clients and workers saw: no acknowledged job lost, none run twice by two leaders at once
  (dual-dispatch), no answer from a deposed leader after a newer one (stale-leader-reply), and a new
  answer within the failover bound after the leader is lost (failover-slow).
  Clients try each call up to 20 times: a failover, and then the new leader's result grace for the
  jobs it inherits, outlast the default 8 attempts at a low time scale.

  @containers @khr1:commit-before-ack @khr1:serving-leader-only @khr1:read-index @khr1:new-leader-grace @khr1:client-failover @khr1:worker-failover
  @khr1:mmi-khr @khr1:term-to-workers @khr1:client-reports-term @khr1:worker-reports-term
  Scenario: The leader is killed under load
    Given clients that try each call up to 20 times
    And a broker cluster
    And 3 workers serving "echo" that take 20 ms per job
    And 2 clients
    When each client starts submitting 60 jobs to "echo", 2 at a time
    And the leader is killed
    Then every job is answered exactly once
    And no call is stuck
    And the history shows no anomaly the "replicated-exactly-once" profile forbids, with a failover bound of 10000 ms

  # Secure replication (docs/replication.md): every replica holds the cluster's key, which the policy
  # names as each replica's; the replication links are CURVE between replica keys only, and workers and
  # clients are CURVE peers of that key with the rights the table gives them.
  @khr1:commit-before-ack @khr1:serving-leader-only @khr1:client-failover @khr1:worker-failover
  Scenario: The leader of a secure cluster is killed under load
    Given a secure run with the policy:
      | principal | register | call |
      | worker-1  | echo     |      |
      | worker-2  | echo     |      |
      | worker-3  | echo     |      |
      | client-1  |          | echo |
      | client-2  |          | echo |
    And clients that try each call up to 20 times
    And a broker cluster
    And 3 workers serving "echo" that take 20 ms per job
    And 2 clients
    When each client starts submitting 60 jobs to "echo", 2 at a time
    And the leader is killed
    Then every job is answered exactly once
    And no call is stuck
    And the history shows no anomaly the "replicated-exactly-once" profile forbids, with a failover bound of 10000 ms

  @khr1:commit-before-ack @khr1:follower-never-dispatches @khr1:new-leader-grace @khr1:client-failover @khr1:worker-failover
  Scenario: The leader is killed and comes back as a follower
    Given clients that try each call up to 20 times
    And a broker cluster
    And 3 workers serving "echo" that take 20 ms per job
    And 2 clients
    When each client starts submitting 60 jobs to "echo", 2 at a time
    And the leader is killed and restarted 500 ms later
    Then every job is answered exactly once
    And no call is stuck
    And the history shows no anomaly the "replicated-exactly-once" profile forbids, with a failover bound of 10000 ms

  @khr1:client-fencing @khr1:worker-fencing @khr1:follower-never-dispatches @khr1:deposed-stops @khr1:term-to-workers @khr1:client-failover @khr1:worker-failover
  Scenario: The leader is frozen past the election timeout and resumed: the stale leader must not dispatch or answer
    Given clients that try each call up to 20 times
    And a broker cluster
    And 3 workers serving "echo" that take 20 ms per job
    And 2 clients
    When each client starts submitting 60 jobs to "echo", 2 at a time
    And the leader is frozen for 3000 ms
    Then every job is answered exactly once
    And no call is stuck
    And the history shows no anomaly the "replicated-exactly-once" profile forbids, with a failover bound of 10000 ms

  @khr1:commit-before-ack @khr1:follower-refuses @khr1:client-fencing @khr1:worker-fencing @khr1:deposed-stops @khr1:client-failover @khr1:worker-failover
  Scenario Outline: The cluster is partitioned <shape> under load
    # Shorter than the clients' whole retry window: a client on the minority side reaches a leader again before it gives up.
    Given clients that try each call up to 20 times
    And a broker cluster
    And 3 workers serving "echo" that take 20 ms per job
    And 2 clients
    When each client starts submitting 60 jobs to "echo", 2 at a time
    And the cluster is partitioned "<shape>" for 1500 ms
    Then every job is answered exactly once
    And no call is stuck
    And the history shows no anomaly the "replicated-exactly-once" profile forbids, with a failover bound of 10000 ms

    Examples:
      | shape           |
      | leader-isolated |
      | bridge          |
      | random-halves   |

  @khr1:commit-before-ack @khr1:follower-refuses @khr1:client-failover @khr1:worker-failover
  Scenario: Five brokers in a majorities ring: each sees a majority, no two the same one
    # Every broker can win an election with the majority it sees, and each new leader deposes a neighbour.
    Given clients that try each call up to 20 times
    And a cluster of 5 brokers
    And 3 workers serving "echo" that take 20 ms per job
    And 2 clients
    When each client starts submitting 60 jobs to "echo", 2 at a time
    And the cluster is partitioned "majorities-ring" for 1500 ms
    Then every job is answered exactly once
    And no call is stuck
    And the history shows no anomaly the "replicated-exactly-once" profile forbids, with a failover bound of 10000 ms

  @containers @khr1:commit-before-ack @khr1:deposed-stops @khr1:new-leader-grace @khr1:client-failover @khr1:worker-failover
  Scenario: The leader is cut off from the other brokers but not from its clients and workers
    # It can commit nothing more, yet it still hears every client and worker until it steps down (check
    # quorum): whatever it acknowledged or dispatched meanwhile, the new leader must know of. The jobs are
    # shorter than an election timeout: one dispatched just before the cut ends before the leader steps
    # down, so no run is abandoned at its commit point (which dual-dispatch would take for one going on).
    # The load outlasts the leader's step-down (within two election timeouts of the cut): jobs are in
    # flight when it steps down, which is when a leader that acknowledged what it never committed is found.
    Given clients that try each call up to 20 times
    And a broker cluster
    And 3 workers serving "echo" that take 100 ms per job
    And 2 clients
    When each client starts submitting 60 jobs to "echo", 2 at a time
    And the cluster is partitioned "leader-cut-from-peers" for 3000 ms
    Then every job is answered exactly once
    And no call is stuck
    And the history shows no anomaly the "replicated-exactly-once" profile forbids, with a failover bound of 10000 ms

  @khr1:client-fencing @khr1:worker-fencing @khr1:deposed-stops @khr1:client-failover @khr1:worker-failover
  Scenario: A deposed leader reached while the new one is cut off from the clients and workers is refused
    # Frozen past the election timeout, the leader loses its clients and workers to the new leader, whose
    # term they learn. Then every client and worker is cut off from every broker but the resumed old
    # leader (the brokers still reach each other): whatever a deposed leader still says carries its old
    # term, and they must refuse it (a reply of a lower term never reaches the application, nor does a
    # deposed leader's word that a service has no workers; a worker leaves a broker whose term is lower
    # than one it has seen). The deposed leader is all they reach, whatever the order of their endpoints.
    # A call may live through the freeze and the cut, fenced by the deposed leader and timing out at the
    # others, attempt after attempt: the clients try each call up to 40 times.
    Given clients that try each call up to 40 times
    And a broker cluster
    And 3 workers serving "echo" that take 20 ms per job
    And 2 clients
    When the clients keep submitting jobs to "echo", 2 at a time each, while the leader is frozen for 3000 ms and then the cluster is partitioned "clients-reach-only-deposed" for 1500 ms
    # The history is judged before the answers are counted: it names what a deposed leader's words did
    # (stale-leader-reply, dual-dispatch), where the count would only say that some jobs went unanswered.
    Then the workload finishes
    And the history shows no anomaly the "replicated-exactly-once" profile forbids, with a failover bound of 10000 ms
    And every job is answered exactly once
    And no call is stuck

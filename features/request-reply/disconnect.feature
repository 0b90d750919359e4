@mdp @rfc7
Feature: A worker that says DISCONNECT is gone at once
  A 7/MDP worker may send DISCONNECT at any time. The broker then sends it no further command: no
  HEARTBEAT, and no request, which waits for another worker instead. A worker silent past its
  liveness is gone too: a command from it earns DISCONNECT, and then nothing more. The workers in
  the first two scenarios are stand-ins of the harness, so they can listen on after leaving.

  @rfc7:worker-disconnect-anytime @rfc7:quiet-after-worker-disconnect @rfc7:stop-sending-to-dead-worker @rfc7:heartbeat-frames
  Scenario: A worker's DISCONNECT: the broker sends it nothing more, and its requests wait for another worker
    Given a broker
    When a stand-in worker for "goodbye" sends DISCONNECT, and then a stand-in client sends a request to "goodbye"
    Then the broker sent the stand-in worker nothing after its DISCONNECT
    When 1 worker serving "goodbye"
    Then a worker runs the stand-in client's request within 2 liveness periods

  @rfc7:worker-disconnect-anytime @rfc7:quiet-after-worker-disconnect
  Scenario Outline: A worker stopped gracefully by <how> while it holds a job: nothing is lost, nothing runs twice
    # A graceful stop, not a kill: the worker may finish its job and say DISCONNECT (the reference
    # worker does both), or give the job back; either way every call is answered once.
    Given a broker
    And 2 workers serving "echo" that take 60 ms per job
    And 2 clients
    When each client starts submitting 20 jobs to "echo", 2 at a time
    And a worker that holds a job is stopped gracefully by <how>
    Then every job is answered exactly once
    And the node stopped gracefully exited by itself within its grace
    And no job ran more than once
    And no call is stuck
    And the history shows no anomaly the "mdp" profile forbids

    Examples:
      | how               |
      | SIGTERM           |
      | closing its stdin |

  @rfc7:broker-liveness @rfc7:stop-sending-to-dead-worker @rfc7:disconnect-unexpected @rfc7:quiet-after-broker-disconnect @rfc7:disconnect-frames
  Scenario: A worker silent past its liveness is gone: its HEARTBEAT earns DISCONNECT, and its requests wait for another worker
    Given a broker
    When a stand-in worker for "hush" falls silent past its liveness, then sends a HEARTBEAT, and a stand-in client sends a request to "hush"
    Then the broker answered the silent stand-in worker with DISCONNECT and then sent it nothing
    When 1 worker serving "hush"
    Then a worker runs the stand-in client's request within 2 liveness periods

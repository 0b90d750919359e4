@mdp @rfc7
Feature: A worker that says DISCONNECT is gone at once
  A 7/MDP worker may send DISCONNECT at any time. The broker then sends it no further command: no
  HEARTBEAT, and no request, which waits for another worker instead. The worker here is a stand-in of
  the harness, so it can listen on after its DISCONNECT.

  @rfc7:worker-disconnect-anytime @rfc7:quiet-after-worker-disconnect @rfc7:stop-sending-to-dead-worker
  Scenario: A worker's DISCONNECT: the broker sends it nothing more, and its requests wait for another worker
    Given a broker
    When a stand-in worker for "goodbye" sends DISCONNECT, and then a stand-in client sends a request to "goodbye"
    Then the broker sent the stand-in worker nothing after its DISCONNECT
    When 1 worker serving "goodbye"
    Then a worker runs the stand-in client's request within 2 liveness periods

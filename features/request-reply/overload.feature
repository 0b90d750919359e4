@overload @retry-policy
Feature: Overload that recovers
  Clients that keep offering jobs at a fixed rate (an open loop) do not slow down when the system does.
  Offered twice what the workers can do while the broker is killed and restarted, the calls that time
  out are retried, and retries are how a short fault becomes a lasting overload (a metastable failure:
  Bronson et al., HotOS'21; Huang et al., OSDI'22). With jittered backoff and a retry budget (gRPC A6)
  the system comes back: within a few seconds of the restart, some second holds answers at half the
  workers' capacity or more (issue #19 item 5, docs/checkers.md "goodput-not-recovered"). Each client
  keeps at most a bounded number of calls open; a job offered beyond it is shed and counted, never
  silently lost.

  @khx1:retry-class
  Scenario: Offered twice the workers' capacity while the broker is down for seconds, goodput comes back
    # 2 workers of 40 ms jobs: 50 jobs/s. 4 clients offering 25 jobs/s each: 100 jobs/s. At most 9 calls
    # open per client: the broker's queue holds at most about 720 ms of work, less than the 1000 ms a
    # client waits, so the overload sheds jobs at the clients instead of timing calls out. The calls open
    # when the broker is killed (about 24: after 20 answers the queue is still filling) time out and are
    # retried, jittered and within each client's budget (9 calls of at most 8 failed attempts each stay
    # above half of 160 tokens): about 6 retries each over the 6 s outage, enough (>= 100) for the
    # retry-policy checks to judge their spread. New calls meanwhile mostly wait in the client's 8/MMI
    # service check, which reports no attempts.
    Given overload declared with the classes "echo=retry" and the retry policy "attempts=8,initial=100,multiplier=2,cap=800,jitter=full,budget=160:0.5"
    And clients that wait 1000 ms for a reply
    And a broker
    And overload declared with 2 workers serving "echo" whose jobs take 40 ms, stretched by the time scale
    And overload declared for "echo": goodput back to 50% of its workers' capacity within 3000 ms of the last fault
    And 4 clients
    When each client offers 25 jobs per second to "echo" for 14000 ms, at most 9 at a time
    And the broker is killed mid-run and restarted 6000 ms later
    Then goodput recovers as declared
    And no job ran more than once
    And the history shows no anomaly the "retry-policy" profile forbids

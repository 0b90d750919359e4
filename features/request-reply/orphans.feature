@orphans @exactly-once
Feature: Orphans are dropped, recorded and counted, never delivered as answers
  A reply that arrives after the attempt it answers was given up has nobody waiting for it: the client
  must drop it, never take it for the answer to a later attempt or call (that would be a stale or a
  duplicate reply). The reference client watches a given-up attempt's socket for a bounded time, so it
  can see such replies: each is logged and reported, and the history records it as an `orphan` event,
  which the report counts and no checker judges (issue #19, docs/drivers.md "Orphans").

  @khx1:same-job-id @khx1:retries-from-table
  Scenario: A reply to a given-up attempt is dropped as an orphan, and the retry gets the recorded result
    # An attempt gives up after 400 ms, each job takes 600 ms, and the retry comes 500-1000 ms after the
    # attempt gave up (all scaled alike), so every result arrives at the first attempt's socket in between:
    # an orphan. The retry (the same KHX/1 job id) is answered from the broker's record: every job runs
    # and is answered once.
    Given a broker
    And clients that wait 400 ms for a reply
    And clients that try each call up to 2 times
    And clients that back off 1000 ms before a retry
    And 2 workers serving "echo" whose jobs take 1.5 times the clients' reply timeout
    And 1 client
    When each client submits 6 jobs to "echo", 2 at a time
    Then every job is answered exactly once
    And no job ran more than once
    And the history shows no anomaly the "exactly-once" profile forbids
    And every reply to a given-up attempt was dropped by its client as an orphan, never delivered

@pubsub @khp1 @pubsub-exactly-once @faults @storm
Feature: A pub/sub crash storm
  Publishers keep putting messages while the proxy is killed (SIGKILL) and restarted again and
  again, and subscribers are killed and frozen, at moments drawn from a seed the run prints.
  KEELHAUL_SEED=<seed> replays the same schedule. Every subscriber must still get each message it
  is owed exactly once, in each publisher's order.

  @khp1:restart @khp1:retransmission @khp1:sessions @khp1:delivery @khp1:dedup @khp1:same-message-id @khp1:hello-with-positions @khp1:in-order-delivery
  Scenario: 2 publishers, 3 subscribers on overlapping topics, 6 proxy crashes, subscribers killed and frozen
    Given a pub/sub proxy
    And 3 subscribers
    And "subscriber-1" subscribes to "news"
    And "subscriber-2" subscribes to "sports"
    And "subscriber-3" subscribes to "news, sports"
    And 2 publishers
    When each publisher puts round-robin on "news, sports" until at least 600 messages are accepted, through a crash storm of 6 proxy crashes, 3 subscriber crashes and 3 subscriber freezes over 12 seconds
    Then the pub/sub proxy was crashed and restarted at least 6 times
    And at least 600 messages were accepted
    And every subscriber gets each message it is owed exactly once, in each publisher's order
    And the pub/sub checker counts every anomaly, and every count is zero

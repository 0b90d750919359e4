@pubsub @khp1 @pubsub-exactly-once @faults @links @messages
Feature: Reordered deliveries to a durable subscriber
  The fault proxy reads the ZMTP stream of the subscriber's link and swaps its DELIVERs in pairs.
  A KHP/1 subscriber queues only the next sequence and drops a gap, which the proxy sends again, so
  the application still gets each message once and in order.

  @khp1:in-order-delivery @khp1:delivery
  Scenario: DELIVERs of a topic arrive swapped in pairs: each message is still delivered once, in order
    Given a pub/sub proxy
    And 2 subscribers
    And "subscriber-1" subscribes to "news"
    And "subscriber-2" subscribes to "news"
    And 1 publisher
    When each publisher starts putting 60 messages round-robin on "news"
    And the DELIVERs of "news" to "subscriber-1" are swapped in pairs for 4 liveness periods
    Then the message fault affected at least 2 messages
    And the puts finish
    And every subscriber gets each message it is owed exactly once, in each publisher's order

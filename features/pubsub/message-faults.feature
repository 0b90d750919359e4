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

  # The lost DELIVER is not the last: what follows it arrives as a gap, which a subscriber must drop
  # (queuing it would hand out 11 before 10, and then drop 10 as a duplicate: lost), until the proxy,
  # seeing no acknowledgement progress for a liveness, sends again from the acknowledged position.
  @khp1:retransmission @khp1:drop-duplicates-and-gaps @khp1:in-order-delivery
  Scenario: A DELIVER lost on a live session is sent again, and what came after it is not handed out before it
    Given a pub/sub proxy
    And 2 subscribers
    And "subscriber-1" subscribes to "news"
    And "subscriber-2" subscribes to "news"
    And 1 publisher
    When each publisher starts putting 60 messages round-robin on "news"
    And the DELIVER of "news" sequence 10 to "subscriber-1" is lost on a live session
    Then the message fault affected at least 1 message
    And the puts finish
    And every subscriber gets each message it is owed exactly once, in each publisher's order

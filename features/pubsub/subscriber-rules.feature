@pubsub @khp1 @pubsub-exactly-once @stand-in
Feature: A subscriber alone against a scripted proxy (KHP/1 subscriber rules)
  A correct proxy never sends a duplicate DELIVER on purpose, never a gap, never a WELCOME listing a
  topic the subscriber did not ask for: scenarios with a real proxy cannot show whether a subscriber
  drops what it must. Here the harness stands in for the proxy (harness/probe/stand-in-proxy.ts): it
  records every frame the subscriber under test sends and plays a script, and the subscriber's
  driver reports (what its get() hands out) are judged against the rules. The verdict names the
  subscriber rule broken.

  Background:
    Given a stand-in pub/sub proxy of the harness
    And 1 subscriber

  @khp1:subscribe-after-welcome @khp1:hello-with-positions
  Scenario: A subscriber subscribes only after WELCOME, and again after each WELCOME while unanswered
    Then "subscriber-1", facing the stand-in proxy, follows the script "subscribe only after WELCOME"

  @khp1:adopt-welcome @khp1:drop-duplicates-and-gaps @khp1:processed-before-ack
  Scenario: A subscriber adopts WELCOME's subscriptions and positions, and drops duplicates, gaps and topics it does not have
    Then "subscriber-1", facing the stand-in proxy, follows the script "adopt WELCOME, drop duplicates and gaps"

  @khp1:unsubscribe-discards
  Scenario: After unsubscribe, a subscriber hands out nothing more of that topic
    Then "subscriber-1", facing the stand-in proxy, follows the script "unsubscribe discards"

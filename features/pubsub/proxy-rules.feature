@pubsub @khp1 @pubsub-exactly-once @raw-peers
Feature: The proxy's rules, spoken to frame by frame (KHP/1 proxy rules)
  Publishers and subscribers that follow KHP/1 never send the proxy a malformed message, an ACK far
  beyond what they were sent, or a windowed PUT out of its stream's order, and they never leave for
  good: the proxy's rules for those cases are reached only by raw peers of the harness
  (harness/probe/khp-peer.ts), which send exactly that and check each answer. The verdict names the
  proxy rule broken.

  @khp1:malformed-dropped
  Scenario: The proxy drops malformed messages and keeps serving
    Given a pub/sub proxy
    Then raw peers sending the proxy malformed messages are dropped, and it keeps serving
    And the pub/sub proxy is still running

  @khp1:cumulative-ack @khp1:in-order-delivery @khp1:subscriptions
  Scenario: An ACK acknowledges every sequence up to its own, and no further than what was delivered
    Given a pub/sub proxy
    Then a raw subscriber acknowledging cumulatively, and far ahead, gets each message once

  @khp1:stream-order @khp1:dedup
  Scenario: A publisher's windowed puts are decided in its stream order: ahead dropped, behind refused
    Given a pub/sub proxy
    Then a raw publisher's windowed puts are decided in its stream order

  # {{subscriberEviction}} in a manifest: the scenario passes 600 ms (scaled), so it takes a second or two.
  @khp1:eviction
  Scenario: A subscriber id without a session past the eviction bound loses its subscriptions
    Given a pub/sub proxy that evicts a subscriber id after 600 ms without a session
    Then a raw subscriber that subscribed and left without a session is welcomed back without its subscription

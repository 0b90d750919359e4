@pubsub @khp1 @pubsub-exactly-once
Feature: Exactly-once delivery to durable subscribers (KHP/1)
  ZeroMQ's PUB/SUB delivers at most once. A KHP/1 proxy (docs/protocol.md) journals every accepted
  message, every subscription and every subscriber's acknowledged position, so each subscriber gets
  each message accepted on its topics while it was subscribed exactly once, in each publisher's
  order, also across a proxy crash.

  @khp1:fan-out @khp1:delivery @khp1:in-order-delivery @khp1:publisher-outcomes
  Scenario: Several publishers and subscribers on overlapping topics
    Given a pub/sub proxy
    And 3 subscribers
    And "subscriber-1" subscribes to "news"
    And "subscriber-2" subscribes to "sports"
    And "subscriber-3" subscribes to "news, sports"
    And 2 publishers
    When each publisher puts 60 messages round-robin on "news, sports"
    Then every subscriber gets each message it is owed exactly once, in each publisher's order

  @containers @khp1:restart @khp1:accept-before-acknowledge @khp1:dedup @khp1:same-message-id @khp1:publisher-order @khp1:hello-with-positions
  Scenario: The proxy is killed and restarted while messages flow
    Given a pub/sub proxy
    And 2 subscribers
    And "subscriber-1" subscribes to "news"
    And "subscriber-2" subscribes to "news, sports"
    And 2 publishers
    When each publisher starts putting 80 messages round-robin on "news, sports"
    And the pub/sub proxy is killed once 30 messages are accepted, and restarted 300 ms later
    Then the puts finish
    And every subscriber gets each message it is owed exactly once, in each publisher's order

  # subscriber-1 is down while the messages are put, so what it is owed can only be in the proxy's
  # journal when the proxy is killed; subscriber-2 shows messages in flight at the crash. No put
  # comes after the restart to carry them: the restarted proxy must deliver what it retained.
  @khp1:restart @khp1:session-hello @khp1:hello-with-positions @khp1:delivery
  Scenario: The proxy is killed and restarted after the last put: what it had accepted still reaches every subscriber
    Given a pub/sub proxy
    And 2 subscribers
    And "subscriber-1" subscribes to "news"
    And "subscriber-2" subscribes to "news, sports"
    And 2 publishers
    When "subscriber-1" is killed, keeping its durable subscriptions
    And each publisher puts 60 messages round-robin on "news, sports"
    And the pub/sub proxy is killed at once, with no puts after it, and restarted 1000 ms later
    And "subscriber-1" is started again
    Then every subscriber gets each message it is owed exactly once, in each publisher's order
    And messages accepted before the crash reached subscribers only after the restart

  @khp1:delivery @khp1:restart @khp1:session-hello @khp1:hello-with-positions @khp1:processed-before-ack
  Scenario: A subscriber killed and restarted gets what it missed, once
    Given a pub/sub proxy
    And 2 subscribers
    And "subscriber-1" subscribes to "news"
    And "subscriber-2" subscribes to "news"
    And 2 publishers
    When each publisher starts putting 80 messages round-robin on "news"
    And "subscriber-1" is killed once it has received 20 messages, and restarted 300 ms later
    Then the puts finish
    And every subscriber gets each message it is owed exactly once, in each publisher's order
    And "subscriber-1" missed messages while the fault lasted and got them after it

  @khp1:retransmission @khp1:sessions @khp1:proxy-heartbeats
  Scenario: A frozen subscriber gets what was sent while it was frozen, once
    Given a pub/sub proxy
    And 2 subscribers
    And "subscriber-1" subscribes to "news"
    And "subscriber-2" subscribes to "news"
    And 2 publishers
    When each publisher starts putting 80 messages round-robin on "news"
    And "subscriber-1" is frozen for 3 liveness periods once it has received 20 messages
    Then the puts finish
    And every subscriber gets each message it is owed exactly once, in each publisher's order
    And "subscriber-1" missed messages while the fault lasted and got them after it

  @containers @khp1:retransmission @khp1:sessions @khp1:proxy-heartbeats @khp1:subscriber-heartbeats @khp1:hello-with-positions
  Scenario: A subscriber cut off from the network and healed gets what it missed, once
    Given a pub/sub proxy
    And 2 subscribers
    And "subscriber-1" subscribes to "news, sports"
    And "subscriber-2" subscribes to "news"
    And 2 publishers
    When each publisher starts putting 80 messages round-robin on "news, sports"
    And "subscriber-1" is cut off from the network for 3 liveness periods once it has received 20 messages
    Then the puts finish
    And every subscriber gets each message it is owed exactly once, in each publisher's order
    And "subscriber-1" missed messages while the fault lasted and got them after it

  # The puts go on past their count until some are accepted after the freeze (they never run out
  # before it), and the bound is well above what a live subscriber acknowledging in batches of 16
  # leaves pending. Refusals before the freeze while a live subscriber is behind, or too few puts
  # during it to fill the bound, make the scenario INCONCLUSIVE (retried), never a FAIL.
  @khp1:bounded-memory @khp1:publisher-outcomes
  Scenario: A frozen subscriber's backlog is bounded: puts are refused, never accepted and dropped
    Given a pub/sub proxy that keeps at most 50 messages pending per subscriber
    And 2 subscribers
    And "subscriber-1" subscribes to "news"
    And "subscriber-2" subscribes to "news"
    And 1 publisher
    When each publisher starts putting 100 messages round-robin on "news"
    And "subscriber-1" is frozen for 4 liveness periods once it has received 10 messages
    Then the puts finish
    And some puts were refused as busy while "subscriber-1" was frozen, none before, and puts were accepted again after
    And every subscriber gets each message it is owed exactly once, in each publisher's order

  @khp1:subscriptions
  Scenario: A subscriber unsubscribes and subscribes again while messages flow
    Given a pub/sub proxy
    And 2 subscribers
    And "subscriber-1" subscribes to "news, sports"
    And "subscriber-2" subscribes to "news, sports"
    And 2 publishers
    When each publisher starts putting 80 messages round-robin on "news, sports"
    And 40 messages have been accepted
    And "subscriber-2" unsubscribes from "news"
    And 90 messages have been accepted
    And "subscriber-2" subscribes to "news"
    Then the puts finish
    And every subscriber gets each message it is owed exactly once, in each publisher's order

  # {{dedupRetention}} and {{compactionThreshold}} in a manifest: small, so the proxy forgets its oldest
  # message ids and compacts its journal within seconds. The window stays above what the publishers
  # can have in flight (2 × 128), as it must. A proxy that does not report its compactions
  # ("journal-compacted") leaves the last step INCONCLUSIVE: what it was to reach is not shown.
  # The reference compacts once its journal holds 4 times its live records (up to 300 remembered ids
  # plus what is retained): 1,600 puts pass that by far; 800 with 200 ids did only just, and often not.
  @khp1:dedup @khp1:restart
  Scenario: A small dedup window and frequent journal compaction, across a proxy crash: each message once
    Given a pub/sub proxy that remembers the last 300 message ids and compacts its journal past 128 records
    And 2 subscribers
    And "subscriber-1" subscribes to "news"
    And "subscriber-2" subscribes to "news, sports"
    And 2 publishers
    When each publisher starts putting 800 messages round-robin on "news, sports"
    And the pub/sub proxy is killed once 300 messages are accepted, and restarted 300 ms later
    Then the puts finish
    And every subscriber gets each message it is owed exactly once, in each publisher's order
    And the proxy compacted its journal, and its dedup table reached its bound of 300

@pubsub @khp1 @pubsub-exactly-once @graceful-stop
Feature: Pub/sub roles stopped gracefully (KHP/1)
  A publisher, a subscriber or the proxy stopped as an operator or a supervisor stops it: SIGTERM, or
  its stdin closed. Each exits by itself within its grace (a node the harness has to kill ignores a
  graceful stop, and the verdict says so); nothing acknowledged is lost on the way, and a subscriber
  or proxy started again carries on where it stopped.

  @khp1:publisher-outcomes @khp1:accept-before-acknowledge @khp1:fan-out
  Scenario Outline: A publisher stopped gracefully by <how> mid-stream: every put it was told was accepted reaches every subscriber
    Given a pub/sub proxy
    And 2 subscribers
    And "subscriber-1" subscribes to "news"
    And "subscriber-2" subscribes to "news, sports"
    And 2 publishers
    When each publisher starts putting 80 messages round-robin on "news, sports"
    And "publisher-1" is stopped gracefully by <how> once 30 messages are accepted
    Then the puts finish
    And the node stopped gracefully exited by itself within its grace
    And the stopped publisher reported an outcome for everything it had open
    And every subscriber gets each message it is owed exactly once, in each publisher's order

    Examples:
      | how               |
      | SIGTERM           |
      | closing its stdin |

  @khp1:processed-before-ack @khp1:session-hello @khp1:hello-with-positions @khp1:cumulative-ack
  Scenario Outline: A subscriber stopped gracefully by <how> and started again with the same id gets everything after what it acknowledged, once
    Given a pub/sub proxy
    And 2 subscribers
    And "subscriber-1" subscribes to "news"
    And "subscriber-2" subscribes to "news"
    And 2 publishers
    When each publisher starts putting 80 messages round-robin on "news"
    And "subscriber-1" is stopped gracefully by <how> once it has received 20 messages, and started again 300 ms later
    Then the puts finish
    And the node stopped gracefully exited by itself within its grace
    And every subscriber gets each message it is owed exactly once, in each publisher's order
    And "subscriber-1" missed messages while the fault lasted and got them after it

    Examples:
      | how               |
      | SIGTERM           |
      | closing its stdin |

  # As the crash after the last put (pubsub.feature), but a graceful stop: subscriber-1 is down while
  # the messages are put, so what it is owed can only come from what the proxy kept across its stop.
  @khp1:restart @khp1:session-hello @khp1:hello-with-positions @khp1:delivery @khp1:dedup
  Scenario Outline: The proxy stopped gracefully by <how> and started again: nothing acknowledged is lost, retained messages flow
    Given a pub/sub proxy
    And 2 subscribers
    And "subscriber-1" subscribes to "news"
    And "subscriber-2" subscribes to "news, sports"
    And 2 publishers
    When "subscriber-1" is killed, keeping its durable subscriptions
    And each publisher puts 60 messages round-robin on "news, sports"
    And the pub/sub proxy is stopped gracefully by <how>, with no puts after it, and started again 1000 ms later
    And "subscriber-1" is started again
    Then the node stopped gracefully exited by itself within its grace
    And every subscriber gets each message it is owed exactly once, in each publisher's order
    And messages accepted before the stop reached subscribers only after the restart

    Examples:
      | how               |
      | SIGTERM           |
      | closing its stdin |

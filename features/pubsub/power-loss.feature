@pubsub @khp1 @pubsub-exactly-once @faults @power-loss
Feature: Power loss: what the pub/sub proxy accepted survives a power cut, not only a crash
  A SIGKILL keeps the page cache, so a proxy that writes its journal without syncing it passes
  every crash scenario. Here the proxy is killed and everything it wrote under its state folder
  without making it durable is destroyed before it starts again (docs/power-loss.md). Every message
  it accepted must still reach every subscriber it is owed to, exactly once, in order.

  @khp1:restart @khp1:accept-before-acknowledge @khp1:dedup @khp1:same-message-id @khp1:publisher-order
  Scenario: The proxy loses its unsynced writes while messages flow
    Given nodes whose unsynced writes the harness can destroy
    And a pub/sub proxy
    And 2 subscribers
    And "subscriber-1" subscribes to "news"
    And "subscriber-2" subscribes to "news, sports"
    And 2 publishers
    When each publisher starts putting 80 messages round-robin on "news, sports"
    And the pub/sub proxy loses its unsynced writes once 30 messages are accepted, and restarts 300 ms later
    Then the puts finish
    And every subscriber gets each message it is owed exactly once, in each publisher's order

  # subscriber-1 is down while the messages are put: what it is owed is only in the proxy's journal
  # when the power goes, and no put comes after the restart to carry it.
  @khp1:restart @khp1:session-hello @khp1:hello-with-positions @khp1:delivery
  Scenario: The proxy loses its unsynced writes after the last put: what it had accepted still reaches every subscriber
    Given nodes whose unsynced writes the harness can destroy
    And a pub/sub proxy
    And 2 subscribers
    And "subscriber-1" subscribes to "news"
    And "subscriber-2" subscribes to "news, sports"
    And 2 publishers
    When "subscriber-1" is killed, keeping its durable subscriptions
    And each publisher puts 60 messages round-robin on "news, sports"
    And the pub/sub proxy loses its unsynced writes at once, with no puts after it, and restarts 1000 ms later
    And "subscriber-1" is started again
    Then every subscriber gets each message it is owed exactly once, in each publisher's order

  # The subscriber keeps its processed positions in a file it replaces (write, fdatasync, rename,
  # folder fsync): a power cut must not bring back a position older than a message it handed out.
  @khp1:processed-before-ack @khp1:hello-with-positions @khp1:delivery
  Scenario: A subscriber loses its unsynced writes while messages flow
    Given nodes whose unsynced writes the harness can destroy
    And a pub/sub proxy
    And 2 subscribers
    And "subscriber-1" subscribes to "news"
    And "subscriber-2" subscribes to "news"
    And 2 publishers
    When each publisher starts putting 80 messages round-robin on "news"
    And "subscriber-1" loses its unsynced writes once it has received 20 messages, and restarts 300 ms later
    Then the puts finish
    And every subscriber gets each message it is owed exactly once, in each publisher's order

@pubsub @khp1 @pubsub-exactly-once @faults @disk-faults
Feature: Disk faults: a proxy whose fsyncs fail acknowledges nothing it could not make durable
  The proxy's fsyncs fail with EIO while messages flow (docs/disk-faults.md). After a failed fdatasync
  nothing it wrote since its last good sync can be trusted: it must stop serving (the reference exits
  with status 70) instead of acknowledging puts it may no longer have. The power cut that follows
  destroys whatever it wrote without syncing; it starts again on its journal, and every message it
  acknowledged must still reach every subscriber it is owed to, exactly once, in order.

  @khp1:journal-failure @khp1:restart @khp1:accept-before-acknowledge
  Scenario: The proxy's fsyncs fail while messages flow: it stops, and after a power cut nothing it acknowledged is lost
    Given nodes whose disk the harness can fail
    And a pub/sub proxy
    And 2 subscribers
    And "subscriber-1" subscribes to "news"
    And "subscriber-2" subscribes to "news, sports"
    And 2 publishers
    When each publisher starts putting 80 messages round-robin on "news, sports"
    And the pub/sub proxy's fsyncs fail for 300 ms once 20 messages are accepted, then it loses its unsynced writes and restarts 300 ms later
    Then the pub/sub proxy exited with status 70 at the failed sync
    And the puts finish
    And every subscriber gets each message it is owed exactly once, in each publisher's order

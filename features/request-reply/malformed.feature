@mdp @rfc7
Feature: A broker survives bad input
  Malformed, truncated and out-of-order messages are dropped (or answered with DISCONNECT
  where 7/MDP says so); the broker keeps serving everyone else.

  @rfc7:invalid-messages
  Scenario: Malformed and out-of-order messages do not stop the broker
    Given a broker
    And 2 workers serving "echo"
    And 2 clients
    When peers send the broker these messages, it answers each as 7/MDP requires:
      | message                                      |
      | an empty message                             |
      | a message without the empty delimiter        |
      | an unknown protocol header                   |
      | a client request without a body              |
      | a client request with an empty service name  |
      | a worker message without a command frame     |
      | a two-byte command frame                     |
      | an unknown worker command                    |
      | a READY without a service name               |
      | a REQUEST sent by a worker                   |
      | a REPLY truncated after the client address   |
      | a heartbeat before READY                     |
      | a REPLY from an unregistered worker          |
      | a duplicate READY                            |
      | a READY for a reserved mmi.* service         |
      | a KHX/1 job request without a body           |
      | a RECORDED sent by a worker                  |
    Then the broker is still running
    When each client submits 50 jobs to "echo", 4 at a time
    Then every job is answered exactly once
    And the history shows no anomaly the "at-least-once" profile forbids

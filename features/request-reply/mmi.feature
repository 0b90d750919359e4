@mdp @rfc8
Feature: Service discovery through 8/MMI
  The broker answers requests for services named mmi.* itself.

  @rfc8:mmi-service @rfc8:default-services @rfc8:internal-namespace @rfc8:service-found @rfc8:service-not-found @rfc8:not-implemented
  Scenario: mmi.service tells which services have workers
    Given a broker
    And 1 worker serving "echo"
    Then the broker answers "mmi.service" about "echo" with "200"
    And the broker answers "mmi.service" about "nobody-home" with "404"
    And the broker answers "mmi.unheard-of" about "echo" with "501"

  @rfc7:heartbeating @rfc7:broker-liveness @rfc7:detect-disconnection @rfc8:mmi-service @rfc8:service-found @rfc8:service-not-found
  Scenario: A dead worker is forgotten within its liveness
    Given a broker
    And 1 worker serving "echo"
    Then the broker answers "mmi.service" about "echo" with "200"
    When "worker-1" is killed
    Then within 2 liveness periods the broker answers "mmi.service" about "echo" with "404"

  @rfc8:mmi-service @rfc8:service-found @rfc8:service-not-found
  Scenario: mmi.service never reports a service only a request named, nor one whose last worker left
    Given a broker
    And 1 worker serving "echo"
    When a stand-in client sends a request to "nobody-home", which no worker serves
    Then the broker answers "mmi.service" about "nobody-home" with "404"
    And the broker answers "mmi.service" about "echo" with "200"
    When "worker-1" is stopped gracefully
    Then within 2 liveness periods the broker answers "mmi.service" about "echo" with "404"

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

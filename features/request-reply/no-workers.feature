@at-least-once @rfc7 @rfc8
Feature: A service nobody serves
  A call to a service with no workers must not hang: the client learns through 8/MMI that
  nobody serves it and fails definitely, without having sent the request.

  @rfc8:mmi-service @rfc7:reliability @rfc8:service-not-found
  Scenario: A call to a service with no workers fails definitely after its retries
    Given a broker
    And 1 worker serving "echo"
    And 1 client
    When the client calls "nobody-home" 3 times
    Then every call to "nobody-home" fails definitely within its bound
    And no call is stuck

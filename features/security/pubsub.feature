@security @secure
Feature: Who may talk to whom: pub/sub
  In a secure run the pub/sub proxy's policy says which key may publish on and subscribe to which
  topics, and under which subscriber ids. Hostile peers driven by the harness try to take over
  another subscriber's session, to publish and to subscribe where they may not; a subscriber's key
  is revoked while messages flow to it. The security checks judge every delivery and acceptance.

  Background:
    Given a secure run with the policy:
      | principal    | publish  | subscribe |
      | publisher-1  | prices.* |           |
      | subscriber-1 |          | prices.*  |
      | evil         | evil.*   | evil.*    |
    And a pub/sub proxy
    And 1 subscriber
    And "subscriber-1" subscribes to "prices.eur"

  @attack:session-takeover @kha1:subscriber-id-right @khp1:secure-rights
  Scenario: A peer cannot take over another subscriber's session (HELLO as its id, positions far ahead)
    When "evil" tries "session-takeover" on topic "prices.eur" against "subscriber-1"
    Then the security checks find nothing

  @attack:unauthorized-publish @kha1:publish-right @khp1:secure-rights
  Scenario: A publisher cannot put on a topic it may not publish on
    When "evil" tries "unauthorized-publish" on topic "prices.eur" against "subscriber-1"
    Then the security checks find nothing

  @attack:unauthorized-subscribe @kha1:subscribe-right @khp1:secure-rights
  Scenario: A subscriber cannot subscribe to a topic it may not see
    When "evil" tries "unauthorized-subscribe" on topic "prices.eur" against "subscriber-1"
    Then the security checks find nothing

  @attack:subscriber-revocation @kha1:revocation @khp1:secure-revocation
  Scenario: A revoked subscriber gets no deliveries past the bound
    When "subscriber-1" tries "subscriber-revocation" on topic "prices.eur" against "subscriber-1"
    Then the security checks find nothing

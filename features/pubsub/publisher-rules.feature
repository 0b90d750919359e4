@pubsub @khp1 @pubsub-exactly-once @stand-in
Feature: A publisher alone against a scripted proxy (KHP/1 publisher rules)
  A correct proxy answers every PUT it can, so whether a publisher retries an unanswered put with the
  same message id on the same socket, stops at REFUSED, and reports a put that ran out of attempts
  as indefinite is seen only when the proxy misbehaves on purpose. The harness stands in for the
  proxy (harness/probe/stand-in-proxy.ts): it leaves one attempt unanswered and then accepts, refuses
  the next put, and never answers the last.

  @khp1:same-message-id @khp1:publisher-outcomes
  Scenario: A publisher retries with the same message id on the same socket, stops at REFUSED, and reports a put never answered as indefinite
    Given a stand-in pub/sub proxy of the harness
    And 1 publisher
    Then "publisher-1", facing the stand-in proxy, reports each put as its answer says

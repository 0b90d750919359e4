@pubsub @khp1 @secure @stand-in
Feature: A subscriber takes FORBIDDEN as a definite failure (KHP/1 subscriber rule 8)
  Only a proxy in secure mode says FORBIDDEN, and a correct one says it only when the policy forbids:
  whether a subscriber takes it as final cannot be seen from the proxy's side. The harness stands in
  for the proxy (harness/probe/stand-in-proxy.ts) and answers one SUBSCRIBE, then the subscriber's
  HELLO, with FORBIDDEN. Judged for implementations that claim `secure`; the stand-in speaks without
  CURVE, since what is judged is what the subscriber does with the answer.

  @khp1:forbidden-definite
  Scenario: FORBIDDEN fails the SUBSCRIBE it answers, and the whole session when it names the subscriber id
    Given a stand-in pub/sub proxy of the harness
    And 1 subscriber
    Then "subscriber-1", facing the stand-in proxy, follows the script "FORBIDDEN is definite"

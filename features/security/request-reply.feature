@security @secure
Feature: Who may talk to whom: request-reply
  In a secure run every node has a CURVE key pair and the broker a policy saying which key may
  register and call which service. Hostile peers driven by the harness (each with a key of its own,
  a key the policy does not list, or none) try what issue 17 found possible; the security checks
  then judge, from the history alone, whether anybody received what it was not entitled to.

  Background:
    Given a secure run with the policy:
      | principal | register | call     |
      | worker-1  | echo     |          |
      | client-a  |          | echo     |
      | client-b  |          | echo     |
      | evil      | evil-own | evil-own |
    And a broker
    And 1 worker serving "echo" that takes 200 ms per job

  @entitlement @kha1:call-right @kha1:allow-list
  Scenario Outline: A principal calls only the services the policy allows (<who> calls <service>)
    Then "<who>" can call "<service>"
    And the security checks find nothing

    Examples:
      | who      | service |
      | client-a | echo    |
      | client-b | echo    |

  @entitlement @reconnect @kha1:allow-list @kha1:register-right
  Scenario: After a broker restart, entitled peers reconnect with their keys and are served again
    Then "client-a" can call "echo"
    When the broker restarts after 300 ms and "echo" has workers again
    Then "client-a" can call "echo"
    And the security checks find nothing

  @attack:impersonation @kha1:register-right
  Scenario: A worker cannot take jobs of a service it may not register (impersonation)
    When "evil" tries "impersonation" on "echo" against "client-a"
    Then the security checks find nothing

  @attack:forged-reply @kha1:reply-from-holder
  Scenario: A worker cannot answer another service's job (forged reply)
    When "evil" tries "forged-reply" on "echo" against "client-a"
    Then the security checks find nothing

  @attack:job-id-reuse @kha1:job-ids-scoped
  Scenario: A client cannot get or take another client's result by its job id (job-id reuse)
    When "client-b" tries "job-id-reuse" on "echo" against "client-a"
    Then the security checks find nothing

  @attack:unauthorized-call @kha1:call-right
  Scenario: A client cannot call a service it may not call
    When "evil" tries "unauthorized-call" on "echo" against "client-a"
    Then the security checks find nothing

  @attack:unknown-key @kha1:allow-list
  Scenario: A key the policy does not list cannot connect
    When "stranger" tries "unknown-key" on "echo" against "client-a"
    Then the security checks find nothing

  @attack:null-mechanism @kha1:no-null
  Scenario: A peer without a key (the NULL mechanism) cannot connect
    When "anonymous" tries "null-mechanism" on "echo" against "client-a"
    Then the security checks find nothing

  @attack:revocation @kha1:revocation
  Scenario: A revoked client gets no replies past the bound, on the connection it already has
    When the key of "client-b" is revoked while it calls "echo"
    Then the security checks find nothing

  @attack:oversized-frame @kha1:bounded-input
  Scenario: An oversized frame does not stop the broker serving valid calls
    When "evil" tries "oversized-frame" on "echo" against "client-a"
    Then the security checks find nothing

  @attack:service-name-flood @kha1:bounded-input
  Scenario: A flood of service names does not stop the broker serving valid calls
    When "evil" tries "service-name-flood" on "echo" against "client-a"
    Then the security checks find nothing

@at-least-once @graceful-stop
Feature: A client stopped gracefully ends what it started
  An application shuts its client down with SIGTERM, or its supervisor closes the client's input. A
  graceful client takes no new call, ends each call it has open with an outcome it reports (a reply,
  a definite failure, or an indefinite one), and exits within its grace: its calls' bound plus 2 s
  (scaled). One it has to be killed for ignores a graceful stop, and the verdict says so. The broker
  and the other clients go on as if nothing happened; no job the stopped client submitted runs twice.

  # 7/MDP's reliability goal as the client's side of it: every call ends, with an outcome the client reports.
  @rfc7:reliability
  Scenario Outline: A client stopped gracefully by <how> mid-run: its open calls end, nothing runs twice, the other clients are unaffected
    Given a broker
    And 2 workers serving "echo" that take 60 ms per job
    And 3 clients
    When each client starts submitting 30 jobs to "echo", 2 at a time
    And a client with calls open is stopped gracefully by <how>
    Then every job of the other clients is answered exactly once
    And the node stopped gracefully exited by itself within its grace
    And the stopped client reported an outcome for everything it had open
    And every job the stopped client got a reply for ran exactly once
    And no job ran more than once
    And no call is stuck
    And the history shows no anomaly the "at-least-once" profile forbids

    Examples:
      | how               |
      | SIGTERM           |
      | closing its stdin |

@exactly-once @khx1 @faults @disk-faults
Feature: Disk faults: a broker whose disk fails acknowledges nothing it could not make durable
  The broker's disk fails while it runs (docs/disk-faults.md): it fills up (writes fail ENOSPC, after a
  short write), turns read-only (EROFS), or its fsyncs fail (EIO). A careful broker refuses new jobs
  with a definite answer while it cannot write, keeps what is already durable, and takes work again by
  itself once it can. After a failed fsync nothing it wrote since its last good sync can be trusted
  ("fsyncgate"): it must not acknowledge again before a restart re-reads its journal; a power cut then
  shows whether anything acknowledged was only in the page cache.

  @khx1:disk-refuses-writes @khx1:accept-before-dispatch @khx1:record-before-reply @khx1:client-statuses
  Scenario Outline: The broker's disk <fails> for a while as clients submit
    Given nodes whose disk the harness can fail
    And a broker
    And 2 workers serving "echo" that take 50 ms per job
    And 2 clients
    When each client starts submitting 12 jobs to "echo", 1 at a time
    And the broker's disk <fails> for 500 ms once 5 jobs are answered, while each client submits 3 more jobs to "echo"
    Then the workload finishes
    When each client submits 3 more jobs to "echo", 1 at a time
    Then every call ends in a reply or a definite failure
    And some calls failed definitely while the disk fault lasted
    And every call made while the disk fault lasted failed definitely or was answered, and every call made after it was answered
    And no job ran more than once
    And no call is stuck
    And the history shows no anomaly the "exactly-once" profile forbids

    Examples:
      | fails            |
      | is full          |
      | turns read-only  |

  # The reference stops serving at the first failed sync and exits (status 70); the power cut that
  # follows restarts it on what its journal holds. The client hears nothing from the broker from the
  # start of one of its jobs until after the cut, so a broker that recorded that job's result after a
  # failed sync (only in the page cache) has forgotten it, and the client's retry runs the job again.
  @containers @khx1:journal-failure @khx1:record-before-reply @khx1:keep-until-recorded @khx1:restart @khx1:same-job-id
  Scenario: The broker's fsyncs fail, then it loses its unsynced writes
    Given nodes whose disk the harness can fail
    And a broker
    And 2 workers serving "echo" that take 100 ms per job
    And 2 clients
    When each client starts submitting 20 jobs to "echo", 2 at a time
    And the broker's fsyncs fail for 300 ms from the start of a job of "client-1" that the client does not hear of, then it loses its unsynced writes and restarts 300 ms later
    Then every job is answered exactly once
    And no job ran more than once
    And no call is stuck
    And the history shows no anomaly the "exactly-once" profile forbids

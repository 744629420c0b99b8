"""AWS Glue 5 job: raw -> silver for one dataset (typed, validated, deduplicated, quarantined).

Arguments: --dataset, --contract_uri, --project, --env (and Glue's own --JOB_NAME, --JOB_RUN_ID).
The logic is in lakehouse.jobs.stages.raw_silver; this file only starts it, on Glue or locally.
"""

import sys

from lakehouse.jobs.entry import run_job


def main(argv=None, io=None):
    return run_job("raw_to_silver", sys.argv if argv is None else argv, io)


if __name__ == "__main__":
    main()

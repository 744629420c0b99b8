"""AWS Glue 5 job: silver -> gold star schema for one dataset (dimensions and facts from the contract).

Arguments: --dataset, --contract_uri, --project, --env (and Glue's own --JOB_NAME, --JOB_RUN_ID).
The logic is in lakehouse.jobs.stages.silver_gold; this file only starts it, on Glue or locally.
"""

import sys

from lakehouse.jobs.entry import run_job


def main(argv=None, io=None):
    return run_job("silver_to_gold", sys.argv if argv is None else argv, io)


if __name__ == "__main__":
    main()

"""AWS Glue 5 job: build a multi-source gold model (a star schema a model file declares) from its sources' silver.

Arguments: --model, --model_uri, --project, --env (and Glue's own --JOB_NAME, --JOB_RUN_ID).
The logic is in lakehouse.jobs.stages.build_model; this file only starts it, on Glue or locally.
"""

import sys

from lakehouse.jobs.entry import run_job


def main(argv=None, io=None):
    return run_job("build_model", sys.argv if argv is None else argv, io)


if __name__ == "__main__":
    main()

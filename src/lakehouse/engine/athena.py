"""`--target aws`: the same SQL on Amazon Athena, through PyAthena, in the environment's workgroup."""

from __future__ import annotations

from lakehouse.engine.result import Result
from lakehouse.errors import QueryError
from lakehouse.settings import Settings


class AthenaEngine:
    """Athena in the environment's workgroup; unqualified names resolve to the gold database."""

    def __init__(self, settings: Settings):
        from pyathena import connect

        self.settings = settings
        self.con = connect(
            region_name=settings.region,
            work_group=settings.athena_workgroup,
            schema_name=settings.database("gold"),
        )

    def query(self, sql: str) -> Result:
        from pyathena.error import DatabaseError

        cursor = self.con.cursor()
        try:
            cursor.execute(sql)
        except DatabaseError as exc:
            raise QueryError(str(exc).strip().splitlines()[0]) from None
        desc = cursor.description or []
        return Result(
            [d[0] for d in desc], [str(d[1]) for d in desc], list(cursor.fetchall()) if desc else []
        )

    def close(self) -> None:
        self.con.close()

"""Model fields shared by the apps."""

from django.db import models


class PathField(models.CharField):
    """A materialized path (treebeard alphabet 0-9A-Z). On PostgreSQL it uses the "C" collation: paths are compared
    byte by byte, which is what the prefix ranges need and several times cheaper than a locale collation."""

    def db_parameters(self, connection):
        params = super().db_parameters(connection)
        if connection.vendor == "postgresql":
            params["collation"] = "C"
        return params

"""Where results and the audit log live: SQLite beside the store, or a shared PostgreSQL server.

:class:`fov_monitor.db.database.Database` is the one public entry point; this package holds its parts,
one job each: ``location`` (which database, from ``--db``, ``$FOV_MONITOR_DB`` or the store's
settings, with passwords hidden), ``schema`` (the migrations of each dialect), ``retry`` (how long a
locked or unreachable database is waited for), ``connection`` (what a connection must do), ``sqlite``
and ``postgres`` (the connections).
"""

"""Django's PostgreSQL backend, where a request waits for the database a few seconds in all.

A database that stops answering without closing the connection (packets dropped on the way,
a server or pooler that has hung) leaves libpq waiting forever. TCP keepalives and
tcp_user_timeout notice a network that loses everything, not a hung server whose machine
still answers; statement_timeout is enforced by the server that no longer answers. A slow
but living database (every round trip a second or two late) makes a page of twenty queries
take half a minute. Either way gunicorn kills the worker after 30 seconds.

So every wait for the server inside a request (connecting, each query, commit, the health
check of a kept connection) counts against the request's Budget, which
newsroom/middleware.py opens. When it runs out the connection is closed and DatabaseTooSlow
is raised: an OperationalError, so the reader gets the 503 page, but not psycopg's, so that
Django's health check does not take it for a broken connection and start connecting anew.
Time spent on anything else (an upload, making picture renditions) does not count. Outside
a request (management commands, the test suite's own queries) nothing changes.
"""

from contextlib import nullcontext

import psycopg
from django.db.backends.postgresql import base

from newsroom.middleware import DatabaseTooSlow, current_budget


class BudgetedConnection(psycopg.Connection):
    # Every exchange with the server goes through wait(); psycopg gives up on it after
    # `timeout` seconds with its (internal) _WaitTimeout.
    def wait(self, gen, interval=0.1, timeout=None):
        budget = current_budget.get()
        if budget is None:
            return super().wait(gen, interval, timeout)
        try:
            with budget.spend() as left:
                return super().wait(gen, interval, left if timeout is None else min(timeout, left))
        except (DatabaseTooSlow, psycopg.errors._WaitTimeout):
            # Half a conversation: the connection cannot be used again.
            self.close()
            raise DatabaseTooSlow(budget.message()) from None


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params):
        budget = current_budget.get()
        # Connecting has its own limit (connect_timeout), and counts against the budget.
        with budget.spend() if budget else nullcontext():
            connection = super().get_new_connection(conn_params)
        # Django has no setting for psycopg's connection class; the subclass only adds the
        # budget to wait(), and is in place before Django's own first queries (time zone).
        connection.__class__ = BudgetedConnection
        return connection

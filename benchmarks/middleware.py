"""``X-Queries``: how many SQL queries a request made, read by ``run.py`` from outside."""

from django.db import connection


class QueryCountMiddleware:
    """Counts with ``execute_wrapper``, so it works with ``DEBUG = False`` (no query log)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        count = 0

        def counter(execute, sql, params, many, context):
            nonlocal count
            count += 1
            return execute(sql, params, many, context)

        with connection.execute_wrapper(counter):
            response = self.get_response(request)
        response["X-Queries"] = str(count)
        return response

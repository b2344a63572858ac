"""Pages of a list, linked by number and never counted (as the reader's listings)."""

from django.core.paginator import InvalidPage
from rest_framework.exceptions import NotFound
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

from articles.reader.views import UncountedPaginator

PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


class UncountedPagination(PageNumberPagination):
    """`?page=2&limit=50`: a page asks for one object more than it shows to know whether
    another follows; COUNT(*) over a large archive would cost more than the page."""

    django_paginator_class = UncountedPaginator
    page_size = PAGE_SIZE
    page_size_query_param = "limit"
    max_page_size = MAX_PAGE_SIZE

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        paginator = self.django_paginator_class(queryset, self.get_page_size(request))
        try:
            self.page = paginator.page(request.query_params.get(self.page_query_param, 1))
        except InvalidPage as error:
            raise NotFound(str(error)) from None
        return list(self.page)

    def get_paginated_response(self, data):
        return Response(
            {
                "page": self.page.number,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema):
        link = {"type": ["string", "null"], "format": "uri"}
        return {
            "type": "object",
            "required": ["page", "next", "previous", "results"],
            "properties": {
                "page": {"type": "integer", "minimum": 1},
                "next": link,
                "previous": link,
                "results": schema,
            },
        }

"""The review screens are admin pages: the admin's header, breadcrumbs and links both ways."""

import pytest
from django.urls import reverse

from articles.models import Article
from tests.factories import make_article, make_user
from tests.pages import visible_text

pytestmark = pytest.mark.django_db
Status = Article.Status
QUEUES = reverse("review:index")


def breadcrumbs(html):
    return visible_text(html.split('class="breadcrumbs"')[1].split("</ol>")[0])


@pytest.fixture
def submitted(writer):
    return make_article(
        headline="A story under review",
        status=Status.IN_REVIEW,
        published_at=None,
        created_by=writer,
    )


def test_review_queues_sit_in_the_admins_frame(editor_client):
    html = editor_client.get(QUEUES).content.decode()
    assert 'id="header"' in html
    assert "admin/css/base.css" in html
    assert "bootstrap" not in html
    assert breadcrumbs(html) == "> Home Review queues"


def test_review_page_breadcrumbs_name_the_queues_and_the_story(editor_client, submitted):
    html = editor_client.get(reverse("review:story", args=[submitted.pk])).content.decode()
    assert breadcrumbs(html) == "> Home Review queues A story under review"
    assert f'href="{QUEUES}"' in html


def test_review_page_links_to_the_storys_edit_page(editor_client, submitted):
    html = editor_client.get(reverse("review:story", args=[submitted.pk])).content.decode()
    change = reverse("admin:articles_article_change", args=[submitted.pk])
    assert f'<a href="{change}">Edit the story</a>' in html


def test_edit_page_links_to_the_review_page(editor_client, submitted):
    html = editor_client.get(reverse("admin:articles_article_change", args=[submitted.pk]))
    assert reverse("review:story", args=[submitted.pk]) in html.content.decode()


@pytest.mark.parametrize("role", ["Writer", "Editor", "Chief"])
def test_admin_home_and_header_lead_to_the_review_queues(client, role):
    client.force_login(make_user(groups=[role]))
    html = client.get(reverse("admin:index")).content.decode()
    assert html.count(f'href="{QUEUES}"') == 2  # the header's user links and the home's list


def test_header_link_to_the_review_queues_is_on_every_admin_page(editor_client):
    html = editor_client.get(reverse("admin:articles_article_changelist")).content.decode()
    assert f'<a href="{QUEUES}">Review queues</a>' in html


def test_staff_without_stories_see_no_review_queues_link(client):
    client.force_login(make_user(permissions=["view_user"]))
    html = client.get(reverse("admin:index")).content.decode()
    assert QUEUES not in html


def test_a_decision_is_confirmed_in_the_admins_message_list(editor_client, submitted):
    data = {"decision": "approve", "seen": f"{submitted.status}:{submitted.version}"}
    response = editor_client.post(reverse("review:story", args=[submitted.pk]), data, follow=True)
    html = response.content.decode()
    message = html.split('class="messagelist"')[1].split("</ul>")[0]
    assert "Done: “A story under review” is now approved." in message
